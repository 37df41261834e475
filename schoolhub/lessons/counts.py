"""Figures of lessons maintained on write, updated in the same flush as the rows they count.

- `core_readers` holds, per user, how many core lessons they confirmed reading, following every change
  of a reading record's confirmation, of a lesson's core flag and of a lesson's removal. The "teachers
  informed" figures of the officer's and admin's home pages then read one row per teacher of the
  commune instead of joining every confirmation of the province with the lessons.
- `informed_counts` holds, per school and per commune, its active teachers and how many of them
  confirmed core material, following every change of a teacher's membership, of an account's active
  flag, of a school's commune or active flag and of core_readers: the officer's home reads its
  commune's rows instead of joining the commune's teachers with their confirmations on every view.
  Each change counts the units it touches again from the rows, their figures' rows locked first.
- `school_lessons` holds, per school, how many published lessons it has of each visibility, following
  every lesson written, published, archived, moved to another visibility or removed. The lesson list's
  school choices and its count then read one row per school (lessons.policy.readable_of_school says
  which of them a reader may read) instead of probing the province's lessons on every view.

The same shape as schoolhub.accounts.counts: a before-flush listener notes what the database holds for
each reading record or lesson the flush changes or deletes, an after-flush listener applies +n/-n per
user (`confirmed = confirmed + n`, which concurrent writers cannot lose). Bulk paths that bypass the
ORM (seed-scale's Core inserts, migrations) call `recount()`; tests compare with it after every kind
of change.
"""
from __future__ import annotations

import secrets
from collections import Counter, defaultdict

from sqlalchemy import bindparam, case, delete, event, func, insert, inspect, literal, select, true, union_all, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from schoolhub.accounts.models import Membership, OrgUnit, Role, UnitKind, User
from schoolhub.db import values_before_flush
from schoolhub.lessons.models import CoreReader, InformedCount, Lesson, LessonRead, LessonShelfToken, SchoolLessons
from schoolhub.lessons.vocab import LessonStatus, Visibility

_PREVIOUS = "schoolhub.core_readers.previous"
_COLUMNS = {LessonRead: ("id", "lesson_id", "user_id", "confirmed_at"), Lesson: ("id", "is_core")}
# The school_lessons column counting each visibility's published lessons.
_SHELF = {Visibility.PUBLIC: "public", Visibility.COMMUNE: "commune", Visibility.SCHOOL: "school"}
_SHELF_KEYS = ("school_id", "status", "visibility")  # what decides a lesson's place in school_lessons


def _previous(session: Session, obj) -> dict:
    return values_before_flush(session, obj, _COLUMNS[type(obj)])


def _before_flush(session: Session, flush_context, instances) -> None:
    """Remember the old state of the reading records and lessons this flush changes or deletes, and who
    confirmed a core lesson that is about to be deleted (its reading records go with it, by cascade)."""
    previous = session.info[_PREVIOUS] = {"objects": {}, "gone": []}
    for obj in [*session.dirty, *session.deleted]:
        if type(obj) in _COLUMNS and inspect(obj).persistent:
            previous["objects"][id(obj)] = (obj, _previous(session, obj))
    previous["shelves"] = _shelves_before(session)
    # A school renamed (or removed) changes the names the list's school choices show.
    previous["renamed"] = any(
        isinstance(obj, OrgUnit) and (obj in session.deleted or inspect(obj).attrs.name.history.has_changes())
        for obj in [*session.dirty, *session.deleted])
    previous["informed"] = _informed_before(session)
    for obj in session.deleted:
        if isinstance(obj, Lesson) and inspect(obj).persistent and previous["objects"][id(obj)][1]["is_core"]:
            previous["gone"].extend(session.connection().execute(
                select(LessonRead.id, LessonRead.user_id)
                .where(LessonRead.lesson_id == obj.id, LessonRead.confirmed_at.is_not(None))).all())


