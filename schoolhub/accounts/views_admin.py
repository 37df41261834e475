"""The commune officer's screens: the commune's schools and their admins."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from schoolhub import policy
from schoolhub.accounts import listings, queries, services
from schoolhub.accounts.forms import AppointAdminForm, SchoolForm
from schoolhub.accounts.models import OrgUnit, SchoolLevel, UnitKind, User
from schoolhub.db import get_session
from schoolhub.drafts import keeps_typed_text
from schoolhub.forms import apply_service_error
from schoolhub.services import ServiceError

bp = Blueprint("admin", __name__, url_prefix="/communes")


def _commune(commune_id: int) -> OrgUnit:
    unit = policy.load_visible(get_session().get(OrgUnit, commune_id), policy.Action.VIEW_SCHOOL)
    if unit.kind != UnitKind.COMMUNE:
        abort(404)
    policy.require(policy.Action.MANAGE_SCHOOLS, unit)
    return unit


def _school(commune: OrgUnit, school_id: int) -> OrgUnit:
    school = get_session().get(OrgUnit, school_id)
    if school is None or school.parent_id != commune.id:
        abort(404)
    return school


@bp.route("/<int:commune_id>/schools")
@login_required
def schools(commune_id: int):
    """The commune's schools, searchable and paginated, with their counts."""
    commune = _commune(commune_id)
    db = get_session()
    q = request.args.get("q", "").strip()[:100]
    page = listings.schools_page(db, commune, q)
    return render_template("admin/schools.html", commune=commune, page=page, q=q)


@bp.route("/<int:commune_id>/schools/new", methods=["GET", "POST"])
@keeps_typed_text
@login_required
def new_school(commune_id: int):
    """Register a new school under the commune."""
    commune = _commune(commune_id)
    form = SchoolForm()
    if form.validate_on_submit():
        db = get_session()
        try:
            school = services.create_school(db, current_user, commune, code=form.code.data, name=form.name.data,
                                            level=SchoolLevel(form.level.data), address=form.address.data or "")
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            db.commit()
            flash(_("School %(name)s registered. Now appoint its admin.", name=school.name), "success")
            return redirect(url_for("admin.appoint_admin", commune_id=commune.id, school_id=school.id))
    return render_template("admin/school_form.html", commune=commune, form=form, school=None)


@bp.route("/<int:commune_id>/schools/<int:school_id>/edit", methods=["GET", "POST"])
@keeps_typed_text
@login_required
def edit_school(commune_id: int, school_id: int):
    """Change a school's details."""
    commune = _commune(commune_id)
    school = _school(commune, school_id)
    form = SchoolForm(obj=school if request.method == "GET" else None)
    if request.method == "GET":
        form.level.data = school.level.value if school.level else None
    if form.validate_on_submit():
        db = get_session()
        try:
            services.update_school(db, current_user, school, code=form.code.data, name=form.name.data,
                                   level=SchoolLevel(form.level.data), address=form.address.data or "")
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            db.commit()
            flash(_("Changes to %(name)s saved.", name=school.name), "success")
            return redirect(url_for("admin.schools", commune_id=commune.id))
    return render_template("admin/school_form.html", commune=commune, form=form, school=school)


@bp.route("/<int:commune_id>/schools/<int:school_id>/active", methods=["GET", "POST"])
@login_required
def school_active(commune_id: int, school_id: int):
    """Confirm, then deactivate or reactivate a school."""
    commune = _commune(commune_id)
    school = _school(commune, school_id)
    if request.method == "POST":
        wanted = request.form.get("active") == "1"
        if wanted == school.is_active:
            abort(409)
        db = get_session()
        services.set_school_active(db, current_user, school, wanted)
        db.commit()
        flash(_("%(name)s reactivated.", name=school.name) if wanted else _("%(name)s deactivated.", name=school.name), "success")
        return redirect(url_for("admin.schools", commune_id=commune.id))
    return render_template("admin/school_active.html", commune=commune, school=school)


@bp.route("/<int:commune_id>/schools/<int:school_id>/admins", methods=["GET", "POST"])
@keeps_typed_text
@login_required
def appoint_admin(commune_id: int, school_id: int):
    """Appoint a school admin: an existing account, or a new one with a one-time password."""
    commune = _commune(commune_id)
    school = _school(commune, school_id)
    policy.require(policy.Action.APPOINT_SCHOOL_ADMIN, school)
    db = get_session()
    form = AppointAdminForm()
    if (made := form.made_before()) is not None:  # the new admin's password page, reloaded
        person = db.get(User, made)
        if person is None or not any(m.unit_id == school.id for m in person.memberships):
            abort(404)
        return render_template("school/credentials_again.html", school=school, person=person), 409
    if form.validate_on_submit():
        existing = None
        try:
            if form.existing_username.data:
                existing = services.find_user(db, form.existing_username.data)
                if existing is None:
                    raise ServiceError(_("No account has this username."), "existing_username")
            elif not (form.full_name.data or "").strip():
                raise ServiceError(
                    _("Enter the full name of the new admin, or the username of an existing account."), "full_name")
            user, temp = services.appoint_school_admin(
                db, current_user, school, full_name=form.full_name.data or "",
                username=form.username.data or None, existing=existing)
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            db.commit()
            if temp:
                form.remember(user.id)
                return render_template("admin/credentials.html", commune=commune, school=school, user=user, temp=temp)
            flash(_("%(name)s is now an admin of %(school)s.", name=user.full_name, school=school.name), "success")
            return redirect(url_for("admin.schools", commune_id=commune.id))
    admins = queries.admins_of(db, [school.id])[school.id]
    return render_template("admin/appoint_admin.html", commune=commune, school=school, form=form, admins=admins)
