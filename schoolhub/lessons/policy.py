"""Who may write, read, mark, copy and follow lessons; beside each listing rule its SQL twin."""
from __future__ import annotations

from sqlalchemy import (
    ColumnElement,
    Integer,
    and_,
    case,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
    union,
    union_all,
)
from sqlalchemy.orm import aliased

from schoolhub.accounts.models import OrgUnit, Role, UnitKind
from schoolhub.accounts.policy import is_commune_officer, is_school_staff
from schoolhub.db import equals_constant, like_constant
from schoolhub.lessons.models import Lesson, LessonStatus, SchoolLessons, Visibility
from schoolhub.policy import (
    define,
    has_role,
    is_authenticated,
    is_related,
    memberships,
    rule,
    scope,
    shared_clause,
    units_where,
)

CREATE_LESSON = define("create_lesson", "obj: school — write lessons for it")
VIEW_LESSON = define("view_lesson", "obj: lesson — read it; also asked for visitors (public lessons)")
EDIT_LESSON = define("edit_lesson", "obj: lesson — content, attachments, status, revisions")
MARK_CORE = define("mark_core", "obj: lesson — the 'core Resolution 57 material' flag")
COPY_LESSON = define("copy_lesson", "obj: lesson — into one's own school as a new draft")
VIEW_READERS = define("view_readers", "obj: lesson — reader counts by role")
CONFIRM_CORE = define("confirm_core", "obj: school — its teachers, admins and students have core material to confirm on their worklist")
CONFIRM_LESSON = define("confirm_lesson", "obj: lesson — the user is asked to confirm this core material as read")
VIEW_INFORMED = define("view_informed", "obj: commune — how many of its teachers confirmed core material")
READ_HELP = define("read_help", "obj: none — how to write and format a lesson, for anyone")
VIEW_CONFIRMATIONS = define("view_confirmations",
                            "obj: school — the names of its teachers who have and have not confirmed core material")


@rule(CREATE_LESSON)
def can_create_lesson(user, school: OrgUnit) -> bool:
    """Teachers and admins of an active school write lessons for it."""
    return school.is_active and is_school_staff(user, school)


def lesson_schools(user) -> list[OrgUnit]:
    """The schools where the user may write lessons."""
    return units_where(user, CREATE_LESSON)


def _is_author_or_admin(user, lesson: Lesson) -> bool:
    if not is_authenticated(user):
        return False
    if has_role(user, Role.SCHOOL_ADMIN, lesson.school):
        return True
    # An author who has left the school no longer edits its lessons.
    return lesson.author_id == user.id and has_role(user, Role.TEACHER, lesson.school)


@rule(VIEW_LESSON, anonymous=True)
def can_view_lesson(user, lesson: Lesson) -> bool:
    """Published public lessons to anyone; school and commune lessons to related users; drafts and
    archived lessons to their author and the school's admins."""
    if lesson.status != LessonStatus.PUBLISHED:
        return _is_author_or_admin(user, lesson)
    if lesson.visibility == Visibility.PUBLIC:
        return True
    if not is_authenticated(user):
        return False
    if lesson.visibility == Visibility.COMMUNE:
        return lesson.school.parent is not None and is_related(user, lesson.school.parent)
    return is_related(user, lesson.school)


def _parent_path(path: str) -> str:
    """'/1/7/42/' → '/1/7/': the commune of a school, from its path alone."""
    parts = [p for p in path.split("/") if p]
    return "/" + "".join(f"{p}/" for p in parts[:-1]) if len(parts) > 1 else path


# One alias for every subquery of the scope, made once: building an alias per request cost milliseconds.
_REACH = aliased(OrgUnit, name="reach_units")


def _units_under(paths, school_id=Lesson.school_id) -> ColumnElement[bool]:
    """Lessons (or other rows, by their `school_id` column) whose school lies on or under any of these
    unit paths.

    The subquery never correlates with an OrgUnit of the enclosing query (correlate(None)).
    """
    return school_id.in_(
        select(_REACH.id).where(or_(*[_subtree(_REACH, p) for p in sorted(paths)])).correlate(None))


