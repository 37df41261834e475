"""The one-time passwords sheet (issue 10, point 9): opening its address again explains that the passwords
are shown once and offers new ones (for the class, by the admin, audited); the sheet says where to log in.
The print layout (30 students on one A4 page) is checked in tests/browser/test_password_sheet_print.py."""
from __future__ import annotations

import csv
import io
import re

import lxml.html
from sqlalchemy import select

from schoolhub.accounts.models import Role, User
from schoolhub.audit import AuditLog


def _csv(rows) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([["STT", "Họ và tên", "Lớp"], *rows])
    return out.getvalue().encode("utf-8")


def _doc(response):
    return lxml.html.fromstring(response.get_data(as_text=True))


def _import(client, school, rows) -> tuple[str, dict[str, str]]:
    """Import a class list through the web; (the commit address, username → one-time password)."""
    preview = client.post(f"/schools/{school.id}/import", content_type="multipart/form-data",
                          data={"file": (io.BytesIO(_csv(rows)), "lop-7a.csv"), "kind": "students", "class_id": "0"})
    token = re.search(r"/import/([0-9a-f]{32})", preview.get_data(as_text=True))[1]
    address = f"/schools/{school.id}/import/{token}"
    sheet = client.post(address)
    assert sheet.status_code == 200
    doc = _doc(sheet)
    users = doc.xpath('//code[@data-testid="username"]/text()')
    temps = doc.xpath('//code[@data-testid="password"]/text()')
    assert "Đăng nhập tại: http://localhost/login" in doc.text_content()
    return address, dict(zip(users, temps, strict=True))


def _login(app, username, password) -> int:
    return app.test_client().post("/login", data={"username": username, "password": password}).status_code


ROWS = [[1, "Trần Văn An", "7A"], [2, "Lê Thị Bình", "7A"], [3, "Phạm Minh Châu", "7A"]]


def test_opening_the_sheet_again_explains_and_offers_new_passwords_for_the_class(world, login_as):
    client = login_as(world.admin)
    address, _temps = _import(client, world.school, ROWS)
    again = client.get(address)
    assert again.status_code == 200, "not a bare 405"
    doc = _doc(again)
    assert doc.xpath("//h1")[0].text_content().strip() == "Mật khẩu một lần chỉ hiện một lần"
    [offer] = doc.xpath('//ul[@class="reissue"]//a/@href')
    assert offer == f"/schools/{world.school.id}/passwords?class_id={world.school_class.id}"


def test_new_passwords_for_the_class_replace_the_old_sheet_and_are_audited(world, login_as, app, db):
    client = login_as(world.admin)
    _address, old = _import(client, world.school, ROWS)
    first, *others = sorted(old)
    # One student has already chosen her own password: she is left alone.
    assert _login(app, first, old[first]) == 302
    chooser = app.test_client()
    chooser.post("/login", data={"username": first, "password": old[first]})
    chooser.post("/password", data={"current_password": old[first], "password": "mật-khẩu-riêng-7a",
                                    "confirm": "mật-khẩu-riêng-7a"})
    confirm = client.get(f"/schools/{world.school.id}/passwords?class_id={world.school_class.id}")
    assert confirm.status_code == 200
    text = _doc(confirm).text_content()
    assert "2 người chưa đăng nhập lần đầu" in text
    sheet = client.post(f"/schools/{world.school.id}/passwords", data={"class_id": str(world.school_class.id)})
    assert sheet.status_code == 200
    doc = _doc(sheet)
    new = dict(zip(doc.xpath('//code[@data-testid="username"]/text()'),
                   doc.xpath('//code[@data-testid="password"]/text()'), strict=True))
    assert sorted(new) == sorted(others)
    assert "Đăng nhập tại: http://localhost/login" in doc.text_content()
    for username in others:
        assert _login(app, username, old[username]) == 200, "the old sheet no longer works"
        assert _login(app, username, new[username]) == 302
    assert _login(app, first, "mật-khẩu-riêng-7a") == 302, "her own password still works"
    [log] = db.scalars(select(AuditLog).where(AuditLog.action == "roster.reissue_passwords")).all()
    assert log.actor_id == world.admin.id and log.unit_id == world.school.id and "7A: 2" in log.detail


