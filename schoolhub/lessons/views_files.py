"""Serving lesson files, and removing an attachment."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from schoolhub import files, policy
from schoolhub.db import get_session
from schoolhub.lessons import services
from schoolhub.lessons.models import Attachment, Lesson, LessonStatus, Visibility
from schoolhub.lessons.views import bp, load_editable
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
        abort(404)
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
                         download_name=attachment.original_name, conditional=True, max_age=3600)
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Even if a browser were tricked into rendering a file as a page, it could run nothing.
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    public = lesson.status == LessonStatus.PUBLISHED and lesson.visibility == Visibility.PUBLIC
    response.headers["Cache-Control"] = f"{'public' if public else 'private'}, max-age=3600"
    return response


@bp.route("/<int:lesson_id>/attachments/<int:attachment_id>/delete", methods=["POST"])
@login_required
def delete_attachment(lesson_id: int, attachment_id: int):
    """Remove a file from the lesson (the file on disk goes once the database agrees)."""
    lesson = load_editable(lesson_id)
    attachment = next((a for a in lesson.attachments if a.id == attachment_id), None)
    if attachment is None:
        abort(404)
    db = get_session()
    name = attachment.original_name
    token = services.remove_attachment(db, current_user, attachment)
    db.commit()
    files.delete_stored(current_app.config["UPLOAD_DIR"], token)
    flash(_("The file %(name)s was removed.", name=name), "success")
    return redirect(url_for("lessons.edit", lesson_id=lesson.id) + "#files")
