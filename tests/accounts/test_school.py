"""The school admin's screens: teachers, students, classes, passwords."""
from __future__ import annotations

import re

from sqlalchemy import select

from schoolhub.accounts.models import Role, SchoolClass, User
from schoolhub.audit import AuditLog


def _temp(html: str) -> str:
    return re.search(r'data-testid="password">([^<]+)<', html).group(1)


def test_admin_adds_a_teacher(world, login_as, app, db):
    c = login_as(world.admin)
    r = c.post(f"/schools/{world.school.id}/teachers/new",
               data={"full_name": "Đặng Hữu Tuấn", "position": "Giáo viên", "phone": "0912 345 678"})
    assert r.status_code == 200
    teacher = db.scalar(select(User).where(User.username == "tuandh"))
    assert teacher.must_change_password and teacher.position == "Giáo viên"
    assert [(m.role, m.unit_id) for m in teacher.memberships] == [(Role.TEACHER, world.school.id)]
    fresh = app.test_client()
    assert fresh.post("/login", data={"username": "tuandh", "password": _temp(r.get_data(as_text=True))}).status_code == 302


def test_generated_usernames_stay_unique(world, login_as, db):
    c = login_as(world.admin)
    for _ in range(3):
        c.post(f"/schools/{world.school.id}/teachers/new", data={"full_name": "Đỗ Thành Lộc"})
    names = sorted(db.scalars(select(User.username).where(User.full_name == "Đỗ Thành Lộc")))
    assert names == ["locdt", "locdt2", "locdt3"]


def test_bad_person_input(world, login_as, db):
    c = login_as(world.admin)
    url = f"/schools/{world.school.id}/teachers/new"
    for data in ({"full_name": ""}, {"full_name": "x" * 121}, {"full_name": "Lê Văn Dũng", "username": "TEACHER"},
                 {"full_name": "Lê Văn Dũng", "username": "dũng"}, {"full_name": "Lê Văn Dũng", "phone": "abc"},
                 {"full_name": "   "}):
        r = c.post(url, data=data)
        assert r.status_code == 200, data
        html = r.get_data(as_text=True)
        assert 'class="error"' in html, data
        if data["full_name"].strip():
            assert data["full_name"][:40] in html  # kept
    assert db.scalar(select(User).where(User.full_name == "Lê Văn Dũng")) is None


def test_hostile_names_are_escaped_everywhere(world, login_as):
    c = login_as(world.admin)
    evil = '<script>alert("x")</script>'
    r = c.post(f"/schools/{world.school.id}/students/new",
               data={"full_name": evil, "class_id": world.school_class.id})
    assert r.status_code == 200
    for url in (f"/schools/{world.school.id}/students", "/"):
        html = c.get(url).get_data(as_text=True)
        assert evil not in html
    assert "&lt;script&gt;" in c.get(f"/schools/{world.school.id}/students").get_data(as_text=True)


def test_student_needs_a_class_of_this_school(world, login_as, db):
    c = login_as(world.admin)
    url = f"/schools/{world.school.id}/students/new"
    for class_id in (world.other_class.id, 0, "abc"):
        r = c.post(url, data={"full_name": "Võ Tấn Lộc", "class_id": class_id})
        assert r.status_code == 200
    assert db.scalar(select(User).where(User.full_name == "Võ Tấn Lộc")) is None
    ok = c.post(url, data={"full_name": "Võ Tấn Lộc", "class_id": world.school_class.id, "birth_date": "10/06/2013"})
    assert ok.status_code == 200
    student = db.scalar(select(User).where(User.full_name == "Võ Tấn Lộc"))
    assert student.birth_date.isoformat() == "2013-06-10"
    assert student.memberships[0].class_id == world.school_class.id
    bad_date = c.post(url, data={"full_name": "Võ Tấn Tài", "class_id": world.school_class.id, "birth_date": "31/02/2013"})
    assert bad_date.status_code == 200 and 'class="error"' in bad_date.get_data(as_text=True)


