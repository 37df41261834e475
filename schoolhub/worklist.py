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
    # endpoint -> (names, labelled columns) of its page questions (domains.Registry.add_page_question)
    pages: dict = field(default_factory=dict)


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
    the layout's two questions (who is this, what waits for them) in one round trip, and with the
    questions the page itself asks of the principal (domains.Registry.add_page_question).

    The questions depend on the user's memberships, known only once the user is loaded: this asks the
    ones of the user's last page in this process (their principal rarely changes between two pages).
    Returns the statement and a token for `accept_joined`, which keeps the answers only when the loaded
    user's principal is still the one asked for; else the badge and the page ask their own statements.
    Outside a GET (a page that writes may change what waits) the statement is returned as it is.
    """
    if not has_request_context() or request.method not in ("GET", "HEAD") or g.get("settling_database"):
        return stmt, None  # on an error page the database just failed: the user alone (errors.settle_database)
    with _LOCK:
        key = _LAST.get(user_id)
    kept: OrderedDict = current_app.extensions.get("schoolhub.worklist", OrderedDict())
    asked = kept.get(key) if key is not None else None
    if asked is None:
        return stmt, None
    endpoint = request.endpoint
    if not asked.columns and endpoint not in asked.pages:
        return stmt, None
    joined, names = _joined(asked, stmt, endpoint)
    return joined, (key, endpoint, names)


def _joined(asked: _Asked, stmt, endpoint: str | None) -> tuple[object, tuple[str, ...]]:
    """The user statement with the questions joined, and the names of the page questions among them."""
    names, page_columns = asked.pages.get(endpoint, ((), ()))
    # Keyed by the page questions too: a page's first visit joins none (not built yet), the next ones join
    # them; every page without questions shares one statement.
    slot = (id(stmt), endpoint if names else None, names)
    found = asked.joined.get(slot)
    if found is None:
        joined = stmt.add_columns(*asked.columns, *page_columns)
        joined._generate_cache_key()  # worked out once here (SQLAlchemy keeps it), not on the pages to come
        found = asked.joined[slot] = (stmt, joined)
    return found[1], names


def _page_questions(asked: _Asked, user, endpoint: str | None) -> None:
    """Build the page questions of `endpoint` for this principal, once (see _questions)."""
    questions = registry().page_questions.get(endpoint) if endpoint else None
    if not questions or endpoint in asked.pages:
        return
    names = tuple(name for name, _column in questions)
    columns = tuple(column(user).label(f"p_{name}") for name, column in questions)
    with _LOCK:
        asked.pages.setdefault(endpoint, (names, columns))


def accept_joined(user, stmt, token, answers: list) -> None:
    """After loading `user` with joined_to(stmt)'s statement: the answers (the row's columns past the user)
    become this request's to-do items and page answers when the user's principal is the one they were
    asked for."""
    if user is None or not has_request_context() or request.method not in ("GET", "HEAD"):
        return
    key = _key(user)
    with _LOCK:
        _LAST[user.id] = key
        _LAST.move_to_end(user.id)
        while len(_LAST) > _LAST_KEPT:
            _LAST.popitem(last=False)
    asked = _questions(user)
    endpoint = request.endpoint
    _page_questions(asked, user, endpoint)
    if token is not None and token[:2] == (key, endpoint):
        # Worded when the page asks (items_for): wording needs the locale, which needs this user.
        g.work_answers = (asked, tuple(answers[:len(asked.columns)]))
        g.page_answers = (key, dict(zip(token[2], answers[len(asked.columns):], strict=True)))
    elif asked.columns or endpoint in asked.pages:
        _joined(asked, stmt, endpoint)  # the user's next page asks both at once


NOT_ASKED = object()


def page_answer(name: str, user):
    """This request's answer to the page question `name` for `user`, asked with the user (joined_to): the
    answer itself, None included (a SELECT that found nothing), or NOT_ASKED when it was not asked with
    them (the first page of a principal in this process, a page that writes, an error page, another
    principal): the page then asks its own statement."""
    found = g.get("page_answers") if has_request_context() else None
    if found is None or not policy.is_authenticated(user) or found[0] != _key(user) or name not in found[1]:
        return NOT_ASKED
    return found[1][name]


def init_app(app: Flask) -> None:
    """Expose the worklist to every template."""

    @app.context_processor
    def _work_count():
        return {"work_items": lambda: items_for(current_user._get_current_object())}
