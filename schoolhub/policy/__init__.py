"""Authorization: the one vocabulary of actions, the rule registry, and the questions every view,
template, to-do provider, home panel and navigation entry asks.

Each domain's `policy.py` defines its actions with `define()`, registers one rule per action with
`@rule` (a docstring each) and, beside every rule whose action lists things, its SQL twin with
`@scope` (the WHERE clause of exactly the rows the rule allows). Views load an object and call
`load_visible(obj, action)` (404 when it is private, the login page for visitors), then
`require(action, obj)` (403), then act; templates call `can(action, obj)` to show the same
buttons. Nothing outside the policy modules decides by role: it asks `can` or `units_where`.

This package imports no domain: principals are read through duck-typed memberships
(`user.memberships`, each with `.role` and `.unit`, a unit with `.contains(other)`).
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from flask import abort
from flask_login import current_user


class ActionName(str):
    """An action's name (a plain str, so templates and URLs can carry it), with its description."""

    doc: str = ""


class Vocabulary:
    """The registry of action names: `Action.VIEW_LESSON` is "view_lesson" once a domain defined it."""

    def __init__(self) -> None:
        self._names: dict[str, ActionName] = {}

    def define(self, name: str, doc: str) -> ActionName:
        """Add an action (idempotent for the same name and description)."""
        known = self._names.get(name)
        if known is not None:
            if known.doc != doc:
                raise ValueError(f"action {name!r} is defined twice with different descriptions")
            return known
        action = ActionName(name)
        action.doc = doc
        self._names[name] = action
        return action

    def __getattr__(self, attr: str) -> ActionName:
        if attr.startswith("_"):
            raise AttributeError(attr)
        try:
            return self._names[attr.lower()]
        except KeyError:
            raise AttributeError(f"no action {attr.lower()!r} is defined") from None

    def __call__(self, value: str) -> ActionName:
        try:
            return self._names[str(value)]
        except KeyError:
            raise ValueError(f"no action {value!r} is defined") from None

    def __iter__(self) -> Iterator[ActionName]:
        return iter(list(self._names.values()))

    def __contains__(self, value: object) -> bool:
        return str(value) in self._names


Action = Vocabulary()
define = Action.define


@dataclass(frozen=True)
class Rule:
    """Who may do an action to an object: `check(user, obj) -> bool`."""

    action: ActionName
    check: Callable
    anonymous: bool  # also asked for visitors who are not logged in
    each: Callable | None = None  # `each(user, objs) -> [bool]`: the same answers for a list at once

    @property
    def func(self) -> Callable:
        return self.check


@dataclass(frozen=True)
class Scope:
    """The SQL twin of a rule: `clause(user)` is the WHERE clause over `model` for what the rule allows."""

    action: ActionName
    model: type
    clause: Callable

    @property
    def func(self) -> Callable:
        return self.clause


RULES: dict[ActionName, Rule] = {}
SCOPES: dict[ActionName, Scope] = {}


def _registrar(registry: dict, action: ActionName, make: Callable, kind: str) -> Callable:
    def register(func: Callable) -> Callable:
        known = registry.get(action)
        if known is not None and known.func is not func:
            raise ValueError(f"action {action!r} already has a {kind}: {known.func.__qualname__}")
        registry[action] = make(func)
        return func

    return register


def rule(action: ActionName, *, anonymous: bool = False, each: Callable | None = None) -> Callable:
    """Register the rule of an action (decorator); one rule per action. `each(user, objs)`, where given,
    answers for a whole list what the rule answers for each of its objects (can_each asks it)."""
    return _registrar(RULES, action, lambda func: Rule(action, func, anonymous, each), "rule")


def scope(action: ActionName, model: type) -> Callable:
    """Register the SQL twin of an action's rule over `model` (decorator)."""
    return _registrar(SCOPES, action, lambda func: Scope(action, model, func), "scope")


# ---- principals -------------------------------------------------------------------------------

def is_authenticated(user) -> bool:
    """True for a logged-in account (False for None and for Flask-Login's anonymous user)."""
    return bool(user is not None and getattr(user, "is_authenticated", False))


def memberships(user) -> list:
    """The user's current memberships (loaded with their units when the user was loaded)."""
    if not is_authenticated(user):
        return []
    return list(user.memberships)


def has_role(user, role, unit) -> bool:
    """True when the user holds `role` on `unit` or on a unit above it."""
    return any(m.role == role and m.unit.contains(unit) for m in memberships(user))