def _subtree(unit, path: str) -> ColumnElement[bool]:
    return OrgUnit.subtree_of(path, unit.path)


@scope(VIEW_LESSON, Lesson)
def visible_lessons(user) -> ColumnElement[bool]:
    """The WHERE clause for exactly the lessons can_view_lesson allows (built once per process and principal)."""
    return shared_clause("visible_lessons", user, _visible_lessons)


def visible_published_lessons(user) -> ColumnElement[bool]:
    """visible_lessons and published, the lists' and searches' scope, written without the drafts' branch:
    status = published AND (public OR the user's communes' commune lessons OR the user's schools' school
    lessons). The same lessons; PostgreSQL no longer plans (and a search's tiers no longer carry, in each
    of their eight parts) a branch that can never hold (built once per process and principal)."""
    return shared_clause("visible_published_lessons", user, lambda u: _visible_lessons(u, published_only=True))


def _visible_lessons(user, published_only: bool = False) -> ColumnElement[bool]:
    # The status written into the SQL: a generic plan then knows that most lessons are published, and
    # never narrows a search's few matches by the status index (a BitmapAnd with every published lesson,
    # 2.2 ms at the province preset, where the joins' index had found 564).
    published = equals_constant(Lesson.status, LessonStatus.PUBLISHED.value)
    clauses = [Lesson.visibility == Visibility.PUBLIC]
    ms = memberships(user) if is_authenticated(user) else []
    if ms:
        reach, commune_reach = _reach(ms)
        clauses.append(and_(Lesson.visibility == Visibility.COMMUNE, _units_under(commune_reach)))
        clauses.append(and_(Lesson.visibility == Visibility.SCHOOL, _units_under(reach)))
    if published_only:
        return and_(published, or_(*clauses))
    clauses = [and_(published, clause) for clause in clauses]
    if not ms:
        return or_(*clauses)
    # Drafts and archived lessons: the school's admins, and the author while teaching there.
    own = []
    admin_paths = {m.unit.path for m in ms if m.role == Role.SCHOOL_ADMIN}
    if admin_paths:
        own.append(_units_under(admin_paths))
    teacher_paths = {m.unit.path for m in ms if m.role == Role.TEACHER}
    if teacher_paths:
        own.append(and_(Lesson.author_id == user.id, _units_under(teacher_paths)))
    clauses.append(and_(Lesson.status != LessonStatus.PUBLISHED, or_(*own) if own else false()))
    return or_(*clauses)


def _reach(ms) -> tuple[set[str], set[str]]:
    """The unit paths under which the user reads school lessons, and those under which commune lessons."""
    reach = {m.unit.path for m in ms}
    # A commune lesson is for everyone of the school's commune: a school's people reach their commune.
    commune_reach = {_parent_path(m.unit.path) if m.unit.kind == UnitKind.SCHOOL else m.unit.path for m in ms}
    return reach, commune_reach


# A published lesson's place in PostgreSQL's reach walk index (migration 0021, ix_lessons_reach_walk): its
# visibility, then its school, or 0 for every public lesson, so that all of them lie in one range. Written
# as the index has it: the planner matches the expression's text, so its constants are never parameters.
REACH_SCHOOL = literal_column("CASE WHEN lessons.visibility = 'public' THEN 0 ELSE lessons.school_id END", Integer)


def walks_by_reach(user) -> bool:
    """Whether reach_walk_keys has keys for the user: not for a reader above the communes (a province's
    officer reaches every school, two ranges each: the walk would read most of the index)."""
    ms = memberships(user) if is_authenticated(user) else []
    return all(m.unit.kind in (UnitKind.SCHOOL, UnitKind.COMMUNE) for m in ms)


