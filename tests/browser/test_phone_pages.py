"""Every page of the demo commune on a 360 x 740 phone: nothing scrolls sideways, the header is short.

The demo commune is seeded, plus what breaks layouts in real life: a lesson whose title is one word
of about 190 characters (with a long URL and a wide table in its body, and a picture attached), and
a school with a very long name. Then, for each demo role, every GET route of the app is opened with
the ids of that data; every page that answers HTML is checked:

- `document.documentElement.scrollWidth <= window.innerWidth` (no sideways scrolling of the page;
  a wide lesson table scrolls inside its own box);
- the site header is at most 64 px tall (the menu is folded behind a button).

A screenshot of each page goes to tests/artifacts/phone-pages/<tag>/ (tag: SCHOOLHUB_SHOT_TAG, default
"after"; the run on the code before the phone work was tagged "before"). tests/artifacts/ is not committed.
"""
from __future__ import annotations

import io
import os
import re
import struct
import zlib
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from schoolhub.accounts.models import Membership, OrgUnit, Role, SchoolClass, SchoolLevel, UnitKind, User

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "phone-pages"
HEADER_MAX = 64
PHONE_WIDTH = 360  # a page that overflows makes a mobile browser widen innerWidth: check against the phone too
LONG_WORD = ("Nghịquyết57" * 18)[:190]
LONG_SCHOOL = ("Trường Phổ thông Dân tộc Bán trú Tiểu học và Trung học cơ sở Bình Chương – Điểm trường "
               "Vạn Lộc, Tân Phước, Làng Mới và Đồng Răm thuộc xã Bình Chương tỉnh Quảng Ngãi")
LONG_URL = "https://binhchuong.quangngai.gov.vn/" + "tai-lieu-chuyen-doi-so-" * 8 + "nghi-quyet-57.pdf"
LONG_BODY = (
    f"## {LONG_WORD}\n\nXem tại {LONG_URL} và [{LONG_WORD}]({LONG_URL}).\n\n"
    "| Tuần | Nội dung | Người phụ trách | Địa điểm | Ghi chú | Kết quả cần đạt |\n"
    "|---|---|---|---|---|---|\n"
    f"| 1 | Quán triệt Nghị quyết 57 | Ban giám hiệu | Hội trường | {LONG_WORD[:60]} | 100% giáo viên |\n"
    "| 2 | Chuyển đổi số trong dạy học | Tổ Tin học | Phòng máy | Mang máy tính | Mỗi tổ một bài |\n"
)
IMPORT_TOKEN = "0f" * 16
ROLES = {"officer": "demo.officer", "admin": "demo.admin", "teacher": "demo.teacher", "student": "demo.student"}
# Not pages people read on a phone: files, a feed, a spreadsheet download.
SKIP_ENDPOINTS = {"static", "core.healthz", "lessons.feed", "files.serve", "lessons.informed_xlsx"}

PAGE_FACTS_JS = """() => {
  const header = document.querySelector('header.site-header');
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
          header: header ? header.getBoundingClientRect().height : null,
          contentType: document.contentType};
}"""


