"""Friendly error pages in the user's language."""
from __future__ import annotations

from flask import Flask, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

MESSAGES = {
    400: (_l("The page could not use what was sent"), _l(
        "What the page sent was incomplete, or it came from a page that was open for too long. Nothing was "
        "changed. Go back, reload the page and try again.")),
    403: (_l("Not allowed"), _l("Your account does not have permission to do this.")),
    404: (_l("Not found"), _l("This page does not exist, or it is not shared with you.")),
    405: (_l("This page cannot be opened like this"), _l(
        "This address only answers a form being sent, for example after pressing a button; it cannot be reloaded "
        "or opened from a link. Nothing was changed. Go back to the previous page or to the home page and "
        "start again from there.")),
    409: (_l("This has already been done"), _l(
        "The same form was sent twice (a double tap, or a page reloaded), or someone else changed this in the "
        "meantime, so it was not done again. Open the page again to see where things stand.")),
    413: (_l("File too large"), _l("The file is larger than the allowed limit. Choose a smaller file.")),
    429: (_l("Too many attempts"), _l("Too many attempts in a short time. Wait a few minutes and try again.")),
    500: (_l("Something went wrong"), _l("An unexpected error occurred. Nothing was saved. Try again in a moment.")),
}


def render_error(code: int, detail: str | None = None):
    """Render the friendly page for an HTTP status."""
    title, message = MESSAGES.get(code, MESSAGES[500])
    if request.path.startswith("/healthz"):
        return {"status": "error", "code": code}, code
    return render_template("errors/error.html", code=code, title=title, message=detail or message), code


def init_app(app: Flask) -> None:
    """Register handlers for the statuses users may meet."""

    @app.errorhandler(CSRFError)
    def _csrf(error):
        from flask_babel import gettext as _

        from schoolhub import drafts

        kept = drafts.keep()  # a form we know how to show again: keep what was typed
        if kept is not None:
            return kept
        return render_error(400, _("The page was open for too long, or you logged in again in another tab, so what "
                                   "it sent was not accepted. Nothing was changed. Reload the page and do it again."))

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        code = error.code or 500
        if code in (301, 302, 303, 307, 308):
            return error
        detail = error.description if getattr(error, "schoolhub_message", False) else None
        return render_error(code, detail)

    @app.errorhandler(500)
    def _server_error(error):
        return render_error(500)
