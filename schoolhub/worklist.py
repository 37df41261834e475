"""The to-do list: what waits for the current user, fed by every feature.

A feature registers a provider, a function of (session, user) that returns
`WorkItem`s; the header shows their count and the home page lists them.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, g
from flask_login import current_user

from schoolhub.db import get_session


@dataclass(frozen=True)
class WorkItem:
    """One thing waiting for the user: a sentence, a link, and how many it covers."""

    text: str
    url: str
    count: int = 1


PROVIDERS: list[Callable] = []


def provider(func: Callable) -> Callable:
    """Register a to-do provider (decorator)."""
    PROVIDERS.append(func)
    return func


def items_for(user) -> list[WorkItem]:
    """Every to-do of the user, computed once per request."""
    if not getattr(user, "is_authenticated", False):
        return []
    if "work_items" not in g:
        session = get_session()
        found: list[WorkItem] = []
        for func in PROVIDERS:
            found.extend(func(session, user))
        g.work_items = found
    return g.work_items


def init_app(app: Flask) -> None:
    """Expose the to-do count to every template."""

    @app.context_processor
    def _work_count():
        return {"work_items": lambda: items_for(current_user)}
