"""Who may write, read, mark, copy and follow lessons; beside each listing rule its SQL twin."""
from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.orm import aliased

from schoolhub.accounts.models import OrgUnit, Role, UnitKind
from schoolhub.accounts.policy import is_commune_officer, is_school_staff
from schoolhub.lessons.models import Lesson, LessonStatus, Visibility
from schoolhub.policy import define, has_role, is_authenticated, is_related, memberships, rule, scope, units_where

CREATE_LESSON = define("create_lesson", "obj: school — write lessons for it")
VIEW_LESSON = define("view_lesson", "obj: lesson — read it; also asked for visitors (public lessons)")
EDIT_LESSON = define("edit_lesson", "obj: lesson — content, attachments, status, revisions")
MARK_CORE = define("mark_core", "obj: lesson — the 'core Resolution 57 material' flag")
COPY_LESSON = define("copy_lesson", "obj: lesson — into one's own school as a new draft")
VIEW_READERS = define("view_readers", "obj: lesson — reader counts by role")
CONFIRM_CORE = define("confirm_core", "obj: school — its staff are asked to confirm core material as read")
VIEW_INFORMED = define("view_informed", "obj: commune — how many of its teachers confirmed core material")


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


def _units_under(paths) -> ColumnElement[bool]:
    """Lessons whose school lies on or under any of these unit paths.

    The subquery never correlates with an OrgUnit of the enclosing query (correlate(None)).
    """
    unit = aliased(OrgUnit)
    return Lesson.school_id.in_(
        select(unit.id).where(or_(*[_subtree(unit, p) for p in sorted(paths)])).correlate(None))


def _subtree(unit, path: str) -> ColumnElement[bool]:
    return OrgUnit.subtree_of(path, unit.path)


@scope(VIEW_LESSON, Lesson)
def visible_lessons(user) -> ColumnElement[bool]:
    """The WHERE clause for exactly the lessons can_view_lesson allows."""
    published = Lesson.status == LessonStatus.PUBLISHED
    clauses = [and_(published, Lesson.visibility == Visibility.PUBLIC)]
    if not is_authenticated(user):
        return or_(*clauses)
    ms = memberships(user)
    if not ms:
        return or_(*clauses)
    reach = {m.unit.path for m in ms}
    # A commune lesson is for everyone of the school's commune: a school's people reach their commune.
    commune_reach = {_parent_path(m.unit.path) if m.unit.kind == UnitKind.SCHOOL else m.unit.path for m in ms}
    clauses.append(and_(published, Lesson.visibility == Visibility.COMMUNE, _units_under(commune_reach)))
    clauses.append(and_(published, Lesson.visibility == Visibility.SCHOOL, _units_under(reach)))
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


@rule(EDIT_LESSON)
def can_edit_lesson(user, lesson: Lesson) -> bool:
    """The author, while teaching at the lesson's school, and the school's admins."""
    return _is_author_or_admin(user, lesson)


@rule(MARK_CORE)
def can_mark_core(user, lesson: Lesson) -> bool:
    """The school's admins and the commune's officers."""
    return has_role(user, Role.SCHOOL_ADMIN, lesson.school) or has_role(user, Role.OFFICER, lesson.school)


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
    """Teachers and admins of a school are asked to confirm core material as read."""
    return is_school_staff(user, school)


@rule(VIEW_INFORMED)
def can_view_informed(user, commune: OrgUnit) -> bool:
    """The commune's officers follow how many of its teachers confirmed core material."""
    return is_commune_officer(user, commune)
