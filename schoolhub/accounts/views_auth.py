"""Login, logout, password change and language choice."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user

from schoolhub.accounts import services
from schoolhub.accounts.forms import ChangePasswordForm, LoginForm
from schoolhub.db import get_session
from schoolhub.forms import apply_service_error
from schoolhub.security import limiter, login_failed, login_key, safe_next, verify_password
from schoolhub.services import ServiceError

bp = Blueprint("auth", __name__)

# Endpoints a user who must change their password may still reach.
_OPEN_WHEN_MUST_CHANGE = {"auth.change_password", "auth.logout", "core.language", "core.healthz", "static"}


def _start_session(user, remember: bool) -> None:
    lang = session.get("lang")
    session.clear()  # a fresh session on login: no fixation
    if lang:
        session["lang"] = lang
    login_user(user, remember=remember)


@bp.before_app_request
def _force_password_change():
    """Accounts with a one-time password go to the password form first."""
    # The endpoint first: static files and /healthz never load the user.
    if (
        request.endpoint not in _OPEN_WHEN_MUST_CHANGE
        and current_user.is_authenticated
        and current_user.must_change_password
    ):
        return redirect(url_for("auth.change_password"))
    return None


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_FAILURES_PER_USER"], key_func=login_key,
               deduct_when=login_failed, methods=["POST"])
@limiter.limit(lambda: current_app.config["LOGIN_FAILURES_PER_ADDRESS"], key_func=get_remote_address,
               deduct_when=login_failed, methods=["POST"])
def login():
    """Show the login form and log the user in."""
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = LoginForm()
    if form.validate_on_submit():
        db = get_session()
        user = services.find_user(db, form.username.data)
        if verify_password(user, form.password.data):
            if not user.is_active_account:
                form.username.errors.append(_("This account has been deactivated. Ask your school's admin."))
                return render_template("auth/login.html", form=form)
            _start_session(user, form.remember.data)
            services.record_login(db, user)
            db.commit()
            if user.must_change_password:
                flash(_("Welcome! Choose your own password before you go on."), "info")
                return redirect(url_for("auth.change_password"))
            return redirect(safe_next(request.args.get("next")) or url_for("core.home"))
        form.password.errors.append(_("Wrong username or password."))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Log out everywhere this session was copied to."""
    db = get_session()
    # The user was loaded in this request's session, so the change is tracked.
    current_user.rotate_session_token()
    db.commit()
    lang = session.get("lang")
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Let the user choose a new password (required after a one-time password)."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        db = get_session()
        try:
            services.change_password(db, current_user, form.current_password.data, form.password.data)
        except ServiceError as error:
            apply_service_error(form, error, default="password")
        else:
            db.commit()
            _start_session(current_user._get_current_object(), remember=False)
            flash(_("Your new password is saved."), "success")
            return redirect(url_for("core.home"))
    return render_template("auth/change_password.html", form=form)
