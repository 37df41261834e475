"""Who may do what to the organisation tree and its people."""
from __future__ import annotations

from schoolhub.accounts.models import OrgUnit, Role, UnitKind, User
from schoolhub.policy import define, has_role, is_authenticated, is_related, rule

MANAGE_SCHOOLS = define("manage_schools", "obj: commune — register, edit, deactivate its schools")
APPOINT_SCHOOL_ADMIN = define("appoint_school_admin", "obj: school — appoint its admins")
VIEW_SCHOOL = define("view_school", "obj: unit — its name, counts and classes")
VIEW_ROSTER = define("view_roster", "obj: school — the names of its teachers and students")
MANAGE_PEOPLE = define("manage_people", "obj: school — teachers, students, classes, imports")
MANAGE_USER = define("manage_user", "obj: user — edit, deactivate, reset the password")
VIEW_AUDIT = define("view_audit", "obj: unit — its audit log: who did which sensitive thing, and when")


def is_school_staff(user, school: OrgUnit) -> bool:
    """An admin or teacher of this school (the principal behind several domains' rules)."""
    return school.kind == UnitKind.SCHOOL and (
        has_role(user, Role.SCHOOL_ADMIN, school) or has_role(user, Role.TEACHER, school))


def is_commune_officer(user, commune: OrgUnit) -> bool:
    """An officer of this commune (or of the province above it)."""
    return commune.kind == UnitKind.COMMUNE and has_role(user, Role.OFFICER, commune)


@rule(MANAGE_SCHOOLS)
def can_manage_schools(user, commune: OrgUnit) -> bool:
    """The commune's officers manage its schools."""
    return is_commune_officer(user, commune)


@rule(APPOINT_SCHOOL_ADMIN)
def can_appoint_admin(user, school: OrgUnit) -> bool:
    """The officers of the school's commune (or above) appoint its admins."""
    return school.kind == UnitKind.SCHOOL and has_role(user, Role.OFFICER, school)


@rule(VIEW_SCHOOL)
def can_view_school(user, unit: OrgUnit) -> bool:
    """Anyone whose own units lie above, on or under the unit; other schools are private."""
    return is_related(user, unit)


@rule(VIEW_ROSTER)
def can_view_roster(user, school: OrgUnit) -> bool:
    """Students are children: only their own school's admins and teachers see the lists."""
    return is_school_staff(user, school)


@rule(MANAGE_PEOPLE)
def can_manage_people(user, school: OrgUnit) -> bool:
    """The school's admins manage its teachers, students, classes and imports."""
    return school.kind == UnitKind.SCHOOL and has_role(user, Role.SCHOOL_ADMIN, school)


def can_manage_users(user, targets) -> list[bool]:
    """MANAGE_USER for each of a list of targets. Targets holding the same memberships (a school's list
    shows each person by the same role over the same school) have the reach asked once."""
    reached: dict[tuple, bool] = {}
    answers = []
    for target in targets:
        if not is_authenticated(user) or target.id == user.id:
            answers.append(False)
            continue
        held = tuple(target.memberships)
        if held not in reached:
            reached[held] = _reaches_every(user, held)
        answers.append(reached[held])
    return answers


def _reaches_every(user, held: tuple) -> bool:
    if not held:
        return False
    for m in held:
        if m.role in (Role.TEACHER, Role.STUDENT) and has_role(user, Role.SCHOOL_ADMIN, m.unit):
            continue
        if m.role == Role.SCHOOL_ADMIN and (
            has_role(user, Role.OFFICER, m.unit) or has_role(user, Role.SCHOOL_ADMIN, m.unit)
        ):
            continue
        return False
    return True


@rule(MANAGE_USER, each=can_manage_users)
def can_manage_user(user, target: User) -> bool:
    """Every role the target holds must be within the actor's reach; nobody manages themselves here."""
    return can_manage_users(user, [target])[0]


@rule(VIEW_AUDIT)
def can_view_audit(user, unit: OrgUnit) -> bool:
    """A commune's officers read the log of the commune and of every school under it; a school's admins
    read their school's."""
    if unit.kind == UnitKind.SCHOOL:
        return has_role(user, Role.OFFICER, unit) or has_role(user, Role.SCHOOL_ADMIN, unit)
    return unit.kind == UnitKind.COMMUNE and has_role(user, Role.OFFICER, unit)