def _shelves_before(session: Session) -> dict:
    """For each lesson this flush moves between shelves (its school, status or visibility changes) or
    deletes: what its row holds now, locked until the transaction ends, and which of those it changes.

    Read from the row, not from what this request loaded: another request may have changed the lesson
    since (two clicks on "Archive", an edit beside an archive), and its change must count once."""
    found = {}
    deleted = set(map(id, session.deleted))
    for obj in [*session.dirty, *session.deleted]:
        if not isinstance(obj, Lesson) or not inspect(obj).persistent:
            continue
        attrs = inspect(obj).attrs
        changed = {key for key in _SHELF_KEYS if attrs[key].history.has_changes()}
        if not changed and id(obj) not in deleted:
            continue
        row = session.connection().execute(
            select(Lesson.school_id, Lesson.status, Lesson.visibility).where(Lesson.id == obj.id)
            .with_for_update()).one_or_none()
        if row is not None:
            found[id(obj)] = (obj, dict(row._mapping), changed)
    return found


def _after_flush(session: Session, flush_context) -> None:
    """Add up what the flush changed per user and apply it as +n/-n."""
    previous = session.info.pop(_PREVIOUS, {"objects": {}, "gone": [], "shelves": {}, "renamed": False,
                                            "informed": None})
    objects = previous["objects"]
    deleted = {id(o) for o in session.deleted}
    old_core = {old["id"]: bool(old["is_core"]) for obj, old in objects.values() if isinstance(obj, Lesson)}
    conn = session.connection()

    def core_now(lesson_id: int) -> bool:
        lesson = session.identity_map.get(session.identity_key(Lesson, lesson_id))
        if lesson is not None:
            return bool(lesson.is_core) and id(lesson) not in deleted
        return bool(conn.scalar(select(Lesson.is_core).where(Lesson.id == lesson_id)))

    def core_before(lesson_id: int) -> bool:
        return old_core[lesson_id] if lesson_id in old_core else core_now(lesson_id)

    deltas: Counter = Counter()
    handled: set[int] = set()  # reading records counted here from the ORM, not again by the SQL below
    for obj in session.new:
        if isinstance(obj, LessonRead):
            handled.add(obj.id)
            if obj.confirmed_at is not None and core_now(obj.lesson_id):
                deltas[obj.user_id] += 1
    for obj, old in objects.values():
        if not isinstance(obj, LessonRead):
            continue
        handled.add(old["id"])
        if old["confirmed_at"] is not None and core_before(old["lesson_id"]):
            deltas[old["user_id"]] -= 1
        if id(obj) not in deleted and obj.confirmed_at is not None and core_now(obj.lesson_id):
            deltas[obj.user_id] += 1
    for read_id, user_id in previous["gone"]:
        if read_id not in handled:
            deltas[user_id] -= 1
            handled.add(read_id)
    for obj, old in objects.values():
        if isinstance(obj, Lesson) and id(obj) not in deleted and bool(old["is_core"]) != bool(obj.is_core):
            step = 1 if obj.is_core else -1
            for read_id, user_id in conn.execute(
                    select(LessonRead.id, LessonRead.user_id)
                    .where(LessonRead.lesson_id == obj.id, LessonRead.confirmed_at.is_not(None))):
                if read_id not in handled:
                    deltas[user_id] += step
    apply(conn, deltas)
    if not apply_shelves(conn, _shelf_deltas(session, previous["shelves"], deleted)) and previous["renamed"]:
        new_shelf_token(conn)
    _informed_after(session, conn, previous.get("informed"), [uid for uid, step in deltas.items() if step])


def _shelf_deltas(session: Session, shelves: dict, deleted: set[int]) -> Counter:
    """(school_id, visibility) → how many published lessons the flush added there (negative: took away).

    A changed lesson leaves the shelf its row was on and lands where the row is after the UPDATE, which
    writes only what this flush changed (the rest stays as the row had it)."""
    deltas: Counter = Counter()
    for obj in session.new:
        if isinstance(obj, Lesson) and obj.status == LessonStatus.PUBLISHED:
            deltas[(obj.school_id, Visibility(obj.visibility))] += 1
    for obj, old, changed in shelves.values():
        if old["status"] == LessonStatus.PUBLISHED:
            deltas[(old["school_id"], Visibility(old["visibility"]))] -= 1
        if id(obj) not in deleted:
            new = {key: getattr(obj, key) if key in changed else old[key] for key in _SHELF_KEYS}
            if new["status"] == LessonStatus.PUBLISHED:
                deltas[(new["school_id"], Visibility(new["visibility"]))] += 1
    return deltas