def test_student_list_search_and_filter(world, factory, login_as, db):
    seven_b = factory.school_class(world.school, "7B", 7)
    factory.user(Role.STUDENT, world.school, full_name="Trương Công Đạt", school_class=seven_b)
    db.commit()
    c = login_as(world.teacher)
    base = f"/schools/{world.school.id}/students"
    assert "Trương Công Đạt" in c.get(f"{base}?q=truong cong dat").get_data(as_text=True)
    only_7a = c.get(f"{base}?class_id={world.school_class.id}").get_data(as_text=True)
    assert "Nguyễn Minh Khoa" in only_7a and "Trương Công Đạt" not in only_7a
    assert c.get(f"{base}?class_id={world.other_class.id}").status_code == 404


def test_a_name_search_takes_percent_and_underscore_as_typed(world, factory, login_as, db):
    factory.user(Role.STUDENT, world.school, full_name="Lê Văn An", school_class=world.school_class)
    db.commit()
    c = login_as(world.teacher)
    base = f"/schools/{world.school.id}/students"
    everyone = c.get(base).get_data(as_text=True)
    assert "Lê Văn An" in everyone and "Nguyễn Minh Khoa" in everyone
    for typed in ("%", "_", "le%an", "l_ van"):  # wildcards to SQL's LIKE, letters to a person
        found = c.get(base, query_string={"q": typed}).get_data(as_text=True)
        assert "Lê Văn An" not in found and "Nguyễn Minh Khoa" not in found, typed
    schools = login_as(world.officer).get(f"/communes/{world.commune.id}/schools", query_string={"q": "%"})
    assert world.school.name not in schools.get_data(as_text=True)


def test_children_are_hidden_from_outside_the_school(world, login_as):
    for user in (world.officer, world.student):
        c = login_as(user)
        assert c.get(f"/schools/{world.school.id}/students").status_code == 403
        assert c.get(f"/schools/{world.school.id}/classes/{world.school_class.id}").status_code == 403
    for user in (world.other_admin, world.other_teacher, world.outsider):
        c = login_as(user)
        assert c.get(f"/schools/{world.school.id}/students").status_code == 404
        assert c.get(f"/schools/{world.school.id}").status_code == 404
    c = login_as(world.officer)
    overview = c.get(f"/schools/{world.school.id}").get_data(as_text=True)
    assert "7A" in overview and "Nguyễn Minh Khoa" not in overview


def test_edit_person_and_foreign_ids(world, login_as, db):
    c = login_as(world.admin)
    url = f"/schools/{world.school.id}/people/{world.student.id}/edit"
    assert "Nguyễn Minh Khoa" in c.get(url).get_data(as_text=True)
    r = c.post(url, data={"full_name": "Nguyễn Minh Khoa Anh", "class_id": world.school_class.id, "birth_date": ""})
    assert r.status_code == 302
    db.expire_all()
    assert db.get(User, world.student.id).full_name == "Nguyễn Minh Khoa Anh"
    # Someone of another school, through this school's URL or their own.
    assert c.get(f"/schools/{world.school.id}/people/{world.other_student.id}/edit").status_code == 404
    assert c.get(f"/schools/{world.other_school.id}/people/{world.other_student.id}/edit").status_code == 404
    assert c.get(f"/schools/{world.school.id}/people/999999/edit").status_code == 404
    # The admin cannot edit themselves out or touch the officer.
    assert c.get(f"/schools/{world.school.id}/people/{world.admin.id}/edit").status_code == 403


def test_deactivate_keeps_the_record_and_blocks_login(world, login_as, app, db):
    c = login_as(world.admin)
    url = f"/schools/{world.school.id}/people/{world.teacher.id}/active"
    assert c.get(url).status_code == 200
    assert c.post(url, data={"active": "0"}).status_code == 302
    assert c.post(url, data={"active": "0"}).status_code == 409
    db.expire_all()
    assert db.get(User, world.teacher.id).is_active_account is False
    assert app.test_client().post("/login", data={"username": "teacher", "password": "mật-khẩu-thử-1"}).status_code == 200
    assert c.post(url, data={"active": "1"}).status_code == 302


