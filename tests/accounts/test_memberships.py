"""Memberships keep their history: moving school or class ends one membership and starts the next."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from schoolhub import policy
from schoolhub.accounts import queries, services
from schoolhub.accounts.models import Membership, Role, User
from schoolhub.audit import AuditLog
from schoolhub.clock import local_today
from schoolhub.lessons.queries import informed_teachers
from schoolhub.services import ServiceError

SEPTEMBER = date(2024, 9, 5)
MOVE_DAY = date(2025, 1, 6)


def _since(db, user: User, day: date) -> Membership:
    """The user's one current membership, dated back to `day` (the world fixture makes them today)."""
    [membership] = user.memberships
    membership.started_on = day
    db.flush()
    return membership


def _held(memberships) -> set[tuple]:
    return {(m.user_id, m.unit_id, m.role) for m in memberships}


def test_moving_a_teacher_ends_one_membership_and_starts_an_equal_one(world, db, app):
    old = _since(db, world.teacher, SEPTEMBER)
    [new] = services.move_member(db, world.officer, world.teacher, world.school, world.other_school, on=MOVE_DAY)
    db.commit()
    assert (old.ended_on, new.started_on, new.ended_on) == (MOVE_DAY, MOVE_DAY, None)
    assert (new.unit_id, new.role, new.class_id) == (world.other_school.id, Role.TEACHER, None)
    assert world.teacher.memberships == [new]
    assert world.teacher.all_memberships == [old, new]
    entry = db.scalar(select(AuditLog).where(AuditLog.action == "membership.move"))
    assert (entry.actor_id, entry.object_id, entry.unit_id) == (world.officer.id, world.teacher.id,
                                                                world.other_school.id)
    # Read again as a request would: only the current membership grants anything.
    db.expire_all()
    teacher = db.scalar(select(User).where(User.id == world.teacher.id).options(selectinload(User.memberships)))
    assert [m.unit_id for m in teacher.memberships] == [world.other_school.id]
    assert [m.unit_id for m in teacher.all_memberships] == [world.school.id, world.other_school.id]
    with app.test_request_context():
        assert policy.can(policy.Action.CREATE_LESSON, world.other_school, user=teacher)
        assert not policy.can(policy.Action.CREATE_LESSON, world.school, user=teacher)


def test_a_moved_teacher_is_listed_and_counted_at_the_new_school_only(world, db, login_as):
    before = queries.school_counts(db, [world.school.id, world.other_school.id])
    services.move_member(db, world.admin, world.teacher, world.school, world.other_school)
    db.commit()
    after = queries.school_counts(db, [world.school.id, world.other_school.id])
    assert after[world.school.id].teachers == before[world.school.id].teachers - 1
    assert after[world.other_school.id].teachers == before[world.other_school.id].teachers + 1
    assert "Lê Bảo Yến" not in login_as(world.admin).get(f"/schools/{world.school.id}/teachers").get_data(as_text=True)
    assert "Lê Bảo Yến" in login_as(world.other_admin).get(
        f"/schools/{world.other_school.id}/teachers").get_data(as_text=True)
    # The commune's figure still counts them once; the old school's no longer does.
    # Teachers only (the one definition of "teachers informed"): the moved one is counted once.
    assert informed_teachers(db, world.commune).teachers == 2
    assert informed_teachers(db, world.school).teachers == 0  # its one teacher moved; admins are not counted