def new_shelf_token(conn) -> None:
    """Draw a new lesson_shelf_token (see models.LessonShelfToken): every kept half of the school choices
    read before is stale from this transaction's commit on. One upsert: the first writes of a database
    may meet on the missing row, and the second then waits for the first and overwrites its token."""
    dialect = {"postgresql": postgresql, "sqlite": sqlite}[conn.dialect.name]
    stmt = dialect.insert(LessonShelfToken).values(id=1, token=secrets.randbits(62))
    conn.execute(stmt.on_conflict_do_update(index_elements=[LessonShelfToken.id],
                                            set_={"token": stmt.excluded.token}))


def apply_shelves(conn, deltas: Counter) -> bool:
    """public/commune/school = column + n for each school the deltas touch (one UPDATE per school).

    A school without a row yet gets one counted from the rows (which already hold this flush): its
    first published lesson, or lessons written before the figures (Core inserts). The row is made first
    (zeros, ON CONFLICT DO NOTHING), so two first lessons of a school saved at once meet on it: the
    second waits for the first, then adds its own +1 to the row the first counted. Draws a new shelf
    token when it changes anything; returns whether it did."""
    by_school: dict[int, dict[str, int]] = defaultdict(dict)
    for (school_id, visibility), step in sorted(deltas.items()):
        if step:
            by_school[school_id][_SHELF[visibility]] = step
    if not by_school:
        return False
    new_shelf_token(conn)
    dialect = {"postgresql": postgresql, "sqlite": sqlite}[conn.dialect.name]
    fresh = set(conn.scalars(
        dialect.insert(SchoolLessons)
        .values([{"school_id": sid, "public": 0, "commune": 0, "school": 0} for sid in sorted(by_school)])
        .on_conflict_do_nothing(index_elements=[SchoolLessons.school_id]).returning(SchoolLessons.school_id)))
    if fresh:
        recount_shelves(conn, sorted(fresh))
    for school_id, steps in sorted(by_school.items()):
        if school_id not in fresh:
            done = conn.execute(update(SchoolLessons).where(SchoolLessons.school_id == school_id)
                                .values({column: getattr(SchoolLessons, column) + step
                                         for column, step in steps.items()}))
            if done.rowcount == 0:  # the row went away since (a recount): count the school from the rows
                recount_shelves(conn, [school_id])
    return True


def _insert_missing(conn, user_ids: list[int]):
    """INSERT … ON CONFLICT DO NOTHING of zero rows: safe when two first confirmations meet."""
    dialect = {"postgresql": postgresql, "sqlite": sqlite}[conn.dialect.name]
    return (dialect.insert(CoreReader).values([{"user_id": uid, "confirmed": 0} for uid in user_ids])
            .on_conflict_do_nothing(index_elements=[CoreReader.user_id]))


def apply(conn, deltas: Counter) -> None:
    """confirmed = confirmed + n for each user (one UPDATE per distinct n)."""
    by_step: dict[int, list[int]] = defaultdict(list)
    for user_id, step in sorted(deltas.items()):
        if step:
            by_step[step].append(user_id)
    if not by_step:
        return
    if rising := sorted(uid for step, uids in by_step.items() if step > 0 for uid in uids):
        conn.execute(_insert_missing(conn, rising))
    for step, user_ids in sorted(by_step.items()):
        done = conn.execute(update(CoreReader).where(CoreReader.user_id.in_(user_ids))
                            .values(confirmed=CoreReader.confirmed + step))
        if done.rowcount != len(user_ids):  # a user never counted (before the counters): count from the rows
            recount(conn, user_ids)


