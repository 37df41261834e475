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


def _pager_links(html: str) -> dict[str, str]:
    import html as html_lib

    return {rel: html_lib.unescape(href) for rel, href in re.findall(r'<a rel="(prev|next)" href="([^"]+)"', html)}


def test_the_pager_keeps_the_query_and_escapes_what_was_typed(world, factory, login_as, db, app, monkeypatch):
    from urllib.parse import parse_qsl, urlsplit

    for i in range(6):
        factory.user(Role.TEACHER, world.school, full_name=f"Giáo Viên {i:02d}")
    db.commit()
    monkeypatch.setitem(app.config, "PER_PAGE", 2)
    c = login_as(world.admin)
    hostile = '"><script>alert(1)</script>'
    base = f"/schools/{world.school.id}/teachers"
    # Any parameter of the page's address is carried to the next one, even one the page does not read.
    html = c.get(base, query_string={"page": "2", "q": "Viên", "from": hostile}).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    links = _pager_links(html)
    assert set(links) == {"prev", "next"}
    for rel, number in (("prev", "1"), ("next", "3")):
        target = urlsplit(links[rel])
        assert target.path == base
        # The page number where the query had it, the words typed kept as typed.
        assert parse_qsl(target.query) == [("page", number), ("q", "Viên"), ("from", hostile)]
    assert "Trang 2/3" in html and "Trang trước" in html and "Trang sau" in html
    # Another query on the same page number draws its own links, not the first one's.
    other = _pager_links(c.get(base, query_string={"q": "Viên", "page": "2"}).get_data(as_text=True))
    assert parse_qsl(urlsplit(other["next"]).query) == [("q", "Viên"), ("page", "3")]


def test_the_pager_speaks_the_readers_language_and_is_absent_for_one_page(world, factory, login_as, db, app,
                                                                         monkeypatch):
    for i in range(3):
        factory.user(Role.TEACHER, world.school, full_name=f"Giáo Viên {i:02d}")
    db.commit()
    monkeypatch.setitem(app.config, "PER_PAGE", 2)
    c = login_as(world.admin)
    base = f"/schools/{world.school.id}/teachers"
    assert "Trang 1/2" in c.get(base).get_data(as_text=True)
    world.admin.preferred_language = "en"
    db.commit()
    html = c.get(base).get_data(as_text=True)
    assert "Page 1 of 2" in html and "Next ›" in html and 'aria-label="Pages"' in html
    assert "Trang sau" not in html
    monkeypatch.setitem(app.config, "PER_PAGE", 50)
    html = c.get(base).get_data(as_text=True)
    assert 'class="pager"' not in html and "Page 1 of" not in html
