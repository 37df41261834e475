"""A school's figures maintained on write: `unit_counts` follows every change of memberships, of an
account's active flag and of classes, in the same flush, so the officer's and admin's pages read a
few rows instead of counting a province's memberships on every view; `class_counts` holds each
class's size the same way (the staff's home pages list their school's classes with their sizes).

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

from schoolhub.accounts.models import ClassCount, Membership, OrgUnit, Role, SchoolClass, UnitCount, User
from schoolhub.db import values_before_flush

FIELD = {Role.TEACHER: "teachers", Role.STUDENT: "students", Role.SCHOOL_ADMIN: "admins"}
FIELDS = ("teachers", "students", "admins", "classes")


_PREVIOUS = "schoolhub.counts.previous"
_COLUMNS = {Membership: ("unit_id", "role", "ended_on", "user_id", "class_id"), SchoolClass: ("school_id", "is_active"),
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


def _was_active(m: Membership, previous: dict) -> bool:
    user = m.user
    return previous[id(user)][1]["is_active_account"] if id(user) in previous else user.is_active_account


def _counted_before(session: Session, m: Membership, previous: dict) -> tuple | None:
    old = previous[id(m)][1]
    role = Role(old["role"])
    if role not in FIELD or old["ended_on"] is not None:
        return None
    return (old["unit_id"], FIELD[role]) if _was_active(m, previous) else None


def _class_before(m: Membership, previous: dict) -> int | None:
    """The class the membership counted in before this flush (None: none)."""
    old = previous[id(m)][1]
    if old["class_id"] is None or old["ended_on"] is not None:
        return None
    return old["class_id"] if _was_active(m, previous) else None


def _class_after(m: Membership) -> int | None:
    if m.class_id is None or m.ended_on is not None or not m.user.is_active_account:
        return None
    return m.class_id


def _counted_after(m: Membership) -> tuple | None:
    role = Role(m.role)
    if role not in FIELD or m.ended_on is not None or not m.user.is_active_account:
        return None
    return (m.unit_id, FIELD[role])


def _after_flush(session: Session, flush_context) -> None:
    """Add up what the flush changed, per (unit, figure), and apply it as +n/-n (safe under concurrency)."""
    previous = session.info.pop(_PREVIOUS, {})
    deltas: Counter = Counter()
    sizes: Counter = Counter()  # per class
    deleted = {id(o) for o in session.deleted}
    new_units, new_classes = [], []
    for obj in session.new:
        if isinstance(obj, Membership):
            if key := _counted_after(obj):
                deltas[key] += 1
            if klass := _class_after(obj):
                sizes[klass] += 1
        elif isinstance(obj, SchoolClass):
            new_classes.append(obj.id)
            if obj.is_active:
                deltas[(obj.school_id, "classes")] += 1
        elif isinstance(obj, OrgUnit):
            new_units.append(obj.id)
    for obj, old in previous.values():
        if isinstance(obj, Membership):
            if key := _counted_before(session, obj, previous):
                deltas[key] -= 1
            if id(obj) not in deleted and (key := _counted_after(obj)):
                deltas[key] += 1
            if klass := _class_before(obj, previous):
                sizes[klass] -= 1
            if id(obj) not in deleted and (klass := _class_after(obj)):
                sizes[klass] += 1
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
    if new_classes:
        conn.execute(insert(ClassCount), [{"class_id": cid, "students": 0} for cid in new_classes])
    for class_id, delta in sorted(sizes.items()):
        if delta:
            done = conn.execute(update(ClassCount).where(ClassCount.class_id == class_id)
                                .values(students=ClassCount.students + delta))
            if done.rowcount == 0:  # a class never counted: count it from its rows (none if it was deleted)
                recount_classes(conn, [class_id])


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


def recount_classes(conn, class_ids: list[int] | None = None) -> None:
    """Count the classes' sizes again from the rows (all classes, or these)."""
    classes = select(SchoolClass.id)
    stmt = delete(ClassCount)
    if class_ids is not None:
        classes = classes.where(SchoolClass.id.in_(class_ids))
        stmt = stmt.where(ClassCount.class_id.in_(class_ids))
    conn.execute(stmt)
    conn.execute(insert(ClassCount).from_select(["class_id", "students"], class_counting_select(classes)))


def class_counting_select(classes):
    """SELECT class_id, students for the classes of `classes`, from the rows: current memberships of
    active accounts in each class."""
    klass = classes.subquery()
    sizes = (select(Membership.class_id.label("class_id"), func.count().label("students"))
             .join(User, User.id == Membership.user_id)
             .where(Membership.class_id.in_(select(klass.c.id)), Membership.ended_on.is_(None),
                    User.is_active_account.is_(True))
             .group_by(Membership.class_id).subquery())
    return (select(klass.c.id, func.coalesce(sizes.c.students, literal(0, Integer)))
            .select_from(klass).outerjoin(sizes, sizes.c.class_id == klass.c.id))
