"""Double-submission guard: a form that creates something carries a one-time id.

The id is remembered in the session when the form validates; the same id
posted again (a double click, a browser resubmission) answers 409 instead of
creating the thing twice.
"""
from __future__ import annotations

import secrets

from flask import abort, request, session
from wtforms import HiddenField

_KEY = "used_submissions"
_MADE = "submission_made"
_KEEP = 30


def new_submission_id() -> str:
    """An id for a plain form (no WTForms) that must not act twice: its `submission_id` hidden field."""
    return secrets.token_urlsafe(12)


def posted_again() -> bool:
    """True when this POST carries a submission_id already accepted in this session (a reload, a double tap)."""
    sid = request.form.get("submission_id", "")[:40]
    return bool(sid) and sid in session.get(_KEY, [])


def accept_posted() -> None:
    """Remember this POST's submission_id as used."""
    sid = request.form.get("submission_id", "")[:40]
    if sid:
        session[_KEY] = (session.get(_KEY, []) + [sid])[-_KEEP:]


class OnceMixin:
    """Mix into a FlaskForm: adds `submission_id` and makes `validate_on_submit` refuse a repeat."""

    submission_id = HiddenField(default=lambda: secrets.token_urlsafe(12))

    def made_before(self) -> int | None:
        """When this very form was already posted and made something, the id `remember` kept for it.

        A reload of the page a create answered (the browser posts the form again) can then say what was
        made instead of a bare refusal; None when the form is new or made nothing known.
        """
        sid = (self.submission_id.data or "")[:40] if self.is_submitted() else ""
        if not sid or sid not in session.get(_KEY, []):
            return None
        made = session.get(_MADE, {}).get(sid)
        return made if isinstance(made, int) else None

    def remember(self, made_id: int) -> None:
        """Keep the id of what the accepted post made, for `made_before` (in the signed session cookie)."""
        sid = getattr(self, "_accepted", "")
        if sid:
            kept = dict(list(session.get(_MADE, {}).items())[-(_KEEP - 1):])
            kept[sid] = made_id
            session[_MADE] = kept

    def validate_on_submit(self, extra_validators=None) -> bool:
        if not self.is_submitted():
            return False
        sid = (self.submission_id.data or "")[:40]
        used = session.get(_KEY, [])
        if sid and sid in used:
            abort(409)
        valid = self.validate(extra_validators=extra_validators)
        if valid and sid:
            session[_KEY] = (used + [sid])[-_KEEP:]
            self._accepted = sid
        # Whatever happens next, a form shown again gets a fresh id.
        self.submission_id.data = secrets.token_urlsafe(12)
        return valid
