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
from dataclasses import dataclass, field

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
# user id -> the key of their questions on their last page in this process (see joined_to)
_LAST: OrderedDict = OrderedDict()
_LAST_KEPT = 4096


@dataclass
class _Asked:
    """A principal's questions, the statement asking them alone, and the user statements they were
    joined to (see joined_to), each built once."""

    pending: list[Pending]
    stmt: object | None
    columns: list = field(default_factory=list)
    joined: dict = field(default_factory=dict)


def _key(user) -> tuple:
    return (policy.principal_key(user), request.script_root if has_request_context() else None)


def _questions(user) -> _Asked:
    """The user's pending questions and the one statement asking them all, built once per app and
    principal (policy.principal_key) and reused.

    Like the scopes' clauses (policy.shared_clause), they hold no data, only the principal's ids and
    paths and the links under this app's root: building them (and SQLAlchemy's cache key of a reused
    statement) was most of the to-do badge's cost on every page.
    """
    kept: OrderedDict = current_app.extensions.setdefault("schoolhub.worklist", OrderedDict())
    key = _key(user)
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
    columns = []
    for pending in asked:
        columns.append(pending.count)
        if pending.target is not None:
            columns.append(pending.target)
    columns = [c.label(f"w{i}") for i, c in enumerate(columns)]
    found = _Asked(asked, generic_plan(select(*columns)) if columns else None, columns)
    with _LOCK:
        kept[key] = found
        while len(kept) > _KEPT:
            kept.popitem(last=False)
    return found


def _items(asked: list[Pending], answers: list) -> list[WorkItem]:
    items: list[WorkItem] = []
    for pending in asked:
        n = int(answers.pop(0) or 0)
        target = answers.pop(0) if pending.target is not None else None
        if n:
            url = pending.url(target) if callable(pending.url) else pending.url
            items.append(WorkItem(pending.text(n), url, n))
    return items


def items_for(user) -> list[WorkItem]:
    """Every to-do of the user, computed once per request in at most one statement (none when the
    user's own statement asked them: see joined_to)."""
    if not policy.is_authenticated(user):
        return []
    if "work_items" in g:
        return g.work_items
    asked = _questions(user)
    items: list[WorkItem] = []
    answered = g.pop("work_answers", None)
    if answered is not None and answered[0] is asked:
        items = _items(asked.pending, list(answered[1]))
    elif asked.stmt is not None:
        items = _items(asked.pending, list(read_rows(get_session(), asked.stmt).one()))
    g.work_items = items
    return items


def joined_to(stmt, user_id: int):
    """`stmt`, the statement loading a user for a page, with their to-do questions as extra columns:
    the layout's two questions (who is this, what waits for them) in one round trip.

    The questions depend on the user's memberships, known only once the user is loaded: this asks the
    ones of the user's last page in this process (their principal rarely changes between two pages).
    Returns the statement and a token for `accept_joined`, which keeps the answers only when the loaded
    user's principal is still the one asked for; else the badge asks its own statement as before.
    Outside a GET (a page that writes may change what waits) the statement is returned as it is.
    """
    if not has_request_context() or request.method not in ("GET", "HEAD"):
        return stmt, None
    with _LOCK:
        key = _LAST.get(user_id)
    kept: OrderedDict = current_app.extensions.get("schoolhub.worklist", OrderedDict())
    asked = kept.get(key) if key is not None else None
    if asked is None or not asked.columns:
        return stmt, None
    return _joined(asked, stmt), key


def _joined(asked: _Asked, stmt):
    found = asked.joined.get(id(stmt))
    if found is None:
        joined = stmt.add_columns(*asked.columns)
        joined._generate_cache_key()  # worked out once here (SQLAlchemy keeps it), not on the pages to come
        found = asked.joined[id(stmt)] = (stmt, joined)
    return found[1]


def accept_joined(user, stmt, token, answers: list) -> None:
    """After loading `user` with joined_to(stmt)'s statement: the answers (the row's columns past the user)
    become this request's to-do items when the user's principal is the one they were asked for."""
    if user is None or not has_request_context() or request.method not in ("GET", "HEAD"):
        return
    key = _key(user)
    with _LOCK:
        _LAST[user.id] = key
        _LAST.move_to_end(user.id)
        while len(_LAST) > _LAST_KEPT:
            _LAST.popitem(last=False)
    asked = _questions(user)
    if token is not None and token == key:
        # Worded when the page asks (items_for): wording needs the locale, which needs this user.
        g.work_answers = (asked, tuple(answers))
    elif asked.columns:
        _joined(asked, stmt)  # the user's next page asks both at once


def init_app(app: Flask) -> None:
    """Expose the worklist to every template."""

    @app.context_processor
    def _work_count():
        return {"work_items": lambda: items_for(current_user._get_current_object())}
