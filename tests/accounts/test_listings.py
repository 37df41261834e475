"""The accounts lists' statements (accounts.listings): a page past the end, an empty list still counted,
and, on PostgreSQL, the student list ordered from users' covering index."""
from __future__ import annotations

import pytest

from schoolhub.accounts import listings
from schoolhub.accounts.models import Role
from tests.helpers.plans import query_plan


def test_an_empty_class_is_counted_and_its_page_is_the_first(world, factory, login_as, db, app):
    empty = factory.school_class(world.school, "9C", 9)
    db.commit()
    with app.test_request_context(f"/?page=5&class_id={empty.id}"):
        page, classes = listings.people_page(db, world.school, Role.STUDENT, class_id=empty.id, with_classes=True)
    assert (page.items, page.total, page.page, page.more) == ([], 0, 1, False)
    assert [c.name for c in classes] == ["7A", "9C"]  # one school year: by grade
    assert {c.id for c in classes} == {world.school_class.id, empty.id}


def test_the_students_page_is_ordered_from_the_users_covering_index(world, db, app):
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite reads a user's row by its rowid")
    stmt = listings._STATEMENTS[(False, False, True)].params(
        school_id=world.school.id, role=Role.STUDENT, count_cap=1001, page_limit=25, page_offset=0)
    with app.test_request_context():
        plan = query_plan(db, stmt)
    assert "Index Only Scan using ix_users_id_sort_keys" in plan, plan
