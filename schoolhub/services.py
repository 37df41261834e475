"""The shared kernel of every domain's services.

Services are verbs taking `(session, actor, plain values)`: they flush, never commit (the view
commits once per request), raise `ServiceError` for input they refuse, and call `audit()` for
anything sensitive. They never read Flask's request: the web layer passes the client's address in
on the session (`db.get_session`), and `audit()` takes it from there.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from schoolhub.audit import record


class ServiceError(ValueError):
    """A rejected input, with a translatable message and the form field it concerns."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


def audit(session: Session, actor, action: str, obj, unit=None, detail: str = "") -> None:
    """Record a sensitive action in the audit log (with the address the view passed on the session)."""
    record(session, actor, action, obj, unit, detail)
