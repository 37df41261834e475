"""The access matrix: who gets what from every (endpoint, method) the app serves.

Each domain lists its rows in tests/<domain>/test_access.py (core's in tests/core/test_access.py)::

    ROWS = [
        Row("lessons.edit", "POST", "/lessons/{lesson}/edit", default=404, anonymous=LOGIN,
            student=403, colleague=403, officer=403, teacher=200, admin=200),
    ]

and runs them with the `check_access` fixture (tests/plugins/access.py), once per principal:

    @pytest.mark.parametrize("principal", PRINCIPALS)
    def test_access(principal, check_access, targets):
        check_access(ROWS, principal, targets)

    def test_every_endpoint_and_method_has_a_row(app):
        assert_rows_match_app(app, ROWS, "lessons")

`{name}` in a path is filled from the module's `targets` (ids of the objects the rows act on).
A POST is sent with no data (no CSRF token is needed in tests): for the principals that are
refused, the runner also checks that the database is exactly as before the request.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

# Expected outcomes besides a status code:
LOGIN = "login"  # refused: redirected to the login page
CHANGE_PASSWORD = "change password"  # refused: redirected to /password (a one-time password is still to change)
LOGGED_OUT = "logged out"  # the logout itself: redirected to the login page, and that is no refusal

# Every principal each row is checked for (tests/plugins/access.py says who each one is).
PRINCIPALS = (
    "anonymous",  # no session
    "student",  # a student of the school, in its class
    "teacher",  # a teacher of the school (the author of the school's lessons)
    "colleague",  # another teacher of the same school
    "other_teacher",  # a teacher of the other school of the commune
    "admin",  # the school's admin
    "other_admin",  # the other school's admin
    "officer",  # the commune's officer
    "other_officer",  # the officer of another commune (which has a school of its own)
    "outsider",  # an outside judge: an account with no membership
    "deactivated",  # logged in, then deactivated by the school's admin: expects what `anonymous` gets
    "must_change",  # a teacher of the school with a one-time password still to change: expects CHANGE_PASSWORD
)

# Outcomes after which nothing in the database may have changed.
REFUSED = frozenset({LOGIN, CHANGE_PASSWORD, 400, 403, 404, 405, 409})


@dataclass(frozen=True, init=False)
class Row:
    """One (endpoint, method): the URL to ask and the outcome for each principal.

    Name the principals whose outcome differs from `default`. Unless named, `deactivated` expects
    the `anonymous` outcome and `must_change` expects CHANGE_PASSWORD.
    """

    endpoint: str
    method: str
    path: str
    expected: dict[str, int | str] = field(compare=False, repr=False)

    def __init__(self, endpoint: str, method: str, path: str, *, default: int | str, **roles: int | str):
        unknown = sorted(set(roles) - set(PRINCIPALS))
        if unknown:
            raise TypeError(f"{endpoint} {method}: no principal named {unknown}; the principals are {PRINCIPALS}")
        if method not in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            raise ValueError(f"{endpoint}: unknown method {method!r}")
        if not path.startswith("/"):
            raise ValueError(f"{endpoint} {method}: the path {path!r} does not start with /")
        expected = {name: roles.get(name, default) for name in PRINCIPALS}
        expected["deactivated"] = roles.get("deactivated", expected["anonymous"])
        expected["must_change"] = roles.get("must_change", CHANGE_PASSWORD)
        object.__setattr__(self, "endpoint", endpoint)
        object.__setattr__(self, "method", method)
        object.__setattr__(self, "path", path)
        object.__setattr__(self, "expected", expected)

    def __repr__(self) -> str:
        return f"Row({self.endpoint!r}, {self.method!r}, {self.path!r})"


def outcome_of(response) -> int | str:
    """What a response means, in the matrix's terms: LOGIN, CHANGE_PASSWORD or the status code."""
    if response.status_code in (301, 302, 303, 307, 308):
        where = urlsplit(response.headers.get("Location", "")).path
        if where == "/login":
            return LOGIN
        if where == "/password":
            return CHANGE_PASSWORD
    return response.status_code


def matches(expected: int | str, response) -> bool:
    """True when the response is the expected outcome (a numeric 302 is a redirect anywhere but those two)."""
    got = outcome_of(response)
    if expected == LOGGED_OUT:
        return got == LOGIN
    return got == expected


def describe(response) -> str:
    location = response.headers.get("Location")
    return f"{response.status_code}" + (f" → {location}" if location else "")


def served_pairs(app) -> set[tuple[str, str]]:
    """Every (endpoint, method) the app answers, HEAD and OPTIONS aside (Flask adds those itself)."""
    return {(rule.endpoint, method) for rule in app.url_map.iter_rules()
            for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}}


# Core routes whose answer is a domain's rule, checked with that domain's rows and data: /files/<token>
# serves every domain's attachments by the owner's rule; lessons own the files that exist today.
CHECKED_BY_DOMAIN = {"files.serve": "lessons"}


def domain_of(app, endpoint: str) -> str:
    """The domain package whose views serve the endpoint (`schoolhub.lessons.views` → lessons), else core."""
    if endpoint in CHECKED_BY_DOMAIN:
        return CHECKED_BY_DOMAIN[endpoint]
    module = getattr(app.view_functions[endpoint], "__module__", "") or ""
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "schoolhub" else "core"


def assert_rows_match_app(app, rows: list[Row], domain: str) -> None:
    """The domain's rows name exactly the (endpoint, method) pairs its views serve, once each."""
    declared = [(row.endpoint, row.method) for row in rows]
    twice = sorted({pair for pair in declared if declared.count(pair) > 1})
    served = {(endpoint, method) for endpoint, method in served_pairs(app) if domain_of(app, endpoint) == domain}
    missing = sorted(served - set(declared))
    stale = sorted(set(declared) - served)
    assert not twice, f"pairs with more than one row: {twice}"
    assert not missing, f"pairs the {domain} views serve without an access-matrix row: {missing}"
    assert not stale, f"rows for pairs the {domain} views do not serve (gone, or another domain's): {stale}"
