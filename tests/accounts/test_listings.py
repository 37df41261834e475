"""The accounts lists' statements (accounts.listings): a page past the end, an empty list still counted,
and the student list read in order from the memberships' roster index."""
from __future__ import annotations

import re

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


def test_the_students_page_is_read_in_order_from_the_roster_index(world, db, app):
    """The page's rows come in list order from the memberships' roster index (migration 0014), no sort
    of the school's students and no user read for it (PostgreSQL is told to avoid sorting: on the tiny
    test tables sorting a few rows is rightly cheaper)."""
    stmt = listings._STATEMENTS[(False, False, True)].params(
        school_id=world.school.id, role=Role.STUDENT, count_cap=1001, page_limit=25, page_offset=0)
    if db.get_bind().dialect.name == "postgresql":
        from sqlalchemy import text

        db.execute(text("SET LOCAL enable_sort = off"))
    with app.test_request_context():
        plan = query_plan(db, stmt)
    if db.get_bind().dialect.name == "postgresql":
        # The page's LIMIT reads the index in order: no Sort between them (the outer one orders 25 rows).
        assert re.search(r"Limit .*\n\s*->  Index Scan using ix_memberships_roster on memberships ", plan), plan
    else:
        page = plan.split("MATERIALIZE page\n", 1)[1].split("SCAN head", 1)[0]
        assert page.startswith("SEARCH memberships USING INDEX ix_memberships_roster") and "TEMP B-TREE" not in page, plan
