"""Sharing lessons across the commune (issue 3), on a 360px phone in Vietnamese.

A. The commune's officer marks a lesson as core Resolution 57 material (a school admin's flag would ask only
   that school: issue 10); a teacher of another school sees it on his to-do list, confirms he has read it, copies it into his school and adapts it (the copy credits the original),
   prints it; the admin sees the confirmation among the lesson's readers.
B. The author edits a lesson twice, reads what changed in the history and restores the first version.

Assertions use URLs, names, element roles/attributes and what the users typed, not wording (the catalog changes).
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from schoolhub.accounts.models import Role

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE_WIDTH = 360
SCHOOL_A = "Trường THCS Bình Chương"
SCHOOL_B = "Trường THCS Bình Minh"
TITLE = "Nghị quyết 57 cho giáo viên"
BODY = ("## Nội dung chính\n\nNghị quyết 57-NQ/TW về đột phá phát triển khoa học, công nghệ, "
        "đổi mới sáng tạo và chuyển đổi số quốc gia.\n\n- Đọc toàn văn nghị quyết\n- Thảo luận ở tổ chuyên môn\n")
ADAPTED_TITLE = "Nghị quyết 57 — bản của trường Bình Minh"

LINE_GOAL = "Mục tiêu: giáo viên nắm được Nghị quyết 57."
LINE_READ = "Hoạt động 1: đọc văn bản gốc của nghị quyết."
LINE_DISCUSS = "Hoạt động 2: thảo luận theo nhóm chuyên môn."
LINE_WORKSHEET = "Hoạt động 2: làm phiếu học tập về chuyển đổi số."
BODY_V1 = f"{LINE_GOAL}\n\n{LINE_READ}\n"
BODY_V2 = f"{LINE_GOAL}\n\n{LINE_READ}\n\n{LINE_DISCUSS}\n"
BODY_V3 = f"{LINE_GOAL}\n\n{LINE_READ}\n\n{LINE_WORKSHEET}\n"


def path_of(page) -> str:
    return urlsplit(page.url).path


def click_and_wait(page, locator) -> None:
    with page.expect_navigation():
        locator.click()


def link_to(page, path: str, scope: str = "main"):
    """The first link in `scope` whose href is exactly `path` (ignoring a query or fragment)."""
    links = page.locator(f'{scope} a[href*="{path}"]')
    for i in range(links.count()):
        if urlsplit(links.nth(i).get_attribute("href")).path == path:
            return links.nth(i)
    raise AssertionError(f"no link to {path} in {scope} on {page.url}")


def assert_fits_phone(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH + 1, f"{page.url} scrolls sideways: scrollWidth {width}px > {PHONE_WIDTH}px"


def checked(page) -> None:
    """Every page of the journey: fits the phone, and no JavaScript error so far."""
    assert_fits_phone(page)
    assert page.js_errors == [], (page.url, page.js_errors)


def post_button(page, action_path: str):
    """The submit button(s) of the form posting to `action_path`."""
    return page.locator(f'form[action$="{action_path}"] button[type=submit]')


def todo_count(page) -> int:
    count = page.locator("header .waiting-badge .count")
    return int(count.inner_text().strip()) if count.count() else 0  # nothing to do: no number shown


def lesson_form(page):
    return page.locator("main form").filter(has=page.locator("input[name=title]"))


def test_core_material_confirmed_then_copied_and_adapted(page, live_factory, live_db, log_in, log_out):
    commune = live_factory.commune()
    school_a = live_factory.school(commune, name=SCHOOL_A, code="THCS-BC")
    school_b = live_factory.school(commune, name=SCHOOL_B, code="THCS-BM")
    teacher_a = live_factory.user(Role.TEACHER, school_a, username="gv.yen", full_name="Lê Bảo Yến")
    live_factory.user(Role.SCHOOL_ADMIN, school_a, username="ql.quan", full_name="Phan Đức Quân")
    live_factory.user(Role.TEACHER, school_b, username="gv.mai", full_name="Võ Thị Mai")
    live_factory.user(Role.OFFICER, commune, username="cb.ha", full_name="Trần Thị Hà")
    lesson = live_factory.lesson(school_a, teacher_a, title=TITLE, body=BODY, visibility="commune")
    live_db.commit()
    original = f"/lessons/{lesson.id}"

    # 1. The commune's officer marks the lesson as core material, for every school of the commune.
    assert log_in(page, "cb.ha") == "/"
    page.goto(original)
    checked(page)
    mark = page.locator(f'form[action$="{original}/core"] button[name=is_core][value="1"]')
    assert mark.count() == 1
    click_and_wait(page, mark)
    assert path_of(page) == original
    assert page.locator(f'form[action$="{original}/core"] button[name=is_core][value="0"]').count() == 1
    assert page.locator("main .lesson-meta li.core").count() == 1
    checked(page)
    log_out(page)

    # 2. A teacher of school B: one thing to do, which leads to the lesson; he confirms he read it.
    assert log_in(page, "gv.mai") == "/"
    checked(page)
    assert todo_count(page) == 1
    click_and_wait(page, page.locator("main #waiting a").first)
    assert path_of(page) == original
    checked(page)
    confirm = post_button(page, f"{original}/confirm")
    assert confirm.count() == 1
    click_and_wait(page, confirm)
    assert path_of(page) == original
    assert todo_count(page) == 0
    assert post_button(page, f"{original}/confirm").count() == 0
    checked(page)

    # 3. He copies the lesson into his school and adapts it; the copy credits the original.
    copy = post_button(page, f"{original}/copy")
    assert copy.count() == 1
    click_and_wait(page, copy)
    match = re.fullmatch(r"/lessons/(\d+)/edit", path_of(page))
    assert match, (page.url, page.locator("main").inner_text())
    copied = f"/lessons/{match.group(1)}"
    assert copied != original
    checked(page)
    credit = page.locator("main .credit")
    assert credit.count() == 1
    assert TITLE in credit.inner_text() and SCHOOL_A in credit.inner_text(), credit.inner_text()
    form = lesson_form(page)
    assert form.locator("input[name=title]").input_value() == TITLE
    form.locator("input[name=title]").fill(ADAPTED_TITLE)
    click_and_wait(page, form.locator("button[name=action][value=save]"))
    assert path_of(page) == f"{copied}/edit", page.url
    assert lesson_form(page).locator("input[name=title]").input_value() == ADAPTED_TITLE
    checked(page)
    click_and_wait(page, link_to(page, copied))
    assert path_of(page) == copied
    assert page.locator("main h1").first.inner_text().strip() == ADAPTED_TITLE
    assert page.locator("main .credit").count() == 1
    assert TITLE in page.locator("main .credit").inner_text()
    link_to(page, original, "main .credit")  # the credit links back to the original
    checked(page)

    # 4. The print page: no site header; the print button does not go on paper.
    click_and_wait(page, link_to(page, f"{copied}/print"))
    assert path_of(page) == f"{copied}/print"
    assert page.locator("header.site-header").count() == 0
    assert page.locator("h1").first.inner_text().strip() == ADAPTED_TITLE
    print_button = page.locator("[data-print]")
    assert print_button.count() == 1 and print_button.is_visible()
    checked(page)
    page.emulate_media(media="print")
    assert print_button.is_hidden()
    page.emulate_media(media="screen")
    click_and_wait(page, link_to(page, copied))
    assert path_of(page) == copied
    log_out(page)

    # 5. The admin of school A sees the confirmation among the readers (numbers, not wording).
    assert log_in(page, "ql.quan") == "/"
    page.goto(original)
    click_and_wait(page, link_to(page, f"{original}/readers"))
    assert path_of(page) == f"{original}/readers"
    checked(page)
    rows = page.locator("main table tbody tr")
    assert rows.count() >= 1
    opened = confirmed = 0
    for i in range(rows.count()):
        numbers = [int(t.strip()) for t in rows.nth(i).locator("td.num").all_inner_texts()]
        assert len(numbers) == 2, "a core lesson shows opened and confirmed per role"
        opened += numbers[0]
        confirmed += numbers[1]
    assert confirmed >= 1
    assert (opened, confirmed) == (3, 1), "the officer, the admin and the teacher opened it; the teacher confirmed"

    assert page.external_requests == []
    assert page.js_errors == []


def test_author_edits_twice_reads_changes_and_restores_first_version(page, live_factory, live_db, log_in):
    commune = live_factory.commune()
    school = live_factory.school(commune, name=SCHOOL_A, code="THCS-BC")
    author = live_factory.user(Role.TEACHER, school, username="gv.yen", full_name="Lê Bảo Yến")
    lesson = live_factory.lesson(school, author, title=TITLE, body=BODY_V1, visibility="commune")
    live_db.commit()
    lesson_path = f"/lessons/{lesson.id}"

    assert log_in(page, "gv.yen") == "/"
    page.goto(lesson_path)
    checked(page)
    click_and_wait(page, link_to(page, f"{lesson_path}/edit"))

    # Two saves through the form: version 2 adds a line, version 3 replaces it.
    for body in (BODY_V2, BODY_V3):
        assert path_of(page) == f"{lesson_path}/edit"
        form = lesson_form(page)
        form.locator("textarea[name=body]").fill(body)
        click_and_wait(page, form.locator("button[name=action][value=save]"))
        assert path_of(page) == f"{lesson_path}/edit", page.url
        assert lesson_form(page).locator("textarea[name=body]").input_value().strip() == body.strip()
        checked(page)

    # The history lists three versions; version 3's "what changed" shows the replaced line.
    click_and_wait(page, link_to(page, f"{lesson_path}/revisions"))
    assert path_of(page) == f"{lesson_path}/revisions"
    checked(page)
    for n in (1, 2, 3):
        link_to(page, f"{lesson_path}/revisions/{n}")
    click_and_wait(page, link_to(page, f"{lesson_path}/revisions/3"))
    assert path_of(page) == f"{lesson_path}/revisions/3"
    checked(page)
    removed = " ".join(page.locator("main pre.diff del").all_inner_texts())
    added = " ".join(page.locator("main pre.diff ins").all_inner_texts())
    assert LINE_DISCUSS in removed and LINE_WORKSHEET not in removed, removed
    assert LINE_WORKSHEET in added and LINE_DISCUSS not in added, added

    # Version 1, restored: the confirmation dialog guards the button (dismissed, nothing happens).
    click_and_wait(page, link_to(page, f"{lesson_path}/revisions"))
    click_and_wait(page, link_to(page, f"{lesson_path}/revisions/1"))
    assert path_of(page) == f"{lesson_path}/revisions/1"
    checked(page)
    restore = post_button(page, f"{lesson_path}/revisions/1/restore")
    assert restore.count() == 1
    assert restore.get_attribute("data-confirm")
    dialogs: list[str] = []
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))

    def dismiss(dialog) -> None:
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.once("dialog", dismiss)
    restore.click()
    page.wait_for_timeout(300)
    assert dialogs == ["confirm"]
    assert navigations == [] and path_of(page) == f"{lesson_path}/revisions/1"

    page.once("dialog", lambda dialog: dialog.accept())
    click_and_wait(page, restore)
    assert path_of(page) == lesson_path
    checked(page)
    text = page.locator("main .lesson-body").inner_text()
    assert LINE_GOAL in text and LINE_READ in text, text
    assert LINE_DISCUSS not in text and LINE_WORKSHEET not in text, text

    # The restore is a new version: nothing in the history is lost.
    page.goto(f"{lesson_path}/revisions")
    link_to(page, f"{lesson_path}/revisions/4")
    assert page.locator("main table tbody tr").count() == 4

    assert page.external_requests == []
    assert page.js_errors == []
