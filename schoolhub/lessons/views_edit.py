"""Writing a lesson: the new-lesson and edit forms, with preview, upload, publish and file removal."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from wtforms import SelectChoice

from schoolhub import attachments, files, pending
from schoolhub.db import get_session
from schoolhub.drafts import keeps_typed_text
from schoolhub.forms import apply_service_error
from schoolhub.lessons import services
from schoolhub.lessons.forms import LessonForm, NewLessonForm
from schoolhub.lessons.models import Attachment, Lesson, LessonStatus, Visibility
from schoolhub.lessons.policy import lesson_schools
from schoolhub.lessons.views import bp, load_editable, visible_source
from schoolhub.pagination import small_int
from schoolhub.services import ServiceError


def _input(form: LessonForm) -> services.LessonInput:
    return services.LessonInput(
        title=form.title.data or "", summary=form.summary.data or "", body=form.body.data or "",
        topics=tuple(form.topics.data or ()), subjects=tuple(form.subjects.data or ()),
        grades=tuple(form.grades.data or ()), audiences=tuple(form.audiences.data or ()),
        tags=form.tags.data or "", duration_minutes=form.duration_minutes.data,
        video_url=form.video_url.data or "", visibility=Visibility(form.visibility.data or "school"),
    )


def _chosen_file():
    upload = request.files.get("file")
    return upload if upload is not None and upload.filename else None


def _waiting_file() -> pending.PendingFile | None:
    """The file this user sent with an earlier "Preview", still waiting for this save (unless dropped)."""
    token = request.form.get("pending_file")
    if request.method != "POST" or not token:
        return None
    if request.form.get("drop_pending"):
        if pending.find(current_app.config["UPLOAD_DIR"], token, current_user.id) is not None:
            pending.drop(current_app.config["UPLOAD_DIR"], token)
        return None
    return pending.find(current_app.config["UPLOAD_DIR"], token, current_user.id)


def _with_picture(body: str, stored) -> str:
    """The body with the picture added at its end, so a phone user need not copy any code."""
    alt = stored.original_name.rsplit(".", 1)[0].replace("]", "").replace("[", "")
    return (body.rstrip() + f"\n\n![{alt}](/files/{stored.token})\n").lstrip("\n")


def _action() -> tuple[str, int | None]:
    """The pressed button: save, preview, publish, or remove:<attachment id>."""
    action = request.form.get("action", "save")
    if action.startswith("remove:"):
        attachment_id = small_int(action.removeprefix("remove:"))
        if attachment_id is None:
            abort(400)
        return "remove", attachment_id
    return (action if action in ("save", "preview", "publish") else "save"), None


class _Conflict(Exception):
    """Someone else saved the lesson between this form's load and its save."""


def _save(form, lesson: Lesson | None, school=None, remove_id: int | None = None) -> Lesson | None:
    """Create or update from the form, the optional upload, the file waiting from a preview and a removal,
    all or nothing; None when refused. A refused save leaves no row and no file behind and the form keeps
    what was typed.
    """
    db = get_session()
    config = current_app.config
    waiting = _waiting_file()
    try:
        with attachments.commit_or_discard(db, config["UPLOAD_DIR"]) as changes:
            stored = changes.store_upload(_chosen_file(), config["UPLOAD_MAX_BYTES"])
            data = _input(form)
            removing = None
            if remove_id is not None:
                removing = next((a for a in (lesson.attachments if lesson else []) if a.id == remove_id), None)
                if removing is None and db.get(Attachment, remove_id) is not None:
                    abort(404)  # another lesson's file
                if removing is not None:
                    # Its pictures and links go from the text in the same save, so no broken image is left behind.
                    data.body = services.without_file(data.body, removing.token)
                # (Already gone, by a double tap or in another tab: the rest is saved all the same.)
            if stored is not None and stored.kind.is_image and request.form.get("insert_image"):
                data.body = _with_picture(data.body, stored)
            if lesson is None:
                lesson = services.create_lesson(db, current_user, school, data)
            else:
                services.update_lesson(db, current_user, lesson, data)
            if stored is not None:
                services.add_attachment(db, current_user, lesson, stored)
            if waiting is not None:  # sent with an earlier preview: its picture is already in the text
                services.add_attachment(db, current_user, lesson, waiting.stored)
            if removing is not None:
                # The file itself goes only once the save has committed.
                changes.dropped.append(services.remove_attachment(db, current_user, removing))
            if request.form.get("action") == "publish":
                services.set_status(db, current_user, lesson, LessonStatus.PUBLISHED)
    except (ServiceError, files.UploadRejected, IntegrityError) as error:
        # commit_or_discard has rolled back and deleted the file stored by this save.
        if isinstance(error, IntegrityError):
            raise _Conflict from error  # two saves at once: the revision number was taken
        if isinstance(error, files.UploadRejected):
            form.file_errors = [attachments.upload_error(error)]
            form.file_too_large = error.message == files.MSG_TOO_LARGE
        else:
            apply_service_error(form, error, default="title")
        return None
    if waiting is not None:
        pending.attached(config["UPLOAD_DIR"], waiting.token)
    return lesson


def _after_save(lesson: Lesson, action: str):
    """Say what happened; a published lesson is shown as readers see it, anything else stays in the editor."""
    if action == "publish":
        flash(_("The lesson is published."), "success")
        return redirect(url_for("lessons.view", lesson_id=lesson.id))
    if action == "remove":
        flash(_("Saved; the file is removed, and so are its places in the content."), "success")
        return redirect(url_for("lessons.edit", lesson_id=lesson.id) + "#files")
    if _chosen_file() is not None or request.form.get("pending_file") and not request.form.get("drop_pending"):
        flash(_("Saved, and the file is attached."), "success")
    else:
        flash(_("Saved."), "success")
    return redirect(url_for("lessons.edit", lesson_id=lesson.id))


