"""The accounts domain's long lists, each page in ONE statement (pagination.headed) of rows of what the
list shows, not ORM objects: a school's students and teachers (with the class filter's choices), a
commune's schools (with their counters and admins).

Each statement is a one-row head (the bounded count and the list's extras, as JSON text) joined to the
page's rows, so the count comes back even when the page is empty. It is built once per shape (a class
asked, a name asked, ...) with its values as parameters.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass

from sqlalchemy import Select, bindparam, or_, select
from sqlalchemy.orm import Session, aliased

from schoolhub.accounts.models import Membership, OrgUnit, Role, SchoolClass, UnitCount, UnitKind, User
from schoolhub.db import equals_constant, generic_plan
from schoolhub.json_rows import json_rows
from schoolhub.pagination import Page, headed, headed_page
from schoolhub.textfold import fold


@dataclass(frozen=True)
class ClassChoice:
    """A class in the list's filter: its id, name and school year."""

    id: int
    name: str
    school_year: str


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _statement(of_class: bool, named: bool, with_classes: bool) -> Select:
    role = bindparam("role", type_=Membership.role.type)
    where = [Membership.unit_id == bindparam("school_id"), Membership.role == role, Membership.ended_on.is_(None)]
    if of_class:
        where.append(Membership.class_id == bindparam("class_id"))
    name = or_(User.name_folded.like(bindparam("name"), escape="\\"),
               User.username.like(bindparam("username"), escape="\\"))
    # In list order from the memberships' roster index (their copy of the users' sort keys, migration
    # 0014): a page of a school's 400 students is the index's next 25 entries; only a name asked reads
    # the users to match it.
    people = (select(Membership.user_id.label("id"), Membership.user_inactive, Membership.user_sort,
                     Membership.class_id)
              .where(*where))
    if named:
        people = people.join(User, User.id == Membership.user_id).where(name)
    people = people.order_by(Membership.user_inactive, Membership.user_sort, Membership.user_id)
    # Without a name to match, the count needs the memberships alone: every one has its user (a foreign
    # key), and counting through the join read each of a school's 500 students' rows as well.
    counted = select(Membership.id).where(*where)
    if named:
        counted = counted.join(User, User.id == Membership.user_id).where(name)
    extra = []
    if with_classes:
        extra.append(select(json_rows(SchoolClass.id, SchoolClass.name, SchoolClass.school_year, SchoolClass.grade,
                                      order_by=(SchoolClass.school_year.desc(), SchoolClass.grade, SchoolClass.name)))
                     .where(SchoolClass.school_id == bindparam("school_id")).scalar_subquery().label("classes"))
    stmt = headed(people, counted, *extra, order=("user_inactive", "user_sort", "id"))
    # The page's 25 are found first, what the list shows of them then, by key (classes joined to the
    # school's students before the sort were a hash of every class of the province: 0.8 ms at the province
    # preset).
    listed = stmt.selected_columns
    shown = aliased(User, name="shown")
    class_name = select(SchoolClass.name).where(SchoolClass.id == listed.class_id).scalar_subquery()
    stmt = (stmt.outerjoin(shown, shown.id == listed.id)
            .add_columns(shown.is_active_account.label("is_active"), shown.full_name, shown.username,
                         shown.birth_date, shown.position, shown.last_login_at, class_name.label("class_name")))
    return stmt if named else generic_plan(stmt)  # a name's LIKE keeps its value's plan


_STATEMENTS = {(of_class, named, with_classes): _statement(of_class, named, with_classes)
               for of_class in (False, True) for named in (False, True) for with_classes in (False, True)}


def people_page(session: Session, school: OrgUnit, role: Role, *, class_id: int | None = None, q: str = "",
                with_classes: bool = False) -> tuple[Page, tuple[ClassChoice, ...]]:
    """The requested page of the people holding `role` at the school (a class's students; those whose
    name or username holds `q`), active ones first then by name, as rows of what the list shows (id,
    full_name, username, is_active, birth_date, position, last_login_at, class_name); and, with
    `with_classes`, the school's classes, newest school year first, then by grade and name."""
    params = {"school_id": school.id, "role": role, "class_id": class_id,
              "name": f"%{_like_escape(fold(q))}%", "username": f"%{_like_escape(q.casefold())}%"}
    page, head = headed_page(session, _STATEMENTS[bool(class_id), bool(q), with_classes], params)
    return page, (_classes(head.classes or "[]") if with_classes else ())


@functools.lru_cache(maxsize=256)
def _classes(text: str) -> tuple[ClassChoice, ...]:
    # [id, name, school_year, grade] per class; sorted here, as SQLite gives them in no set order.
    rows = sorted(json.loads(text), key=lambda row: row[1])
    rows.sort(key=lambda row: row[3])
    rows.sort(key=lambda row: row[2], reverse=True)
    return tuple(ClassChoice(int(cid), name, year) for cid, name, year, _grade in rows)


def _schools_statement(named: bool) -> Select:
    where = [OrgUnit.parent_id == bindparam("commune_id"), OrgUnit.kind == UnitKind.SCHOOL]
    if named:
        where.append(or_(OrgUnit.name_folded.like(bindparam("name"), escape="\\"),
                         OrgUnit.code.ilike(bindparam("code"), escape="\\")))
    schools = (select(OrgUnit.id, OrgUnit.code, OrgUnit.name, OrgUnit.level, OrgUnit.is_active, UnitCount.teachers,
                      UnitCount.classes, UnitCount.students)
               .outerjoin(UnitCount, UnitCount.unit_id == OrgUnit.id).where(*where)
               # the id: same-named schools keep their page
               .order_by(OrgUnit.is_active.desc(), OrgUnit.name, OrgUnit.id))
    stmt = headed(schools, select(OrgUnit.id).where(*where), order=("-is_active", "name", "id"))
    # Each school's admins as one JSON text: [[full_name, username, name_sort, id, is_active], ...] (by name
    # on PostgreSQL; SQLite keeps no order in an aggregate, so readers sort by name_sort and id). A
    # deactivated account is listed, marked: the to-do badge counts its school as without an admin.
    listed = stmt.selected_columns
    admins = (select(json_rows(User.full_name, User.username, User.name_sort, User.id, User.is_active_account,
                               order_by=(User.name_sort, User.id)))
              .select_from(Membership).join(User, User.id == Membership.user_id)
              .where(Membership.unit_id == listed.id,
                     equals_constant(Membership.role, Role.SCHOOL_ADMIN.value), Membership.ended_on.is_(None))
              .scalar_subquery().label("admins"))
    stmt = stmt.add_columns(admins)
    return stmt if named else generic_plan(stmt)  # a name's LIKE keeps its value's plan


_SCHOOLS = {named: _schools_statement(named) for named in (False, True)}


def schools_page(session: Session, commune: OrgUnit, q: str = "") -> Page:
    """The requested page of the commune's schools (those whose name or code holds `q`), open ones first,
    by name, as rows of id, code, name, level, is_active, their counters (teachers, classes, students;
    None: no counters row yet) and admins (JSON text of [full_name, username, name_sort, id, is_active], or
    None)."""
    params = {"commune_id": commune.id, "name": f"%{_like_escape(fold(q))}%", "code": f"%{_like_escape(q)}%"}
    page, _head = headed_page(session, _SCHOOLS[bool(q)], params)
    return page
