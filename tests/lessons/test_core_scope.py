"""Core material asks the people of its scope (issue 10, point 5).

A school admin's flag asks only that school; an officer's flag asks every school of the commune; only
the audiences the lesson names are asked (naming none, it is for everyone of the scope). The worklist,
the confirm button on the lesson page and the confirm route agree in every case: the worklist for staff
(students are asked on the lesson page; their worklist stays free of statements, see test_policy).
"""
from __future__ import annotations

import lxml.html
import pytest
from sqlalchemy import select

from schoolhub import policy
from schoolhub.audit import AuditLog
from schoolhub.lessons.models import Lesson, LessonRead
from schoolhub.worklist import items_for


def _doc(response):
    return lxml.html.fromstring(response.get_data(as_text=True))


def _has_confirm_button(client, lesson) -> bool:
    return bool(_doc(client.get(f"/lessons/{lesson.id}")).xpath(f'//form[@action="/lessons/{lesson.id}/confirm"]'))


def _worklist_lessons(client) -> list[str]:
    return [h for h in _doc(client.get("/")).xpath('//*[@id="waiting"]//a/@href') if h.startswith("/lessons/")]


def _asked(client, lesson) -> tuple[bool, bool, int]:
    """(on the worklist, confirm button shown, status of the confirm route) for the logged-in user."""
    on_list = f"/lessons/{lesson.id}" in _worklist_lessons(client)
    button = _has_confirm_button(client, lesson)
    return on_list, button, client.post(f"/lessons/{lesson.id}/confirm").status_code


ASKED_STAFF = (True, True, 302)
ASKED_STUDENT = (True, True, 302)  # students too: on their worklist and on the lesson page
NOT_ASKED = (False, False, 403)


def _mark(login_as, marker, lesson):
    response = login_as(marker).post(f"/lessons/{lesson.id}/core", data={"is_core": "1"})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]


def _fresh(db, lesson) -> Lesson:
    db.expire_all()
    return db.get(Lesson, lesson.id)


def test_a_school_admins_flag_asks_only_that_schools_teachers(world, factory, login_as, db):
    lesson = factory.lesson(world.school, world.teacher, visibility="commune", audiences=("teachers",))
    _mark(login_as, world.admin, lesson)
    assert _fresh(db, lesson).core_unit_id == world.school.id
    assert _asked(login_as(world.teacher), lesson) == ASKED_STAFF
    assert _asked(login_as(world.other_teacher), lesson) == NOT_ASKED  # another school of the commune
    assert _asked(login_as(world.other_admin), lesson) == NOT_ASKED  # another school's (new) admin
    assert _asked(login_as(world.student), lesson) == NOT_ASKED  # a lesson for teachers never asks students


def test_the_officers_flag_asks_every_teacher_of_the_commune(world, factory, login_as, db):
    lesson = factory.lesson(world.school, world.teacher, visibility="commune", audiences=("teachers",))
    _mark(login_as, world.officer, lesson)
    assert _fresh(db, lesson).core_unit_id == world.commune.id
    assert _asked(login_as(world.teacher), lesson) == ASKED_STAFF
    assert _asked(login_as(world.other_teacher), lesson) == ASKED_STAFF
    assert _asked(login_as(world.other_admin), lesson) == ASKED_STAFF
    assert _asked(login_as(world.student), lesson) == NOT_ASKED
    assert _asked(login_as(world.other_student), lesson) == NOT_ASKED
    assert _asked(login_as(world.officer), lesson) == NOT_ASKED  # the officer marks, he is not asked


def test_a_lesson_for_students_asks_students_not_teachers(world, factory, login_as):
    lesson = factory.lesson(world.school, world.teacher, visibility="commune", audiences=("students",))
    _mark(login_as, world.admin, lesson)
    assert _asked(login_as(world.student), lesson) == ASKED_STUDENT
    assert _asked(login_as(world.teacher), lesson) == NOT_ASKED
    assert _asked(login_as(world.other_student), lesson) == NOT_ASKED  # the admin's flag: this school only


def test_a_lesson_naming_no_audience_asks_everyone_of_its_scope(world, factory, login_as):
    lesson = factory.lesson(world.school, world.teacher, visibility="commune")
    _mark(login_as, world.admin, lesson)
    assert _asked(login_as(world.teacher), lesson) == ASKED_STAFF
    assert _asked(login_as(world.student), lesson) == ASKED_STUDENT
    assert _asked(login_as(world.other_teacher), lesson) == NOT_ASKED


def test_a_lesson_for_parents_only_asks_nobody_with_an_account(world, factory, login_as):
    lesson = factory.lesson(world.school, world.teacher, visibility="commune", audiences=("parents",))
    _mark(login_as, world.officer, lesson)
    for person in (world.teacher, world.student, world.other_teacher, world.admin):
        assert _asked(login_as(person), lesson) == NOT_ASKED, person.username


def test_a_commune_flag_on_a_school_only_lesson_asks_only_who_can_read_it(world, factory, login_as):
    lesson = factory.lesson(world.school, world.teacher, visibility="school", audiences=("teachers",))
    _mark(login_as, world.officer, lesson)
    assert _asked(login_as(world.teacher), lesson) == ASKED_STAFF
    other = login_as(world.other_teacher)
    assert f"/lessons/{lesson.id}" not in _worklist_lessons(other)
    assert other.post(f"/lessons/{lesson.id}/confirm").status_code == 404  # not shared with his school


