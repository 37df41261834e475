"""Lesson screens: browse and search, write and publish, read, print, copy, confirm."""
from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import and_, bindparam, case, select
from sqlalchemy.orm import defer, joinedload
from wtforms import SelectChoice

from schoolhub import attachments, policy
from schoolhub.accounts.models import OrgUnit, User
from schoolhub.accounts.vocab import ROLE_ORDER
from schoolhub.clock import utcnow
from schoolhub.db import generic_plan, get_session, read_rows, record_quietly
from schoolhub.lessons import queries, services
from schoolhub.lessons.cards import ENTRY_COLUMNS
from schoolhub.lessons.forms import CopyForm
from schoolhub.lessons.models import Lesson, LessonRead, LessonStatus, Visibility
from schoolhub.lessons.policy import core_scope_for, lesson_schools
from schoolhub.lessons.vocab import GRADES, SUBJECTS, TOPICS
from schoolhub.pagination import paginate, small_int
from schoolhub.services import ServiceError

bp = Blueprint("lessons", __name__, url_prefix="/lessons")
A = policy.Action


# Not the two search texts (about 3 KB each, compressed): no page shows them; a save rewrites them. The
# school's commune too, which decides who reads a commune lesson (VIEW_LESSON). Built once: its options (and
# SQLAlchemy's cache key of them) cost more than the rest of the statement.
_LESSON = generic_plan(select(Lesson).where(Lesson.id == bindparam("lesson_id"))
           .options(defer(Lesson.search_folded), defer(Lesson.search_exact),
                    joinedload(Lesson.school).joinedload(OrgUnit.parent), joinedload(Lesson.author),
                    joinedload(Lesson.attachments)))


def load_lesson(lesson_id: int) -> Lesson:
    """The lesson if the user may read it; 404 when missing or private, login first for visitors."""
    lesson = get_session().scalar(_LESSON, {"lesson_id": lesson_id})
    return policy.load_visible(lesson, A.VIEW_LESSON)


# A lesson's page: the lesson and the reader's record of it (None: a first visit, or a visitor) together.
_LESSON_AND_READ = generic_plan(
    _LESSON.add_columns(LessonRead).outerjoin(LessonRead, and_(LessonRead.lesson_id == Lesson.id,
                                                               LessonRead.user_id == bindparam("user_id"))))


def load_lesson_and_read(lesson_id: int) -> tuple[Lesson, LessonRead | None]:
    """load_lesson and the reader's record of the lesson, in one statement."""
    user_id = current_user.id if current_user.is_authenticated else None
    row = get_session().execute(_LESSON_AND_READ, {"lesson_id": lesson_id, "user_id": user_id}).unique().first()
    lesson, read = row if row is not None else (None, None)
    return policy.load_visible(lesson, A.VIEW_LESSON), read


def load_editable(lesson_id: int) -> Lesson:
    """The lesson if the user may change it: 404 when they may not even read it, 403 when read-only."""
    lesson = load_lesson(lesson_id)
    policy.require(A.EDIT_LESSON, lesson)
    return lesson


def visible_source(lesson: Lesson) -> Lesson | None:
    """The lesson this one was copied from, when the user may still read it (for a link to it)."""
    if not lesson.source_lesson_id:
        return None
    source = get_session().get(Lesson, lesson.source_lesson_id)
    return source if source is not None and policy.can(A.VIEW_LESSON, source) else None


def _filters() -> dict:
    args = request.args
    grade = args.get("grade", "")
    school = args.get("school", "")
    return {
        "q": args.get("q", "").strip()[:queries.QUERY_MAX],
        "topic": args.get("topic", "") if args.get("topic", "") in TOPICS else "",
        "subject": args.get("subject", "") if args.get("subject", "") in SUBJECTS else "",
        "grade": small_int(grade) if small_int(grade) in GRADES else None,
        "school_id": small_int(school),
    }


