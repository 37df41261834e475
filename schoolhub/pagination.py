"""Pagination of a select(): one bounded COUNT and one page query, whatever the table size.

The count stops at COUNT_CAP rows (or ten pages past the one asked for): a list of 150,000 students
or 30,000 lessons says "more than 1,000" instead of counting every row on every view.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from math import ceil

from flask import current_app, request
from sqlalchemy import Integer, Select, bindparam, func, select
from sqlalchemy import true as sql_true
from sqlalchemy.orm import Session

from schoolhub.db import read_rows


@dataclass
class Page:
    """One page of results and what the pager needs."""

    items: list
    page: int
    per_page: int
    total: int
    more: bool = False  # the count stopped at `total`: there are more rows than that

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages or (self.more and bool(self.items))


COUNT_CAP = 1000
_DIGITS = re.compile(r"[0-9]{1,9}")


def small_int(raw: str | None) -> int | None:
    """A non-negative integer written in 1 to 9 ASCII digits, else None.

    (str.isdigit() accepts "²" and other digits int() refuses, which would be a 500.)
    """
    return int(raw) if raw and _DIGITS.fullmatch(raw) else None


def current_page() -> int:
    """The ?page= number, 1 when missing or not a positive integer."""
    page = small_int(request.args.get("page"))
    return page if page and page < 100000 else 1


def paged(stmt: Select) -> Select:
    """`stmt` for one page, its LIMIT and OFFSET left as parameters (paginate fills them): built once and
    kept (policy.shared_clause, Listing), it serves every page without being built, or its SQLAlchemy
    cache key worked out, again."""
    return stmt.limit(bindparam("page_limit")).offset(bindparam("page_offset"))


def counted(stmt: Select) -> Select:
    """The bounded count of `stmt`'s rows, its bound a parameter (paginate fills it)."""
    count = select(func.count()).select_from(stmt.order_by(None).limit(bindparam("count_cap")).subquery())
    return count.execution_options(**stmt.get_execution_options())  # db.generic_plan's mark too


@dataclass(frozen=True)
class Listing:
    """A list's count and page statements, built once from a statement whose values are parameters
    (bindparam), then run by paginate with those values: `Listing.of(stmt)` at import time."""

    count: Select
    page: Select

    @classmethod
    def of(cls, stmt: Select) -> Listing:
        return cls(count=counted(stmt), page=paged(stmt))


def paginate(session: Session, stmt: Select | Listing, *, scalars: bool = True, per_page: int | None = None,
             total: int | None = None, page_stmt: Select | None = None, params: dict | None = None) -> Page:
    """Run `stmt` for the requested page; `total`, when the caller knows it exactly (a figure kept on
    write), replaces the bounded count; `page_stmt`, paged(stmt) kept by the caller, runs the page.
    A Listing runs its own statements with `params`."""
    per_page = per_page or current_app.config["PER_PAGE"]
    page = current_page()
    more = False
    listing = stmt if isinstance(stmt, Listing) else None
    params = dict(params or {})
    if total is None:
        cap = max(COUNT_CAP, (page + 10) * per_page)
        count_stmt = listing.count if listing else counted(stmt)
        total = session.scalar(count_stmt, {**params, "count_cap": cap + 1}) or 0
        more = total > cap
        total = min(total, cap)
    last = max(1, ceil(total / per_page))
    page = min(page, last)
    if page_stmt is None:
        page_stmt = listing.page if listing else paged(stmt)
    params.update(page_limit=per_page, page_offset=(page - 1) * per_page)
    if scalars:
        items = list(session.scalars(page_stmt, params).unique())
    else:  # rows of columns: past the ORM's execution layer (db.read_rows)
        items = list(read_rows(session, page_stmt, params))
    return Page(items=items, page=page, per_page=per_page, total=total, more=more)


def headed(page: Select, counted: Select, *extra, order: tuple[str, ...]) -> Select:
    """A list's page, its bounded count and `extra` columns in ONE statement, built once with its values as
    parameters (page_limit, page_offset, count_cap and the list's own): a one-row head (the count of
    `counted`'s rows, stopped at count_cap, and the extra scalar subqueries, e.g. a filter's choices as
    json_rows) joined to the page's rows, so the head comes back even when the page is empty.

    `page` holds its ORDER BY; its LIMIT and OFFSET are added here. `order` names the same keys among its
    columns ("-name": descending), by which the joined rows are ordered again."""
    cap, limit, offset = (bindparam(name, type_=Integer()) for name in ("count_cap", "page_limit", "page_offset"))
    head = select(select(func.count()).select_from(counted.order_by(None).limit(cap).subquery())
                  .scalar_subquery().label("total"), *extra).subquery("head")
    rows = page.limit(limit).offset(offset).subquery("page")
    outer = [rows.c[key[1:]].desc() if key.startswith("-") else rows.c[key] for key in order]
    return select(head, rows).select_from(head).outerjoin(rows, sql_true()).order_by(*outer)


def headed_page(session: Session, stmt: Select, params: dict, *, per_page: int | None = None) -> tuple[Page, object]:
    """Run a headed() statement for the requested page: the Page of its rows (those of the page, none
    past the end: then the last page is read instead, as paginate shows it) and the head's row."""
    per_page = per_page or current_app.config["PER_PAGE"]
    page = current_page()
    cap = max(COUNT_CAP, (page + 10) * per_page)
    params = {**params, "count_cap": cap + 1, "page_limit": per_page, "page_offset": (page - 1) * per_page}
    rows = list(read_rows(session, stmt, params))
    total = rows[0].total or 0
    last = max(1, ceil(min(total, cap) / per_page))
    if page > last:
        page = last
        params["page_offset"] = (page - 1) * per_page
        rows = list(read_rows(session, stmt, params))
    items = [row for row in rows if row.id is not None]
    return Page(items=items, page=page, per_page=per_page, total=min(total, cap), more=total > cap), rows[0]