def is_related(user, unit) -> bool:
    """True when the unit is one of the user's own, lies under one, or lies above one.

    Anything else (a sibling school, another commune) is private: views answer 404.
    """
    return any(m.unit.contains(unit) or unit.contains(m.unit) for m in memberships(user))


def units_where(user, action: ActionName | str) -> list:
    """The units of the user's memberships on which they may do `action`, in membership order."""
    seen: dict[int, object] = {}
    for m in memberships(user):
        if m.unit.id not in seen and can(action, m.unit, user):
            seen[m.unit.id] = m.unit
    return list(seen.values())


def principal_key(user) -> tuple | None:
    """Everything about a principal that scopes may read: the id and each current membership's role,
    unit (id, path, kind) and class. None for a visitor."""
    if not is_authenticated(user):
        return None
    return (user.id, tuple((m.role, m.unit.id, m.unit.path, m.unit.kind, getattr(m, "class_id", None))
                           for m in memberships(user)))


_CLAUSES: OrderedDict = OrderedDict()
_CLAUSES_KEPT = 1024  # about 10 KB each, 10 MB a process: up to 8 per person (scopes and the statements
# built from them, measured at the province preset), so the last ~130 people a worker served; a person
# past that has theirs built again, which costs what every request cost before they were kept
_CLAUSES_LOCK = threading.Lock()


def shared_clause(name: str, user, build: Callable) -> object:
    """`build(user)`, a WHERE clause (or a statement made of such clauses and nothing else of the user),
    made once per process for each principal (principal_key) and reused.

    Building a scope's clause is Python work of milliseconds on every page (SQLAlchemy expressions); the
    clause holds no data, only the principal's ids and paths, so it stays right for as long as those do:
    a changed membership is a new key. A scope that reads anything else of the user must not use this.
    """
    key = (name, principal_key(user))
    with _CLAUSES_LOCK:
        found = _CLAUSES.get(key)
        if found is not None:
            _CLAUSES.move_to_end(key)
            return found
    clause = build(user)
    with _CLAUSES_LOCK:
        _CLAUSES[key] = clause
        while len(_CLAUSES) > _CLAUSES_KEPT:
            _CLAUSES.popitem(last=False)
    return clause


# ---- the questions ----------------------------------------------------------------------------

def _resolve(user):
    """The user asked about: the current user by default, as the object itself rather than Flask-Login's
    proxy (a rule reads the user's attributes a dozen times; through the proxy each read costs a lookup
    of the request context, which on a list asking a rule per row added up to a millisecond)."""
    user = current_user if user is None else user
    unwrap = getattr(user, "_get_current_object", None)
    return unwrap() if unwrap is not None else user


def can(action: ActionName | str, obj=None, user=None) -> bool:
    """True when `user` (default: the current user) may do `action` to `obj`."""
    user = _resolve(user)
    found = RULES.get(Action(action))
    if found is None:
        raise LookupError(f"action {action!r} has no rule")
    if not is_authenticated(user) and not found.anonymous:
        return False
    return bool(found.check(user, obj))


def can_each(action: ActionName | str, objs, user=None) -> list[bool]:
    """`can(action, obj, user)` of each of `objs`, in order: the user and the rule looked up once, and
    the rule's `each` asked where it has one (a list of 25 people asked the rule 25 times)."""
    user = _resolve(user)
    found = RULES.get(Action(action))
    if found is None:
        raise LookupError(f"action {action!r} has no rule")
    objs = list(objs)
    if not is_authenticated(user) and not found.anonymous:
        return [False] * len(objs)
    if found.each is not None:
        return [bool(answer) for answer in found.each(user, objs)]
    return [bool(found.check(user, obj)) for obj in objs]


def require(action: ActionName | str, obj=None, user=None) -> None:
    """Abort with 403 unless `can(action, obj)`."""
    if not can(action, obj, user):
        abort(403)


def load_visible(obj, action: ActionName | str, user=None):
    """Return `obj` when the user may do `action` to it (usually: see it).

    Missing or private: 404, so nobody learns what another school holds. A visitor who is not
    logged in is sent to the login page instead, since logging in may reveal it.
    """
    user = _resolve(user)
    if obj is not None and can(action, obj, user):
        return obj
    if obj is not None and not is_authenticated(user):
        from schoolhub.security import login_manager

        abort(login_manager.unauthorized())
    abort(404)


def visible(action: ActionName | str, user=None):
    """The WHERE clause of what `action` allows the user, from the action's registered scope."""
    found = SCOPES.get(Action(action))
    if found is None:
        raise LookupError(f"action {action!r} has no scope")
    return found.clause(_resolve(user))
