"""Read-only queries of the accounts domain, each a fixed number of statements."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, and_, bindparam, event, func, select
from sqlalchemy.orm import Session, contains_eager, joinedload

from schoolhub import worklist
from schoolhub.accounts.models import ClassCount, Membership, OrgUnit, Role, SchoolClass, UnitCount, UnitKind, User
from schoolhub.db import PerDatabase, equals_constant, generic_plan, read_rows


@dataclass
class SchoolCounts:
    """How many active teachers, open classes and active students a school has."""

    teachers: int = 0
    classes: int = 0
    students: int = 0
    admins: int = 0


# Statements every page of a kind runs, built once with their values as parameters (an "expanding" one for
# a list of ids): building one and working out its SQLAlchemy cache key costs a tenth of a millisecond or
# more of Python on every request, about what running it costs.
_SCHOOL_COUNTS = PerDatabase(lambda ids_in: generic_plan(
    select(UnitCount.unit_id, UnitCount.teachers, UnitCount.classes, UnitCount.students, UnitCount.admins)
    .where(ids_in(UnitCount.unit_id, "ids"))))


def school_counts(session: Session, school_ids: list[int]) -> dict[int, SchoolCounts]:
    """Counts for many schools in one statement, from the counters kept on write (accounts.counts)."""
    counts = {sid: SchoolCounts() for sid in school_ids}
    if not school_ids:
        return counts
    rows = session.execute(_SCHOOL_COUNTS(session), {"ids": school_ids})
    for unit_id, teachers, classes, students, admins in rows:
        counts[unit_id] = SchoolCounts(teachers=teachers, classes=classes, students=students, admins=admins)
    return counts


_SCHOOLS_UNDER = "schoolhub.schools_under"


def schools_under(session: Session, unit: OrgUnit, *, active_only: bool = False) -> list[OrgUnit]:
    """Every school in the unit's subtree, by name.

    Asked once per transaction until the session next writes (the officer's home asks it for two
    panels); a flush or the transaction's end forgets it, and pending changes ask again (the query
    flushes them first)."""
    known = session.info.setdefault(_SCHOOLS_UNDER, {})
    key = (unit.path, active_only)
    if key not in known or session.new or session.dirty or session.deleted:  # unflushed changes: ask anew
        low, high = OrgUnit.subtree_bounds(unit.path)
        known[key] = list(session.scalars(_SCHOOLS_UNDER_STMT[active_only], {"low": low, "high": high}))
    return list(known[key])


def schools_and_counts(session: Session, unit: OrgUnit) -> tuple[list[OrgUnit], dict[int, SchoolCounts]]:
    """schools_under(unit) and school_counts of those schools, in one statement (the officer's home shows
    both); the schools are then known to schools_under for the rest of the transaction, as if it had asked."""
    low, high = OrgUnit.subtree_bounds(unit.path)
    schools, counts = [], {}
    for school, teachers, classes, students, admins in session.execute(_SCHOOLS_AND_COUNTS, {"low": low, "high": high}):
        schools.append(school)
        counts[school.id] = SchoolCounts(teachers=teachers or 0, classes=classes or 0, students=students or 0,
                                         admins=admins or 0)
    if not (session.new or session.dirty or session.deleted):  # as schools_under keeps them
        session.info.setdefault(_SCHOOLS_UNDER, {})[(unit.path, False)] = list(schools)
    return schools, counts


_SCHOOLS_UNDER_STMT = {
    active_only: generic_plan(select(OrgUnit).where(OrgUnit.kind == UnitKind.SCHOOL, OrgUnit.path >= bindparam("low"),
                                                    OrgUnit.path < bindparam("high"),
                                                    *([OrgUnit.is_active.is_(True)] if active_only else []))
                              .order_by(OrgUnit.name))
    for active_only in (False, True)}


_SCHOOLS_AND_COUNTS = generic_plan(
    _SCHOOLS_UNDER_STMT[False].add_columns(UnitCount.teachers, UnitCount.classes, UnitCount.students, UnitCount.admins)
    .outerjoin(UnitCount, UnitCount.unit_id == OrgUnit.id))


@event.listens_for(Session, "after_flush")
@event.listens_for(Session, "after_transaction_end")
def _forget_schools_under(session: Session, *_args) -> None:
    session.info.pop(_SCHOOLS_UNDER, None)


def classes_with_sizes(session: Session, schools: list[OrgUnit], *,
                       open_only: bool = False) -> tuple[dict[int, list[ClassInfo]], dict[int, int]]:
    """The schools' classes (by school, in classes_of's order) and each one's active students (current
    memberships of active accounts, kept on write in class_counts; a class without any is absent), in one
    statement for all the schools: counts_and_classes without the schools' counters."""
    _counts, classes, sizes = counts_and_classes(session, schools, open_only=open_only)
    return classes, sizes


@dataclass(frozen=True)
class ClassInfo:
    """What the home and school pages show of a class (read as columns, not as an ORM object)."""

    id: int
    name: str
    grade: int
    school_year: str
    is_active: bool


