"""Imports that know who exists (issue 10, point 6): a staff-list row matching an account of the school
(same normalised full name, and the same birth date or phone when both are known) is shown as "đã có tài
khoản" and skipped, never made twice; the admin imports the rest."""
from __future__ import annotations

import csv
import io
import re
from datetime import date

import lxml.html
from sqlalchemy import func, select

from schoolhub.accounts.models import Membership, Role, User
from schoolhub.audit import AuditLog

HEAD = ["STT", "Họ và tên", "Ngày sinh", "Chức vụ", "Môn dạy", "Số điện thoại"]


def _csv(rows) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([HEAD, *rows])
    return out.getvalue().encode("utf-8")


def _preview(client, school, data: bytes):
    response = client.post(f"/schools/{school.id}/import", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(data), "giao-vien.csv"), "kind": "teachers", "class_id": "0"})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response


def _doc(response):
    return lxml.html.fromstring(response.get_data(as_text=True))


def _existing(doc) -> list[tuple[str, str]]:
    rows = doc.xpath('//table[@class="existing-rows"]/tbody/tr')
    return [(r.xpath("td")[1].text_content().strip(), r.xpath("td")[2].text_content().strip()) for r in rows]


def _staff_named(db, school, name: str) -> int:
    return db.scalar(select(func.count(func.distinct(User.id))).join(Membership).where(
        Membership.unit_id == school.id, User.full_name == name))


def test_the_principal_who_is_the_admin_is_not_made_twice_and_the_rest_is_imported(world, login_as, db):
    data = _csv([[1, "Phan Đức Quân", "", "Hiệu trưởng", "Tiếng Anh", "0991058571"],
                 [2, "LÊ  BẢO YẾN", "", "Phó hiệu trưởng", "Toán", ""],  # case and spaces do not matter
                 [3, "Phan Thu Quyên", "", "Giáo viên", "Tin học", "0977249717"],
                 [4, "Đặng Hữu Tuấn", "", "Giáo viên", "Toán", "0985702133"]])
    client = login_as(world.admin)
    doc = _doc(_preview(client, world.school, data))
    assert _existing(doc) == [("Phan Đức Quân", "đã có tài khoản: admin"), ("LÊ BẢO YẾN", "đã có tài khoản: teacher")]
    [button] = doc.xpath('//*[@data-testid="commit-import"]')
    assert button.text_content().strip() == "Nhập 2 tài khoản còn lại"
    token = re.search(r"/import/([0-9a-f]{32})", lxml.html.tostring(doc, encoding="unicode"))[1]
    before = db.scalar(select(func.count(User.id)))
    sheet = client.post(f"/schools/{world.school.id}/import/{token}")
    assert sheet.status_code == 200
    names = [td.text_content() for td in _doc(sheet).xpath('//table[contains(@class, "cred-table")]/tbody/tr/td[2]')]
    assert names == ["Phan Thu Quyên", "Đặng Hữu Tuấn"]
    assert db.scalar(select(func.count(User.id))) == before + 2
    assert _staff_named(db, world.school, "Phan Đức Quân") == 1, "no second account for the principal"
    [log] = db.scalars(select(AuditLog).where(AuditLog.action == "roster.import")).all()
    assert "2 already had an account" in log.detail


def test_a_birth_date_or_a_phone_known_on_both_sides_decides(world, factory, login_as, db):
    same_birth = factory.user(Role.TEACHER, world.school, full_name="Nguyễn Thị Hoa")
    same_birth.birth_date = date(1985, 3, 14)
    other_birth = factory.user(Role.TEACHER, world.school, full_name="Trần Văn Nam")
    other_birth.birth_date = date(1979, 1, 2)
    same_phone = factory.user(Role.TEACHER, world.school, full_name="Lê Thị Thu")
    same_phone.phone = "0912 345 678"
    other_phone = factory.user(Role.TEACHER, world.school, full_name="Võ Văn Tâm")
    other_phone.phone = "0900000001"
    db.commit()
    data = _csv([[1, "Nguyễn Thị Hoa", "14/03/1985", "Giáo viên", "Văn", ""],
                 [2, "Trần Văn Nam", "02/01/1990", "Giáo viên", "Toán", ""],  # a namesake: another person
                 [3, "Lê Thị Thu", "", "Giáo viên", "Sử", "+84 912 345 678"],
                 [4, "Võ Văn Tâm", "", "Giáo viên", "Địa", "0988 777 666"]])  # another number: another person
    doc = _doc(_preview(login_as(world.admin), world.school, data))
    assert not doc.xpath('//table[@class="bad-rows"]'), doc.xpath('string(//table[@class="bad-rows"])')
    assert [name for name, _ in _existing(doc)] == ["Nguyễn Thị Hoa", "Lê Thị Thu"]
    assert doc.xpath('//*[@data-testid="commit-import"]')[0].text_content().strip() == "Nhập 2 tài khoản còn lại"


def test_only_the_schools_own_accounts_count(world, login_as):
    data = _csv([[1, world.other_teacher.full_name, "", "Giáo viên", "Toán", ""],
                 [2, world.student.full_name, "", "Giáo viên", "Toán", ""]])  # a student is not staff
    doc = _doc(_preview(login_as(world.admin), world.school, data))
    assert _existing(doc) == []
    assert doc.xpath('//*[@data-testid="commit-import"]')[0].text_content().strip() == "Nhập 2 tài khoản"


def test_a_list_of_people_who_all_have_accounts_has_nothing_to_import(world, login_as):
    data = _csv([[1, "Lê Bảo Yến", "", "Giáo viên", "Toán", ""]])
    response = _preview(login_as(world.admin), world.school, data)
    doc = _doc(response)
    assert _existing(doc) == [("Lê Bảo Yến", "đã có tài khoản: teacher")]
    assert not doc.xpath('//*[@data-testid="commit-import"]')
    assert "không có gì cần nhập" in doc.text_content()
