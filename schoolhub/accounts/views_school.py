"""The school admin's screens: teachers, students, classes and passwords."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import SelectChoice

from schoolhub import once, policy
from schoolhub.accounts import listings, queries, services
from schoolhub.accounts.forms import ClassForm, PersonForm, StudentForm
from schoolhub.accounts.models import OrgUnit, Role, SchoolClass, UnitKind, User
from schoolhub.clock import current_school_year
from schoolhub.db import get_session
from schoolhub.drafts import keeps_typed_text
from schoolhub.forms import apply_service_error
from schoolhub.pagination import small_int
from schoolhub.services import ServiceError

bp = Blueprint("school", __name__, url_prefix="/schools")


def load_school(school_id: int) -> OrgUnit:
    """The school, or 404 when it is missing or not the user's."""
    school = policy.load_visible(get_session().get(OrgUnit, school_id), policy.Action.VIEW_SCHOOL)
    if school.kind != UnitKind.SCHOOL:
        abort(404)
    return school


def _member(school: OrgUnit, user_id: int) -> User:
    user = get_session().get(User, user_id)
    if user is None or not any(m.unit_id == school.id for m in user.memberships):
        abort(404)
    return user


def _class(school: OrgUnit, class_id: int) -> SchoolClass:
    school_class = get_session().get(SchoolClass, class_id)
    if school_class is None or school_class.school_id != school.id:
        abort(404)
    return school_class


def _people(school: OrgUnit, role: Role, class_id: int | None = None, with_classes: bool = False):
    q = request.args.get("q", "").strip()[:100]
    page, classes = listings.people_page(get_session(), school, role, class_id=class_id, q=q, with_classes=with_classes)
    return page, classes, q


@bp.route("/<int:school_id>")
@login_required
def overview(school_id: int):
    """The school's classes with their sizes, and its counts."""
    school = load_school(school_id)
    policy.require(policy.Action.VIEW_SCHOOL, school)
    db = get_session()
    counts, classes, sizes = queries.counts_and_classes(db, [school])
    return render_template("school/overview.html", school=school, classes=classes[school.id], sizes=sizes,
                           counts=counts[school.id])


@bp.route("/<int:school_id>/teachers")
@login_required
def teachers(school_id: int):
    """The school's teachers, searchable and paginated."""
    school = load_school(school_id)
    policy.require(policy.Action.VIEW_ROSTER, school)
    page, _classes, q = _people(school, Role.TEACHER)
    return render_template("school/people.html", school=school, page=page, q=q, is_student=False)


@bp.route("/<int:school_id>/students")
@login_required
def students(school_id: int):
    """The school's students, searchable, filterable by class and paginated."""
    school = load_school(school_id)
    policy.require(policy.Action.VIEW_ROSTER, school)
    raw = request.args.get("class_id", "")
    class_id = small_int(raw)
    page, classes, q = _people(school, Role.STUDENT, class_id, with_classes=True)
    if class_id and all(c.id != class_id for c in classes):
        abort(404)  # another school's class, or none
    return render_template("school/people.html", school=school, page=page, q=q, is_student=True,
                           classes=classes, class_id=class_id)


@bp.route("/<int:school_id>/teachers/new", methods=["GET", "POST"])
@keeps_typed_text
@login_required
def new_teacher(school_id: int):
    """Add a teacher with a one-time password."""
    school = load_school(school_id)
    policy.require(policy.Action.MANAGE_PEOPLE, school)
    form = PersonForm()
    if (made := form.made_before()) is not None:
        return _shown_once(school, made)
    if form.validate_on_submit():
        db = get_session()
        try:
            user, temp = services.create_user(
                db, current_user, full_name=form.full_name.data, role=Role.TEACHER, unit=school,
                username=form.username.data or None, position=form.position.data or None,
                phone=form.phone.data or None)
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            db.commit()
            form.remember(user.id)
            return render_template("school/credentials.html", school=school, accounts=[(user, temp)],
                                   title=_("Teacher account created"))
    return render_template("school/person_form.html", school=school, form=form, is_student=False, person=None)


