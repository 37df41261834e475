"""A school's figures maintained on write: `unit_counts` follows every change of memberships, of an
account's active flag and of classes, in the same flush, so the officer's and admin's pages read a
few rows instead of counting a province's memberships on every view.

Session listeners (installed by the accounts domain's init_app) note before a flush what the database
holds for each membership, class or account it changes, and after it add +n/-n per (unit, figure):
an UPDATE of `x = x + n`, which concurrent writers cannot lose. Bulk paths that bypass the ORM
(seed-scale's Core inserts) call `recount()` afterwards; tests compare the counters with a full
recount after many kinds of change.
"""
from __future__ import annotations

from collections import Counter

from sqlalchemy import Integer, case, delete, event, func, insert, inspect, literal, select, update
from sqlalchemy.orm import Session

from schoolhub.accounts.models import Membership, OrgUnit, Role, SchoolClass, UnitCount, User
from schoolhub.db import values_before_flush

FIELD = {Role.TEACHER: "teachers", Role.STUDENT: "students", Role.SCHOOL_ADMIN: "admins"}
FIELDS = ("teachers", "students", "admins", "classes")


_PREVIOUS = "schoolhub.counts.previous"
_COLUMNS = {Membership: ("unit_id", "role", "ended_on", "user_id"), SchoolClass: ("school_id", "is_active"),
            User: ("is_active_account",)}


def _previous(session: Session, obj) -> dict:
    return values_before_flush(session, obj, _COLUMNS[type(obj)])


def _before_flush(session: Session, flush_context, instances) -> None:
    """Remember the old state of what this flush will change or delete (the database still holds it)."""
    previous = session.info[_PREVIOUS] = {}  # per flush: a failed flush leaves nothing for the next one
    for obj in [*session.dirty, *session.deleted]:
        if type(obj) in _COLUMNS and inspect(obj).persistent:
            previous[id(obj)] = (obj, _previous(session, obj))
    for obj in list(session.dirty):
        if isinstance(obj, User) and id(obj) in previous:
            for m in obj.memberships:  # their figures change with the account's active flag
                if id(m) not in previous and inspect(m).persistent:
                    previous[id(m)] = (m, _previous(session, m))


def _counted_before(session: Session, m: Membership, previous: dict) -> tuple | None:
    old = previous[id(m)][1]
    role = Role(old["role"])
    if role not in FIELD or old["ended_on"] is not None:
        return None
    user = m.user
    active = previous[id(user)][1]["is_active_account"] if id(user) in previous else user.is_active_account
    return (old["unit_id"], FIELD[role]) if active else None


def _counted_after(m: Membership) -> tuple | None:
    role = Role(m.role)
    if role not in FIELD or m.ended_on is not None or not m.user.is_active_account:
        return None
    return (m.unit_id, FIELD[role])


def _after_flush(session: Session, flush_context) -> None:
    """Add up what the flush changed, per (unit, figure), and apply it as +n/-n (safe under concurrency)."""
    previous = session.info.pop(_PREVIOUS, {})
    deltas: Counter = Counter()
    deleted = {id(o) for o in session.deleted}
    new_units = []
    for obj in session.new:
        if isinstance(obj, Membership) and (key := _counted_after(obj)):
            deltas[key] += 1
        elif isinstance(obj, SchoolClass) and obj.is_active:
            deltas[(obj.school_id, "classes")] += 1
        elif isinstance(obj, OrgUnit):
            new_units.append(obj.id)
    for obj, old in previous.values():
        if isinstance(obj, Membership):
            if key := _counted_before(session, obj, previous):
                deltas[key] -= 1
            if id(obj) not in deleted and (key := _counted_after(obj)):
                deltas[key] += 1
        elif isinstance(obj, SchoolClass):
            if old["is_active"]:
                deltas[(old["school_id"], "classes")] -= 1
            if id(obj) not in deleted and obj.is_active:
                deltas[(obj.school_id, "classes")] += 1
    conn = session.connection()
    if new_units:
        conn.execute(insert(UnitCount), [{"unit_id": uid, **dict.fromkeys(FIELDS, 0)} for uid in new_units])
    for (unit_id, field), delta in sorted(deltas.items()):
        if delta and unit_id is not None:
            column = getattr(UnitCount, field)
            done = conn.execute(update(UnitCount).where(UnitCount.unit_id == unit_id).values({field: column + delta}))
            if done.rowcount == 0:  # a unit never counted (made before the counters): count it from its rows
                recount(conn, [unit_id])


def install() -> None:
    """Listen to every session's flushes (idempotent)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "after_flush", _after_flush)


def recount(conn, unit_ids: list[int] | None = None) -> None:
    """Count again from the rows (all units, or these): seed-scale after its bulk inserts, migrations, tests."""
    units = select(OrgUnit.id)
    if unit_ids is not None:
        units = units.where(OrgUnit.id.in_(unit_ids))
    stmt = delete(UnitCount)
    if unit_ids is not None:
        stmt = stmt.where(UnitCount.unit_id.in_(unit_ids))
    conn.execute(stmt)
    conn.execute(insert(UnitCount).from_select(["unit_id", *FIELDS], counting_select(units)))


def counting_select(units):
    """SELECT unit_id, teachers, students, admins, classes for the units of `units`, from the rows."""
    people = (select(Membership.unit_id.label("unit_id"),
                     *[func.sum(case((Membership.role == role, 1), else_=0)).label(field)
                       for role, field in FIELD.items()])
              .join(User, User.id == Membership.user_id)
              .where(Membership.ended_on.is_(None), User.is_active_account.is_(True))
              .group_by(Membership.unit_id).subquery())
    classes = (select(SchoolClass.school_id.label("unit_id"), func.count().label("classes"))
               .where(SchoolClass.is_active.is_(True)).group_by(SchoolClass.school_id).subquery())
    unit = units.subquery()
    zero = literal(0, Integer)
    return (select(unit.c.id,
                   func.coalesce(people.c.teachers, zero), func.coalesce(people.c.students, zero),
                   func.coalesce(people.c.admins, zero), func.coalesce(classes.c.classes, zero))
            .select_from(unit)
            .outerjoin(people, people.c.unit_id == unit.c.id)
            .outerjoin(classes, classes.c.unit_id == unit.c.id))