def reach_walk_keys(user):
    """The (visibility, school) keys of REACH_SCHOOL under which lie exactly the published lessons
    visible_published_lessons lets the user read, as a subquery of rows: ("public", 0), ("commune", s) for
    every unit s under the paths whose commune lessons the user reads, ("school", s) under those whose
    school lessons. The units are read as the statement runs, so a school opened since is among them. A
    search walks each key's range of the index in list order (lessons.queries._head_statement), reading only
    lessons the user may read.

    None for a reader above the communes (walks_by_reach)."""
    if not walks_by_reach(user):
        return None
    ms = memberships(user) if is_authenticated(user) else []
    keys = [select(literal(Visibility.PUBLIC.value).label("visibility"), literal(0, Integer).label("school"))]
    if ms:
        reach, commune_reach = _reach(ms)
        for visibility, paths in ((Visibility.COMMUNE, commune_reach), (Visibility.SCHOOL, reach)):
            keys.append(select(literal(visibility.value).label("visibility"), _REACH.id.label("school"))
                        .where(or_(*[_subtree(_REACH, p) for p in sorted(paths)])).correlate(None))
    return union_all(*keys).subquery("reach_keys")


def readable_of_school(user) -> ColumnElement[int]:
    """How many of a school's published lessons (a school_lessons row, kept on write) the user may read:
    the published half of visible_lessons, asked of the kept figures (built once per process and
    principal). Its public lessons, its commune lessons when the user reaches its commune, its school
    lessons when the user reaches the school."""
    return shared_clause("readable_of_school", user, _readable_of_school)


def _readable_of_school(user) -> ColumnElement[int]:
    if not (memberships(user) if is_authenticated(user) else []):
        return SchoolLessons.public
    return SchoolLessons.public + own_of_school(user)[0]


def own_of_school(user) -> tuple[ColumnElement[int], ColumnElement[bool]]:
    """readable_of_school in two halves: the public lessons of a school are everyone's, and what the user
    may read beyond them is (how many, of a school_lessons row; the schools where that may be more than
    none), its commune lessons when the user reaches its commune, its school lessons when the user reaches
    the school. Built once per process and principal."""
    return shared_clause("own_of_school", user, _own_of_school)


def reached_units(user):
    """The units under the reader's reach, each once: a subquery of (id, name, path), one arm per path
    range, or None for a reader of no unit. For a statement built once per principal and kept
    (policy.shared_clause), with own_of_reached over its columns.

    It serves a statement that counts what the reader may read school by school (the lesson shelf):
    each range is an index-only scan of the dozen units it holds (PostgreSQL's covering index of the
    paths, migration 0019), names included, and the 300 school_lessons rows are matched against that
    dozen once. Asked as own_of_school asks, the shelf tested each of the 300 rows against the ranges'
    subqueries (each reading all 326 units) and hashed all 326 units for the names: 0.33 ms at the
    province preset for a teacher's shelf, 0.10–0.13 ms now (EXPLAIN ANALYZE, generic plan)."""
    ms = memberships(user) if is_authenticated(user) else []
    if not ms:
        return None
    reach, commune_reach = _reach(ms)
    arms = [select(OrgUnit.id, OrgUnit.name, OrgUnit.path).where(_subtree(OrgUnit, path))
            for path in sorted(reach | commune_reach)]
    # UNION, not UNION ALL: a school's range lies inside its commune's, and a unit counts once.
    return (union(*arms) if len(arms) > 1 else arms[0]).subquery("reached_units")


def own_of_reached(user, unit) -> ColumnElement[int]:
    """own_of_school's count for a unit of reached_units (`unit`: the subquery's columns), joined to its
    school_lessons row: the unit's path is tested on that row, no subquery of the units."""
    return _own_of_school(user, unit=unit)[0]


