"""Nothing typed is lost: a form sent with an expired form token, or after the session ended (logged out in
another tab, the password changed elsewhere), keeps what was typed as a draft, and the same form shows it
again once the person can send it (at once, or after logging in again).

Only views marked `@keeps_typed_text` (forms that show themselves again on GET and act only once their
form validates) keep drafts; the refused POST itself never runs the view, so CSRF protection is whole.
A draft lives in a file under UPLOAD_DIR/drafts/, named by a random token kept in its own HttpOnly cookie
(login starts a fresh session, so the session could not carry it). It is restored once, on the same
address, for the account that typed it (or, when the browser no longer said who, for the next person who
logs in on that browser), then deleted; drafts are removed after KEEP_SECONDS.
"""
from __future__ import annotations

import json
import re
import secrets
import time
from pathlib import Path

from flask import Flask, current_app, flash, g, redirect, request, session
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_login.utils import login_url
from werkzeug.datastructures import MultiDict

COOKIE = "schoolhub_draft"
KEEP_SECONDS = 12 * 3600  # as long as a session lives
_TOKEN = re.compile(r"^[0-9a-f]{32}$")
_NOT_KEPT = {"csrf_token"}

MSG_KEPT = _l("It was not saved yet: the page had been open for too long, or you logged in again in another tab. "
              "What you typed is kept below: check it, then save again.")
MSG_LOG_IN = _l("You were logged out (perhaps in another tab), so it was not saved. What you typed is kept: log in "
                "again and it will be back in the form.")


def keeps_typed_text(view):
    """Mark a form view whose typed text is kept as a draft when its POST is refused for the session's sake."""
    view.keeps_typed_text = True
    return view


def _keepable() -> bool:
    if request.method != "POST" or not request.endpoint:
        return False
    view = current_app.view_functions.get(request.endpoint)
    return bool(getattr(view, "keeps_typed_text", False))


def _folder() -> Path:
    folder = Path(current_app.config["UPLOAD_DIR"]) / "drafts"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _sweep(folder: Path) -> None:
    cutoff = time.time() - KEEP_SECONDS
    for item in folder.glob("*.json"):
        try:
            if item.stat().st_mtime < cutoff:
                item.unlink()
        except OSError:
            pass  # another request removed it first


def _claimed_user_id() -> int | None:
    """Who typed it: the logged-in account, else the one the (expired) session still names, else nobody."""
    if current_user.is_authenticated:
        return current_user.id
    raw = str(session.get("_user_id") or "").partition(":")[0]
    return int(raw) if raw.isdigit() and len(raw) <= 18 else None


def keep():
    """Keep the refused form's fields as a draft; answer with where to go next (None: not a form we keep)."""
    if not _keepable():
        return None
    folder = _folder()
    _sweep(folder)
    token = secrets.token_hex(16)
    fields = [[key, value] for key, value in request.form.items(multi=True)
              if key not in _NOT_KEPT and "password" not in key]  # never a password on disk
    draft = {"path": request.path, "user_id": _claimed_user_id(), "fields": fields}
    (folder / f"{token}.json").write_text(json.dumps(draft, ensure_ascii=False), encoding="utf-8")
    if current_user.is_authenticated:
        response = redirect(request.path, code=303)
    else:
        flash(str(MSG_LOG_IN), "info")
        response = redirect(login_url(current_app.login_manager.login_view, next_url=request.path), code=303)
    response.set_cookie(COOKIE, token, max_age=KEEP_SECONDS, httponly=True, samesite="Lax",
                        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")))
    return response


def _restore() -> None:
    """On the GET of a kept form's address, put the draft where `formdata()` finds it."""
    token = request.cookies.get(COOKIE, "")
    if request.method != "GET" or not _TOKEN.match(token) or not current_user.is_authenticated:
        return
    if current_user.must_change_password:
        return  # the password form comes first; the draft waits
    path = _folder() / f"{token}.json"
    try:
        draft = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        g.draft_done = True  # a stale cookie: forget it
        return
    if draft.get("path") != request.path:
        return
    if draft.get("user_id") not in (None, current_user.id):
        return  # someone else's words: never shown to another account
    g.draft_formdata = MultiDict([(str(k), str(v)) for k, v in draft.get("fields", [])])
    g.draft_done = True
    path.unlink(missing_ok=True)
    flash(str(MSG_KEPT), "info")


def formdata() -> MultiDict | None:
    """The restored draft of this request, for the first form that asks (schoolhub.forms.Form)."""
    return g.pop("draft_formdata", None) if "draft_formdata" in g else None


def _unauthorized():
    """Flask-Login's answer to a visitor, except that a kept form's POST keeps its text first."""
    kept = keep()
    if kept is not None:
        return kept
    manager = current_app.login_manager
    if manager.login_message:
        flash(str(manager.login_message), manager.login_message_category)
    return redirect(login_url(manager.login_view, next_url=request.url))


def init_app(app: Flask) -> None:
    """Restore drafts on GET, forget them once shown, keep them when a session-less POST is refused."""
    app.before_request(_restore)

    @app.after_request
    def _forget(response):
        if g.get("draft_done"):
            response.delete_cookie(COOKIE, httponly=True, samesite="Lax")
        return response

    app.login_manager.unauthorized_handler(_unauthorized)