def _shown_once(school: OrgUnit, user_id: int):
    """The page of a one-time password, opened again (a reload posts the form again): nothing is made twice;
    the password was shown once, and a new one can be issued (the reset asks, and is logged)."""
    person = _member(school, user_id)
    return render_template("school/credentials_again.html", school=school, person=person), 409


def _class_choices(school: OrgUnit):
    return [SelectChoice(0, _("— choose a class —"))] + [
        SelectChoice(c.id, f"{c.name} ({c.school_year})") for c in queries.classes_of(get_session(), school, open_only=True)]


@bp.route("/<int:school_id>/students/new", methods=["GET", "POST"])
@keeps_typed_text
@login_required
def new_student(school_id: int):
    """Add one student to a class, with a one-time password."""
    school = load_school(school_id)
    policy.require(policy.Action.MANAGE_PEOPLE, school)
    form = StudentForm()
    form.class_id.choices = _class_choices(school)
    if (made := form.made_before()) is not None:
        return _shown_once(school, made)
    if form.validate_on_submit():
        db = get_session()
        school_class = _class(school, form.class_id.data)
        try:
            user, temp = services.create_user(
                db, current_user, full_name=form.full_name.data, role=Role.STUDENT, unit=school,
                username=form.username.data or None, school_class=school_class,
                birth_date=form.birth_date.data, student_code=form.student_code.data or None)
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            db.commit()
            form.remember(user.id)
            return render_template("school/credentials.html", school=school, accounts=[(user, temp)],
                                   title=_("Student account created"))
    return render_template("school/person_form.html", school=school, form=form, is_student=True, person=None)


@bp.route("/<int:school_id>/people/<int:user_id>/edit", methods=["GET", "POST"])
@keeps_typed_text
@login_required
def edit_person(school_id: int, user_id: int):
    """Change a teacher's or student's details."""
    school = load_school(school_id)
    person = _member(school, user_id)
    policy.require(policy.Action.MANAGE_USER, person)
    membership = next(m for m in person.memberships if m.unit_id == school.id)
    is_student = membership.is_student
    form_cls = StudentForm if is_student else PersonForm
    form = form_cls(obj=person if request.method == "GET" else None)
    if is_student:
        form.class_id.choices = _class_choices(school)
        if request.method == "GET":
            form.class_id.data = membership.class_id or 0
    del form.username
    if form.validate_on_submit():
        db = get_session()
        try:
            services.update_user(
                db, current_user, person, full_name=form.full_name.data,
                birth_date=form.birth_date.data if is_student else person.birth_date,
                school_class=_class(school, form.class_id.data) if is_student else None,
                student_code=(form.student_code.data or None) if is_student else person.student_code,
                position=person.position if is_student else (form.position.data or None),
                phone=person.phone if is_student else (form.phone.data or None))
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            db.commit()
            flash(_("Changes to %(name)s saved.", name=person.full_name), "success")
            return redirect(url_for("school.students" if is_student else "school.teachers", school_id=school.id))
    return render_template("school/person_form.html", school=school, form=form, is_student=is_student,
                           person=person)


@bp.route("/<int:school_id>/people/<int:user_id>/active", methods=["GET", "POST"])
@login_required
def person_active(school_id: int, user_id: int):
    """Confirm, then deactivate or reactivate an account (never deleted: records stay)."""
    school = load_school(school_id)
    person = _member(school, user_id)
    policy.require(policy.Action.MANAGE_USER, person)
    if request.method == "POST":
        wanted = request.form.get("active") == "1"
        if wanted == person.is_active_account:
            abort(409)
        db = get_session()
        services.set_user_active(db, current_user, person, wanted)
        db.commit()
        flash(_("%(name)s can log in again.", name=person.full_name) if wanted
              else _("%(name)s can no longer log in. Their records are kept.", name=person.full_name), "success")
        return redirect(request.form.get("back") if request.form.get("back", "").startswith("/schools/")
                        else url_for("school.overview", school_id=school.id))
    return render_template("school/person_active.html", school=school, person=person)


