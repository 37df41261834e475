"""Double-submission guard: a form that creates something carries a one-time id.

The id is remembered in the session when the form validates; the same id
posted again (a double click, a browser resubmission) answers 409 instead of
creating the thing twice.
"""
from __future__ import annotations

import secrets

from flask import abort, session
from wtforms import HiddenField

_KEY = "used_submissions"
_KEEP = 30


class OnceMixin:
    """Mix into a FlaskForm: adds `submission_id` and makes `validate_on_submit` refuse a repeat."""

    submission_id = HiddenField(default=lambda: secrets.token_urlsafe(12))

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
        # Whatever happens next, a form shown again gets a fresh id.
        self.submission_id.data = secrets.token_urlsafe(12)
        return valid
