"""Schools' figures kept on write agree with a full count after every kind of change."""
from __future__ import annotations

from sqlalchemy import select

from schoolhub.accounts import counts, queries, services
from schoolhub.accounts.models import ClassCount, OrgUnit, Role, SchoolClass, UnitCount


def _kept(db) -> dict:
    return {row[0]: tuple(row[1:]) for row in db.execute(
        select(UnitCount.unit_id, UnitCount.teachers, UnitCount.students, UnitCount.admins, UnitCount.classes))}


def _recounted(db) -> dict:
    return {row[0]: tuple(row[1:]) for row in db.execute(counts.counting_select(select(OrgUnit.id)))}


def _kept_sizes(db) -> dict:
    return dict(db.execute(select(ClassCount.class_id, ClassCount.students)).all())


def _recounted_sizes(db) -> dict:
    return dict(db.execute(counts.class_counting_select(select(SchoolClass.id))).all())


def test_counters_follow_every_change(world, factory, db, app):
    assert _kept(db) == _recounted(db)
    assert _kept_sizes(db) == _recounted_sizes(db) and _kept_sizes(db)[world.school_class.id] == 1
    with app.app_context():
        extra = [factory.user(Role.STUDENT, world.school, school_class=world.school_class) for _ in range(3)]
        teacher = factory.user(Role.TEACHER, world.school)
        klass = services.create_class(db, world.admin, world.school, name="8B", grade=8, school_year="2025-2026")
        services.set_user_active(db, world.admin, extra[0], False)      # a student leaves
        services.set_user_active(db, world.admin, teacher, False)       # and comes back
        services.set_user_active(db, world.admin, teacher, True)
        services.move_member(db, world.admin, world.teacher, world.school, world.other_school)
        services.update_user(db, world.admin, extra[1], full_name=extra[1].full_name, school_class=klass)
        services.update_class(db, world.admin, world.other_class, name="7A", grade=7, is_active=False)
        services.end_membership(db, world.officer, world.other_admin.memberships[0])
        services.appoint_school_admin(db, world.officer, world.other_school, existing=world.colleague)
        new_school = factory.school(world.commune, name="Trường Tiểu học Mới")
        factory.user(Role.TEACHER, new_school)
    db.commit()
    assert _kept(db) == _recounted(db)
    assert _kept_sizes(db) == _recounted_sizes(db)
    classes, sizes = queries.classes_with_sizes(db, [world.school, world.other_school])
    # 7A: Khoa and the third new student (the first left, the second moved to 8B); 8B: one; the other
    # school's 7A closed with its one student still in it.
    assert (sizes[world.school_class.id], sizes[klass.id], sizes[world.other_class.id]) == (2, 1, 1)
    got = queries.school_counts(db, [world.school.id, world.other_school.id, new_school.id])
    # THCS-A: 1 + 3 students, one left: 3; teachers: the colleague and the new one back, Lê Bảo Yến moved away.
    assert (got[world.school.id].students, got[world.school.id].teachers, got[new_school.id].teachers) == (3, 2, 1)
    assert got[world.other_school.id].classes == 0 and got[world.other_school.id].admins == 1


def test_a_failed_flush_counts_nothing(world, factory, db, app):
    import pytest
    from sqlalchemy.exc import IntegrityError

    from schoolhub.accounts.models import Membership

    before = _kept(db)
    with pytest.raises(IntegrityError), db.begin_nested():
        # A second current admin membership of the same person: the unique index refuses the flush.
        db.add(Membership(user_id=world.admin.id, unit_id=world.school.id, role=Role.SCHOOL_ADMIN))
        db.flush()
    assert _kept(db) == before == _recounted(db)
    assert _kept_sizes(db) == _recounted_sizes(db)


def test_class_sizes_follow_moves_departures_and_accounts(world, factory, db, app):
    with app.app_context():
        klass = services.create_class(db, world.admin, world.school, name="7B", grade=7, school_year="2025-2026")
        db.commit()
        assert _kept_sizes(db)[klass.id] == 0  # a new class has its row at once
        pupils = [factory.user(Role.STUDENT, world.school, school_class=klass) for _ in range(4)]
        services.update_user(db, world.admin, pupils[0], full_name=pupils[0].full_name, school_class=world.school_class)
        services.set_user_active(db, world.admin, pupils[1], False)
        services.end_membership(db, world.admin, pupils[2].memberships[0])
        db.commit()  # the fourth stays
    assert _kept_sizes(db) == _recounted_sizes(db)
    assert (_kept_sizes(db)[klass.id], _kept_sizes(db)[world.school_class.id]) == (1, 2)
    with app.app_context():
        services.set_user_active(db, world.admin, pupils[1], True)  # back, in the class they never left
        db.commit()
    assert _kept_sizes(db)[klass.id] == 2 and _kept_sizes(db) == _recounted_sizes(db)
    # A class counted nowhere (rows written around the counters) is counted from its rows on its next change.
    db.execute(ClassCount.__table__.delete().where(ClassCount.class_id == klass.id))
    with app.app_context():
        factory.user(Role.STUDENT, world.school, school_class=klass)
        db.commit()
    assert _kept_sizes(db)[klass.id] == 3 and _kept_sizes(db) == _recounted_sizes(db)


def test_counts_and_classes_in_one_statement_agree_with_the_two_it_replaces(world, factory, db, app, count_queries):
    with app.app_context():
        closed = services.create_class(db, world.admin, world.school, name="9C", grade=9, school_year="2025-2026")
        services.update_class(db, world.admin, closed, name="9C", grade=9, is_active=False)
        empty_school = factory.school(world.commune, name="Trường Mầm non Chưa Lớp")
        factory.user(Role.STUDENT, world.school, school_class=world.school_class)
        db.commit()
    schools = [world.school, world.other_school, empty_school]
    for open_only in (False, True):
        with count_queries() as n:
            counts, classes, sizes = queries.counts_and_classes(db, schools, open_only=open_only)
        assert len(n) == 1
        assert counts == queries.school_counts(db, [s.id for s in schools])
        assert (classes, sizes) == queries.classes_with_sizes(db, schools, open_only=open_only)
    assert classes[empty_school.id] == [] and counts[empty_school.id] == queries.SchoolCounts()
    assert [c.name for c in queries.counts_and_classes(db, [world.school])[1][world.school.id]] == ["7A", "9C"]  # the newest school year first
    assert sizes[world.school_class.id] == 2


def test_schools_and_counts_in_one_statement_agree_with_the_two_it_replaces(world, factory, db, app, count_queries):
    with app.app_context():
        closed = factory.school(world.commune, name="Trường Tiểu học Đã Đóng")
        closed.is_active = False
        factory.user(Role.TEACHER, closed)
        db.commit()
    with count_queries() as statements:
        schools, counts = queries.schools_and_counts(db, world.commune)
        again = queries.schools_under(db, world.commune)  # known for the rest of the transaction
    assert len(statements) == 1 and again == schools
    db.commit()  # a new transaction asks again
    assert schools == queries.schools_under(db, world.commune)
    assert counts == queries.school_counts(db, [s.id for s in schools])
    assert [s.name for s in schools] == sorted(s.name for s in schools) and closed in schools
    assert counts[closed.id].teachers == 1
    assert queries.schools_and_counts(db, world.other_commune)[0] == queries.schools_under(db, world.other_commune)
