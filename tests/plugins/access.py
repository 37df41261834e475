"""The access-matrix runner: `check_access(rows, principal, targets)` (rows and principals: tests/helpers/access.py).

It logs in once as the principal, then for each row sends the request inside a savepoint of the
test's connection that is rolled back afterwards, so a row that acts (a POST that deactivates a
school) changes nothing for the rows after it. For a refused outcome it also compares every table
with how it was before the request: a refusal must not have written anything.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from schoolhub.db import Base
from tests.helpers.access import PRINCIPALS, REFUSED, Row, describe, matches

# The World's user behind each principal (anonymous has none).
_USERS = {
    "student": "student", "teacher": "teacher", "colleague": "colleague", "other_teacher": "other_teacher",
    "admin": "admin", "other_admin": "other_admin", "officer": "officer", "other_officer": "other_officer",
    "outsider": "outsider", "deactivated": "leaver", "must_change": "newcomer",
}
assert set(_USERS) | {"anonymous"} == set(PRINCIPALS)


def _snapshot(connection) -> dict[str, list[tuple]]:
    """Every row of every table, as the test's connection sees it."""
    return {table.name: [tuple(row) for row in connection.execute(select(table).order_by(*table.primary_key))]
            for table in Base.metadata.tables.values()}


def _changes(before: dict[str, list[tuple]], after: dict[str, list[tuple]]) -> list[str]:
    return [f"{name}: {len(before[name])} → {len(after[name])} rows" if len(before[name]) != len(after[name])
            else f"{name}: a row changed" for name in before if before[name] != after[name]]


@pytest.fixture
def check_access(world, factory, login_as, client, connection, db):
    """Check every row for one principal: log in once, then ask each row's URL; all failures in one report."""

    def _log_in(principal: str) -> bool:
        """Start the principal's session; False when it has none (anonymous, or no longer: deactivated)."""
        if principal == "anonymous":
            return False
        user = getattr(world, _USERS[principal])
        login_as(user)
        if principal == "deactivated":
            factory.deactivate(user, by=world.admin)  # the session of an account deactivated meanwhile
            return False
        return True

    def _check(rows: list[Row], principal: str, targets: dict) -> None:
        logged_in = _log_in(principal)
        db.commit()
        before = _snapshot(connection)
        failures = []
        for row in rows:
            url = row.path.format(**targets)
            want = row.expected[principal]
            savepoint = connection.begin_nested()
            try:
                response = client.open(url, method=row.method, data={} if row.method != "GET" else None)
                response.close()
                if not matches(want, response):
                    failures.append(f"{row.endpoint} {row.method} {url}: expected {want}, got {describe(response)}")
                elif want in REFUSED and (changed := _changes(before, _snapshot(connection))):
                    failures.append(f"{row.endpoint} {row.method} {url}: refused ({want}) but changed {changed}")
            finally:
                savepoint.rollback()
            if row.endpoint == "auth.logout" and logged_in:
                _log_in(principal)  # the logout row ended the session: start another for the next rows
                db.commit()
                before = _snapshot(connection)
        assert not failures, f"as {principal}:\n" + "\n".join(failures)

    return _check