def _own_of_school(user, unit=None) -> tuple[ColumnElement[int], ColumnElement[bool]]:
    ms = memberships(user) if is_authenticated(user) else []
    if not ms:
        return literal(0), false()
    reach, commune_reach = _reach(ms)
    if unit is None:
        commune = _units_under(commune_reach, SchoolLessons.school_id)
        school = _units_under(reach, SchoolLessons.school_id)
    else:  # the school's own unit row, joined on school_lessons.school_id: its path is the school's
        commune = or_(*[_subtree(unit, p) for p in sorted(commune_reach)])
        school = or_(*[_subtree(unit, p) for p in sorted(reach)])
    return (case((commune, SchoolLessons.commune), else_=0) + case((school, SchoolLessons.school), else_=0),
            or_(commune, school))


@rule(EDIT_LESSON)
def can_edit_lesson(user, lesson: Lesson) -> bool:
    """The author, while teaching at the lesson's school, and the school's admins."""
    return _is_author_or_admin(user, lesson)


@rule(MARK_CORE)
def can_mark_core(user, lesson: Lesson) -> bool:
    """The commune's officers; the school's admins too, unless an officer made it the commune's core material."""
    if has_role(user, Role.OFFICER, lesson.school):
        return True
    return has_role(user, Role.SCHOOL_ADMIN, lesson.school) and (
        not lesson.is_core or lesson.core_scope_id == lesson.school_id)


def core_scope_for(user, lesson: Lesson) -> OrgUnit:
    """Whose people the user's core flag asks: the whole commune for its officers, else the lesson's school."""
    if has_role(user, Role.OFFICER, lesson.school) and lesson.school.parent is not None:
        return lesson.school.parent
    return lesson.school


@rule(COPY_LESSON)
def can_copy_lesson(user, lesson: Lesson) -> bool:
    """Published commune or public lessons the user can read, into a school they write for."""
    return (lesson.is_published and lesson.visibility in (Visibility.COMMUNE, Visibility.PUBLIC)
            and can_view_lesson(user, lesson) and bool(lesson_schools(user)))


@rule(VIEW_READERS)
def can_view_readers(user, lesson: Lesson) -> bool:
    """The author, the school's admins and the commune's officers."""
    return _is_author_or_admin(user, lesson) or has_role(user, Role.OFFICER, lesson.school)


@rule(CONFIRM_CORE)
def is_asked_to_confirm_core(user, school: OrgUnit) -> bool:
    """Teachers, admins and students of a school have the core material they are asked about on their
    worklist (which lessons ask whom is CONFIRM_LESSON: a lesson for teachers never asks a student)."""
    return school.kind == UnitKind.SCHOOL and any(has_role(user, role, school) for role in _ASKED_WHEN_NONE_NAMED)


# Who each audience of a lesson is, among the people with accounts (parents have none).
_AUDIENCE_ROLES = {"teachers": (Role.TEACHER, Role.SCHOOL_ADMIN), "students": (Role.STUDENT,)}
_ASKED_WHEN_NONE_NAMED = (Role.TEACHER, Role.SCHOOL_ADMIN, Role.STUDENT)


def asked_roles(lesson: Lesson) -> set[Role]:
    """The roles a core lesson asks, from the audiences it names; naming none, it is for everyone."""
    keys = lesson.audience_keys
    if not keys:
        return set(_ASKED_WHEN_NONE_NAMED)
    return {role for key in keys for role in _AUDIENCE_ROLES.get(key, ())}


def _unit_and_above(unit: OrgUnit) -> list[int]:
    """The ids of a unit and of every unit above it, read from its path ('/1/7/42/' → [1, 7, 42])."""
    return [int(part) for part in unit.path.split("/") if part]


@rule(CONFIRM_LESSON)
def is_asked_to_confirm(user, lesson: Lesson) -> bool:
    """Published core material asks the people of its scope (the school, or the commune when an officer
    marked it) whose role is among the audiences it names (none named: everyone), if they may read it."""
    if not (lesson.is_core and lesson.status == LessonStatus.PUBLISHED):
        return False
    roles = asked_roles(lesson)
    in_scope = any(m.role in roles and lesson.core_scope_id in _unit_and_above(m.unit) for m in memberships(user))
    return in_scope and can_view_lesson(user, lesson)


