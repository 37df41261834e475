"""Vietnamese name order (issue 10, point 3): people lists sort by given name, then middle name, then family
name, in the Vietnamese alphabet with tones after the letters; the same on SQLite and PostgreSQL, page by page.
"""
from __future__ import annotations

import csv
import io
import random
import re

import lxml.html
from sqlalchemy import select

from schoolhub.accounts.models import Role, User
from schoolhub.textfold import name_sort_key

# Each list is in the order a Vietnamese class list has them.
FAMILIES = ["Dương Văn An", "Đặng Văn An", "Đinh Văn An"]          # d before đ; then a before i
TONES_AND_LETTERS = ["Trần Thị Anh", "Nguyễn Văn Ánh", "Lê Ẩn"]     # a = á (tone after letters) before â
VOWELS = ["Phạm Minh O", "Phạm Minh Ô", "Phạm Minh Ơ", "Phạm Minh U", "Phạm Minh Ư"]
SIX_TONES = ["Hoàng Ba", "Hoàng Bà", "Hoàng Bả", "Hoàng Bã", "Hoàng Bá", "Hoàng Bạ", "Hoàng Bác"]
MIDDLE = ["Vũ An", "Lê Văn An", "Lê Văn Thị An", "Hà Xuân An", "Lê Bình"]  # no middle name before any
GIVEN_FIRST = ["Trần Thị Dung", "Nguyễn Văn Đức", "Bùi Thị Em", "Lý Văn Ê"]  # given name decides, not family
CLASS_LIST = FAMILIES + TONES_AND_LETTERS + ["Lê Văn Bảo", "Nguyễn Thị Dung", "Ông Văn Đạt", "Phạm Minh Ư"]


def _expected(names):
    return sorted(names, key=name_sort_key)


def test_the_key_orders_names_as_a_vietnamese_class_list():
    for ordered in (FAMILIES, TONES_AND_LETTERS, VOWELS, SIX_TONES, MIDDLE, GIVEN_FIRST):
        shuffled = random.Random(57).sample(ordered, len(ordered))
        assert _expected(shuffled) == ordered


def test_the_key_ignores_tone_placement_case_and_spacing():
    assert name_sort_key("Nguyễn Thị Thuỷ") == name_sort_key("nguyễn  thị thủy")
    # Decomposed input (as some keyboards send it) sorts as the composed one.
    import unicodedata
    assert name_sort_key(unicodedata.normalize("NFD", "Đặng Ẩn")) == name_sort_key("Đặng Ẩn")
    assert name_sort_key("") == "" and name_sort_key("   ") == ""
    # Plain ASCII: a bytewise collation on either database keeps the order.
    assert name_sort_key("Đặng Văn Ẩn").isascii()
    assert len(name_sort_key("Nguyễn " * 60)) <= 300


def test_the_database_sorts_by_the_stored_key_identically(db, factory, world):
    school = world.school
    names = random.Random(3).sample(CLASS_LIST, len(CLASS_LIST))
    for name in names:
        factory.user(Role.STUDENT, school, full_name=name, school_class=world.school_class)
    db.commit()
    stored = db.scalars(select(User.full_name).where(User.full_name.in_(CLASS_LIST))
                        .order_by(User.name_sort, User.id)).all()
    assert stored == _expected(CLASS_LIST)


def test_renaming_someone_moves_them_in_the_list(db, world, login_as):
    c = login_as(world.admin)
    r = c.post(f"/schools/{world.school.id}/people/{world.teacher.id}/edit",
               data={"full_name": "Lê Bảo Ánh", "position": "", "phone": ""})
    assert r.status_code in (200, 302)
    db.expire_all()
    assert db.get(User, world.teacher.id).name_sort == name_sort_key("Lê Bảo Ánh")


def _names_on(client, url) -> list[str]:
    doc = lxml.html.fromstring(client.get(url).get_data(as_text=True))
    return [n.text_content().strip() for n in doc.xpath('//*[@data-testid="person-name"]')]


def test_a_class_list_is_in_vietnamese_order_across_pages(app, db, factory, world, login_as, monkeypatch):
    monkeypatch.setitem(app.config, "PER_PAGE", 4)
    for name in random.Random(5).sample(CLASS_LIST, len(CLASS_LIST)):
        factory.user(Role.STUDENT, world.school, full_name=name, school_class=world.school_class)
    db.commit()
    c = login_as(world.admin)
    base = f"/schools/{world.school.id}/students?class_id={world.school_class.id}"
    expected = _expected(CLASS_LIST + [world.student.full_name])
    pages = [_names_on(c, f"{base}&page={page}") for page in (1, 2, 3)]
    assert [len(p) for p in pages] == [4, 4, 3]
    assert sum(pages, []) == expected


def test_the_teacher_list_is_in_vietnamese_order(app, db, factory, world, login_as, monkeypatch):
    monkeypatch.setitem(app.config, "PER_PAGE", 50)
    for name in random.Random(8).sample(FAMILIES + VOWELS, len(FAMILIES + VOWELS)):
        factory.user(Role.TEACHER, world.school, full_name=name)
    db.commit()
    shown = _names_on(login_as(world.admin), f"/schools/{world.school.id}/teachers")
    assert shown == _expected(FAMILIES + VOWELS + [world.teacher.full_name])


def _csv(rows) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([["STT", "Họ và tên", "Lớp"], *rows])
    return out.getvalue().encode("utf-8")


def test_the_password_sheet_of_an_import_is_in_vietnamese_order(world, login_as):
    c = login_as(world.admin)
    rows = [[i + 1, name, "7B"] for i, name in enumerate(random.Random(2).sample(CLASS_LIST, len(CLASS_LIST)))]
    preview = c.post(f"/schools/{world.school.id}/import", content_type="multipart/form-data",
                     data={"file": (io.BytesIO(_csv(rows)), "lop-7b.csv"), "kind": "students",
                           "class_id": "0", "create_classes": "y"})
    token = re.search(r"/import/([0-9a-f]{32})", preview.get_data(as_text=True))[1]
    sheet = c.post(f"/schools/{world.school.id}/import/{token}")
    assert sheet.status_code == 200
    doc = lxml.html.fromstring(sheet.get_data(as_text=True))
    assert [n.text_content().strip() for n in doc.xpath('//*[@data-testid="person-name"]')] == _expected(CLASS_LIST)


def test_the_import_preview_lists_people_in_vietnamese_order(world, factory, db, login_as):
    staff = ["Đinh Văn An", "Dương Văn An", "Đặng Văn An"]
    for name in staff:
        factory.user(Role.TEACHER, world.school, full_name=name)
    db.commit()
    out = io.StringIO()
    csv.writer(out).writerows([["STT", "Họ và tên", "Chức vụ"], *[[i + 1, n, "Giáo viên"] for i, n in enumerate(staff)],
                               [4, "Cao Thị Mới", "Giáo viên"]])
    c = login_as(world.admin)
    preview = c.post(f"/schools/{world.school.id}/import", content_type="multipart/form-data",
                     data={"file": (io.BytesIO(out.getvalue().encode()), "gv.csv"), "kind": "teachers"})
    doc = lxml.html.fromstring(preview.get_data(as_text=True))
    rows = doc.xpath('//table[contains(@class, "existing-rows")]/tbody/tr')
    assert [r.xpath("td")[1].text_content().strip() for r in rows] == FAMILIES
    # The row number still finds each in the file.
    assert [r.xpath("td")[0].text_content().strip() for r in rows] == ["3", "4", "2"]
