"""The worklist ("Việc cần làm" on screen): what waits for the current user, fed by every domain.

A domain registers a `Provider` in its init_app: the action it needs and a function of
(user, units) returning `Pending` questions, where `units` are the user's units on which the
action is allowed (`policy.units_where`). A provider whose action the user holds nowhere is not
called at all, so a student's page runs no teacher's query. Every pending count (and the target
of its link, when it needs one) is a scalar SELECT; all of them go to the database together in
ONE statement, so the header badge costs at most one statement per page.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app, g, has_request_context, request
from flask_login import current_user
from sqlalchemy import select

from schoolhub import policy
from schoolhub.db import generic_plan, get_session, read_rows
from schoolhub.domains import registry


@dataclass(frozen=True)
class WorkItem:
    """One thing waiting for the user: a sentence, a link, and how many it covers."""

    text: str
    url: str
    count: int = 1


@dataclass(frozen=True)
class Pending:
    """A question for the database: how many (`count`, a scalar SELECT), then the sentence and link.

    `text(n)` words it; `url` is a link, or a function of the `target` SELECT's answer (e.g. the
    first lesson to read) when the link depends on the data.
    """

    count: object
    text: Callable[[int], str]
    url: str | Callable
    target: object | None = None


@dataclass(frozen=True)
class Provider:
    """A domain's contribution to the worklist: needs `action` somewhere; `pending(user, units)`.

    `pending` builds questions from the principal alone (its id, memberships and their units: what
    policy.principal_key holds), never from data: its answer is reused for every page of that
    principal (see _questions). The data is read when the statement runs."""

    action: str
    pending: Callable


_KEPT = 512  # principals whose questions each app keeps (a few KB each)
_LOCK = threading.Lock()


def _questions(user) -> tuple[list[Pending], object | None]:
    """The user's pending questions and the one statement asking them all, built once per app and
    principal (policy.principal_key) and reused.

    Like the scopes' clauses (policy.shared_clause), they hold no data, only the principal's ids and
    paths and the links under this app's root: building them (and SQLAlchemy's cache key of a reused
    statement) was most of the to-do badge's cost on every page.
    """
    kept: OrderedDict = current_app.extensions.setdefault("schoolhub.worklist", OrderedDict())
    key = (policy.principal_key(user), request.script_root if has_request_context() else None)
    with _LOCK:
        found = kept.get(key)
        if found is not None:
            kept.move_to_end(key)
            return found
    asked: list[Pending] = []
    for provider in registry().providers:
        units = policy.units_where(user, provider.action)
        if units:
            asked.extend(provider.pending(user, units))
    stmt = None
    if asked:
        columns = []
        for pending in asked:
            columns.append(pending.count)
            if pending.target is not None:
                columns.append(pending.target)
        stmt = generic_plan(select(*[c.label(f"w{i}") for i, c in enumerate(columns)]))
    with _LOCK:
        kept[key] = (asked, stmt)
        while len(kept) > _KEPT:
            kept.popitem(last=False)
    return asked, stmt


def items_for(user) -> list[WorkItem]:
    """Every to-do of the user, computed once per request in at most one statement."""
    if not policy.is_authenticated(user):
        return []
    if "work_items" in g:
        return g.work_items
    asked, stmt = _questions(user)
    items: list[WorkItem] = []
    if stmt is not None:
        row = list(read_rows(get_session(), stmt).one())
        for pending in asked:
            n = int(row.pop(0) or 0)
            target = row.pop(0) if pending.target is not None else None
            if n:
                url = pending.url(target) if callable(pending.url) else pending.url
                items.append(WorkItem(pending.text(n), url, n))
    g.work_items = items
    return items


def init_app(app: Flask) -> None:
    """Expose the worklist to every template."""

    @app.context_processor
    def _work_count():
        return {"work_items": lambda: items_for(current_user._get_current_object())}
