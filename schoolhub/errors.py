"""Friendly error pages in the user's language.

A database error never reaches the user as a stack trace or as the server's bare page: the page
is rendered without touching the database again (the failed transaction is rolled back, what was
loaded stays readable), a busy database answers 503 "busy, try again" with the posted text kept,
and a database that went away answers 503 until it is back (the pool reconnects by itself).
"""
from __future__ import annotations

import logging

from flask import Flask, g, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from schoolhub.db import is_busy, is_unavailable

log = logging.getLogger(__name__)

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
    503: (_l("Not available right now"), _l("The database is not answering at the moment, so nothing was saved. Wait a minute and try again.")),
}
NUL_IN_FORM = (_l("The text held a character that cannot be saved"), _l(
    "What you sent held an invisible \"null\" character, usually brought along when copying from a PDF or "
    "another program. Nothing was saved. The character has been taken out: check the text below and send it "
    "again."))
BUSY = (_l("Busy, try again"), _l("Many people are saving at this very moment, so what you sent was not saved yet. Nothing is lost: send it again in a few seconds."))

# Posted fields that are not what the user typed: kept for sending again, never shown.
_TECHNICAL = {"csrf_token", "action", "base_revision", "next", "lang", "to", "is_core", "insert_image", "remember"}


def settle_database() -> None:
    """After a failure: roll the session back and make sure the layout asks the database nothing more.

    What was loaded stays readable (the objects are detached first). A user the view's rollback had
    already expired is loaded once more in a fresh session (a busy SQLite still answers reads); when
    that fails too, or the user could not be loaded at all, the page is drawn as for a visitor. The
    worklist is empty.
    """
    from schoolhub.security import login_manager

    _discard_session()
    g.work_items = []
    g.settling_database = True  # a user loaded again now asks nothing else (worklist.joined_to)
    user = g.get("_login_user")
    if user is None:
        g._login_user = login_manager.anonymous_user()
        return
    state = sa_inspect(user, raiseerr=False)
    if state is not None and state.expired_attributes:
        try:
            g.pop("_login_user", None)
            login_manager._load_user()
            g._login_user.full_name  # noqa: B018  (loaded now, or it raises here rather than in the layout)
        except SQLAlchemyError:
            _discard_session()
            g._login_user = login_manager.anonymous_user()


def _discard_session() -> None:
    session = g.pop("db_session", None)
    if session is not None:
        try:
            session.expunge_all()  # the user's name and memberships stay readable, detached
            session.rollback()
            session.close()
        except SQLAlchemyError as error:
            log.warning("could not roll back after a database error (%s); its connection is discarded",
                        error.__class__.__name__)


def render_error(code: int, detail: str | None = None):
    """Render the friendly page for an HTTP status."""
    title, message = MESSAGES.get(code, MESSAGES[500])
    if request.path.startswith("/healthz"):
        return {"status": "error", "code": code}, code
    return render_template("errors/error.html", code=code, title=title, message=detail or message), code


def _kept_form() -> tuple[list[tuple[str, str]], list[str], bool]:
    """What a POST carried: every field to send again, the typed texts to show, whether a file was lost."""
    if request.method not in ("POST", "PUT", "PATCH"):
        return [], [], False
    try:
        items = list(request.form.items(multi=True))
        lost_file = any(f.filename for f in request.files.values())
    except Exception:  # a body that cannot be parsed again: nothing to keep
        return [], [], False
    kept = [(k, v) for k, v in items if "password" not in k and k != "confirm"]
    texts = [v for k, v in kept if k not in _TECHNICAL and v.strip() and (len(v) > 30 or " " in v.strip())]
    return kept, texts, lost_file


def render_kept(code: int, title, message):
    """An error page that gives the posted form back, ready to send again, with its text visible."""
    kept, texts, lost_file = _kept_form()
    return render_template("errors/busy.html", code=code, title=title, message=message, kept=kept,
                           texts=texts, lost_file=lost_file), code


def render_busy(title=BUSY[0], message=BUSY[1]):
    """503 "busy, try again": the posted form comes back, ready to send again, with its text visible."""
    response, code = render_kept(503, title, message)
    return response, code, {"Retry-After": "5"}


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
        if code >= 500:
            settle_database()
        detail = error.description if getattr(error, "schoolhub_message", False) else None
        return render_error(code, detail)

    @app.errorhandler(SQLAlchemyError)
    def _database(error: SQLAlchemyError):
        settle_database()
        if is_busy(error):
            log.warning("database busy: %s %s answered 503 (%s)", request.method, request.path, error.__class__.__name__)
            return render_busy()
        if is_unavailable(error):
            log.error("database unavailable: %s %s: %s", request.method, request.path, error)
            if request.path.startswith("/healthz"):
                return {"status": "error", "database": "unreachable"}, 503
            if request.method in ("POST", "PUT", "PATCH"):
                return render_busy(*MESSAGES[503])  # what was typed comes back too
            return render_error(503)
        log.exception("database error on %s %s", request.method, request.path, exc_info=error)
        return render_error(500)

    @app.errorhandler(500)
    def _server_error(error):
        settle_database()
        return render_error(500)