def png_bytes(width: int = 40, height: int = 30) -> bytes:
    """A small real PNG (stdlib only)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes((30, 120, 200)) * width for _ in range(height))
    head = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", head) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def _seed(live_db, live_app) -> dict:
    """The demo commune with a long-word lesson (a picture attached) and a long-named school."""
    from schoolhub import files
    from schoolhub.accounts import services as account_services
    from schoolhub.demo import seed_demo
    from schoolhub.lessons import services as lesson_services
    from schoolhub.lessons.models import Lesson, LessonStatus, Visibility

    accounts = seed_demo(live_db, "schoolhub57")
    commune = live_db.scalar(select(OrgUnit).where(OrgUnit.kind == UnitKind.COMMUNE))
    long_school = account_services.create_unit(live_db, None, kind=UnitKind.SCHOOL, code="PTDTBT-BC",
                                               name=LONG_SCHOOL, parent=commune, level=SchoolLevel.THCS)
    account_services.create_user(live_db, None, full_name="Hồ Thị Thanh Hương", role=Role.TEACHER,
                                 unit=long_school, username="gv.huong")
    teacher = accounts["demo.teacher"]
    school = next(m.unit for m in teacher.memberships)
    data = lesson_services.LessonInput(title=LONG_WORD, summary=f"{LONG_WORD} {LONG_URL}", body=LONG_BODY,
                                       tags=LONG_WORD[:40], audiences=("teachers", "students"),
                                       visibility=Visibility.COMMUNE)
    lesson = lesson_services.create_lesson(live_db, teacher, school, data)
    stored = files.store(io.BytesIO(png_bytes()), f"{LONG_WORD[:120]}.png", live_app.config["UPLOAD_DIR"],
                         max_bytes=10**6)
    lesson_services.add_attachment(live_db, teacher, lesson, stored)
    lesson_services.set_status(live_db, teacher, lesson, LessonStatus.PUBLISHED)
    lesson_services.update_lesson(live_db, teacher, lesson, lesson_services.LessonInput(
        title=LONG_WORD, summary=data.summary, body=LONG_BODY + f"\n\n![{LONG_WORD[:50]}](/files/{stored.token})\n",
        tags=data.tags, audiences=data.audiences, visibility=Visibility.COMMUNE))  # a second version
    core = live_db.scalar(select(Lesson).where(Lesson.is_core.is_(True)))
    student = accounts["demo.student"]
    other_teacher = live_db.scalar(
        select(User).join(Membership).where(Membership.unit_id == school.id, Membership.role == Role.TEACHER,
                                            User.id != teacher.id).order_by(User.id))
    seven_a = live_db.scalar(select(SchoolClass).where(SchoolClass.school_id == school.id, SchoolClass.name == "7A"))
    live_db.commit()  # last: an open read transaction would lock SQLite against the app's writes
    # A class list imported earlier (as views_roster leaves it), so its sheet's address can be opened again.
    import json
    imports = Path(live_app.config["UPLOAD_DIR"]) / "imports"
    imports.mkdir(parents=True, exist_ok=True)
    (imports / f"{IMPORT_TOKEN}.json").write_text(json.dumps({"school_id": school.id, "format": "csv", "kind": "students"}))
    (imports / f"{IMPORT_TOKEN}.done").write_text(json.dumps(
        {"kind": "students", "groups": [{"label": "7A", "count": 8, "class_id": seven_a.id}]}))
    return {"commune_id": [commune.id], "school_id": [school.id], "class_id": [seven_a.id],
            "user_id": [student.id, other_teacher.id], "lesson_id": [lesson.id, core.id], "number": [1],
            "token": [stored.token], "long_school": long_school.id}


def _urls(live_app, values: dict) -> list[tuple[str, str]]:
    """(endpoint, path) of every GET route, once per combination of the seeded ids it takes."""
    import itertools

    found = []
    with live_app.test_request_context():
        from flask import url_for

        for rule in sorted(live_app.url_map.iter_rules(), key=lambda r: r.rule):
            if "GET" not in (rule.methods or ()) or rule.endpoint in SKIP_ENDPOINTS:
                continue
            args = sorted(rule.arguments)
            if any(a not in values for a in args):
                continue
            for combo in itertools.product(*(values[a] for a in args)):
                found.append((rule.endpoint, url_for(rule.endpoint, **dict(zip(args, combo, strict=True)))))
    return found


def _shot_name(role: str, endpoint: str, path: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{role}-{endpoint}-{path.strip('/')}")[:150] + ".png"


@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_fits_a_phone(role, page, live_db, live_app, log_in, request):
    values = _seed(live_db, live_app)
    assert log_in(page, ROLES[role], "schoolhub57") in ("/", "/password")
    tag = os.environ.get("SCHOOLHUB_SHOT_TAG", "after")
    folder = ARTIFACTS / tag
    folder.mkdir(parents=True, exist_ok=True)
    school_id, class_id = values["school_id"][0], values["class_id"][0]
    extra = [("admin.schools", f"/communes/{values['commune_id'][0]}/schools?q=Dân tộc"),
             ("school.overview", f"/schools/{values['long_school']}"), ("lessons.index", "/lessons?q=nghi"),
             ("lessons.informed", f"/lessons/informed/{values['long_school']}"),
             ("school.reissue_passwords", f"/schools/{school_id}/passwords?class_id={class_id}"),
             ("school.reissue_passwords", f"/schools/{school_id}/passwords?staff=1"),
             ("roster.sheet_again", f"/schools/{school_id}/import/{IMPORT_TOKEN}")]
    checked, problems = [], []
    for endpoint, path in _urls(live_app, values) + extra:
        response = page.goto(path)
        if response is None or response.status != 200 or "html" not in (response.headers.get("content-type") or ""):
            continue
        facts = page.evaluate(PAGE_FACTS_JS)
        checked.append(path)
        page.screenshot(path=str(folder / _shot_name(role, endpoint, path)))
        if facts["scrollWidth"] > min(facts["innerWidth"], PHONE_WIDTH):
            problems.append(f"{path}: scrollWidth {facts['scrollWidth']} > innerWidth {facts['innerWidth']}")
        if facts["header"] is not None and facts["header"] > HEADER_MAX:
            problems.append(f"{path}: header {facts['header']:.0f} px > {HEADER_MAX}")
    request.node.user_properties.append(("pages", len(checked)))
    print(f"\n{role}: {len(checked)} pages checked at 360 px")  # noqa: T201  (the count goes into the report)
    assert len(checked) >= 10, checked
    assert urlsplit(page.url).scheme == "http"
    assert page.external_requests == [] and page.js_errors == []
    assert not problems, f"{role}: {len(problems)} of {len(checked)} pages do not fit a phone:\n" + "\n".join(problems)
