"""Schools' figures kept on write agree with a full count after every kind of change."""
from __future__ import annotations

from sqlalchemy import select

from schoolhub.accounts import counts, queries, services
from schoolhub.accounts.models import OrgUnit, Role, UnitCount


def _kept(db) -> dict:
    return {row[0]: tuple(row[1:]) for row in db.execute(
        select(UnitCount.unit_id, UnitCount.teachers, UnitCount.students, UnitCount.admins, UnitCount.classes))}


def _recounted(db) -> dict:
    return {row[0]: tuple(row[1:]) for row in db.execute(counts.counting_select(select(OrgUnit.id)))}


def test_counters_follow_every_change(world, factory, db, app):
    assert _kept(db) == _recounted(db)
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