def counts_and_classes(session: Session, schools: list[OrgUnit], *, open_only: bool = False
                       ) -> tuple[dict[int, SchoolCounts], dict[int, list[ClassInfo]], dict[int, int]]:
    """school_counts and classes_with_sizes of the schools together, in one statement (the staff's home
    page and a school's page show both: one statement fewer is a round trip and its Python, about a third
    of a millisecond). The sizes are kept on write (class_counts, accounts.counts): counting each class's
    memberships read every student of the school with their account, 1 ms for 400 at the province preset."""
    counts = {school.id: SchoolCounts() for school in schools}
    classes: dict[int, list[ClassInfo]] = {school.id: [] for school in schools}
    sizes: dict[int, int] = {}
    if not schools:
        return counts, classes, sizes
    for row in read_rows(session, _COUNTS_AND_CLASSES[open_only](session), {"ids": list(counts)}):
        if row.teachers is not None:
            counts[row.unit_id] = SchoolCounts(teachers=row.teachers, classes=row.classes, students=row.students,
                                               admins=row.admins)
        if row.class_id is not None:
            classes[row.unit_id].append(ClassInfo(row.class_id, row.class_name, row.grade, row.school_year,
                                                  bool(row.class_active)))
            if row.size:
                sizes[row.class_id] = row.size
    return counts, classes, sizes


def _counts_and_classes(open_only: bool, ids_in) -> Select:
    # From the schools themselves: a school without a counters row or without a class still has its row.
    # The schools' ids are asked of the counters and the classes too, in their join conditions: the generic
    # plan (one for every list of ids) otherwise hashed every class of the province (4,501 rows read, 0.9 ms
    # at the province preset) and every school's counters to join the one school a teacher's home shows;
    # so it reads them by their indexes (school_id leads the classes' unique index).
    return (select(OrgUnit.id.label("unit_id"), UnitCount.teachers, UnitCount.classes, UnitCount.students,
                   UnitCount.admins, SchoolClass.id.label("class_id"), SchoolClass.name.label("class_name"),
                   SchoolClass.grade, SchoolClass.school_year, SchoolClass.is_active.label("class_active"),
                   ClassCount.students.label("size"))
            .select_from(OrgUnit)
            .outerjoin(UnitCount, and_(UnitCount.unit_id == OrgUnit.id, ids_in(UnitCount.unit_id, "ids")))
            .outerjoin(SchoolClass, and_(SchoolClass.school_id == OrgUnit.id, ids_in(SchoolClass.school_id, "ids"),
                                         *([SchoolClass.is_active.is_(True)] if open_only else [])))
            .outerjoin(ClassCount, ClassCount.class_id == SchoolClass.id)
            .where(ids_in(OrgUnit.id, "ids"))
            .order_by(OrgUnit.id, SchoolClass.school_year.desc(), SchoolClass.grade, SchoolClass.name))


_COUNTS_AND_CLASSES = {open_only: PerDatabase(lambda ids_in, open_only=open_only: generic_plan(
    _counts_and_classes(open_only, ids_in))) for open_only in (False, True)}


def classes_of(session: Session, school: OrgUnit, *, open_only: bool = False,
               school_year: str | None = None) -> list[SchoolClass]:
    """A school's classes (optionally of one school year), newest year first, then by grade and name."""
    return list(session.scalars(_CLASSES_OF[bool(school_year), open_only],
                                {"school_id": school.id, "school_year": school_year}))


_CLASSES_OF = {
    (of_year, open_only): generic_plan(select(SchoolClass).where(
        SchoolClass.school_id == bindparam("school_id"),
        *([SchoolClass.school_year == bindparam("school_year")] if of_year else []),
        *([SchoolClass.is_active.is_(True)] if open_only else []))
    .order_by(SchoolClass.school_year.desc(), SchoolClass.grade, SchoolClass.name))
    for of_year in (False, True) for open_only in (False, True)}


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
        .order_by(OrgUnit.path, Membership.role, User.name_sort, Membership.id)
    )
    if unit is not None:
        stmt = stmt.where(unit.subtree())
    return list(session.scalars(stmt))




def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def waiting_for_first_login(session: Session, school: OrgUnit, role: Role,
                            class_id: int | None = None) -> list[User]:
    """Active accounts of the school (a class's students) still on a one-time password, by name."""
    stmt = (select(User).join(Membership, Membership.user_id == User.id)
            .where(Membership.unit_id == school.id, Membership.role == role, User.is_active_account.is_(True),
                   User.must_change_password.is_(True))
            .options(contains_eager(User.memberships)))
    if class_id:
        stmt = stmt.where(Membership.class_id == class_id)
    return list(session.scalars(stmt.order_by(User.name_sort, User.id)).unique())


_ADMINS_OF = PerDatabase(lambda ids_in: generic_plan(
    select(Membership.unit_id, User).join(User, User.id == Membership.user_id)
    .where(ids_in(Membership.unit_id, "ids"),
           equals_constant(Membership.role, Role.SCHOOL_ADMIN.value),
           Membership.ended_on.is_(None))
    .order_by(User.name_sort, User.id)))


