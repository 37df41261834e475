"""Who confirmed core material, kept on write (core_readers): after every kind of change the kept
figures equal a full recount, and the "teachers informed" figures follow them."""
from __future__ import annotations

import pytest
from sqlalchemy import delete, select

from schoolhub.accounts import services as account_services
from schoolhub.lessons import counts, queries
from schoolhub.lessons import services as lesson_services
from schoolhub.lessons.models import CoreReader, LessonRead


def _kept(db) -> dict:
    return {uid: n for uid, n in db.execute(select(CoreReader.user_id, CoreReader.confirmed)) if n}


def _recounted(db) -> dict:
    return {uid: n for uid, n in db.execute(counts.counting_select())}


def test_kept_counts_follow_every_change(world, factory, db, app):
    with app.test_request_context():
        one = factory.lesson(world.school, world.teacher, is_core=True)
        two = factory.lesson(world.school, world.teacher, is_core=True)
        plain = factory.lesson(world.school, world.teacher)
        lesson_services.confirm_read(db, world.teacher, one)
        lesson_services.confirm_read(db, world.teacher, two)
        lesson_services.confirm_read(db, world.other_teacher, one)
        lesson_services.confirm_read(db, world.teacher, one)  # again: the first confirmation counts
        lesson_services.record_read(db, world.colleague, plain)  # read, never confirmed
        db.flush()
        assert _kept(db) == _recounted(db) == {world.teacher.id: 2, world.other_teacher.id: 1}

        lesson_services.set_core(db, world.officer, one, False)  # its confirmations stop counting
        assert _kept(db) == _recounted(db) == {world.teacher.id: 1}
        lesson_services.set_core(db, world.officer, one, True, world.commune)  # and count again
        assert _kept(db) == _recounted(db) == {world.teacher.id: 2, world.other_teacher.id: 1}

        read = db.scalar(select(LessonRead).where(LessonRead.lesson_id == two.id,
                                                  LessonRead.user_id == world.teacher.id))
        read.confirmed_at = None  # a confirmation withdrawn
        db.flush()
        assert _kept(db) == _recounted(db) == {world.teacher.id: 1, world.other_teacher.id: 1}
        db.delete(db.scalar(select(LessonRead).where(LessonRead.lesson_id == one.id,
                                                     LessonRead.user_id == world.other_teacher.id)))
        db.flush()
        assert _kept(db) == _recounted(db) == {world.teacher.id: 1}

        # A core flag cleared in the same flush as a new confirmation of it counts nothing.
        lesson_services.confirm_read(db, world.colleague, one)
        one.is_core, one.core_unit_id = False, None
        db.add(LessonRead(lesson_id=one.id, user_id=world.other_teacher.id, confirmed_at=read.first_read_at))
        db.flush()
        assert _kept(db) == _recounted(db) == {}

        # A core lesson removed takes its confirmations (cascaded in the database) with it.
        lesson_services.confirm_read(db, world.other_teacher, two)
        assert _kept(db) == {world.other_teacher.id: 1}
        db.delete(two)
        db.flush()
        assert _kept(db) == _recounted(db) == {}
    db.commit()


def test_the_figures_follow_teachers_who_move_or_leave(world, factory, db, app):
    with app.test_request_context():
        assert world.colleague  # a second teacher of the school
        core = factory.lesson(world.school, world.teacher, is_core=True)
        lesson_services.confirm_read(db, world.teacher, core)
        db.flush()

        def figure(school):
            f = queries.informed_by_school(db, [school.id])[school.id]
            return f.informed, f.teachers

        assert figure(world.school) == (1, 2)  # the teacher and the colleague
        account_services.move_member(db, world.admin, world.teacher, world.school, world.other_school)
        db.flush()
        assert figure(world.school) == (0, 1) and figure(world.other_school) == (1, 2)
        account_services.set_user_active(db, world.admin, world.teacher, False)
        db.flush()
        assert figure(world.other_school) == (0, 1)
        account_services.set_user_active(db, world.admin, world.teacher, True)
        db.flush()
        assert figure(world.other_school) == (1, 2)
        total = queries.informed_teachers(db, world.commune)
        assert (total.informed, total.teachers) == (1, 3)
        assert _kept(db) == _recounted(db)
    db.commit()


def test_a_user_never_counted_is_counted_from_the_rows(world, factory, db, app):
    with app.test_request_context():
        core = factory.lesson(world.school, world.teacher, is_core=True)
        lesson_services.confirm_read(db, world.teacher, core)
        db.flush()
        db.execute(delete(CoreReader))  # as before the counters existed
        lesson_services.set_core(db, world.officer, core, False)
        assert _kept(db) == _recounted(db) == {}


def test_a_failed_flush_counts_nothing(world, factory, db, app):
    from sqlalchemy.exc import IntegrityError

    with app.test_request_context():
        core = factory.lesson(world.school, world.teacher, is_core=True)
        lesson_services.confirm_read(db, world.teacher, core)
        db.flush()
        before = _kept(db)
        with pytest.raises(IntegrityError), db.begin_nested():
            # A second reading record of the same lesson and user: the unique constraint refuses the flush.
            db.add(LessonRead(lesson_id=core.id, user_id=world.teacher.id, confirmed_at=core.created_at))
            db.flush()
        assert _kept(db) == before == _recounted(db)