def test_only_the_schools_admin_reissues(world, login_as, db):
    path = f"/schools/{world.school.id}/passwords?class_id={world.school_class.id}"
    assert login_as(world.teacher).get(path).status_code == 403
    assert login_as(world.other_admin).get(path).status_code == 404
    assert login_as(world.admin).get(f"/schools/{world.school.id}/passwords?class_id={world.other_class.id}"
                                     ).status_code == 404, "another school's class"
    assert login_as(world.admin).get(f"/schools/{world.school.id}/passwords").status_code == 404


def test_staff_waiting_for_their_first_login_get_new_passwords_too(world, factory, login_as, db):
    newcomer = factory.user(Role.TEACHER, world.school, full_name="Hoàng Văn Mới", must_change=True)
    db.commit()
    client = login_as(world.admin)
    sheet = client.post(f"/schools/{world.school.id}/passwords", data={"staff": "1"})
    assert sheet.status_code == 200
    assert _doc(sheet).xpath('//code[@data-testid="username"]/text()') == [newcomer.username]
    db.expire_all()
    assert db.get(User, world.teacher.id).must_change_password is False, "the others are untouched"


def test_a_list_checked_but_never_imported_says_so(world, login_as):
    client = login_as(world.admin)
    preview = client.post(f"/schools/{world.school.id}/import", content_type="multipart/form-data",
                          data={"file": (io.BytesIO(_csv(ROWS)), "lop.csv"), "kind": "students", "class_id": "0"})
    token = re.search(r"/import/([0-9a-f]{32})", preview.get_data(as_text=True))[1]
    page = client.get(f"/schools/{world.school.id}/import/{token}")
    assert page.status_code == 200
    assert "chưa được nhập" in _doc(page).text_content()


def test_single_account_sheets_say_where_to_log_in(world, login_as):
    client = login_as(world.admin)
    response = client.post(f"/schools/{world.school.id}/people/{world.student.id}/password")
    assert "Đăng nhập tại: http://localhost/login" in _doc(response).text_content()


def test_reloading_a_new_teachers_password_page_explains_and_offers_a_new_password(world, login_as, db):
    client = login_as(world.admin)
    url = f"/schools/{world.school.id}/teachers/new"
    form = _doc(client.get(url))
    data = {"full_name": "Đinh Thị Ngọc", "submission_id": form.xpath('//input[@name="submission_id"]/@value')[0]}
    first = client.post(url, data=data)
    assert first.status_code == 200
    again = client.post(url, data=data)  # what a browser reload of that page sends
    assert again.status_code == 409
    text = _doc(again).text_content()
    assert "chỉ hiện một lần" in text and "Đinh Thị Ngọc" in text and "Không có tài khoản nào được tạo thêm" in text
    made = db.scalars(select(User).where(User.full_name == "Đinh Thị Ngọc")).all()
    assert len(made) == 1, "nothing is made twice"
    offer = _doc(again).xpath('//a[@data-testid="reissue-one"]/@href')[0]
    assert offer == f"/schools/{world.school.id}/people/{made[0].id}/password"
    # Following the offer asks first, then issues a new one-time password and logs it.
    assert client.get(offer).status_code == 200
    issued = client.post(offer)
    new_password = _doc(issued).xpath('//code[@data-testid="password"]/text()')[0]
    assert _login(client.application, made[0].username, new_password) == 302


def test_reloading_a_new_students_password_page_offers_a_new_password_too(world, login_as, db):
    client = login_as(world.admin)
    url = f"/schools/{world.school.id}/students/new"
    form = _doc(client.get(url))
    data = {"full_name": "Lò Văn Pá", "class_id": world.school_class.id,
            "submission_id": form.xpath('//input[@name="submission_id"]/@value')[0]}
    assert client.post(url, data=data).status_code == 200
    again = client.post(url, data=data)
    assert again.status_code == 409 and _doc(again).xpath('//a[@data-testid="reissue-one"]')
    assert len(db.scalars(select(User).where(User.full_name == "Lò Văn Pá")).all()) == 1