@bp.route("/<int:school_id>/people/<int:user_id>/password", methods=["GET", "POST"])
@login_required
def reset_password(school_id: int, user_id: int):
    """Confirm, then issue a one-time password for the person."""
    school = load_school(school_id)
    person = _member(school, user_id)
    policy.require(policy.Action.MANAGE_USER, person)
    if request.method == "POST":
        if once.posted_again():  # the new password's page reloaded: issue nothing behind the user's back
            return _shown_once(school, person.id)
        db = get_session()
        temp = services.reset_password(db, current_user, person)
        db.commit()
        once.accept_posted()
        return render_template("school/credentials.html", school=school, accounts=[(person, temp)],
                               title=_("New one-time password"))
    return render_template("school/reset_password.html", school=school, person=person,
                           submission_id=once.new_submission_id())


@bp.route("/<int:school_id>/passwords", methods=["GET", "POST"])
@login_required
def reissue_passwords(school_id: int):
    """Confirm, then issue new one-time passwords to a class (or the staff) still waiting for their first login."""
    school = load_school(school_id)
    policy.require(policy.Action.MANAGE_PEOPLE, school)
    db = get_session()
    class_id = small_int(request.values.get("class_id", ""))
    if class_id:
        school_class = _class(school, class_id)
        label, role = school_class.name, Role.STUDENT
    elif request.values.get("staff") == "1":
        school_class, label, role = None, None, Role.TEACHER
    else:
        abort(404)
    people = [p for p in queries.waiting_for_first_login(db, school, role, class_id=class_id)
              if policy.can(policy.Action.MANAGE_USER, p)]
    again = request.method == "POST" and once.posted_again()
    if request.method == "POST" and people and not again:
        issued = services.reissue_passwords(db, current_user, school, people, label or "staff")
        db.commit()
        once.accept_posted()
        return render_template("school/passwords_sheet.html", school=school, school_class=school_class,
                               label=label, accounts=issued)
    # A reload of the sheet just printed lands here: it explains, and only a new press issues new passwords.
    return render_template("school/reissue_passwords.html", school=school, school_class=school_class,
                           label=label, people=people, again=again,
                           submission_id=once.new_submission_id()), 409 if again else 200


@bp.route("/<int:school_id>/classes/<int:class_id>")
@login_required
def class_detail(school_id: int, class_id: int):
    """Redirect to the student list filtered by this class."""
    school = load_school(school_id)
    policy.require(policy.Action.VIEW_ROSTER, school)
    _class(school, class_id)
    return redirect(url_for("school.students", school_id=school.id, class_id=class_id))


@bp.route("/<int:school_id>/classes/new", methods=["GET", "POST"])
@keeps_typed_text
@login_required
def new_class(school_id: int):
    """Open a new class for a school year."""
    school = load_school(school_id)
    policy.require(policy.Action.MANAGE_PEOPLE, school)
    form = ClassForm()
    if request.method == "GET":
        form.school_year.data = current_school_year()
    if form.validate_on_submit():
        db = get_session()
        try:
            school_class = services.create_class(db, current_user, school, name=form.name.data,
                                                 grade=form.grade.data, school_year=form.school_year.data)
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            db.commit()
            flash(_("Class %(name)s created.", name=school_class.name), "success")
            return redirect(url_for("school.overview", school_id=school.id))
    return render_template("school/class_form.html", school=school, form=form, school_class=None)


@bp.route("/<int:school_id>/classes/<int:class_id>/edit", methods=["GET", "POST"])
@keeps_typed_text
@login_required
def edit_class(school_id: int, class_id: int):
    """Rename a class, change its grade, or close it."""
    school = load_school(school_id)
    policy.require(policy.Action.MANAGE_PEOPLE, school)
    school_class = _class(school, class_id)
    form = ClassForm(obj=school_class if request.method == "GET" else None)
    form.school_year.data = school_class.school_year  # the year of a class does not change
    if form.validate_on_submit():
        db = get_session()
        try:
            services.update_class(db, current_user, school_class, name=form.name.data, grade=form.grade.data,
                                  is_active=form.is_active.data)
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            db.commit()
            flash(_("Class %(name)s saved.", name=school_class.name), "success")
            return redirect(url_for("school.overview", school_id=school.id))
    return render_template("school/class_form.html", school=school, form=form, school_class=school_class)
