"""A school's student and teacher lists: one page of people, their count and the class filter's choices
in ONE statement, as rows of what the list shows (not users with their memberships as ORM objects).

The statement is a one-row head (the bounded count and, for students, the school's classes as one JSON
text) joined to the page's rows, so the count comes back even when the page is empty. It is built once
per shape (a class asked, a name asked, the classes wanted) with its values as parameters.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from math import ceil

from flask import current_app
from sqlalchemy import Select, bindparam, func, or_, select, true
from sqlalchemy.orm import Session

from schoolhub import pagination
from schoolhub.accounts.models import Membership, OrgUnit, Role, SchoolClass, User
from schoolhub.db import generic_plan, read_rows
from schoolhub.json_rows import json_rows
from schoolhub.pagination import Page, current_page
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
    # The page's 25 are found first, their class names then (classes joined to the school's students
    # before the sort were a hash of every class of the province: 0.8 ms at the province preset).
    people = (select(User.id, User.full_name, User.username, User.is_active_account.label("is_active"),
                     User.birth_date, User.position, User.last_login_at, User.name_sort, Membership.class_id)
              .select_from(Membership).join(User, User.id == Membership.user_id)
              .where(*where, *([name] if named else []))
              .order_by(User.is_active_account.desc(), User.name_sort, User.id)
              .limit(bindparam("page_limit")).offset(bindparam("page_offset")).subquery("people"))
    # Without a name to match, the count needs the memberships alone: every one has its user (a foreign
    # key), and counting through the join read each of a school's 500 students' rows as well.
    counted = select(Membership.id).where(*where)
    if named:
        counted = counted.join(User, User.id == Membership.user_id).where(name)
    head = [select(func.count()).select_from(counted.limit(bindparam("count_cap")).subquery())
            .scalar_subquery().label("total")]
    if with_classes:
        head.append(select(json_rows(SchoolClass.id, SchoolClass.name, SchoolClass.school_year, SchoolClass.grade,
                                     order_by=(SchoolClass.school_year.desc(), SchoolClass.grade, SchoolClass.name)))
                    .where(SchoolClass.school_id == bindparam("school_id")).scalar_subquery().label("classes"))
    heading = select(*head).subquery("head")
    class_name = (select(SchoolClass.name).where(SchoolClass.id == people.c.class_id)
                  .scalar_subquery().label("class_name"))  # by key for each of the 25 (a join hashed them all)
    stmt = (select(heading, people, class_name).select_from(heading).outerjoin(people, true())
            .order_by(people.c.is_active.desc(), people.c.name_sort, people.c.id))
    return stmt if named else generic_plan(stmt)  # a name's LIKE keeps its value's plan


_STATEMENTS = {(of_class, named, with_classes): _statement(of_class, named, with_classes)
               for of_class in (False, True) for named in (False, True) for with_classes in (False, True)}


def people_page(session: Session, school: OrgUnit, role: Role, *, class_id: int | None = None, q: str = "",
                with_classes: bool = False) -> tuple[Page, tuple[ClassChoice, ...]]:
    """The requested page of the people holding `role` at the school (a class's students; those whose
    name or username holds `q`), active ones first then by name, as rows of what the list shows (id,
    full_name, username, is_active, birth_date, position, last_login_at, class_name); and, with
    `with_classes`, the school's classes, newest school year first, then by grade and name."""
    per_page = current_app.config["PER_PAGE"]
    page = current_page()
    cap = max(pagination.COUNT_CAP, (page + 10) * per_page)
    stmt = _STATEMENTS[bool(class_id), bool(q), with_classes]
    params = {"school_id": school.id, "role": role, "class_id": class_id, "count_cap": cap + 1,
              "name": f"%{_like_escape(fold(q))}%", "username": f"%{_like_escape(q.casefold())}%",
              "page_limit": per_page, "page_offset": (page - 1) * per_page}
    rows = list(read_rows(session, stmt, params))
    total = rows[0].total or 0
    last = max(1, ceil(min(total, cap) / per_page))
    if page > last:  # past the end: the last page, as paginate shows it
        page = last
        params["page_offset"] = (page - 1) * per_page
        rows = list(read_rows(session, stmt, params))
    classes = _classes(rows[0].classes or "[]") if with_classes else ()
    items = [row for row in rows if row.id is not None]
    return Page(items=items, page=page, per_page=per_page, total=min(total, cap), more=total > cap), classes


@functools.lru_cache(maxsize=256)
def _classes(text: str) -> tuple[ClassChoice, ...]:
    # [id, name, school_year, grade] per class; sorted here, as SQLite gives them in no set order.
    rows = sorted(json.loads(text), key=lambda row: row[1])
    rows.sort(key=lambda row: row[3])
    rows.sort(key=lambda row: row[2], reverse=True)
    return tuple(ClassChoice(int(cid), name, year) for cid, name, year, _grade in rows)