@bp.route("")
def index():
    """Published lessons the visitor may read: accent-insensitive search, filters, pages."""
    db = get_session()
    filters = _filters()
    # The school filter's choices and how many lessons of each the reader may read (kept on write).
    schools, readable = queries.lesson_shelf(db, current_user)
    if queries.ranks(filters["q"]):  # ranked by relevance: counted and paged in one statement
        page = queries.search_page(db, current_user, **filters)
    elif not (filters["topic"] or filters["subject"] or filters["school_id"]) and filters["grade"] is None:
        # Nothing narrows it (grade 0 does: pre-school): its count is every school's.
        page = queries.lesson_list(db, current_user, total=sum(readable.values()))
    else:
        # Nothing but the school narrows the list: its exact count is that school's.
        narrowed = filters["topic"] or filters["subject"] or filters["grade"] is not None
        total = None if narrowed else readable.get(filters["school_id"], 0)
        page = paginate(db, queries.search(current_user, **filters), total=total)
    return render_template("lessons/index.html", page=page, filters=filters, schools=schools, mine=False,
                           can_write=bool(lesson_schools(current_user)))


@bp.route("/formatting")
def formatting():
    """How to format a lesson's content, in plain words, each way shown as typed and as it reads."""
    policy.require(A.READ_HELP)
    return render_template("lessons/formatting.html")


@bp.route("/mine")
@login_required
def mine():
    """The lessons I wrote, in every state (drafts first)."""
    db = get_session()
    filters = _filters()
    stmt = queries.search(current_user, **filters, status=None, mine=True)
    status_order = case({LessonStatus.DRAFT: 0, LessonStatus.PUBLISHED: 1}, value=Lesson.status, else_=2)
    stmt = stmt.order_by(None).order_by(status_order, Lesson.updated_at.desc(), Lesson.id.desc())
    page = paginate(db, stmt)
    return render_template("lessons/index.html", page=page, filters=filters, schools=[], mine=True,
                           can_write=bool(lesson_schools(current_user)))


@bp.route("/<int:lesson_id>")
def view(lesson_id: int):
    """Read a lesson; the first visit of each user is recorded."""
    lesson, read = load_lesson_and_read(lesson_id)
    db = get_session()
    if current_user.is_authenticated:
        if read is None:
            # The page is what matters: when every writer of the school saves at once, skip the record.
            read = record_quietly(db, lambda: services.record_read(db, current_user, lesson), "lesson read")
    source = visible_source(lesson)
    copy_form = None
    if policy.can(A.COPY_LESSON, lesson):
        copy_form = CopyForm()
        copy_form.school_id.choices = [SelectChoice(s.id, s.name) for s in lesson_schools(current_user)]
    # An officer may widen a school admin's flag to the whole commune.
    wider = None
    if lesson.is_core and policy.can(A.MARK_CORE, lesson):
        scope = core_scope_for(current_user, lesson)
        wider = scope if scope.id != lesson.core_scope_id else None
    return render_template("lessons/view.html", lesson=lesson, read=read, source=source, copy_form=copy_form,
                           wider_core_scope=wider)


@bp.route("/<int:lesson_id>/print")
def print_view(lesson_id: int):
    """The lesson alone on the page, laid out for A4 paper."""
    lesson = load_lesson(lesson_id)
    return render_template("lessons/print.html", lesson=lesson)


@bp.route("/<int:lesson_id>/status", methods=["POST"])
@login_required
def status(lesson_id: int):
    """Publish, archive, or take the lesson back to draft."""
    lesson = load_editable(lesson_id)
    target = request.form.get("to", "")
    if target not in {s.value for s in LessonStatus}:
        abort(400)
    db = get_session()
    try:
        services.set_status(db, current_user, lesson, LessonStatus(target))
    except ServiceError as error:
        db.rollback()
        flash(str(error.message), "error")
        return redirect(url_for("lessons.edit", lesson_id=lesson.id))
    db.commit()
    flash({
        LessonStatus.PUBLISHED: _("The lesson is published."),
        LessonStatus.ARCHIVED: _("The lesson is archived: only you and the school's admins can see it."),
        LessonStatus.DRAFT: _("The lesson is a draft again."),
    }[LessonStatus(target)], "success")
    return redirect(url_for("lessons.view", lesson_id=lesson.id))


