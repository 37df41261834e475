"""Login, logout, password change and language choice."""
from __future__ import annotations

import math
import time

from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user, logout_user

from schoolhub.accounts import services
from schoolhub.accounts.forms import ChangePasswordForm, LoginForm
from schoolhub.clock import local_time_of, local_today
from schoolhub.db import get_session, reads_first, record_quietly
from schoolhub.forms import apply_service_error
from schoolhub.security import login_name, safe_next, verify_password
from schoolhub.services import ServiceError
from schoolhub.throttle import current as current_throttle

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


WARN_AFTER = 3  # failed logins after which the form says how many tries are left


def _at(epoch: float) -> str:
    """When to try again, as a Vietnamese clock shows it: "14:35", or "14:35 02/12/2026" on another day."""
    moment = local_time_of(epoch)
    text = moment.strftime("%H:%M")
    return text if moment.date() == local_today() else f"{text} {moment.strftime('%d/%m/%Y')}"


def _too_many(form, until: float, message: str):
    """The 429 page is the login form again, saying when to try again (and the name is kept)."""
    form.password.data = ""
    response = make_response(render_template("auth/login.html", form=form, notice=message % {"time": _at(until)}),
                             429)
    response.headers["Retry-After"] = str(max(1, math.ceil(until - time.time())))
    return response


@bp.route("/login", methods=["GET", "POST"])
@reads_first
def login():
    """Show the login form and log the user in; failed logins are throttled (schoolhub.throttle)."""
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = LoginForm()
    if form.validate_on_submit():
        throttle = current_throttle()
        name, address = login_name(form.username.data), request.remote_addr or ""
        verdict = throttle.check(name, address)
        if verdict.blocked_until is not None:
            return _too_many(form, verdict.blocked_until, _(
                "Too many failed logins for this account. You can try again at %(time)s."))
        db = get_session()
        user = services.find_user(db, form.username.data)
        db.commit()  # nothing is held while the password hash is checked
        correct = verify_password(user, form.password.data)
        if verdict.address_full_until is not None and not (correct and verdict.account_failures == 0):
            # A school shares one address: only this account's own recent mistakes keep it out.
            if not correct:
                throttle.failed(name, address)
            return _too_many(form, verdict.address_full_until, _(
                "Too many failed logins from this network. You can try again at %(time)s; "
                "if you have not mistyped your password lately, enter it carefully and log in now."))
        if correct:
            if not user.is_active_account:
                form.username.errors.append(_("This account has been deactivated. Ask your school's admin."))
                return render_template("auth/login.html", form=form)
            _start_session(user, form.remember.data)
            # The login itself must not wait for the school's writers: the time is a side record.
            record_quietly(db, lambda: services.record_login(db, user), "login time")
            if user.must_change_password:
                flash(_("Welcome! Choose your own password before you go on."), "info")
                return redirect(url_for("auth.change_password"))
            return redirect(safe_next(request.args.get("next")) or url_for("core.home"))
        left, reset_at = throttle.failed(name, address)
        form.password.errors.append(_("Wrong username or password."))
        if left == 0:
            form.password.errors.append(_("That was the last try: you can try again at %(time)s.", time=_at(reset_at)))
        elif left <= throttle.per_account_address.amount - WARN_AFTER:
            form.password.errors.append(ngettext(
                "%(num)d try left, then logging in to this account pauses for a while.",
                "%(num)d tries left, then logging in to this account pauses for a while.", left))
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
    response = redirect(url_for("auth.login"))
    # The token inside is dead already; the browser should not keep it either (a shared school computer).
    config = current_app.config
    response.delete_cookie(config.get("REMEMBER_COOKIE_NAME", "remember_token"),
                           path=config.get("REMEMBER_COOKIE_PATH", "/"), domain=config.get("REMEMBER_COOKIE_DOMAIN"),
                           secure=config.get("REMEMBER_COOKIE_SECURE", False), httponly=True,
                           samesite=config.get("REMEMBER_COOKIE_SAMESITE"))
    return response


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
