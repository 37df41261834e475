"""Roster import: check every row of a parsed class list against the school, then create all or nothing."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from schoolhub.accounts import services
from schoolhub.accounts.models import Membership, OrgUnit, Role, SchoolClass, SchoolLevel, User
from schoolhub.accounts.roster import STUDENTS, TEACHERS, Roster, RosterRow, class_key, parse_roster
from schoolhub.clock import current_school_year
from schoolhub.services import ServiceError, audit
from schoolhub.textfold import fold, name_sort_key, nfc

KINDS = ("auto", STUDENTS, TEACHERS)
_LEADING_DIGITS = re.compile(r"^\s*(\d{1,2})")


@dataclass(frozen=True)
class ExistingAccount:
    """An account of the school a staff row stands for: the row is skipped, not made a second time."""

    user_id: int
    full_name: str
    username: str


@dataclass
class PlannedRow:
    """A row of the file and what the import would do with it (or why it cannot)."""

    source: RosterRow
    class_label: str | None = None
    errors: list = field(default_factory=list)
    existing: ExistingAccount | None = None

    @property
    def sheet(self) -> str:
        return self.source.sheet

    @property
    def row(self) -> int:
        return self.source.row

    @property
    def full_name(self) -> str:
        return self.source.full_name


@dataclass
class ClassCount:
    """How many rows go to one class (label None: the teachers' list)."""

    label: str | None
    count: int = 0
    is_new: bool = False
    grade: int | None = None


@dataclass
class ImportPlan:
    """The checked file: every row with its errors, the classes it fills and the classes it would open."""

    school: OrgUnit
    roster: Roster
    kind: str
    school_year: str
    rows: list[PlannedRow]
    counts: list[ClassCount]
    classes: dict[str, SchoolClass]

    @property
    def role(self) -> Role:
        return Role.STUDENT if self.kind == STUDENTS else Role.TEACHER

    @property
    def bad_rows(self) -> list[PlannedRow]:
        return [r for r in self.rows if r.errors]

    @property
    def new_rows(self) -> list[PlannedRow]:
        """The rows that become accounts: no problem, and nobody of the school already has an account for them."""
        return [r for r in self.rows if not r.errors and r.existing is None]

    @property
    def existing_rows(self) -> list[PlannedRow]:
        """By name, as class lists go (the row number beside each still finds it in the file)."""
        return sorted((r for r in self.rows if r.existing is not None and not r.errors),
                      key=lambda r: (name_sort_key(r.full_name), r.sheet, r.row))

    @property
    def ok(self) -> bool:
        return bool(self.new_rows) and not self.bad_rows

    @property
    def new_classes(self) -> list[ClassCount]:
        return [c for c in self.counts if c.is_new]


@dataclass
class ImportResult:
    """The accounts created, grouped per class in the order of the file."""

    plan: ImportPlan
    groups: list[tuple[str | None, list[tuple[User, str]]]]

    @property
    def accounts(self) -> list[tuple[str | None, User, str]]:
        return [(label, user, temp) for label, accounts in self.groups for user, temp in accounts]


class ImportRejected(ServiceError):
    """The file has bad rows: nothing was written."""

    def __init__(self, plan: ImportPlan):
        super().__init__(_l("%(n)s rows of the file have problems; nothing was imported.", n=len(plan.bad_rows)))
        self.plan = plan


def grade_of(school: OrgUnit, name: str) -> int | None:
    """The grade a class name starts with ('7A' → 7); pre-school groups are grade 0."""
    if m := _LEADING_DIGITS.match(name):
        return int(m[1])
    if SchoolLevel(school.level) == SchoolLevel.MAM_NON:
        return 0
    return None


def _existing(session: Session, school: OrgUnit, role: Role) -> tuple[set, set]:
    rows = session.execute(
        select(User.name_folded, User.birth_date, User.student_code)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.unit_id == school.id, Membership.role == role, Membership.ended_on.is_(None))
    ).all()
    people = {(name, born) for name, born, _ in rows}
    codes = {code.casefold() for _, _, code in rows if code}
    return people, codes


def _digits(phone: str | None) -> str:
    """A phone number compared as people write it: digits only, +84 read as the leading 0."""
    digits = re.sub(r"\D", "", phone or "")
    return "0" + digits[2:] if digits.startswith("84") and len(digits) >= 11 else digits