def test_reloading_the_import_sheet_explains_and_makes_nothing(world, login_as, db):
    """A browser reload of the printed sheet posts the import again: the same 'shown once' page, with the
    offer of new passwords, and no second account."""
    client = login_as(world.admin)
    address, _temps = _import(client, world.school, ROWS)
    again = client.post(address)
    assert again.status_code == 409
    doc = _doc(again)
    assert doc.xpath("//h1")[0].text_content().strip() == "Mật khẩu một lần chỉ hiện một lần"
    assert doc.xpath('//ul[@class="reissue"]//a/@href') == [
        f"/schools/{world.school.id}/passwords?class_id={world.school_class.id}"]
    assert len(db.scalars(select(User).where(User.full_name == "Trần Văn An")).all()) == 1


def _form_fields(response) -> dict:
    return {i.get("name"): i.get("value") for i in _doc(response).xpath('//form[@method="post"]//input[@type="hidden"]')}


def test_reloading_a_reissued_sheet_issues_nothing_again(world, login_as, app, db):
    client = login_as(world.admin)
    _address, _old = _import(client, world.school, ROWS)
    confirm = client.get(f"/schools/{world.school.id}/passwords?class_id={world.school_class.id}")
    data = _form_fields(confirm)
    sheet = client.post(f"/schools/{world.school.id}/passwords", data=data)
    new = dict(zip(_doc(sheet).xpath('//code[@data-testid="username"]/text()'),
                   _doc(sheet).xpath('//code[@data-testid="password"]/text()'), strict=True))
    reload = client.post(f"/schools/{world.school.id}/passwords", data=data)  # the same form, posted again
    assert reload.status_code == 409
    assert _doc(reload).xpath('//*[@data-testid="sheet-shown-once"]')
    assert not _doc(reload).xpath('//code[@data-testid="password"]'), "no passwords issued on a reload"
    username, password = next(iter(new.items()))
    assert _login(app, username, password) == 302, "the sheet just printed still works"
    assert len(db.scalars(select(AuditLog).where(AuditLog.action == "roster.reissue_passwords")).all()) == 1
    # Pressing the button on that page (a fresh form) does issue new ones.
    fresh = client.post(f"/schools/{world.school.id}/passwords", data=_form_fields(reload))
    assert fresh.status_code == 200 and _doc(fresh).xpath('//code[@data-testid="password"]')


def test_reloading_a_single_new_password_keeps_it(world, login_as, app, db):
    client = login_as(world.admin)
    url = f"/schools/{world.school.id}/people/{world.teacher.id}/password"
    data = _form_fields(client.get(url))
    issued = client.post(url, data=data)
    password = _doc(issued).xpath('//code[@data-testid="password"]/text()')[0]
    reload = client.post(url, data=data)
    assert reload.status_code == 409 and "chỉ hiện một lần" in _doc(reload).text_content()
    assert _login(app, "teacher", password) == 302, "the password just shown still works"
    assert len(db.scalars(select(AuditLog).where(AuditLog.action == "user.reset_password")).all()) == 1


def test_reloading_a_new_admins_password_page_explains_and_offers_a_new_password(world, login_as, app, db):
    client = login_as(world.officer)
    url = f"/communes/{world.commune.id}/schools/{world.other_school.id}/admins"
    data = {"full_name": "Đặng Hữu Tuấn", "submission_id": _doc(client.get(url)).xpath(
        '//input[@name="submission_id"]/@value')[0]}
    first = client.post(url, data=data)
    password = _doc(first).xpath('//code[@data-testid="password"]/text()')[0]
    again = client.post(url, data=data)  # a browser reload of the new admin's password page
    assert again.status_code == 409 and "chỉ hiện một lần" in _doc(again).text_content()
    [admin] = db.scalars(select(User).where(User.full_name == "Đặng Hữu Tuấn")).all()
    offer = _doc(again).xpath('//a[@data-testid="reissue-one"]/@href')[0]
    assert offer == f"/schools/{world.other_school.id}/people/{admin.id}/password"
    assert client.get(offer).status_code == 200, "the officer may issue the admin a new password"
    assert _login(app, admin.username, password) == 302, "nothing was reissued by the reload"