def admins_of(session: Session, school_ids: list[int]) -> dict[int, list[User]]:
    """The admins of each school, by name, in one statement."""
    found: dict[int, list[User]] = {sid: [] for sid in school_ids}
    if school_ids:
        rows = session.execute(_ADMINS_OF(session), {"ids": school_ids})
        for unit_id, user in rows:
            found[unit_id].append(user)
    return found


# The worklist's two counts read the figures kept on write (unit_counts, class_counts: see
# accounts.counts), which every page of an officer or admin asks for its badge: a school's admins or a
# class's students are one row each, not a join over the school's memberships (an admin's badge read a
# school's 420 student memberships on every page). They count as the pages show: an admin or student
# is someone active holding a current membership, so the badge and the lists never disagree.


def count_schools_without_admin(commune: OrgUnit):
    """A scalar SELECT: how many active schools of the commune have no active admin (for the worklist)."""
    return (select(func.count(OrgUnit.id))
            .outerjoin(UnitCount, UnitCount.unit_id == OrgUnit.id)
            .where(OrgUnit.parent_id == commune.id, OrgUnit.kind == UnitKind.SCHOOL,
                   OrgUnit.is_active.is_(True), func.coalesce(UnitCount.admins, 0) == 0)
            .scalar_subquery())


def count_empty_classes(school: OrgUnit):
    """A scalar SELECT: how many open classes of the school have no active student yet (for the worklist)."""
    # Each class's size by its key (a correlated subquery): as a join, the generic plan (db.generic_plan)
    # hashed every class's counter of the province, 0.5 ms, for a school's dozen classes.
    size = (select(ClassCount.students).where(ClassCount.class_id == SchoolClass.id)
            .correlate(SchoolClass).scalar_subquery())
    return (select(func.count(SchoolClass.id))
            .where(SchoolClass.school_id == school.id, SchoolClass.is_active.is_(True),
                   func.coalesce(size, 0) == 0)
            .scalar_subquery())


# One round trip: the user, their memberships, units and classes (every page's layout reads them). Built
# once: a statement object reused keeps its cache key, which SQLAlchemy would otherwise work out again
# from the joined loads on every request.
_USER_FOR_SESSION = generic_plan(select(User).where(User.id == bindparam("user_id"))
                     .options(joinedload(User.memberships).joinedload(Membership.unit),
                              joinedload(User.memberships).joinedload(Membership.school_class)))


def user_for_session(session: Session, user_id: str) -> User | None:
    """The user a session or remember-cookie names ("<id>:<token>"), if the token still matches."""
    import secrets

    from schoolhub.pagination import small_int

    raw_id, _, token = (user_id or "").partition(":")
    if small_int(raw_id) is None or not token:
        return None
    # With the to-do badge's questions when they are known (worklist.joined_to): one round trip for both.
    stmt, asked = worklist.joined_to(_USER_FOR_SESSION, int(raw_id))
    row = session.execute(stmt, {"user_id": int(raw_id)}).unique().one_or_none()
    user = row[0] if row is not None else None
    if user is None or not secrets.compare_digest(user.session_token, token):
        return None
    worklist.accept_joined(user, _USER_FOR_SESSION, asked, row[1:])
    return user


# ---- the audit log -----------------------------------------------------------

def _audit_in(unit: OrgUnit):
    """Entries about the unit or any unit under it (paths are digits and slashes: nothing to escape)."""
    from schoolhub.audit import AuditLog

    under = select(OrgUnit.id).where(OrgUnit.path.like(f"{unit.path}%"))
    return AuditLog.unit_id.in_(under.scalar_subquery())


def audit_entries(unit: OrgUnit, *, actor_id: int | None = None, action: str | None = None,
                  since: datetime | None = None, before: datetime | None = None) -> Select:
    """The unit's audit log, newest first, filtered by person, action and a span of time."""
    from sqlalchemy.orm import joinedload

    from schoolhub.audit import AuditLog

    stmt = select(AuditLog).where(_audit_in(unit)).options(joinedload(AuditLog.actor))
    if actor_id is not None:
        stmt = stmt.where(AuditLog.actor_id == actor_id)
    if action:
        stmt = stmt.where(AuditLog.action == action)
    if since is not None:
        stmt = stmt.where(AuditLog.created_at >= since)
    if before is not None:
        stmt = stmt.where(AuditLog.created_at < before)
    return stmt.order_by(AuditLog.created_at.desc(), AuditLog.id.desc())


def audit_choices(session: Session, unit: OrgUnit) -> tuple[list[tuple[int, str]], list[str]]:
    """The people and the actions that appear in the unit's log (for the filter's lists), in two statements."""
    from schoolhub.audit import AuditLog

    actors = session.execute(
        select(User.id, User.full_name).where(User.id.in_(
            select(AuditLog.actor_id).where(_audit_in(unit), AuditLog.actor_id.is_not(None)).scalar_subquery()))
        .order_by(User.name_sort, User.id)).all()
    actions = session.scalars(select(AuditLog.action).where(_audit_in(unit)).distinct().order_by(AuditLog.action))
    return [(a.id, a.full_name) for a in actors], list(actions)