def install() -> None:
    """Listen to every session's flushes (idempotent)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "after_flush", _after_flush)


def counting_select():
    """SELECT user_id, confirmed from the rows: core lessons each user confirmed."""
    return (select(LessonRead.user_id, func.count())
            .join(Lesson, Lesson.id == LessonRead.lesson_id)
            .where(Lesson.is_core.is_(true()), LessonRead.confirmed_at.is_not(None))
            .group_by(LessonRead.user_id))


def recount(conn, user_ids: list[int] | None = None) -> None:
    """Count again from the rows (every user, or these): seed-scale after its bulk inserts, tests."""
    stmt, rows = delete(CoreReader), counting_select()
    if user_ids is not None:
        stmt, rows = stmt.where(CoreReader.user_id.in_(user_ids)), rows.where(LessonRead.user_id.in_(user_ids))
    conn.execute(stmt)
    conn.execute(insert(CoreReader).from_select(["user_id", "confirmed"], rows))


def shelves_select():
    """SELECT school_id, public, commune, school from the rows: each school's published lessons by visibility."""
    published = Lesson.status == LessonStatus.PUBLISHED

    def of(visibility: Visibility):
        return func.count(case((Lesson.visibility == visibility, Lesson.id)))

    return (select(Lesson.school_id, of(Visibility.PUBLIC), of(Visibility.COMMUNE), of(Visibility.SCHOOL))
            .where(published).group_by(Lesson.school_id))


def recount_shelves(conn, school_ids: list[int] | None = None) -> None:
    """school_lessons counted again from the lessons (every school, or these): seed-scale, tests."""
    stmt, rows = delete(SchoolLessons), shelves_select()
    if school_ids is not None:
        stmt, rows = stmt.where(SchoolLessons.school_id.in_(school_ids)), rows.where(Lesson.school_id.in_(school_ids))
    conn.execute(stmt)
    conn.execute(insert(SchoolLessons).from_select(["school_id", "public", "commune", "school"], rows))
    new_shelf_token(conn)


# ---- teachers informed (informed_counts) ----------------------------------------------------------------

_TEACHER = Role.TEACHER.value


def _informed_before(session: Session) -> dict:
    """What decides the informed figures, as the database holds it before the flush: the schools whose
    teachers the flush may change (a teacher's membership added, changed or removed; an account whose
    active flag changes or which goes), the users whose teaching the flush may end, and the communes a
    school leaves or joins (its parent or active flag changes, or it goes)."""
    schools: set[int] = set()
    users: set[int] = set()
    communes: set[int] = set()
    for obj in [*session.dirty, *session.deleted]:
        if not inspect(obj).persistent:
            continue
        if isinstance(obj, Membership):
            old = values_before_flush(session, obj, ("unit_id", "role"))
            if Role(old["role"]) == Role.TEACHER:
                schools.add(old["unit_id"])  # where it counted (where it counts now: _informed_after)
        elif isinstance(obj, User):
            changed = obj in session.deleted or inspect(obj).attrs.is_active_account.history.has_changes()
            if changed:
                users.add(obj.id)
        elif isinstance(obj, OrgUnit) and obj.kind == UnitKind.SCHOOL:
            attrs = inspect(obj).attrs
            if obj in session.deleted or any(attrs[key].history.has_changes()
                                             for key in ("parent_id", "parent", "is_active")):
                communes.update(c for c in (values_before_flush(session, obj, ("parent_id",))["parent_id"],)
                                if c is not None)
                schools.add(obj.id)  # its commune now: asked after the flush
    if users:  # where they teach now (a membership this flush ends is among the schools above)
        schools.update(session.connection().scalars(_teaching_at(users)))
    schools.discard(None)
    return {"schools": schools, "communes": communes}


def _teaching_at(user_ids):
    return (select(Membership.unit_id).where(Membership.user_id.in_(sorted(user_ids)), Membership.role == _TEACHER,
                                             Membership.ended_on.is_(None)).distinct())


