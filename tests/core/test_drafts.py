"""Nothing typed is lost (issue 10, point 7): a form sent with an expired form token, or after the session
ended in another tab, shows again with the text kept and a Vietnamese message; the form token lives as long
as the session. Checked with the lesson editor and the school admin's "add a teacher" form.
"""
from __future__ import annotations

import re

import lxml.html
import pytest
from sqlalchemy import func, select

from schoolhub.accounts.models import User
from schoolhub.drafts import COOKIE
from schoolhub.lessons.models import Lesson
from tests.helpers.accounts import PASSWORD

TYPED_TITLE = "Robot dò line — bản viết lại"
TYPED_BODY = "Một bài rất dài, gõ trong một giờ.\n\n## Bước 1\n\nLắp cảm biến."


def _doc(response):
    return lxml.html.fromstring(response.get_data(as_text=True))


def _token(client, path: str) -> str:
    return _doc(client.get(path)).xpath('//input[@name="csrf_token"]/@value')[0]


def _log_in(client, user, password=PASSWORD):
    token = _token(client, "/login")
    response = client.post("/login", data={"username": user.username, "password": password, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]


def _textarea(doc, name="body") -> str:
    (area,) = doc.xpath(f'//textarea[@name="{name}"]')
    text = area.text or ""
    return text[1:] if text.startswith("\n") else text


def _edit_data(lesson, token: str) -> dict:
    return {"title": TYPED_TITLE, "summary": "", "body": TYPED_BODY, "visibility": "school", "topics": ["stem"],
            "base_revision": str(lesson.revision_count), "action": "save", "csrf_token": token}


@pytest.fixture
def lesson(world, factory):
    return factory.lesson(world.school, world.teacher, title="Robot dò line", body="Bản cũ.", status="draft")


def test_the_form_token_lives_as_long_as_the_session(app):
    assert app.config["WTF_CSRF_TIME_LIMIT"] is None


def test_an_expired_form_token_shows_the_lesson_editor_again_with_the_text_kept(world, lesson, csrf_client, db):
    _log_in(csrf_client, world.teacher)
    path = f"/lessons/{lesson.id}/edit"
    refused = csrf_client.post(path, data=_edit_data(lesson, "an-expired-token"))
    assert refused.status_code == 303 and refused.headers["Location"] == path
    assert db.get(Lesson, lesson.id).title == "Robot dò line", "nothing saved by a refused form"
    again = csrf_client.get(path)
    doc = _doc(again)
    assert doc.xpath('//input[@name="title"]/@value') == [TYPED_TITLE]
    assert _textarea(doc) == TYPED_BODY
    assert doc.xpath('//input[@name="topics"][@value="stem"]/@checked'), "ticked boxes are kept too"
    text = doc.text_content()
    assert "Nội dung bạn gõ vẫn được giữ lại" in text and "CSRF" not in text
    assert f"{COOKIE}=;" in again.headers.get("Set-Cookie", ""), "shown once, then forgotten"
    # The form shown again carries a fresh token: saving now works.
    fresh = doc.xpath('//input[@name="csrf_token"]/@value')[0]
    assert csrf_client.post(path, data=_edit_data(lesson, fresh)).status_code == 302
    db.expire_all()
    assert db.get(Lesson, lesson.id).title == TYPED_TITLE
    # Once shown, the draft is gone: the editor shows the lesson as saved.
    assert _textarea(_doc(csrf_client.get(path))) == TYPED_BODY


def test_logged_out_in_another_tab_the_text_comes_back_after_logging_in(world, lesson, csrf_client, db, app):
    _log_in(csrf_client, world.teacher)
    path = f"/lessons/{lesson.id}/edit"
    token = _token(csrf_client, path)
    # Another tab ends the session (here: the password changed elsewhere, so this session's id is stale).
    db.get(User, world.teacher.id).rotate_session_token()
    db.commit()
    refused = csrf_client.post(path, data=_edit_data(lesson, token))
    assert refused.status_code in (302, 303)
    assert refused.headers["Location"].startswith("/login") and "next=" in refused.headers["Location"]
    login_page = csrf_client.get(refused.headers["Location"])
    assert "Bạn đã bị đăng xuất" in login_page.get_data(as_text=True)
    token = _doc(login_page).xpath('//input[@name="csrf_token"]/@value')[0]
    back = csrf_client.post(refused.headers["Location"], data={"username": "teacher", "password": PASSWORD,
                                                               "csrf_token": token})
    assert back.status_code == 302 and back.headers["Location"] == path
    doc = _doc(csrf_client.get(path))
    assert doc.xpath('//input[@name="title"]/@value') == [TYPED_TITLE] and _textarea(doc) == TYPED_BODY


def test_the_session_gone_entirely_keeps_the_text_for_the_next_login(world, lesson, csrf_client, db):
    _log_in(csrf_client, world.teacher)
    path = f"/lessons/{lesson.id}/edit"
    token = _token(csrf_client, path)
    csrf_client.post("/logout", data={"csrf_token": token})  # in another tab
    refused = csrf_client.post(path, data=_edit_data(lesson, token))
    assert refused.headers["Location"].startswith("/login")
    _log_in(csrf_client, world.teacher)
    doc = _doc(csrf_client.get(path))
    assert _textarea(doc) == TYPED_BODY


def test_a_draft_is_never_shown_to_another_account(world, lesson, csrf_client, db):
    _log_in(csrf_client, world.teacher)
    path = f"/lessons/{lesson.id}/edit"
    token = _token(csrf_client, path)
    db.get(User, world.teacher.id).rotate_session_token()
    db.commit()
    csrf_client.post(path, data=_edit_data(lesson, token))
    _log_in(csrf_client, world.admin)  # the school's admin may edit the lesson too, on the same browser
    doc = _doc(csrf_client.get(path))
    assert _textarea(doc) == "Bản cũ." and TYPED_TITLE not in doc.text_content()


def test_an_expired_token_on_the_add_a_teacher_form_keeps_the_fields_and_creates_nobody(world, csrf_client, db):
    _log_in(csrf_client, world.admin)
    path = f"/schools/{world.school.id}/teachers/new"
    data = {"full_name": "Hoàng Thị Mỹ Duyên", "username": "", "position": "Tổ trưởng tổ Toán",
            "phone": "0912 345 678", "submission_id": "once-1", "csrf_token": "stale"}
    before = db.scalar(select(func.count(User.id)))
    refused = csrf_client.post(path, data=data)
    assert refused.status_code == 303 and refused.headers["Location"] == path
    assert db.scalar(select(func.count(User.id))) == before
    doc = _doc(csrf_client.get(path))
    values = {name: doc.xpath(f'//input[@name="{name}"]/@value') for name in ("full_name", "position", "phone")}
    assert values == {"full_name": ["Hoàng Thị Mỹ Duyên"], "position": ["Tổ trưởng tổ Toán"], "phone": ["0912 345 678"]}
    token = doc.xpath('//input[@name="csrf_token"]/@value')[0]
    sid = doc.xpath('//input[@name="submission_id"]/@value')[0]
    made = csrf_client.post(path, data={**data, "csrf_token": token, "submission_id": sid})
    assert made.status_code == 200 and "Hoàng Thị Mỹ Duyên" in made.get_data(as_text=True)
    assert db.scalar(select(func.count(User.id))) == before + 1


def test_passwords_are_never_kept(world, csrf_client, app):
    from pathlib import Path

    _log_in(csrf_client, world.admin)
    refused = csrf_client.post(f"/schools/{world.school.id}/teachers/new",
                               data={"full_name": "Trần Văn Bí Mật", "password": "không-được-lưu", "csrf_token": "x"})
    assert refused.status_code == 303
    kept = " ".join(p.read_text(encoding="utf-8") for p in (Path(app.config["UPLOAD_DIR"]) / "drafts").glob("*.json"))
    assert "Trần Văn Bí Mật" in kept and "không-được-lưu" not in kept


def test_a_form_we_do_not_keep_still_gets_the_plain_page(world, csrf_client):
    _log_in(csrf_client, world.admin)
    response = csrf_client.post("/lessons/1/status", data={"to": "published", "csrf_token": "stale"})
    assert response.status_code == 400
    assert re.search("tải lại trang", response.get_data(as_text=True))
