"""Services of the accounts domain: take the session, the acting user and plain
values; flush but never commit (the view commits once)."""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from schoolhub.accounts.models import (
    LEVEL_GRADES,
    Membership,
    OrgUnit,
    Role,
    SchoolClass,
    SchoolLevel,
    UnitKind,
    User,
)
from schoolhub.accounts.passwords import MAX_LENGTH, MIN_LENGTH, is_common
from schoolhub.accounts.usernames import USERNAME_RE, unique_username
from schoolhub.clock import local_today, utcnow
from schoolhub.i18n import format_day
from schoolhub.security import hash_password, temporary_password
from schoolhub.services import ServiceError, audit
from schoolhub.textfold import fold, nfc

PASSWORD_MIN = MIN_LENGTH
PASSWORD_MAX = MAX_LENGTH


# ---- organisation tree -------------------------------------------------------

def _set_path(unit: OrgUnit) -> None:
    parent_path = unit.parent.path if unit.parent is not None else "/"
    unit.path = f"{parent_path}{unit.id}/"


def create_unit(session: Session, actor: User | None, *, kind: UnitKind, code: str, name: str,
                parent: OrgUnit | None = None, level: SchoolLevel | None = None, address: str = "") -> OrgUnit:
    """Create a province, commune or school and give it its materialised path."""
    code = code.strip().upper()
    name = nfc(name)
    if session.scalar(select(OrgUnit.id).where(func.upper(OrgUnit.code) == code)) is not None:
        raise ServiceError(_l("The code %(code)s is already used by another unit.", code=code), "code")
    unit = OrgUnit(kind=kind, code=code, name=name, name_folded=fold(name), parent=parent,
                   level=level, address=nfc(address), path="")
    session.add(unit)
    session.flush()
    _set_path(unit)
    session.flush()
    if actor is not None:
        audit(session, actor, "unit.create", unit, unit, f"{code} {name}")
    return unit


def create_school(session: Session, actor: User, commune: OrgUnit, *, code: str, name: str,
                  level: SchoolLevel, address: str = "") -> OrgUnit:
    """Register a school under the commune."""
    return create_unit(session, actor, kind=UnitKind.SCHOOL, code=code, name=name,
                       parent=commune, level=level, address=address)


def update_school(session: Session, actor: User, school: OrgUnit, *, code: str, name: str,
                  level: SchoolLevel, address: str = "") -> OrgUnit:
    """Change a school's code, name, level or address."""
    code = code.strip().upper()
    clash = session.scalar(
        select(OrgUnit.id).where(func.upper(OrgUnit.code) == code, OrgUnit.id != school.id)
    )
    if clash is not None:
        raise ServiceError(_l("The code %(code)s is already used by another unit.", code=code), "code")
    school.code, school.name, school.level = code, nfc(name), level
    school.name_folded, school.address = fold(school.name), nfc(address)
    session.flush()
    audit(session, actor, "school.update", school, school, f"{code} {school.name}")
    return school


def set_school_active(session: Session, actor: User, school: OrgUnit, active: bool) -> None:
    """Deactivate (or reactivate) a school; its records stay."""
    school.is_active = active
    session.flush()
    audit(session, actor, "school.activate" if active else "school.deactivate", school, school)


# ---- users -------------------------------------------------------------------

def validate_password(password: str, username: str | None = None) -> None:
    """Reject passwords that are too short, too long, common (schoolhub.accounts.passwords) or the username."""
    if len(password) < PASSWORD_MIN:
        raise ServiceError(_l("The password must have at least %(n)s characters.", n=PASSWORD_MIN), "password")
    if len(password) > PASSWORD_MAX:
        raise ServiceError(_l("The password must have at most %(n)s characters.", n=PASSWORD_MAX), "password")
    if is_common(password):
        raise ServiceError(_l("This password is one of the most common ones, which are tried first when "
                              "someone guesses. Choose a less obvious one, for example a short sentence."),
                           "password")
    if username and password.strip().casefold() == username.strip().casefold():
        raise ServiceError(_l("The password must not be the same as the username."), "password")


