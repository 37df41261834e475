"""Long lists are paged without counting the whole table: the count stops, the pager says "more than"."""
from __future__ import annotations

import re

from schoolhub import pagination
from schoolhub.accounts.models import Role


def test_a_long_list_says_more_than_and_still_pages_on(world, factory, login_as, db, app, monkeypatch):
    for i in range(15):
        factory.user(Role.TEACHER, world.school, full_name=f"Giáo Viên {i:02d}")
    db.commit()
    monkeypatch.setitem(app.config, "PER_PAGE", 1)
    monkeypatch.setattr(pagination, "COUNT_CAP", 3)
    c = login_as(world.admin)
    html = c.get(f"/schools/{world.school.id}/teachers").get_data(as_text=True)
    # 16 teachers, one a page: the count stops at 11 (ten pages past the first) and says so.
    assert "Trang 1/hơn 11" in html and 'rel="next"' in html
    html = c.get(f"/schools/{world.school.id}/teachers?page=16").get_data(as_text=True)
    assert re.search(r"Trang 16/(hơn )?\d+", html) and 'rel="next"' not in html


def test_a_short_list_counts_exactly(world, factory, db, app, monkeypatch):
    from sqlalchemy import select

    from schoolhub.accounts.models import User

    for i in range(4):
        factory.user(Role.TEACHER, world.school, full_name=f"Giáo Viên {i:02d}")
    db.commit()
    monkeypatch.setitem(app.config, "PER_PAGE", 2)
    with app.test_request_context("/?page=2"):
        page = pagination.paginate(db, select(User).order_by(User.id))
    assert (page.total, page.more, page.pages, page.page, len(page.items)) == (12, False, 6, 2, 2)
