"""Each role's home page and the to-do list with its count in the header."""
from __future__ import annotations

import re

from schoolhub.accounts.models import Role


def _badge(html: str) -> int:
    badge = re.search(r'class="waiting-badge"[^>]*>(.*?)</a>', html, re.S).group(1)
    found = re.search(r'<span class="count">(\d+)</span>', badge)
    return int(found.group(1)) if found else 0  # nothing to do: the badge shows no number


def test_officer_home_lists_schools_with_counts_and_totals(world, factory, login_as, db):
    for i in range(3):
        factory.user(Role.STUDENT, world.school, full_name=f"Học Sinh {i}", school_class=world.school_class)
    db.commit()
    html = login_as(world.officer).get("/").get_data(as_text=True)
    row = re.search(r"Trường THCS Bình Chương</a>.*?</tr>", html, re.S).group(0)
    assert [int(n) for n in re.findall(r'class="num">(\d+)<', row)] == [1, 1, 4]  # teachers, classes, students
    totals = re.search(r"<tfoot>.*?</tfoot>", html, re.S).group(0)
    assert [int(n) for n in re.findall(r'class="num">(\d+)<', totals)] == [2, 2, 5]


def test_officer_todo_counts_schools_without_admin(world, factory, login_as, db):
    c = login_as(world.officer)
    assert _badge(c.get("/").get_data(as_text=True)) == 0
    factory.school(world.commune, name="Trường Mầm non Hoa Sen")
    factory.school(world.commune, name="Trường Tiểu học Hoa Mai")
    db.commit()
    html = c.get("/").get_data(as_text=True)
    assert _badge(html) == 2
    assert f"/communes/{world.commune.id}/schools" in html.split('id="waiting"', 1)[1]


def test_admin_todo_counts_empty_classes(world, factory, login_as, db):
    c = login_as(world.admin)
    assert _badge(c.get("/").get_data(as_text=True)) == 0
    factory.school_class(world.school, "8A", 8)
    db.commit()
    html = c.get("/").get_data(as_text=True)
    assert _badge(html) == 1 and f"/schools/{world.school.id}/import" in html
    # Another school's empty class is not this admin's business.
    factory.school_class(world.other_school, "9A", 9)
    db.commit()
    assert _badge(c.get("/").get_data(as_text=True)) == 1



def test_the_badge_counts_active_people_a_deactivated_admin_or_student_is_nobody(world, factory, login_as, db):
    """The to-do counts a class whose only student's account is deactivated as a class without
    students (as its size shows it: 0), and a school whose only admin is deactivated as a school
    without an admin, who cannot log in to run it; it follows at once when the account is active again."""
    klass = factory.school_class(world.school, "8A", 8)
    pupil = factory.user(Role.STUDENT, world.school, full_name="Học Sinh Một", school_class=klass)
    db.commit()
    admin = login_as(world.admin)
    assert _badge(admin.get("/").get_data(as_text=True)) == 0
    pupil.is_active_account = False
    db.commit()
    assert _badge(admin.get("/").get_data(as_text=True)) == 1
    pupil.is_active_account = True
    db.commit()
    assert _badge(admin.get("/").get_data(as_text=True)) == 0

    officer = login_as(world.officer)
    assert _badge(officer.get("/").get_data(as_text=True)) == 0
    world.other_admin.is_active_account = False
    db.commit()
    html = officer.get("/").get_data(as_text=True)
    assert _badge(html) == 1 and "1 trường chưa có người quản trị" in html
    world.other_admin.is_active_account = True
    db.commit()
    assert _badge(officer.get("/").get_data(as_text=True)) == 0

def test_the_badge_asks_anew_when_the_user_gains_a_role(world, factory, login_as, db, app):
    """The badge's questions are built once per principal: a teacher appointed admin of the school is a
    new principal, whose badge counts the school's empty classes at once."""
    from schoolhub.accounts import services

    factory.school_class(world.school, "8A", 8)
    db.commit()
    c = login_as(world.teacher)
    assert _badge(c.get("/").get_data(as_text=True)) == 0  # a teacher imports no class lists
    with app.test_request_context():
        services.appoint_school_admin(db, world.officer, world.school, existing=world.teacher)
    db.commit()
    html = c.get("/").get_data(as_text=True)
    assert _badge(html) == 1 and f"/schools/{world.school.id}/import" in html


def test_student_home_shows_own_class_only(world, login_as):
    html = login_as(world.student).get("/").get_data(as_text=True)
    assert "Trường THCS Bình Chương" in html and "7A" in html
    assert "Đỗ Thu Trâm" not in html  # another child
    assert "/students" not in html


def test_teacher_home_shows_school_and_classes(world, login_as):
    html = login_as(world.teacher).get("/").get_data(as_text=True)
    assert "Trường THCS Bình Chương" in html
    assert f"/schools/{world.school.id}/classes/{world.school_class.id}" in html
    assert "Trường THCS Bình Minh" not in html


def test_pages_load_nothing_from_outside(world, login_as):
    c = login_as(world.admin)
    for url in ("/", f"/schools/{world.school.id}", f"/schools/{world.school.id}/students", "/password"):
        html = c.get(url).get_data(as_text=True)
        assert not re.search(r'(src|href)="(https?:)?//', html), url
    assert 'name="viewport"' in html
