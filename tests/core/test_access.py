"""Who gets what from the core endpoints (the app shell), and the matrix's own completeness.

Rows and principals: tests/helpers/access.py. Each domain's rows are in tests/<domain>/test_access.py.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from flask import abort
from sqlalchemy import select

from schoolhub.accounts.models import OrgUnit
from schoolhub.db import get_session
from tests.helpers.access import (
    CHANGE_PASSWORD,
    LOGIN,
    PRINCIPALS,
    Row,
    assert_rows_match_app,
    domain_of,
    served_pairs,
)

TESTS = Path(__file__).resolve().parents[1]

ROWS = [
    Row("static", "GET", "/static/css/app.css", default=200, must_change=200),
    Row("core.home", "GET", "/", default=200, anonymous=LOGIN),
    Row("core.healthz", "GET", "/healthz", default=200, must_change=200),
    Row("core.language", "POST", "/language", default=302, must_change=302),
]


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_access(principal, check_access):
    check_access(ROWS, principal, {})


def test_every_endpoint_and_method_has_a_row(app):
    assert_rows_match_app(app, ROWS, "core")


def test_every_domain_that_serves_pages_has_its_rows(app):
    """A domain's pairs are checked by its own tests/<domain>/test_access.py: that file must exist."""
    domains = {domain_of(app, endpoint) for endpoint, _method in served_pairs(app)} - {"core"}
    assert domains, "no domain endpoints found: domain_of is broken"
    missing = sorted(d for d in domains if not (TESTS / d / "test_access.py").is_file())
    assert not missing, f"domains without tests/<domain>/test_access.py: {missing}"


# --- the matrix's own machinery: each of these must hold, or the rows prove nothing -----------------------------

def test_a_row_names_principals_and_defaults_the_rest():
    row = Row("x.y", "POST", "/x", default=404, anonymous=LOGIN, admin=302)
    assert row.expected["admin"] == 302 and row.expected["teacher"] == 404 and row.expected["outsider"] == 404
    assert row.expected["deactivated"] == LOGIN  # what anonymous gets, unless named
    assert row.expected["must_change"] == CHANGE_PASSWORD
    with pytest.raises(TypeError, match="techer"):
        Row("x.y", "GET", "/x", default=200, techer=403)


def test_the_runner_reports_a_wrong_outcome(check_access):
    with pytest.raises(AssertionError, match=r"core\.home GET /: expected 200, got 302 → /login"):
        check_access([Row("core.home", "GET", "/", default=200)], "anonymous", {})


def _renaming_view(status: int):
    """A view that renames the first school, commits, then answers `status`."""

    def view():
        db = get_session()
        school = db.scalar(select(OrgUnit).where(OrgUnit.kind == "school").order_by(OrgUnit.id))
        school.name = "Đổi tên lén"
        db.commit()
        if status >= 400:
            abort(status)
        return "ok"

    return view


def test_the_runner_reports_a_refusal_that_wrote(check_access, app, world, monkeypatch):
    monkeypatch.setitem(app.view_functions, "core.healthz", _renaming_view(403))
    # A renamed unit also draws a new shelf token for the lesson list's school choices (lessons.counts).
    with pytest.raises(AssertionError, match=r"refused \(403\) but changed \['org_units: a row changed', "
                                             r"'lesson_shelf_token: 0 → 1 rows'\]"):
        check_access([Row("core.healthz", "GET", "/healthz", default=403)], "teacher", {})


def test_what_a_row_does_is_undone_before_the_next(check_access, app, world, db, monkeypatch):
    monkeypatch.setitem(app.view_functions, "core.healthz", _renaming_view(200))
    check_access([Row("core.healthz", "GET", "/healthz", default=200)], "officer", {})
    db.expire_all()
    assert db.get(OrgUnit, world.school.id).name == "Trường THCS Bình Chương"


def test_a_deactivated_session_is_anonymous_and_must_change_is_sent_to_the_password_form(check_access):
    check_access([Row("core.home", "GET", "/", default=200, anonymous=LOGIN)], "deactivated", {})
    check_access([Row("core.home", "GET", "/", default=200, anonymous=LOGIN)], "must_change", {})
    with pytest.raises(AssertionError, match="expected 200, got 302 → /password"):
        check_access([Row("core.home", "GET", "/", default=200, must_change=200)], "must_change", {})