def normalise_username(username: str) -> str:
    """Lower-cased, trimmed username; raises when it has characters we do not allow."""
    username = (username or "").strip().casefold()
    if not USERNAME_RE.match(username):
        raise ServiceError(
            _l("A username has 3 to 40 characters: unaccented letters, digits, dot, dash or underscore."),
            "username",
        )
    return username


def find_user(session: Session, username: str) -> User | None:
    """The user with this username, whatever its case."""
    return session.scalar(select(User).where(User.username == (username or "").strip().casefold()))


def create_user(session: Session, actor: User | None, *, full_name: str, role: Role, unit: OrgUnit,
                username: str | None = None, password: str | None = None,
                school_class: SchoolClass | None = None, birth_date: date | None = None,
                gender: str | None = None, student_code: str | None = None, phone: str | None = None,
                position: str | None = None, reserved: set[str] | None = None) -> tuple[User, str | None]:
    """Create a user with one membership; without a password, issue a one-time one.

    Returns the user and the one-time password (None when a password was given).
    """
    full_name = nfc(full_name)
    if not full_name:
        raise ServiceError(_l("Enter the full name."), "full_name")
    if len(full_name) > 120:
        raise ServiceError(_l("The full name must have at most 120 characters."), "full_name")
    if username:
        username = normalise_username(username)
        if find_user(session, username) is not None:
            raise ServiceError(_l("The username %(u)s is already taken.", u=username), "username")
    else:
        username = unique_username(session, full_name, reserved if reserved is not None else set())
    temp = None
    if password is None:
        temp = password = temporary_password()
    else:
        validate_password(password)
    user = User(
        username=username, full_name=full_name, name_folded=fold(full_name),
        password_hash=hash_password(password, temporary=temp is not None), must_change_password=temp is not None,
        birth_date=birth_date, gender=gender, student_code=student_code, phone=phone, position=position,
    )
    session.add(user)
    user.memberships.append(Membership(unit=unit, role=role, school_class=school_class if role == Role.STUDENT else None))
    session.flush()
    if actor is not None:
        audit(session, actor, f"user.create.{role.value}", user, unit, username)
    return user, temp


def appoint_school_admin(session: Session, actor: User, school: OrgUnit, *, full_name: str = "",
                         username: str | None = None, existing: User | None = None) -> tuple[User, str | None]:
    """Make an existing user, or a new account, the admin of a school."""
    if existing is not None:
        already = any(m.role == Role.SCHOOL_ADMIN and m.unit_id == school.id for m in existing.memberships)
        if already:
            raise ServiceError(_l("%(name)s is already an admin of this school.", name=existing.full_name), "username")
        existing.memberships.append(Membership(unit=school, role=Role.SCHOOL_ADMIN))
        session.flush()
        audit(session, actor, "school_admin.appoint", existing, school, existing.username)
        return existing, None
    user, temp = create_user(session, actor, full_name=full_name, role=Role.SCHOOL_ADMIN, unit=school, username=username)
    audit(session, actor, "school_admin.appoint", user, school, user.username)
    return user, temp


def update_user(session: Session, actor: User, user: User, *, full_name: str, birth_date: date | None = None,
                school_class: SchoolClass | None = None, student_code: str | None = None,
                position: str | None = None, phone: str | None = None) -> User:
    """Change a person's name and details; a student's class too."""
    full_name = nfc(full_name)
    if not full_name:
        raise ServiceError(_l("Enter the full name."), "full_name")
    user.full_name, user.name_folded = full_name, fold(full_name)
    user.birth_date, user.student_code, user.position, user.phone = birth_date, student_code, position, phone
    if school_class is not None:
        # A new class is a new membership from today: the old one stays as history.
        moving = [m for m in user.memberships if m.role == Role.STUDENT and m.unit_id == school_class.school_id
                  and m.class_id != school_class.id]
        _succeed(session, moving, local_today(), school_class=school_class)
    session.flush()
    audit(session, actor, "user.update", user, user.memberships[0].unit if user.memberships else None)
    return user