def test_memberships_on_a_day_before_and_after_the_move(world, db):
    _since(db, world.teacher, SEPTEMBER)
    services.move_member(db, world.admin, world.teacher, world.school, world.other_school, on=MOVE_DAY)
    teacher = world.teacher.id
    before, after = MOVE_DAY - timedelta(days=1), MOVE_DAY
    assert _held(queries.memberships_on(db, before)) == {(teacher, world.school.id, Role.TEACHER)}
    assert _held(queries.memberships_on(db, after)) == {(teacher, world.other_school.id, Role.TEACHER)}
    # Filtered to a unit's subtree: the school, then the commune holding both schools.
    assert _held(queries.memberships_on(db, before, world.school)) == {(teacher, world.school.id, Role.TEACHER)}
    assert queries.memberships_on(db, after, world.school) == []
    assert _held(queries.memberships_on(db, after, world.commune)) == {(teacher, world.other_school.id, Role.TEACHER)}
    # The Python twin agrees, day by day.
    everyone = db.scalars(select(Membership)).all()
    for day in (before, after):
        assert _held(m for m in everyone if m.covers(day)) == _held(queries.memberships_on(db, day))
    # Before anyone started, nobody; today, everyone the world fixture made.
    assert queries.memberships_on(db, SEPTEMBER - timedelta(days=1)) == []
    today = queries.memberships_on(db, local_today(), world.commune)
    assert (teacher, world.other_school.id, Role.TEACHER) in _held(today)
    assert (teacher, world.school.id, Role.TEACHER) not in _held(today)
    assert {m.user.username for m in today} >= {"officer", "admin", "admin2", "teacher", "teacher2", "student"}


def test_memberships_on_is_one_statement(world, db, count_queries):
    with count_queries() as statements:
        found = queries.memberships_on(db, local_today(), world.commune)
        names = [(m.user.full_name, m.unit.name, m.school_class.name if m.school_class else "") for m in found]
    assert len(names) == 7 and len(statements) == 1


def test_ending_a_membership_takes_the_role_away_and_keeps_the_row(world, db, app):
    membership = _since(db, world.admin, SEPTEMBER)
    services.end_membership(db, world.officer, membership, on=MOVE_DAY)
    db.commit()
    assert world.admin.memberships == [] and world.admin.all_memberships == [membership]
    assert db.get(Membership, membership.id).ended_on == MOVE_DAY
    assert db.scalar(select(AuditLog).where(AuditLog.action == "membership.end.school_admin"))
    with app.test_request_context():
        assert not policy.can(policy.Action.MANAGE_PEOPLE, world.school, user=world.admin)
    assert world.school.id not in {m.unit_id for m in queries.memberships_on(db, MOVE_DAY)}
    assert world.school.id in {m.unit_id for m in queries.memberships_on(db, MOVE_DAY - timedelta(days=1))}


def test_a_school_whose_admin_left_is_on_the_officers_worklist_again(world, db, app):
    from schoolhub.worklist import items_for

    with app.test_request_context():
        assert items_for(world.officer) == []
    with app.app_context():
        services.end_membership(db, world.officer, world.admin.memberships[0])
    db.commit()
    with app.test_request_context():  # the worklist is computed once per request
        [item] = items_for(world.officer)
        assert item.count == 1 and f"/communes/{world.commune.id}/schools" in item.url


def test_one_current_membership_per_role_and_unit_but_past_ones_may_repeat(world, db):
    services.end_membership(db, world.officer, world.admin.memberships[0])
    # Appointed again: a second membership with the same user, unit and role, the first one ended.
    services.appoint_school_admin(db, world.officer, world.school, existing=world.admin)
    db.flush()
    assert len(world.admin.all_memberships) == 2 and len(world.admin.memberships) == 1
    with pytest.raises(ServiceError):
        services.appoint_school_admin(db, world.officer, world.school, existing=world.admin)
    # Past the service, the database refuses a second current one.
    with pytest.raises(IntegrityError), db.begin_nested():
        db.add(Membership(user_id=world.admin.id, unit_id=world.school.id, role=Role.SCHOOL_ADMIN))


