"""Read-only queries of the accounts domain, each a fixed number of statements."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, contains_eager, joinedload

from schoolhub.accounts.models import Membership, OrgUnit, Role, SchoolClass, UnitKind, User


@dataclass
class SchoolCounts:
    """How many active teachers, open classes and active students a school has."""

    teachers: int = 0
    classes: int = 0
    students: int = 0
    admins: int = 0


def school_counts(session: Session, school_ids: list[int]) -> dict[int, SchoolCounts]:
    """Counts for many schools in two statements."""
    counts = {sid: SchoolCounts() for sid in school_ids}
    if not school_ids:
        return counts
    rows = session.execute(
        select(Membership.unit_id, Membership.role, func.count(func.distinct(Membership.user_id)))
        .join(User, User.id == Membership.user_id)
        .where(Membership.unit_id.in_(school_ids), Membership.ended_on.is_(None), User.is_active_account.is_(True))
        .group_by(Membership.unit_id, Membership.role)
    )
    attr = {Role.TEACHER: "teachers", Role.STUDENT: "students", Role.SCHOOL_ADMIN: "admins"}
    for unit_id, role, n in rows:
        if Role(role) in attr:
            setattr(counts[unit_id], attr[Role(role)], n)
    for unit_id, n in session.execute(
        select(SchoolClass.school_id, func.count(SchoolClass.id))
        .where(SchoolClass.school_id.in_(school_ids), SchoolClass.is_active.is_(True))
        .group_by(SchoolClass.school_id)
    ):
        counts[unit_id].classes = n
    return counts


def schools_under(session: Session, unit: OrgUnit, *, active_only: bool = False) -> list[OrgUnit]:
    """Every school in the unit's subtree, by name."""
    stmt = select(OrgUnit).where(OrgUnit.kind == UnitKind.SCHOOL, unit.subtree())
    if active_only:
        stmt = stmt.where(OrgUnit.is_active.is_(True))
    return list(session.scalars(stmt.order_by(OrgUnit.name)))


def class_sizes(session: Session, class_ids: list[int]) -> dict[int, int]:
    """Active students per class, in one statement."""
    if not class_ids:
        return {}
    rows = session.execute(
        select(Membership.class_id, func.count(Membership.id))
        .join(User, User.id == Membership.user_id)
        .where(Membership.class_id.in_(class_ids), Membership.ended_on.is_(None), User.is_active_account.is_(True))
        .group_by(Membership.class_id)
    )
    return {cid: n for cid, n in rows}


def classes_of(session: Session, school: OrgUnit, *, open_only: bool = False,
               school_year: str | None = None) -> list[SchoolClass]:
    """A school's classes (optionally of one school year), newest year first, then by grade and name."""
    stmt = select(SchoolClass).where(SchoolClass.school_id == school.id)
    if school_year:
        stmt = stmt.where(SchoolClass.school_year == school_year)
    if open_only:
        stmt = stmt.where(SchoolClass.is_active.is_(True))
    return list(session.scalars(stmt.order_by(SchoolClass.school_year.desc(), SchoolClass.grade, SchoolClass.name)))


def memberships_on(session: Session, day: date, unit: OrgUnit | None = None) -> list[Membership]:
    """Who held which role where on `day` (under `unit` when given), with user, unit and class loaded.

    Ended memberships count for the days they covered; deactivated accounts too (they held the role then).
    One statement, ordered by unit (tree order), role and name.
    """
    stmt = (
        select(Membership)
        .join(Membership.unit).join(Membership.user)
        .where(Membership.covering(day))
        .options(contains_eager(Membership.unit), contains_eager(Membership.user), joinedload(Membership.school_class))
        .order_by(OrgUnit.path, Membership.role, User.name_folded, Membership.id)
    )
    if unit is not None:
        stmt = stmt.where(unit.subtree())
    return list(session.scalars(stmt))