def _staff_accounts(session: Session, school: OrgUnit) -> dict[str, list[tuple]]:
    """The school's staff accounts (teachers and admins) by folded full name, in one statement."""
    rows = session.execute(
        select(User.id, User.full_name, User.username, User.name_folded, User.birth_date, User.phone)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.unit_id == school.id, Membership.role.in_([Role.TEACHER, Role.SCHOOL_ADMIN]))
        .order_by(User.id)
    ).all()
    found: dict[str, list[tuple]] = {}
    for row in rows:
        if all(row.id != other.id for other in found.get(row.name_folded, [])):
            found.setdefault(row.name_folded, []).append(row)
    return found


def _same_person(src: RosterRow, account) -> bool:
    """Same folded name (already matched); then the birth date when both have one, else the phone when both
    have one, decides; with neither, the name alone."""
    if src.birth_date and account.birth_date:
        return src.birth_date == account.birth_date
    if _digits(src.phone) and _digits(account.phone):
        return _digits(src.phone) == _digits(account.phone)
    return True


def _check_person(planned: PlannedRow, kind: str) -> None:
    src = planned.source
    if len(src.full_name) > 120:
        planned.errors.append(_l("The name is longer than 120 characters."))
    if kind == STUDENTS and src.student_code and len(src.student_code) > 30:
        planned.errors.append(_l("The student code is longer than 30 characters."))
    if kind == TEACHERS:
        if src.phone and len(src.phone) > 20:
            planned.errors.append(_l("The phone number is longer than 20 characters."))
        if src.position and len(src.position) > 80:
            planned.errors.append(_l("The position is longer than 80 characters."))


def _where(row: RosterRow, current_sheet: str) -> str:
    return str(row.row) if row.sheet == current_sheet else f"{row.row} ({row.sheet})"


def preview_import(session: Session, school: OrgUnit, data: bytes, *, kind: str = "auto",
                   class_id: int | None = None, create_classes: bool = False,
                   school_year: str | None = None) -> ImportPlan:
    """Read the file and check every row; raises roster.RosterError when the file itself is unusable."""
    if kind not in KINDS:
        raise ServiceError(_l("Choose what the list contains."), "kind")
    school_year = school_year or current_school_year()
    open_classes = list(session.scalars(
        select(SchoolClass).where(SchoolClass.school_id == school.id, SchoolClass.school_year == school_year,
                                  SchoolClass.is_active.is_(True)).order_by(SchoolClass.grade, SchoolClass.name)))
    classes = {class_key(c.name): c for c in open_classes}
    chosen = None
    if class_id:
        chosen = session.get(SchoolClass, class_id)
        if chosen is None or chosen.school_id != school.id:
            raise ServiceError(_l("Choose one of the school's classes."), "class_id")
        classes.setdefault(class_key(chosen.name), chosen)

    roster = parse_roster(data, known_classes=[c.name for c in open_classes])
    kind = roster.kind if kind == "auto" else kind
    role = Role.STUDENT if kind == STUDENTS else Role.TEACHER
    people, codes = _existing(session, school, role) if kind == STUDENTS else (set(), set())
    staff = _staff_accounts(session, school) if kind == TEACHERS else {}

    counts: dict[str, ClassCount] = {}
    seen: dict[tuple, RosterRow] = {}
    seen_codes: dict[str, RosterRow] = {}
    planned_rows: list[PlannedRow] = []
    for src in roster.rows:
        planned = PlannedRow(source=src, errors=list(src.errors))
        planned_rows.append(planned)
        _check_person(planned, kind)
        if kind == STUDENTS:
            sheet = next(s for s in roster.sheets if s.title == src.sheet)
            label = src.class_name or (chosen.name if chosen else None) or sheet.class_name
            _plan_class(planned, school, label, classes, counts, create_classes)
        if not src.full_name:
            continue
        key = (fold(src.full_name), src.birth_date)
        if kind == TEACHERS:
            # A staff row for someone who already has an account here (the principal who is the admin):
            # shown as such and skipped, never a second account.
            planned.existing = next((ExistingAccount(a.id, a.full_name, a.username)
                                     for a in staff.get(key[0], []) if _same_person(src, a)), None)
            if planned.existing is None:
                counts.setdefault("", ClassCount(label=None)).count += 1
        if key in seen:
            planned.errors.append(_l("Duplicate: same name and date of birth as row %(row)s.",
                                     row=_where(seen[key], src.sheet)))
        else:
            seen[key] = src
            # (Staff rows: who already has an account is decided above, by name and birth date or phone.)
            if key in people and kind != TEACHERS:
                planned.errors.append(_l("Duplicate: %(name)s with this date of birth is already in the school.",
                                         name=src.full_name) if src.birth_date else
                                      _l("Duplicate: %(name)s is already in the school.", name=src.full_name))
        if kind == STUDENTS and src.student_code:
            code = src.student_code.casefold()
            if code in seen_codes:
                planned.errors.append(_l("Duplicate: student code %(code)s is also on row %(row)s.",
                                         code=src.student_code, row=_where(seen_codes[code], src.sheet)))
            else:
                seen_codes[code] = src
                if code in codes:
                    planned.errors.append(_l("Duplicate: student code %(code)s already belongs to a student of "
                                             "the school.", code=src.student_code))
    return ImportPlan(school=school, roster=roster, kind=kind, school_year=school_year, rows=planned_rows,
                      counts=list(counts.values()), classes=classes)


