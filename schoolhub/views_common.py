"""Home page, health check and language choice."""
from __future__ import annotations

from flask import Blueprint, Flask, current_app, jsonify, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import text

from schoolhub import policy
from schoolhub.accounts import queries
from schoolhub.accounts.models import Role, UnitKind
from schoolhub.accounts.views_auth import safe_next
from schoolhub.db import get_session
from schoolhub.lessons import queries as lesson_queries
from schoolhub.worklist import items_for

bp = Blueprint("core", __name__)


@bp.route("/")
def home():
    """Each role's landing page with its own data and to-do list."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    db = get_session()
    ms = policy.memberships(current_user)
    communes = [m.unit for m in ms if m.role == Role.OFFICER]
    officer_schools = []
    for commune in communes:
        schools = queries.schools_under(db, commune)
        officer_schools.append((commune, schools))
    staff_schools = {m.unit.id: m.unit for m in ms
                     if m.role in (Role.SCHOOL_ADMIN, Role.TEACHER) and m.unit.kind == UnitKind.SCHOOL}
    all_ids = [s.id for _c, schools in officer_schools for s in schools] + list(staff_schools)
    counts = queries.school_counts(db, all_ids)
    totals = {
        commune.id: queries.SchoolCounts(
            teachers=sum(counts[s.id].teachers for s in schools if s.is_active),
            classes=sum(counts[s.id].classes for s in schools if s.is_active),
            students=sum(counts[s.id].students for s in schools if s.is_active),
        )
        for commune, schools in officer_schools
    }
    school_classes = {sid: queries.classes_of(db, school, open_only=True) for sid, school in staff_schools.items()}
    sizes = queries.class_sizes(db, [c.id for cls in school_classes.values() for c in cls])
    student_ms = [m for m in ms if m.role == Role.STUDENT]
    latest = list(db.scalars(lesson_queries.newest(current_user).limit(5)))
    informed = {commune.id: lesson_queries.informed_teachers(db, commune) for commune in communes}
    return render_template(
        "home/index.html",
        officer_schools=officer_schools,
        staff_schools=list(staff_schools.values()),
        school_classes=school_classes,
        class_sizes=sizes,
        counts=counts,
        totals=totals,
        student_ms=student_ms,
        waiting=items_for(current_user),
        latest_lessons=latest,
        informed=informed,
        can_write=bool(policy.lesson_schools(current_user)),
    )


@bp.route("/healthz")
def healthz():
    """200 with a JSON body when the database answers."""
    try:
        get_session().execute(text("SELECT 1"))
    except Exception:  # any driver error means "not healthy", never a stack trace
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")


@bp.route("/language", methods=["POST"])
def language():
    """Switch the interface language, for the account when logged in, else for this browser."""
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
        if current_user.is_authenticated:
            current_user.preferred_language = lang
            get_session().commit()
    return redirect(safe_next(request.form.get("next")) or url_for("core.home"))


def init_app(app: Flask) -> None:
    """Register the core blueprint and the template helpers every page uses."""
    app.register_blueprint(bp)

    @app.context_processor
    def _helpers():
        return {"can": policy.can, "Action": policy.Action, "Role": Role,
                "current_locale": lambda: str(get_locale())}
