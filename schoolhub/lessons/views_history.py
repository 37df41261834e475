"""A lesson's revisions: the list, what changed, and restoring an old one."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from schoolhub.db import get_session
from schoolhub.lessons import services
from schoolhub.lessons.models import LessonRevision
from schoolhub.lessons.views import bp, load_editable
from schoolhub.pagination import paginate, small_int


def _revision(lesson_id: int, number: int) -> LessonRevision:
    revision = get_session().scalar(select(LessonRevision).where(
        LessonRevision.lesson_id == lesson_id, LessonRevision.number == number))
    if revision is None:
        abort(404)
    return revision


@bp.route("/<int:lesson_id>/revisions")
@login_required
def revisions(lesson_id: int):
    """Every saved version of the lesson, newest first, with who saved it and when."""
    lesson = load_editable(lesson_id)
    stmt = (select(LessonRevision).where(LessonRevision.lesson_id == lesson.id)
            .options(joinedload(LessonRevision.editor)).order_by(LessonRevision.number.desc()))
    page = paginate(get_session(), stmt)
    return render_template("lessons/revisions.html", lesson=lesson, page=page)


@bp.route("/<int:lesson_id>/revisions/<int:number>")
@login_required
def revision(lesson_id: int, number: int):
    """One version, and what changed from another (by default the one before it)."""
    lesson = load_editable(lesson_id)
    new = _revision(lesson.id, number)
    raw = request.args.get("against", "")
    against = small_int(raw)
    against = number - 1 if against is None else against
    old = _revision(lesson.id, against) if against >= 1 else None
    diff = services.diff_revisions(old, new) if old is not None else None
    return render_template("lessons/revision.html", lesson=lesson, revision=new, old=old, diff=diff)


@bp.route("/<int:lesson_id>/revisions/<int:number>/restore", methods=["POST"])
@login_required
def restore(lesson_id: int, number: int):
    """Make an old version current again; it is saved as a new version, so nothing is lost."""
    lesson = load_editable(lesson_id)
    old = _revision(lesson.id, number)
    db = get_session()
    new = services.restore_revision(db, current_user, lesson, old)
    db.commit()
    if new is None:
        flash(_("The lesson already reads like version %(n)d.", n=old.number), "info")
        return redirect(url_for("lessons.view", lesson_id=lesson.id))
    flash(_("Version %(old)d restored; it is now version %(new)d.", old=old.number, new=new.number), "success")
    return redirect(url_for("lessons.view", lesson_id=lesson.id))
