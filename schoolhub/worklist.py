"""The worklist ("Việc cần làm" on screen): what waits for the current user, fed by every domain.

A domain registers a `Provider` in its init_app: the action it needs and a function of
(user, units) returning `Pending` questions, where `units` are the user's units on which the
action is allowed (`policy.units_where`). A provider whose action the user holds nowhere is not
called at all, so a student's page runs no teacher's query. Every pending count (and the target
of its link, when it needs one) is a scalar SELECT; all of them go to the database together in
ONE statement, so the header badge costs at most one statement per page.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, g
from flask_login import current_user
from sqlalchemy import select

from schoolhub import policy
from schoolhub.db import get_session
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
    """A domain's contribution to the worklist: needs `action` somewhere; `pending(user, units)`."""

    action: str
    pending: Callable


def items_for(user) -> list[WorkItem]:
    """Every to-do of the user, computed once per request in at most one statement."""
    if not policy.is_authenticated(user):
        return []
    if "work_items" in g:
        return g.work_items
    asked: list[Pending] = []
    for provider in registry().providers:
        units = policy.units_where(user, provider.action)
        if units:
            asked.extend(provider.pending(user, units))
    items: list[WorkItem] = []
    if asked:
        columns = []
        for pending in asked:
            columns.append(pending.count)
            if pending.target is not None:
                columns.append(pending.target)
        row = list(get_session().execute(
            select(*[c.label(f"w{i}") for i, c in enumerate(columns)])).one())
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