def _informed_after(session: Session, conn, before: dict | None, readers: list[int]) -> None:
    """Count again the units whose informed figures the flush may have changed: the schools noted before
    it, those where the users whose core_readers row changed teach, and the communes of all of them."""
    schools = set(before["schools"]) if before else set()
    communes = set(before["communes"]) if before else set()
    deleted = {id(o) for o in session.deleted}
    for obj in [*session.new, *session.dirty]:  # where a teacher's membership counts now (its ids are set)
        if isinstance(obj, Membership) and id(obj) not in deleted and Role(obj.role) == Role.TEACHER:
            schools.add(obj.unit_id)
    if readers:
        schools.update(conn.scalars(_teaching_at(readers)))
    if schools:
        communes.update(c for c in conn.scalars(select(OrgUnit.parent_id).where(OrgUnit.id.in_(sorted(schools))))
                        if c is not None)
    if schools or communes:
        recount_informed(conn, sorted(schools | communes))


def informed_select(unit_ids: list[int] | None = None):
    """SELECT unit_id, teachers, informed from the rows, for every school and commune with teachers (or
    for these units): a school's active teachers and the informed among them, as queries.informed_by_school
    counts them, and a commune's over its active schools, each teacher once (queries.informed_teachers)."""
    from schoolhub.lessons.queries import _active_teachers

    teachers = _active_teachers().subquery()
    school = (select(teachers.c.unit_id.label("unit_id"), func.count(func.distinct(teachers.c.user_id)).label("teachers"),
                     func.count(func.distinct(teachers.c.informed_id)).label("informed"))
              .group_by(teachers.c.unit_id))
    commune = (select(OrgUnit.parent_id, func.count(func.distinct(teachers.c.user_id)),
                      func.count(func.distinct(teachers.c.informed_id)))
               .join(OrgUnit, OrgUnit.id == teachers.c.unit_id)
               .where(OrgUnit.kind == UnitKind.SCHOOL, OrgUnit.is_active.is_(True), OrgUnit.parent_id.is_not(None))
               .group_by(OrgUnit.parent_id))
    if unit_ids is not None:
        school = school.where(teachers.c.unit_id.in_(unit_ids))
        commune = commune.where(OrgUnit.parent_id.in_(unit_ids))
    return union_all(school, commune)


def recount_informed(conn, unit_ids: list[int] | None = None) -> None:
    """informed_counts counted again from the rows (every unit, or these): the flushes that touch them,
    seed-scale after its bulk inserts, `flask recount`.

    For some units their rows are locked first (made if missing, ON CONFLICT DO NOTHING), in the order of
    their ids, then counted in a statement of its own: a transaction counting the same unit at the same
    time waits for this one to end, and its count, begun after, sees this one's rows (PostgreSQL's READ
    COMMITTED takes a snapshot per statement; SQLite has one writer at a time)."""
    if unit_ids is None:
        conn.execute(delete(InformedCount))
        conn.execute(insert(InformedCount).from_select(["unit_id", "teachers", "informed"], informed_select()))
        return
    if not unit_ids:
        return
    dialect = {"postgresql": postgresql, "sqlite": sqlite}[conn.dialect.name]
    # The units still there, in the order of their ids, as the lock below (two writers never wait on each other).
    zeros = select(OrgUnit.id, literal(0), literal(0)).where(OrgUnit.id.in_(unit_ids)).order_by(OrgUnit.id)
    conn.execute(dialect.insert(InformedCount).from_select(["unit_id", "teachers", "informed"], zeros)
                 .on_conflict_do_nothing(index_elements=[InformedCount.unit_id]))
    conn.execute(select(InformedCount.unit_id).where(InformedCount.unit_id.in_(unit_ids))
                 .order_by(InformedCount.unit_id).with_for_update()).all()
    found = {row.unit_id: (row.teachers, row.informed) for row in conn.execute(informed_select(unit_ids))}
    conn.execute(update(InformedCount).where(InformedCount.unit_id == bindparam("unit")),
                 [{"unit": uid, "teachers": found.get(uid, (0, 0))[0], "informed": found.get(uid, (0, 0))[1]}
                  for uid in unit_ids])