def test_changing_a_students_class_keeps_the_old_class_as_history(world, db, factory):
    seven_b = factory.school_class(world.school, "7B", 7)
    old = _since(db, world.student, SEPTEMBER)
    services.update_user(db, world.admin, world.student, full_name=world.student.full_name, school_class=seven_b)
    db.commit()
    [new] = world.student.memberships
    assert (new.class_id, new.started_on, new.role, new.unit_id) == (seven_b.id, local_today(), Role.STUDENT,
                                                                    world.school.id)
    assert (old.class_id, old.ended_on) == (world.school_class.id, local_today())
    assert world.student.all_memberships == [old, new]
    classes, sizes = queries.classes_with_sizes(db, [world.school])
    assert [c.name for c in classes[world.school.id]] == ["7A", "7B"] and sizes == {seven_b.id: 1}
    yesterday = local_today() - timedelta(days=1)
    [then] = [m for m in queries.memberships_on(db, yesterday) if m.user_id == world.student.id]
    assert then.school_class.name == "7A"
    # Saving again without a change of class starts nothing new.
    services.update_user(db, world.admin, world.student, full_name="Nguyễn Minh Khoa", school_class=seven_b)
    assert len(world.student.all_memberships) == 2


def test_class_sizes_count_current_students_of_active_accounts(world, db, factory):
    """The home page's and the school page's class sizes: a deactivated account and a student who left
    are not counted; closed classes are left out when only open ones are asked; every school at once."""
    seven_b = factory.school_class(world.school, "7B", 7)
    closed = factory.school_class(world.school, "6A", 6)
    closed.is_active = False
    for i in range(3):
        factory.user(Role.STUDENT, world.school, full_name=f"Học Sinh {i}", school_class=seven_b)
    gone = factory.user(Role.STUDENT, world.school, full_name="Học Sinh Nghỉ", school_class=seven_b)
    gone.is_active_account = False
    left = factory.user(Role.STUDENT, world.school, full_name="Học Sinh Chuyển", school_class=seven_b)
    services.end_membership(db, world.admin, left.memberships[0])
    db.commit()
    classes, sizes = queries.classes_with_sizes(db, [world.school, world.other_school])
    assert [c.name for c in classes[world.school.id]] == ["6A", "7A", "7B"]
    assert [c.id for c in classes[world.other_school.id]] == [world.other_class.id]
    assert sizes == {world.school_class.id: 1, seven_b.id: 3, world.other_class.id: 1}
    open_classes, _sizes = queries.classes_with_sizes(db, [world.school], open_only=True)
    assert closed.id not in [c.id for c in open_classes[world.school.id]]


def test_moving_a_student_to_a_class_of_the_new_school(world, db):
    [new] = services.move_member(db, world.admin, world.student, world.school, world.other_school,
                                 school_class=world.other_class)
    assert (new.unit_id, new.class_id, new.role) == (world.other_school.id, world.other_class.id, Role.STUDENT)


def test_moves_and_ends_that_make_no_sense_are_refused(world, db):
    cases = [
        lambda: services.move_member(db, world.admin, world.teacher, world.commune, world.other_school),
        lambda: services.move_member(db, world.admin, world.teacher, world.school, world.commune),
        lambda: services.move_member(db, world.admin, world.teacher, world.school, world.school),
        lambda: services.move_member(db, world.admin, world.other_teacher, world.school, world.other_school),
        lambda: services.move_member(db, world.admin, world.student, world.school, world.other_school,
                                     school_class=world.school_class),
        # A move before the membership started would end it before its first day.
        lambda: services.move_member(db, world.admin, world.teacher, world.school, world.other_school,
                                     on=local_today() - timedelta(days=1)),
        lambda: services.end_membership(db, world.admin, world.teacher.memberships[0],
                                        on=local_today() - timedelta(days=1)),
    ]
    for case in cases:
        with pytest.raises(ServiceError) as refused:
            case()
        assert str(refused.value.message)
    # Already holding the role at the new school.
    services.appoint_school_admin(db, world.officer, world.other_school, existing=world.admin)
    with pytest.raises(ServiceError):
        services.move_member(db, world.officer, world.admin, world.school, world.other_school)
    # Ending twice.
    membership = world.teacher.memberships[0]
    services.end_membership(db, world.admin, membership)
    with pytest.raises(ServiceError):
        services.end_membership(db, world.admin, membership)
    assert [m.unit_id for m in world.other_teacher.memberships] == [world.other_school.id]


def test_existing_memberships_started_when_they_were_created(world):
    assert {m.started_on for m in world.teacher.all_memberships} == {local_today()}
