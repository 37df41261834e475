"""Who gets what from every accounts endpoint and method: login, the officer's and the school admin's screens.

Rows and principals: tests/helpers/access.py. A POST is sent empty: where a principal may use the
form it is shown again with errors (200), or the action is done (and rolled back by the runner).
"""
from __future__ import annotations

import pytest

from tests.helpers.access import LOGGED_OUT, LOGIN, PRINCIPALS, Row, assert_rows_match_app


def officer_only(endpoint: str, method: str, path: str, allowed: int = 200) -> Row:
    """A commune screen: the commune's officer only; another commune's people, and outsiders, get 404."""
    return Row(endpoint, method, path, default=403, anonymous=LOGIN, officer=allowed, other_officer=404,
               outsider=404)


def staff_only(endpoint: str, method: str, path: str, allowed: int = 200) -> Row:
    """The school's lists of people: its teachers and admin; its students 403; everyone else 404."""
    return Row(endpoint, method, path, default=404, anonymous=LOGIN, student=403, officer=403,
               teacher=allowed, colleague=allowed, admin=allowed)


def admin_only(endpoint: str, method: str, path: str, allowed: int = 200) -> Row:
    """The school admin's screens: the admin only; the school's people and its officer 403; others 404."""
    return Row(endpoint, method, path, default=404, anonymous=LOGIN, student=403, teacher=403, colleague=403,
               officer=403, admin=allowed)


COMMUNE = "/communes/{commune}/schools"
SCHOOL = "/schools/{school}"
PERSON = SCHOOL + "/people/{student}"

ROWS = [
    Row("auth.login", "GET", "/login", default=302, anonymous=200),
    Row("auth.login", "POST", "/login", default=302, anonymous=200),
    Row("auth.logout", "POST", "/logout", default=LOGGED_OUT, anonymous=LOGIN, must_change=LOGGED_OUT),
    Row("auth.change_password", "GET", "/password", default=200, anonymous=LOGIN, must_change=200),
    Row("auth.change_password", "POST", "/password", default=200, anonymous=LOGIN, must_change=200),

    officer_only("admin.schools", "GET", COMMUNE),
    officer_only("admin.new_school", "GET", COMMUNE + "/new"),
    officer_only("admin.new_school", "POST", COMMUNE + "/new"),
    officer_only("admin.edit_school", "GET", COMMUNE + "/{school}/edit"),
    officer_only("admin.edit_school", "POST", COMMUNE + "/{school}/edit"),
    officer_only("admin.school_active", "GET", COMMUNE + "/{school}/active"),
    officer_only("admin.school_active", "POST", COMMUNE + "/{school}/active", allowed=302),  # deactivates it
    officer_only("admin.appoint_admin", "GET", COMMUNE + "/{school}/admins"),
    officer_only("admin.appoint_admin", "POST", COMMUNE + "/{school}/admins"),

    Row("school.overview", "GET", SCHOOL, default=404, anonymous=LOGIN, student=200, teacher=200, colleague=200,
        admin=200, officer=200),
    staff_only("school.teachers", "GET", SCHOOL + "/teachers"),
    staff_only("school.students", "GET", SCHOOL + "/students"),
    staff_only("school.class_detail", "GET", SCHOOL + "/classes/{school_class}", allowed=302),
    admin_only("school.new_teacher", "GET", SCHOOL + "/teachers/new"),
    admin_only("school.new_teacher", "POST", SCHOOL + "/teachers/new"),
    admin_only("school.new_student", "GET", SCHOOL + "/students/new"),
    admin_only("school.new_student", "POST", SCHOOL + "/students/new"),
    admin_only("school.edit_person", "GET", PERSON + "/edit"),
    admin_only("school.edit_person", "POST", PERSON + "/edit"),
    admin_only("school.person_active", "GET", PERSON + "/active"),
    admin_only("school.person_active", "POST", PERSON + "/active", allowed=302),  # deactivates the student
    admin_only("school.reset_password", "GET", PERSON + "/password"),
    admin_only("school.reset_password", "POST", PERSON + "/password"),  # the sheet with the one-time password
    admin_only("school.new_class", "GET", SCHOOL + "/classes/new"),
    admin_only("school.new_class", "POST", SCHOOL + "/classes/new"),
    admin_only("school.edit_class", "GET", SCHOOL + "/classes/{school_class}/edit"),
    admin_only("school.edit_class", "POST", SCHOOL + "/classes/{school_class}/edit"),
    admin_only("roster.upload", "GET", SCHOOL + "/import"),
    admin_only("roster.upload", "POST", SCHOOL + "/import"),
    # A token that was never issued: even the school's admin gets 404.
    admin_only("roster.commit", "POST", SCHOOL + "/import/0123456789abcdef0123456789abcdef", allowed=404),
    # The same address opened again (a reloaded password sheet): explains and offers new passwords.
    admin_only("roster.sheet_again", "GET", SCHOOL + "/import/0123456789abcdef0123456789abcdef", allowed=404),
    # The school's audit log: its admins and the commune's officers.
    Row("audit.log", "GET", "/units/{school}/audit", default=404, anonymous=LOGIN, student=403, teacher=403,
        colleague=403, admin=200, officer=200),
    admin_only("school.reissue_passwords", "GET", SCHOOL + "/passwords?class_id={school_class}"),
    # Nobody in the class waits for a first login: the confirmation page again, nothing issued.
    admin_only("school.reissue_passwords", "POST", SCHOOL + "/passwords?class_id={school_class}"),
]


@pytest.fixture
def targets(world) -> dict:
    return {"commune": world.commune.id, "school": world.school.id, "school_class": world.school_class.id,
            "student": world.student.id}


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_access(principal, check_access, targets):
    check_access(ROWS, principal, targets)


def test_every_endpoint_and_method_has_a_row(app):
    assert_rows_match_app(app, ROWS, "accounts")