def test_the_school_informed_figure_and_lessons_in_one_statement_agree_with_the_named_lists(world, factory, db, app,
                                                                                    count_queries):
    from schoolhub.lessons import queries

    assert queries.school_informed(db, world.school) == (queries.informed_by_school(db, [world.school.id])[
        world.school.id], [])  # no core lesson yet: the figure alone
    older = factory.lesson(world.school, world.teacher, title="Cũ hơn", is_core=True)
    newer = factory.lesson(world.school, world.teacher, title="Mới hơn", is_core=True)
    factory.lesson(world.other_school, world.other_teacher, title="Trường khác", is_core=True, visibility="school")
    with app.test_request_context():
        from schoolhub.lessons import services

        services.confirm_read(db, world.teacher, older)
    db.commit()
    with count_queries() as statements:
        figure, lessons = queries.school_informed(db, world.school)
    assert len(statements) == 1
    assert figure == queries.informed_by_school(db, [world.school.id])[world.school.id]
    _teachers, per_lesson = queries.school_confirmations(db, world.school)
    assert [(row.id, row.title, row.confirmed) for row in lessons] == [
        (c.lesson.id, c.lesson.title, len(c.confirmed)) for c in per_lesson]
    assert [(row.title, row.confirmed) for row in lessons][:2] == [("Mới hơn", 0), ("Cũ hơn", 1)]
    assert newer.id in [row.id for row in lessons]


def _informed_kept(db) -> dict:
    from schoolhub.lessons.models import InformedCount

    return {u: (t, i) for u, t, i in db.execute(select(InformedCount.unit_id, InformedCount.teachers,
                                                       InformedCount.informed)) if t or i}


def _informed_recounted(db) -> dict:
    return {u: (t, i) for u, t, i in db.execute(counts.informed_select()) if t or i}


def test_the_kept_informed_figures_follow_every_change_they_count(world, factory, db, app):
    """informed_counts (the officer's home reads it) equals a full recount after each kind of change: a
    confirmation given and withdrawn, a core flag cleared and set, a teacher added, moved, deactivated,
    given another role, a membership ended, a school closed, reopened and moved to another commune."""
    from schoolhub.accounts.models import Membership, Role

    with app.test_request_context():
        core = factory.lesson(world.school, world.teacher, is_core=True)
        db.flush()

        def check(expected_school=None, expected_commune=None):
            db.flush()
            kept = _informed_kept(db)
            assert kept == _informed_recounted(db)
            if expected_school is not None:
                assert kept.get(world.school.id) == expected_school
            if expected_commune is not None:
                assert kept.get(world.commune.id) == expected_commune
            return kept

        check((1, 0), (2, 0))  # the teacher here, the other school's teacher: none informed yet
        lesson_services.confirm_read(db, world.teacher, core)
        check((1, 1), (2, 1))
        lesson_services.set_core(db, world.officer, core, False)
        check((1, 0), (2, 0))
        lesson_services.set_core(db, world.officer, core, True, world.commune)
        check((1, 1), (2, 1))
        lesson_services.confirm_read(db, world.other_teacher, core)
        check((1, 1), (2, 2))

        # A teacher of both schools counts at each and once in the commune (added through the relationship,
        # its unit's id set only by the flush).
        world.other_teacher.memberships.append(Membership(unit=world.school, role=Role.TEACHER))
        check((2, 2), (2, 2))
        colleague = world.colleague
        check((3, 2), (3, 2))
        account_services.move_member(db, world.admin, colleague, world.school, world.other_school)
        check((2, 2), (3, 2))
        account_services.set_user_active(db, world.admin, world.teacher, False)
        check((1, 1), (2, 1))
        account_services.set_user_active(db, world.admin, world.teacher, True)
        check((2, 2), (3, 2))
        read = db.scalar(select(LessonRead).where(LessonRead.lesson_id == core.id, LessonRead.user_id == world.teacher.id))
        read.confirmed_at = None  # a confirmation withdrawn
        check((2, 1), (3, 1))
        held = next(m for m in world.other_teacher.memberships if m.unit_id == world.school.id and m.ended_on is None)
        account_services.end_membership(db, world.admin, held)
        check((1, 0), (3, 1))
        mover = next(m for m in colleague.memberships if m.ended_on is None)
        mover.role = Role.SCHOOL_ADMIN  # no longer a teacher: admins are not counted
        check(None, (2, 1))

        account_services.set_school_active(db, world.officer, world.other_school, False)
        check((1, 0), (1, 0))  # the closed school's teachers are out of the commune's total
        account_services.set_school_active(db, world.officer, world.other_school, True)
        check((1, 0), (2, 1))
        elsewhere = world.other_commune
        world.other_school.parent = elsewhere
        kept = check((1, 0), (1, 0))
        assert kept[elsewhere.id] == (1, 1)
    db.commit()
