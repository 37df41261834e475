"""Every authorization rule of schoolhub, in one place.

Views load an object (404 when it is missing or private to another school),
then call `require(action, obj)`; templates call `can(action, obj)` to show or
hide the same buttons, so the two never drift apart.
"""
from __future__ import annotations

import enum
from collections.abc import Callable

from flask import abort
from flask_login import current_user

from schoolhub.accounts.models import Membership, OrgUnit, Role, UnitKind, User
from schoolhub.lessons.models import LessonStatus, Visibility


class Action(enum.StrEnum):
    """The one vocabulary of things a user may be allowed to do."""

    MANAGE_SCHOOLS = "manage_schools"  # obj: commune — register, edit, deactivate its schools
    APPOINT_SCHOOL_ADMIN = "appoint_school_admin"  # obj: school
    VIEW_SCHOOL = "view_school"  # obj: school — its name, counts and classes
    VIEW_ROSTER = "view_roster"  # obj: school — names of its teachers and students
    MANAGE_PEOPLE = "manage_people"  # obj: school — teachers, students, classes, imports
    MANAGE_USER = "manage_user"  # obj: user — edit, deactivate, reset password
    VIEW_AUDIT = "view_audit"  # obj: unit
    CREATE_LESSON = "create_lesson"  # obj: school
    VIEW_LESSON = "view_lesson"  # obj: lesson — also asked for anonymous visitors (public lessons)
    EDIT_LESSON = "edit_lesson"  # obj: lesson — content, attachments, status, revisions
    MARK_CORE = "mark_core"  # obj: lesson — the "core Resolution 57 material" flag
    COPY_LESSON = "copy_lesson"  # obj: lesson — into one's own school as a new draft
    VIEW_READERS = "view_readers"  # obj: lesson — reader counts by role