@bp.route("/<int:lesson_id>/core", methods=["POST"])
@login_required
def core(lesson_id: int):
    """Mark or unmark the lesson as core Resolution 57 material (school admin or officer)."""
    lesson = load_lesson(lesson_id)
    policy.require(A.MARK_CORE, lesson)
    db = get_session()
    # An officer's flag asks the whole commune, a school admin's only the school (lessons.policy).
    scope = core_scope_for(current_user, lesson)
    services.set_core(db, current_user, lesson, request.form.get("is_core") == "1", scope)
    db.commit()
    if not lesson.is_core:
        flash(_("No longer marked as core material."), "success")
    elif lesson.core_scope_id == lesson.school_id:
        flash(_("Marked as core Resolution 57 material: the people of %(unit)s it is for are asked to confirm "
                "they have read it.", unit=lesson.school.name), "success")
    else:
        flash(_("Marked as core Resolution 57 material: the people of every school of %(unit)s it is for are "
                "asked to confirm they have read it.", unit=scope.name), "success")
    return redirect(url_for("lessons.view", lesson_id=lesson.id))


@bp.route("/<int:lesson_id>/confirm", methods=["POST"])
@login_required
def confirm(lesson_id: int):
    """'I have read and understood' this core material, from the people it asks."""
    lesson = load_lesson(lesson_id)
    if not lesson.is_core:
        abort(400)
    policy.require(A.CONFIRM_LESSON, lesson)
    db = get_session()
    try:
        services.confirm_read(db, current_user, lesson)
    except ServiceError:
        abort(400)
    db.commit()
    flash(_("Thank you: your confirmation is recorded."), "success")
    return redirect(url_for("lessons.view", lesson_id=lesson.id))


@bp.route("/<int:lesson_id>/copy", methods=["POST"])
@login_required
def copy(lesson_id: int):
    """Copy a shared lesson into my school as a new draft that credits the original."""
    lesson = load_lesson(lesson_id)
    policy.require(A.COPY_LESSON, lesson)
    schools = lesson_schools(current_user)
    form = CopyForm()
    form.school_id.choices = [SelectChoice(s.id, s.name) for s in schools]
    if not form.validate_on_submit():
        flash(_("Choose the school to copy into."), "error")
        return redirect(url_for("lessons.view", lesson_id=lesson.id))
    school = next(s for s in schools if s.id == form.school_id.data)
    db = get_session()
    with attachments.commit_or_discard(db, current_app.config["UPLOAD_DIR"]) as changes:
        copied = services.copy_lesson(db, current_user, lesson, school, str(changes.upload_dir), changes.made)
    flash(_("A copy is in your drafts. Adapt it, then publish it."), "success")
    return redirect(url_for("lessons.edit", lesson_id=copied.id))


@bp.route("/<int:lesson_id>/readers")
@login_required
def readers(lesson_id: int):
    """How many people of each role opened the lesson and confirmed it."""
    lesson = load_lesson(lesson_id)
    policy.require(A.VIEW_READERS, lesson)
    counts = queries.reader_counts(get_session(), lesson)
    return render_template("lessons/readers.html", lesson=lesson, counts=counts, roles=ROLE_ORDER)


# What the entries show (lessons.cards.ENTRY_COLUMNS): the rendered body, not its Markdown source nor the two
# search texts (about 3 KB each), as rows rather than ORM lessons. Built once.
_FEED = generic_plan(select(*ENTRY_COLUMNS).outerjoin(OrgUnit, OrgUnit.id == Lesson.school_id)
                     .outerjoin(User, User.id == Lesson.author_id)
                     .where(Lesson.status == LessonStatus.PUBLISHED, Lesson.visibility == Visibility.PUBLIC)
                     .order_by(Lesson.published_at.desc(), Lesson.id.desc()).limit(30))


@bp.route("/feed.atom")
def feed():
    """Atom feed of the latest public lessons (for the commune's website)."""
    lessons = list(read_rows(get_session(), _FEED))
    response = make_response(render_template("lessons/feed.xml", lessons=lessons, now=utcnow()))
    response.headers["Content-Type"] = "application/atom+xml; charset=utf-8"
    return response