def _preview(form) -> str | None:
    """The body to preview, or None (with the reason on the field) when it could not be rendered quickly.

    A file chosen with the preview is stored now and waits for the next save (a browser would drop it
    from the form shown again); a picture goes into the text, so the preview shows it.
    """
    chosen = _chosen_file()
    if chosen is not None:
        config = current_app.config
        try:
            stored = files.store(chosen.stream, chosen.filename, config["UPLOAD_DIR"],
                                 max_bytes=config["UPLOAD_MAX_BYTES"])
        except files.UploadRejected as error:
            form.file_errors = [_(error.message, **error.params)]
            form.file_too_large = error.message == files.MSG_TOO_LARGE
        else:
            form.waiting = pending.keep(config["UPLOAD_DIR"], current_user.id, stored)
            if stored.kind.is_image and request.form.get("insert_image"):
                form.body.data = _with_picture(form.body.data or "", stored)
    body = form.body.data or ""
    try:
        services.check_body(body)
    except ServiceError as error:
        apply_service_error(form, error, default="title")
        return None
    return body


def _render(form, lesson: Lesson | None, preview: str | None = None):
    """The form again. A chosen file is never kept by the browser, so say it must be chosen again."""
    waiting = form.waiting or _waiting_file()
    if request.method == "POST" and _chosen_file() is not None and not form.file_errors and form.waiting is None:
        form.file_errors = [_("The file you chose was not attached yet: choose it again before saving.")]
    status = 413 if getattr(form, "file_too_large", False) else 200
    source = visible_source(lesson) if lesson is not None else None
    return render_template("lessons/form.html", form=form, lesson=lesson, preview=preview, source=source,
                           waiting=waiting, pictures=_pictures(lesson, waiting)), status


def _pictures(lesson: Lesson | None, waiting) -> list[tuple[str, str]]:
    """(name, token) of the pictures the toolbar can put into the text: attached, or waiting."""
    found = [(a.original_name, a.token) for a in (lesson.attachments if lesson else []) if a.is_image]
    if waiting is not None and waiting.is_image:
        found.append((waiting.name, waiting.token))
    return found


def _prepare(form) -> None:
    form.file_errors = []
    form.file_too_large = False
    form.waiting = None


@bp.route("/new", methods=["GET", "POST"])
@keeps_typed_text
@login_required
def new():
    """Write a new lesson in one of my schools; it starts as a draft."""
    schools = lesson_schools(current_user)
    if not schools:
        abort(403)
    form = NewLessonForm()
    form.school_id.choices = [SelectChoice(s.id, s.name) for s in schools]
    _prepare(form)
    action, _unused = _action() if request.method == "POST" else ("save", None)
    if action == "remove":
        abort(400)  # a new lesson has no file to remove
    if action == "preview":
        return _render(form, None, _preview(form))
    if form.validate_on_submit():
        school = next((s for s in schools if s.id == form.school_id.data), None)
        if school is None:
            abort(403)
        lesson = _save(form, None, school)
        if lesson is not None:
            return _after_save(lesson, action)
    return _render(form, None)


def _conflict_message(form, lesson: Lesson) -> None:
    form.body.errors = list(form.body.errors) + [_(
        "This lesson was saved elsewhere while you were editing (version %(n)d). Your text is kept here: "
        "compare it with the history, then save again.", n=lesson.revision_count)]
    form.base_revision.data = str(lesson.revision_count)


@bp.route("/<int:lesson_id>/edit", methods=["GET", "POST"])
@keeps_typed_text
@login_required
def edit(lesson_id: int):
    """Edit the lesson: text, description, files; preview without saving; every save keeps a revision."""
    lesson = load_editable(lesson_id)
    db = get_session()
    form = LessonForm(obj=None if request.method == "POST" else _FormData(lesson))
    _prepare(form)
    action, remove_id = _action() if request.method == "POST" else ("save", None)
    if action == "preview":
        return _render(form, lesson, _preview(form))
    if form.validate_on_submit():
        # Saves of one lesson take turns (PostgreSQL row lock; SQLite has one writer at a time anyway).
        db.execute(select(Lesson.id).where(Lesson.id == lesson.id).with_for_update())
        db.refresh(lesson)
        if str(form.base_revision.data or "") != str(lesson.revision_count):
            already = action == "save" or (action == "publish" and lesson.status == LessonStatus.PUBLISHED)
            if (already and _chosen_file() is None and _waiting_file() is None
                    and services.same_as_current(lesson, _input(form))):
                return _after_save(lesson, action)  # the same form sent twice (a double tap): it is saved
            _conflict_message(form, lesson)
            return _render(form, lesson)
        try:
            saved = _save(form, lesson, remove_id=remove_id)
        except _Conflict:
            db.refresh(lesson)
            _conflict_message(form, lesson)
            return _render(form, lesson)
        if saved is not None:
            return _after_save(lesson, action)
    return _render(form, lesson)


class _FormData:
    """The lesson's values in the shape LessonForm(obj=...) reads."""

    def __init__(self, lesson: Lesson):
        self.title, self.summary, self.body, self.tags = lesson.title, lesson.summary, lesson.body, lesson.tags
        self.topics, self.subjects = lesson.topic_keys, lesson.subject_keys
        self.grades, self.audiences = lesson.grade_list, lesson.audience_keys
        self.duration_minutes, self.video_url = lesson.duration_minutes, lesson.video_url
        self.visibility = lesson.visibility.value
        self.base_revision = str(lesson.revision_count)