def test_reset_password_issues_one_time_password(world, login_as, app, db):
    student_client = app.test_client()
    student_client.post("/login", data={"username": "student", "password": "mật-khẩu-thử-1"})
    c = login_as(world.admin)
    url = f"/schools/{world.school.id}/people/{world.student.id}/password"
    assert c.get(url).status_code == 200  # a confirmation first
    r = c.post(url)
    temp = _temp(r.get_data(as_text=True))
    assert student_client.get("/").status_code == 302  # logged out everywhere
    fresh = app.test_client()
    assert fresh.post("/login", data={"username": "student", "password": "mật-khẩu-thử-1"}).status_code == 200
    assert fresh.post("/login", data={"username": "student", "password": temp}).headers["Location"] == "/password"
    assert db.scalar(select(AuditLog).where(AuditLog.action == "user.reset_password"))


def test_classes_create_edit_and_bad_input(world, login_as, db):
    c = login_as(world.admin)
    url = f"/schools/{world.school.id}/classes/new"
    assert c.post(url, data={"name": "8a", "grade": "8", "school_year": "2025-2026"}).status_code == 302
    created = db.scalar(select(SchoolClass).where(SchoolClass.name == "8A", SchoolClass.school_id == world.school.id))
    assert created.grade == 8
    for data in ({"name": "8A", "grade": "8", "school_year": "2025-2026"},   # duplicate
                 {"name": "10A", "grade": "10", "school_year": "2025-2026"},  # not taught at THCS
                 {"name": "9A", "grade": "chín", "school_year": "2025-2026"},
                 {"name": "", "grade": "9", "school_year": "2025-2026"},
                 {"name": "9A", "grade": "9", "school_year": "2025"}):
        r = c.post(url, data=data)
        assert r.status_code == 200 and 'class="error"' in r.get_data(as_text=True), data
    edit = f"/schools/{world.school.id}/classes/{created.id}/edit"
    assert c.post(edit, data={"name": "8B", "grade": "8", "school_year": "1999-2000"}).status_code == 302
    db.expire_all()
    again = db.get(SchoolClass, created.id)
    assert again.name == "8B" and again.school_year == "2025-2026" and again.is_active is False
    assert c.get(f"/schools/{world.school.id}/classes/{world.other_class.id}/edit").status_code == 404


def test_teacher_sees_but_cannot_manage(world, login_as):
    c = login_as(world.teacher)
    assert c.get(f"/schools/{world.school.id}/teachers").status_code == 200
    assert c.get(f"/schools/{world.school.id}/teachers/new").status_code == 403
    assert c.post(f"/schools/{world.school.id}/people/{world.student.id}/password").status_code == 403
    html = c.get(f"/schools/{world.school.id}/students").get_data(as_text=True)
    assert "/password" not in html.split("</nav>", 1)[1]  # no reset buttons for a teacher


def test_people_list_queries_do_not_grow(world, factory, login_as, db, count_queries):
    c = login_as(world.admin)
    url = f"/schools/{world.school.id}/students"
    c.get(url)
    with count_queries() as few:
        c.get(url)
    for i in range(20):
        factory.user(Role.STUDENT, world.school, full_name=f"Học Sinh {i}", school_class=world.school_class)
    db.commit()
    with count_queries() as many:
        c.get(url)
    assert len(many) == len(few)
    c.get("/")  # a principal's first home asks its page questions apart (worklist.joined_to), once
    with count_queries() as home_few:
        c.get("/")
    factory.school_class(world.school, "7C", 7)
    factory.school_class(world.school, "7D", 7)
    db.commit()
    with count_queries() as home_many:
        c.get("/")
    assert len(home_many) == len(home_few)


def test_officer_home_queries_do_not_grow(world, factory, login_as, db, count_queries):
    c = login_as(world.officer)
    c.get("/")
    with count_queries() as few:
        c.get("/")
        c.get(f"/communes/{world.commune.id}/schools")
    for _ in range(5):
        factory.school(world.commune)
    db.commit()
    with count_queries() as many:
        c.get("/")
        c.get(f"/communes/{world.commune.id}/schools")
    assert len(many) == len(few)