def memberships(user) -> list[Membership]:
    """The user's memberships (loaded with their units when the user was loaded)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    return list(user.memberships)


def has_role(user, role: Role, unit: OrgUnit) -> bool:
    """True when the user holds `role` on `unit` or on a unit above it."""
    return any(m.role == role and m.unit.contains(unit) for m in memberships(user))


def roles(user) -> set[Role]:
    """Every role the user holds anywhere."""
    return {m.role for m in memberships(user)}


def is_related(user, unit: OrgUnit) -> bool:
    """True when the unit is one of the user's own, lies under one, or lies above one.

    Anything else (a sibling school, another commune) is private: views answer 404.
    """
    return any(m.unit.contains(unit) or unit.contains(m.unit) for m in memberships(user))


def _manage_schools(user, commune: OrgUnit) -> bool:
    return commune.kind == UnitKind.COMMUNE and has_role(user, Role.OFFICER, commune)


def _appoint_admin(user, school: OrgUnit) -> bool:
    return school.kind == UnitKind.SCHOOL and has_role(user, Role.OFFICER, school)


def _view_school(user, school: OrgUnit) -> bool:
    return is_related(user, school)


def _view_roster(user, school: OrgUnit) -> bool:
    # Students are children: only their own school's staff see the lists.
    return has_role(user, Role.SCHOOL_ADMIN, school) or has_role(user, Role.TEACHER, school)


def _manage_people(user, school: OrgUnit) -> bool:
    return school.kind == UnitKind.SCHOOL and has_role(user, Role.SCHOOL_ADMIN, school)


def _manage_user(user, target: User) -> bool:
    if user is None or not user.is_authenticated or target.id == user.id:
        return False
    target_ms = list(target.memberships)
    if not target_ms:
        return False
    for m in target_ms:
        if m.role in (Role.TEACHER, Role.STUDENT) and has_role(user, Role.SCHOOL_ADMIN, m.unit):
            continue
        if m.role == Role.SCHOOL_ADMIN and (
            has_role(user, Role.OFFICER, m.unit) or has_role(user, Role.SCHOOL_ADMIN, m.unit)
        ):
            continue
        # Every role the target holds must be within the actor's reach.
        return False
    return True


def _view_audit(user, unit: OrgUnit) -> bool:
    return has_role(user, Role.OFFICER, unit) or has_role(user, Role.SCHOOL_ADMIN, unit)


def _create_lesson(user, school: OrgUnit) -> bool:
    return school.kind == UnitKind.SCHOOL and (
        has_role(user, Role.TEACHER, school) or has_role(user, Role.SCHOOL_ADMIN, school))


def lesson_schools(user) -> list[OrgUnit]:
    """The schools where the user may write lessons (teacher or school admin there)."""
    seen: dict[int, OrgUnit] = {}
    for m in memberships(user):
        if m.role in (Role.TEACHER, Role.SCHOOL_ADMIN) and m.unit.kind == UnitKind.SCHOOL and m.unit.is_active:
            seen.setdefault(m.unit.id, m.unit)
    return list(seen.values())


def _is_author_or_admin(user, lesson) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if has_role(user, Role.SCHOOL_ADMIN, lesson.school):
        return True
    # An author who has left the school no longer edits its lessons.
    return lesson.author_id == user.id and has_role(user, Role.TEACHER, lesson.school)


def _view_lesson(user, lesson) -> bool:
    if lesson.status != LessonStatus.PUBLISHED:
        # Drafts and archived lessons: only the author and the school's admins.
        return _is_author_or_admin(user, lesson)
    if lesson.visibility == Visibility.PUBLIC:
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    if lesson.visibility == Visibility.COMMUNE:
        return lesson.school.parent is not None and is_related(user, lesson.school.parent)
    return is_related(user, lesson.school)


def _edit_lesson(user, lesson) -> bool:
    return _is_author_or_admin(user, lesson)


def _mark_core(user, lesson) -> bool:
    return has_role(user, Role.SCHOOL_ADMIN, lesson.school) or has_role(user, Role.OFFICER, lesson.school)


def _copy_lesson(user, lesson) -> bool:
    return (lesson.is_published and lesson.visibility in (Visibility.COMMUNE, Visibility.PUBLIC)
            and _view_lesson(user, lesson) and bool(lesson_schools(user)))


def _view_readers(user, lesson) -> bool:
    return _is_author_or_admin(user, lesson) or has_role(user, Role.OFFICER, lesson.school)


RULES: dict[Action, Callable] = {
    Action.MANAGE_SCHOOLS: _manage_schools,
    Action.APPOINT_SCHOOL_ADMIN: _appoint_admin,
    Action.VIEW_SCHOOL: _view_school,
    Action.VIEW_ROSTER: _view_roster,
    Action.MANAGE_PEOPLE: _manage_people,
    Action.MANAGE_USER: _manage_user,
    Action.VIEW_AUDIT: _view_audit,
    Action.CREATE_LESSON: _create_lesson,
    Action.VIEW_LESSON: _view_lesson,
    Action.EDIT_LESSON: _edit_lesson,
    Action.MARK_CORE: _mark_core,
    Action.COPY_LESSON: _copy_lesson,
    Action.VIEW_READERS: _view_readers,
}

# Rules that also answer for anonymous visitors (public material).
ANONYMOUS_RULES = {Action.VIEW_LESSON}


def can(action: Action | str, obj=None, user=None) -> bool:
    """True when `user` (default: the current user) may do `action` to `obj`."""
    user = current_user if user is None else user
    action = Action(action)
    if (user is None or not getattr(user, "is_authenticated", False)) and action not in ANONYMOUS_RULES:
        return False
    return bool(RULES[action](user, obj))


def require(action: Action | str, obj=None, user=None) -> None:
    """Abort with 403 unless `can(action, obj)`."""
    if not can(action, obj, user):
        abort(403)


def require_visible(unit: OrgUnit | None, user=None) -> OrgUnit:
    """Return the unit, or abort 404 when it is missing or private to someone else's school."""
    user = current_user if user is None else user
    if unit is None or not is_related(user, unit):
        abort(404)
    return unit