def _plan_class(planned: PlannedRow, school: OrgUnit, label: str | None, classes: dict[str, SchoolClass],
                counts: dict[str, ClassCount], create_classes: bool) -> None:
    if not label:
        planned.errors.append(_l("Unknown class: the row names no class. Add a “Lớp” column, or choose a class "
                                 "for rows that name none."))
        return
    key = class_key(label)
    if key in classes:
        school_class = classes[key]
        planned.class_label = school_class.name
        counts.setdefault(key, ClassCount(label=school_class.name, grade=school_class.grade)).count += 1
        return
    name = nfc(label).upper()
    if not create_classes:
        planned.errors.append(_l("Unknown class %(name)s: the school has no such class this school year. Create it "
                                 "first, or tick “Create classes named in the file”.", name=name))
        return
    if len(name) > 30:
        planned.errors.append(_l("Unknown class %(name)s: a class name has at most 30 characters.", name=name))
        return
    grade = grade_of(school, name)
    if grade is None:
        planned.errors.append(_l("Bad grade: the name of class %(name)s does not start with its grade.", name=name))
        return
    try:
        services.check_grade(school, grade)
    except ServiceError as error:
        planned.errors.append(_l("Bad grade for class %(name)s: %(reason)s", name=name, reason=error.message))
        return
    planned.class_label = name
    counts.setdefault(key, ClassCount(label=name, is_new=True, grade=grade)).count += 1


def commit_import(session: Session, actor: User | None, school: OrgUnit, data: bytes, *, kind: str = "auto",
                  class_id: int | None = None, create_classes: bool = False, filename: str = "") -> ImportResult:
    """Check the file again and create every account (and missing class), or raise ImportRejected and write nothing.

    Staff rows for people who already have an account at the school are skipped (plan.existing_rows)."""
    plan = preview_import(session, school, data, kind=kind, class_id=class_id, create_classes=create_classes)
    if plan.bad_rows or not plan.rows:
        raise ImportRejected(plan)
    for count in plan.new_classes:
        plan.classes[class_key(count.label)] = services.create_class(
            session, actor, school, name=count.label, grade=count.grade, school_year=plan.school_year)
    reserved: set[str] = set()
    groups: dict[str, list[tuple[User, str]]] = {class_key(c.label or ""): [] for c in plan.counts}
    for planned in plan.new_rows:
        src = planned.source
        school_class = plan.classes[class_key(planned.class_label)] if plan.kind == STUDENTS else None
        # One audit entry for the whole import (below), not one per account.
        user, temp = services.create_user(
            session, None, full_name=src.full_name, role=plan.role, unit=school, school_class=school_class,
            birth_date=src.birth_date, gender=src.gender,
            student_code=src.student_code if plan.kind == STUDENTS else None,
            phone=src.phone if plan.kind == TEACHERS else None,
            position=src.position if plan.kind == TEACHERS else None, reserved=reserved)
        groups[class_key(planned.class_label or "")].append((user, temp))
    summary = ", ".join(f"{c.label or plan.kind}: {c.count}" for c in plan.counts)
    skipped = f"; {len(plan.existing_rows)} already had an account" if plan.existing_rows else ""
    audit(session, actor, "roster.import", school, school,
                   f"{filename} ({plan.kind}) {len(plan.new_rows)} accounts — {summary}{skipped}")
    # The sheet lists each class by name, as its class list does.
    return ImportResult(plan=plan, groups=[(c.label, sorted(groups[class_key(c.label or "")],
                                                            key=lambda made: (made[0].name_sort, made[0].username)))
                                           for c in plan.counts])
