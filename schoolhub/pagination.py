"""Pagination of a select(): one bounded COUNT and one page query, whatever the table size.

The count stops at COUNT_CAP rows (or ten pages past the one asked for): a list of 150,000 students
or 30,000 lessons says "more than 1,000" instead of counting every row on every view.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from math import ceil

from flask import current_app, request
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session


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


def paginate(session: Session, stmt: Select, *, scalars: bool = True, per_page: int | None = None,
             total: int | None = None) -> Page:
    """Run `stmt` for the requested page; `total`, when the caller knows it exactly (a figure kept on
    write), replaces the bounded count."""
    per_page = per_page or current_app.config["PER_PAGE"]
    page = current_page()
    more = False
    if total is None:
        cap = max(COUNT_CAP, (page + 10) * per_page)
        counted = stmt.order_by(None).limit(cap + 1).subquery()
        total = session.scalar(select(func.count()).select_from(counted)) or 0
        more = total > cap
        total = min(total, cap)
    last = max(1, ceil(total / per_page))
    page = min(page, last)
    paged = stmt.limit(per_page).offset((page - 1) * per_page)
    items = list(session.scalars(paged).unique()) if scalars else list(session.execute(paged))
    return Page(items=items, page=page, per_page=per_page, total=total, more=more)
