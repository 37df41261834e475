"""Serving lesson files to whoever may read their lesson."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, send_file
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from schoolhub import files, policy
from schoolhub.db import get_session
from schoolhub.lessons import pending
from schoolhub.lessons.models import Attachment, Lesson, LessonStatus, Visibility
from schoolhub.security import login_manager

files_bp = Blueprint("files", __name__)


@files_bp.route("/files/<token>")
def serve(token: str):
    """An attachment, to whoever may read its lesson: images inline, everything else as a download."""
    if len(token) > 40:
        abort(404)
    attachment = get_session().scalar(
        select(Attachment).where(Attachment.token == token)
        .options(joinedload(Attachment.lesson).joinedload(Lesson.school))
    )
    if attachment is None:
        return _waiting(token)
    lesson = attachment.lesson
    if not policy.can(policy.Action.VIEW_LESSON, lesson):
        if not current_user.is_authenticated:
            abort(login_manager.unauthorized())
        abort(404)
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
    public = lesson.status == LessonStatus.PUBLISHED and lesson.visibility == Visibility.PUBLIC
    # Always revalidate (answers are conditional, so cheap): an archived lesson's or a logged-out user's
    # files must not linger in a shared school computer's cache.
    response.headers["Cache-Control"] = "public, no-cache" if public else "private, no-cache"
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
