"""The rows of a school's student and teacher lists (accounts.rows builds them in Python): what each
cell shows, the links an admin gets and a teacher does not, a deactivated person, and hostile names."""
from __future__ import annotations

from datetime import UTC, date, datetime

import lxml.html

from schoolhub.accounts.models import Role


def rows(response) -> list[dict]:
    """Each row's cells by their data-label (the name under "name"), its class and its action links."""
    tree = lxml.html.fromstring(response.get_data(as_text=True))
    found = []
    for tr in tree.xpath("//table[contains(@class, 'stack')]/tbody/tr[td[@class='title']]"):
        cells = {td.get("data-label"): td.text_content() for td in tr.xpath("./td[@data-label]")}
        cells["name"] = tr.xpath("./td[@class='title']")[0].text_content()
        cells["class"] = tr.get("class")
        cells["links"] = [(a.text_content(), a.get("href")) for a in tr.xpath("./td[@class='actions']/a")]
        found.append(cells)
    return found


def test_a_student_row_shows_name_username_class_birth_date_and_last_login(world, factory, login_as):
    world.student.birth_date = date(2013, 9, 2)
    world.student.last_login_at = datetime(2026, 11, 30, 23, 15, tzinfo=UTC)  # 06:15 on 1/12 in Vietnam
    factory.db.commit()
    client = login_as(world.admin)
    [row] = rows(client.get(f"/schools/{world.school.id}/students"))
    base = f"/schools/{world.school.id}/people/{world.student.id}"
    assert row == {"name": "Nguyễn Minh Khoa", "Tên đăng nhập": "student", "Lớp": "7A", "Ngày sinh": "02/09/2013",
                   "Lần đăng nhập gần nhất": "01/12/2026 06:15", "class": None,
                   "links": [("Sửa", rows_link(client, "Sửa", base)), ("Mật khẩu mới", rows_link(client, "Mật khẩu mới", base)),
                             ("Ngừng hoạt động", rows_link(client, "Ngừng hoạt động", base))]}


def rows_link(client, word: str, base: str) -> str:
    """The link the old template built for `word` on the person's row (url_for of each endpoint)."""
    from flask import url_for

    endpoints = {"Sửa": "school.edit_person", "Mật khẩu mới": "school.reset_password",
                 "Ngừng hoạt động": "school.person_active", "Kích hoạt lại": "school.person_active"}
    school_id, user_id = (int(part) for part in base.split("/") if part.isdigit())
    with client.application.test_request_context("/"):
        return url_for(endpoints[word], school_id=school_id, user_id=user_id)


def test_links_on_every_row_name_that_row_person(world, factory, login_as):
    others = [factory.user(Role.STUDENT, world.school, full_name=f"Trần Văn Số {n}", school_class=world.school_class)
              for n in range(3)]
    factory.db.commit()
    client = login_as(world.admin)
    found = rows(client.get(f"/schools/{world.school.id}/students"))
    by_name = {row["name"]: row for row in found}
    for person in [world.student, *others]:
        hrefs = [href for _word, href in by_name[person.full_name]["links"]]
        assert len(hrefs) == 3 and all(f"/{person.id}/" in href or href.endswith(f"/{person.id}") for href in hrefs)
        assert len(set(hrefs)) == 3


def test_a_deactivated_student_is_marked_and_offered_reactivation(world, factory, login_as):
    world.student.is_active_account = False
    factory.db.commit()
    client = login_as(world.admin)
    [row] = rows(client.get(f"/schools/{world.school.id}/students"))
    assert row["class"] == "inactive"
    assert row["name"] == "Nguyễn Minh Khoa (đã ngừng hoạt động)"
    assert row["Lần đăng nhập gần nhất"] == "chưa đăng nhập"
    assert [word for word, _href in row["links"]] == ["Sửa", "Mật khẩu mới", "Kích hoạt lại"]


def test_a_teacher_sees_the_students_without_any_action(world, login_as):
    client = login_as(world.teacher)
    response = client.get(f"/schools/{world.school.id}/students")  # their own school's staff read the list
    [row] = rows(response)
    assert row["name"] == "Nguyễn Minh Khoa" and row["links"] == []
    assert "Thao tác" not in response.get_data(as_text=True)


def test_the_teacher_list_shows_positions_and_no_birth_date(world, factory, login_as):
    world.teacher.position = "Tổ trưởng tổ Toán"
    factory.db.commit()
    client = login_as(world.admin)
    found = {row["name"]: row for row in rows(client.get(f"/schools/{world.school.id}/teachers"))}
    assert found["Lê Bảo Yến"]["Chức vụ"] == "Tổ trưởng tổ Toán"
    assert "Ngày sinh" not in found["Lê Bảo Yến"] and "Lớp" not in found["Lê Bảo Yến"]


def test_hostile_names_and_usernames_are_shown_as_text(world, factory, login_as):
    world.student.full_name = "<script>alert(1)</script>"
    world.school_class.name = "<b>7A</b>"
    factory.db.commit()
    client = login_as(world.admin)
    response = client.get(f"/schools/{world.school.id}/students")
    html = response.get_data(as_text=True)
    assert "<script>alert(1)" not in html and "<b>7A</b>" not in html
    [row] = rows(response)
    assert row["name"] == "<script>alert(1)</script>" and row["Lớp"] == "<b>7A</b>"


def test_the_count_takes_every_current_student_deactivated_too_and_follows_the_class(world, factory, login_as, db):
    other = factory.school_class(world.school, "8B", 8)
    for n in range(3):
        factory.user(Role.STUDENT, world.school, full_name=f"Trần Văn {n}", school_class=other)
    world.student.is_active_account = False  # still on the list, marked
    db.commit()
    client = login_as(world.admin)

    def shown(path):
        page = client.get(path).get_data(as_text=True)
        tree = lxml.html.fromstring(page)
        return tree.xpath("//main//p[@class='muted']")[0].text_content(), len(rows(client.get(path)))

    assert shown(f"/schools/{world.school.id}/students") == ("4 người", 4)
    assert shown(f"/schools/{world.school.id}/students?class_id={other.id}") == ("3 người", 3)
    assert shown(f"/schools/{world.school.id}/students?class_id={world.school_class.id}") == ("1 người", 1)
    assert shown(f"/schools/{world.school.id}/students?q=tran") == ("3 người", 3)