def set_user_active(session: Session, actor: User, user: User, active: bool) -> None:
    """Deactivate (or reactivate) an account: it can no longer log in, its records stay."""
    user.is_active_account = active
    user.rotate_session_token()
    session.flush()
    audit(session, actor, "user.activate" if active else "user.deactivate", user,
          user.memberships[0].unit if user.memberships else None)


def reset_password(session: Session, actor: User, user: User) -> str:
    """Issue a one-time password; the user must choose a new one at next login."""
    temp = temporary_password()
    user.password_hash = hash_password(temp, temporary=True)
    user.must_change_password = True
    user.rotate_session_token()
    session.flush()
    audit(session, actor, "user.reset_password", user, user.memberships[0].unit if user.memberships else None)
    return temp


def reissue_passwords(session: Session, actor: User, school: OrgUnit, users: list[User],
                      what: str) -> list[tuple[User, str]]:
    """New one-time passwords for people still waiting for their first login (a lost or unprinted sheet);
    the old sheet stops working. One audit entry for the lot (`what`: the class or "staff")."""
    issued = []
    for user in users:
        temp = temporary_password()
        user.password_hash = hash_password(temp, temporary=True)
        user.must_change_password = True
        user.rotate_session_token()
        issued.append((user, temp))
    session.flush()
    audit(session, actor, "roster.reissue_passwords", school, school, f"{what}: {len(issued)} accounts")
    return issued


def change_password(session: Session, user: User, current: str, new: str) -> None:
    """The user replaces their password; every other session of theirs ends."""
    from schoolhub.security import verify_password

    if not verify_password(user, current):
        raise ServiceError(_l("The current password is not correct."), "current_password")
    validate_password(new, user.username)
    if new == current:
        raise ServiceError(_l("Choose a password different from the current one."), "password")
    user.password_hash = hash_password(new)
    user.must_change_password = False
    user.rotate_session_token()
    session.flush()
    audit(session, user, "user.change_password", user)


def record_login(session: Session, user: User) -> None:
    """Remember when the user last logged in."""
    user.last_login_at = utcnow()
    session.flush()


# ---- memberships ---------------------------------------------------------------

def _check_can_end(membership: Membership, day: date) -> None:
    if membership.ended_on is not None:
        raise ServiceError(_l("This role has already ended."))
    if day < membership.started_on:
        raise ServiceError(_l("A role cannot end before the day it started (%(day)s).",
                              day=format_day(membership.started_on)), "on")


def _forget_ended(session: Session, user: User) -> None:
    """Drop ended memberships from the loaded `user.memberships` as if it were read again.

    Removing them from the collection instead would delete the rows (delete-orphan), and they are history.
    """
    set_committed_value(user, "memberships", [m for m in user.memberships if m.ended_on is None])
    session.expire(user, ["all_memberships"])


def _succeed(session: Session, old: list[Membership], day: date, *, unit: OrgUnit | None = None,
             school_class: SchoolClass | None = None) -> list[Membership]:
    """End each membership on `day` and start an equal one that day: at `unit`, and for a student in `school_class`."""
    for m in old:
        _check_can_end(m, day)
    for m in old:
        m.ended_on = day
    session.flush()  # the ended rows leave the one-current-membership unique index before their successors arrive
    new = []
    for m in old:
        successor = Membership(unit=unit or m.unit, role=m.role, started_on=day,
                               school_class=school_class if m.role == Role.STUDENT else None)
        m.user.memberships.append(successor)
        new.append(successor)
    session.flush()
    for user in {m.user for m in old}:
        _forget_ended(session, user)
    return new


