"""Serving attached files of every domain at /files/<token>, to whoever the owning domain's policy allows.

The registry and the lookup are in schoolhub.attachments; this blueprint only answers the request.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, send_file
from flask_login import current_user

from schoolhub import attachments, files, pending, policy
from schoolhub.db import get_session

bp = Blueprint("files", __name__)


@bp.route("/files/<token>")
def serve(token: str):
    """An attached file, to whoever may do its owner's action: images inline, everything else as a download."""
    found = attachments.find_attachment(get_session(), token)
    if found is None:
        return _waiting(token)
    entry, attachment = found
    # The owning domain's rule decides: 404 for what is private, the login page for visitors.
    owner = policy.load_visible(entry.owner_of(attachment), entry.action)
    try:
        path = files.path_for(current_app.config["UPLOAD_DIR"], attachment.token)
    except ValueError:
        abort(404)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=attachment.mime, as_attachment=not attachment.is_image,
                         download_name=attachment.original_name, conditional=True)
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Even if a browser were tricked into rendering a file as a page, it could run nothing.
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    # Always revalidate (answers are conditional, so cheap): an archived lesson's or a logged-out user's
    # files must not linger in a shared school computer's cache.
    response.headers["Cache-Control"] = "public, no-cache" if entry.public(owner) else "private, no-cache"
    return response


def _waiting(token: str):
    """A file sent with a preview and not saved yet: only its sender sees it (a picture in their preview)."""
    user_id = current_user.id if current_user.is_authenticated else None
    waiting = pending.find(current_app.config["UPLOAD_DIR"], token, user_id)
    if waiting is None:
        abort(404)
    path = files.path_for(current_app.config["UPLOAD_DIR"], token)
    response = send_file(path, mimetype=waiting.kind.mime, as_attachment=not waiting.is_image,
                         download_name=waiting.name, conditional=True)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response