def test_drafts_and_lessons_that_are_not_core_ask_nobody(world, factory, login_as):
    draft = factory.lesson(world.school, world.teacher, status="draft", is_core=True)
    plain = factory.lesson(world.school, world.teacher, visibility="commune")
    c = login_as(world.admin)
    assert f"/lessons/{draft.id}" not in _worklist_lessons(c)
    assert c.post(f"/lessons/{draft.id}/confirm").status_code == 403
    assert c.post(f"/lessons/{plain.id}/confirm").status_code == 400


def test_an_officer_widens_a_school_flag_and_a_school_admin_cannot_narrow_or_drop_it(world, factory, login_as, db):
    lesson = factory.lesson(world.school, world.teacher, visibility="commune", audiences=("teachers",))
    _mark(login_as, world.admin, lesson)
    officer = login_as(world.officer)
    widen = _doc(officer.get(f"/lessons/{lesson.id}")).xpath(
        f'//form[@action="/lessons/{lesson.id}/core"]//button[@name="is_core"][@value="1"]')
    assert len(widen) == 1, "the officer is offered to ask the whole commune"
    _mark(login_as, world.officer, lesson)
    assert _fresh(db, lesson).core_unit_id == world.commune.id
    assert _asked(login_as(world.other_teacher), lesson) == ASKED_STAFF
    # The school's admin may no longer change the commune's decision.
    admin = login_as(world.admin)
    assert admin.post(f"/lessons/{lesson.id}/core", data={"is_core": "0"}).status_code == 403
    assert admin.post(f"/lessons/{lesson.id}/core", data={"is_core": "1"}).status_code == 403
    assert _fresh(db, lesson).is_core and _fresh(db, lesson).core_unit_id == world.commune.id
    actions = db.scalars(select(AuditLog.action).where(AuditLog.object_id == lesson.id)).all()
    assert actions.count("lesson.core") == 2


def test_unmarking_forgets_the_scope(world, factory, login_as, db):
    lesson = factory.lesson(world.school, world.teacher, visibility="commune")
    _mark(login_as, world.officer, lesson)
    assert login_as(world.officer).post(f"/lessons/{lesson.id}/core", data={"is_core": "0"}).status_code == 302
    fresh = _fresh(db, lesson)
    assert not fresh.is_core and fresh.core_unit_id is None
    assert _asked(login_as(world.teacher), lesson) == (False, False, 400)


@pytest.mark.parametrize("who", ["teacher", "admin", "other_teacher", "other_admin"])
def test_the_worklist_counts_exactly_what_the_rule_asks(who, world, factory, login_as, app, db):
    """For staff the worklist's count is the number of lessons can(CONFIRM_LESSON) allows, minus confirmed."""
    lessons = []
    for audiences in ((), ("teachers",), ("students",)):
        for marker in (world.admin, world.officer, world.other_admin):
            school, author = ((world.other_school, world.other_teacher) if marker is world.other_admin
                              else (world.school, world.teacher))
            lesson = factory.lesson(school, author, visibility="commune", audiences=audiences)
            _mark(login_as, marker, lesson)
            lessons.append(lesson)
    user = getattr(world, who)
    confirmed = next(lesson for lesson in lessons if _can_confirm(app, db, user, lesson))
    login_as(user).post(f"/lessons/{confirmed.id}/confirm")
    db.expire_all()
    asked = [lesson for lesson in lessons if _can_confirm(app, db, user, lesson)]
    reads = set(db.scalars(select(LessonRead.lesson_id).where(LessonRead.user_id == user.id,
                                                               LessonRead.confirmed_at.is_not(None))))
    with app.test_request_context():
        db_user = db.get(type(user), user.id)
        items = [i for i in items_for(db_user) if "/lessons/" in i.url]
    expected = len([lesson for lesson in asked if lesson.id not in reads])
    assert sum(i.count for i in items) == expected and expected >= 1, (who, expected, items)


def _can_confirm(app, db, user, lesson) -> bool:
    db.expire_all()  # the flags were set through the web, in the requests' own sessions
    with app.test_request_context():
        return policy.can(policy.Action.CONFIRM_LESSON, db.get(Lesson, lesson.id), user=db.get(type(user), user.id))


def test_the_badges_core_lessons_are_found_through_their_scope_index(db, world, factory, app):
    """Every page of a teacher counts the core lessons of their school and the units above it: the
    database finds them through ix_lessons_core_scope, not by reading every core lesson it holds."""
    from flask_login import login_user
    from sqlalchemy import text

    from tests.helpers.plans import query_plan

    # Enough published lessons that reading them all costs more than the index, and core lessons of
    # another school too (outside the teacher's scope): found by "core" alone, through the index on
    # (status, is_core), they are read and dropped, which costs more than the scope index at any
    # statistics the earlier tests left (with 3 core lessons in all, the two plans cost the same).
    for n in range(120):
        factory.lesson(world.other_school if n % 2 else world.school, world.teacher, title=f"Bài {n}",
                       is_core=n % 20 == 0 or n % 4 == 1)
    db.commit()
    db.execute(text("ANALYZE lessons"))
    with app.test_request_context("/"):
        login_user(world.teacher)
        stmt = select(Lesson.id).where(policy.visible(policy.Action.CONFIRM_LESSON, world.teacher))
        plan = query_plan(db, stmt)
    assert "ix_lessons_core_scope" in plan, plan
    # (With 3 core lessons PostgreSQL searches the index by is_core alone; at the province preset it
    # searches it by scope too: the EXPLAIN is quoted in README's Performance section.)