def end_membership(session: Session, actor: User | None, membership: Membership, on: date | None = None) -> None:
    """End a membership on a day (today by default): from that day on it grants nothing, and it stays as history."""
    day = on if on is not None else local_today()
    _check_can_end(membership, day)
    membership.ended_on = day
    session.flush()
    _forget_ended(session, membership.user)
    audit(session, actor, f"membership.end.{membership.role.value}", membership.user, membership.unit,
          f"{membership.unit.code} {day.isoformat()}")


def move_member(session: Session, actor: User | None, user: User, from_unit: OrgUnit, to_unit: OrgUnit,
                on: date | None = None, *, school_class: SchoolClass | None = None) -> list[Membership]:
    """Move a person from one school to another on a day (today by default).

    Every role they hold at `from_unit` ends that day and an equal one starts at `to_unit` the same
    day; a student's new membership is in `school_class` (a class of the new school), or in none yet.
    """
    day = on if on is not None else local_today()
    if not (from_unit.is_school and to_unit.is_school) or from_unit.id == to_unit.id:
        raise ServiceError(_l("A person can only be moved from one school to another."), "to_unit")
    moving = [m for m in user.memberships if m.unit_id == from_unit.id]
    if not moving:
        raise ServiceError(_l("%(name)s holds no role at %(school)s.", name=user.full_name, school=from_unit.name),
                           "from_unit")
    held = {m.role for m in user.memberships if m.unit_id == to_unit.id}
    if any(m.role in held for m in moving):
        raise ServiceError(_l("%(name)s already holds this role at %(school)s.", name=user.full_name,
                              school=to_unit.name), "to_unit")
    if school_class is not None and school_class.school_id != to_unit.id:
        raise ServiceError(_l("Choose one of the school's classes."), "class_id")
    new = _succeed(session, moving, day, unit=to_unit, school_class=school_class)
    roles = ",".join(m.role.value for m in new)
    audit(session, actor, "membership.move", user, to_unit, f"{from_unit.code} → {to_unit.code} {roles} {day.isoformat()}")
    return new


# ---- classes -----------------------------------------------------------------

def check_grade(school: OrgUnit, grade: int) -> None:
    """Reject a grade the school's level does not teach."""
    allowed = LEVEL_GRADES[SchoolLevel(school.level)]
    if grade not in allowed:
        raise ServiceError(
            _l("Grade %(g)s is not taught at this school (grades %(a)s–%(b)s).", g=grade, a=allowed[0], b=allowed[-1]),
            "grade",
        )


def create_class(session: Session, actor: User, school: OrgUnit, *, name: str, grade: int,
                 school_year: str) -> SchoolClass:
    """Add a class to a school for a school year."""
    name = nfc(name).upper()
    check_grade(school, grade)
    clash = session.scalar(select(SchoolClass.id).where(
        SchoolClass.school_id == school.id, SchoolClass.school_year == school_year, SchoolClass.name == name))
    if clash is not None:
        raise ServiceError(_l("Class %(n)s already exists in %(y)s.", n=name, y=school_year), "name")
    school_class = SchoolClass(school_id=school.id, name=name, grade=grade, school_year=school_year)
    session.add(school_class)
    session.flush()
    audit(session, actor, "class.create", school_class, school, f"{name} {school_year}")
    return school_class


def update_class(session: Session, actor: User, school_class: SchoolClass, *, name: str, grade: int,
                 is_active: bool = True) -> SchoolClass:
    """Rename a class, change its grade, or close it."""
    name = nfc(name).upper()
    check_grade(school_class.school, grade)
    clash = session.scalar(select(SchoolClass.id).where(
        SchoolClass.school_id == school_class.school_id, SchoolClass.school_year == school_class.school_year,
        SchoolClass.name == name, SchoolClass.id != school_class.id))
    if clash is not None:
        raise ServiceError(_l("Class %(n)s already exists in %(y)s.", n=name, y=school_class.school_year), "name")
    school_class.name, school_class.grade, school_class.is_active = name, grade, is_active
    session.flush()
    audit(session, actor, "class.update", school_class, school_class.school)
    return school_class