def _audience_clause(role: Role) -> ColumnElement[bool]:
    """Lessons naming no audience, or one that `role` belongs to."""
    keys = [key for key, roles in _AUDIENCE_ROLES.items() if role in roles]
    # The patterns written into the SQL (db.like_constant): SQLite would prepare the statement again on every
    # run, and this clause sits in the to-do badge's questions, which every page's user load carries.
    return or_(Lesson.audiences == "", *[like_constant(Lesson.audiences, f"%,{key},%") for key in keys])


@scope(CONFIRM_LESSON, Lesson)
def lessons_to_confirm(user) -> ColumnElement[bool]:
    """The WHERE clause for exactly the lessons is_asked_to_confirm allows (built once per principal)."""
    return shared_clause("lessons_to_confirm", user, _lessons_to_confirm)


def _lessons_to_confirm(user) -> ColumnElement[bool]:
    clauses = []
    for m in memberships(user):
        if m.role not in _ASKED_WHEN_NONE_NAMED:
            continue
        above = _unit_and_above(m.unit)
        # core_scope_id in SQL: the unit that marked it, else its school (ix_lessons_core_scope serves it).
        # One parameter per unit, not an expanding list: an expanding IN makes SQLAlchemy rewrite the SQL
        # of the statement carrying it on every run, and this clause rides on every page's user statement
        # (its 5 KB rewritten, about 0.1 ms a page). The SQL sent is the same: IN ($1, $2, $3).
        in_scope = func.coalesce(Lesson.core_unit_id, Lesson.school_id).in_([literal(unit_id) for unit_id in above])
        clauses.append(and_(in_scope, _audience_clause(m.role)))
    if not clauses:
        return false()
    # "= true", not "IS true": PostgreSQL can only use the index for an equality.
    return and_(Lesson.is_core == true(), Lesson.status == LessonStatus.PUBLISHED, or_(*clauses),
                visible_lessons(user))


@rule(VIEW_INFORMED)
def can_view_informed(user, commune: OrgUnit) -> bool:
    """The commune's officers follow how many of its teachers confirmed core material."""
    return is_commune_officer(user, commune)


@rule(VIEW_CONFIRMATIONS)
def can_view_confirmations(user, school: OrgUnit) -> bool:
    """Teachers are staff: the school's admins and the commune's officers see which of them confirmed
    core material (students' names never leave their school, and are not listed here at all)."""
    return school.kind == UnitKind.SCHOOL and (
        has_role(user, Role.SCHOOL_ADMIN, school) or has_role(user, Role.OFFICER, school))


class _Member:
    """A membership as the rules read it (role and unit), for `teacher_of`."""

    def __init__(self, role: Role, unit: OrgUnit):
        self.role, self.unit = role, unit


class _AnyTeacherOf:
    """Any teacher of a school, as a principal: what CONFIRM_LESSON asks of them is what the school's
    figures count (so a figure and the teachers' worklists can never disagree)."""

    is_authenticated = True
    id = 0  # nobody: such a principal authors nothing

    def __init__(self, school: OrgUnit):
        self.memberships = [_Member(Role.TEACHER, school)]


def teachers_of(school: OrgUnit) -> _AnyTeacherOf:
    """Any teacher of the school, as a principal (its principal_key holds the school's id, path and kind)."""
    return _AnyTeacherOf(school)


def core_lessons_for_teachers_of(school: OrgUnit) -> ColumnElement[bool]:
    """The WHERE clause of the core lessons the school's teachers are asked to confirm."""
    return lessons_to_confirm(_AnyTeacherOf(school))


@rule(READ_HELP, anonymous=True)
def can_read_help(user, _nothing=None) -> bool:
    """The help on writing a lesson is for anyone, logged in or not (it shows nobody's data)."""
    return True
