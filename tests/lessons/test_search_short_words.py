"""Words of one or two letters ("so", "ai") hold no trigram: they are checked on the rows the longer
words narrowed, as a substring test, never handed to the trigram index, with the same results."""
from __future__ import annotations

import re

from schoolhub.lessons import queries

_CARD = re.compile(r'<li class="lesson-card">\s*<h2><a href="/lessons/(\d+)"')


def _listed(client, q: str) -> set[int]:
    r = client.get("/lessons", query_string={"q": q})
    assert r.status_code == 200
    return {int(m) for m in _CARD.findall(r.get_data(as_text=True))}


def test_short_words_match_inside_longer_ones(world, factory, db, app):
    two = factory.lesson(world.school, world.teacher, visibility="public", title="Hai lớp bảo mật",
                         body="Bật xác thực hai lớp.")
    song = factory.lesson(world.school, world.teacher, visibility="public", title="Sông quê em",
                          body="Nước sông và rác thải.")
    plain = factory.lesson(world.school, world.teacher, visibility="public", title="Robot", body="Động cơ.")
    client = app.test_client()
    assert _listed(client, "ai") == {two.id, song.id}  # hAI, thẢI
    assert _listed(client, "so") == {song.id}  # SÔng, as LIKE '%so%' found it
    assert _listed(client, "song ai") == {song.id}
    assert _listed(client, "c o") == {two.id, song.id, plain.id}  # only short words: still every match


def test_short_words_stay_out_of_the_index(app):
    with app.app_context():
        sql = str(queries.search(None, q="chuyen doi so").compile(compile_kwargs={"literal_binds": True}))
    assert "'%so%'" not in sql  # a LIKE of it would read the whole trigram index on PostgreSQL
    assert ("strpos(" in sql) or ("instr(" in sql)


def test_a_ranked_search_pages_and_counts_in_a_bounded_number_of_statements(world, factory, db, app, monkeypatch,
                                                                            count_queries):
    """search_page gives the same lessons in the same order as search(), page by page, in at most six
    statements (a probe per ranking tier and the page's lessons), with the count exact when every tier
    was asked."""
    monkeypatch.setitem(app.config, "PER_PAGE", 2)
    for i in range(5):
        factory.lesson(world.school, world.teacher, visibility="public", title=f"Chuyển đổi số {i}",
                       body="Chuyen doi so." if i % 2 else "Chuyển đổi số ở trường.")
    factory.lesson(world.school, world.teacher, visibility="public", title="Robot", body="Không liên quan.")
    db.commit()
    expected = [lesson.id for lesson in db.scalars(queries.search(None, q="chuyển đổi số"))]
    assert len(expected) == 5
    seen = []
    for number in (1, 2, 3):
        with app.test_request_context(f"/lessons?page={number}"):
            with count_queries() as statements:
                page = queries.search_page(db, None, q="chuyển đổi số")
            assert len(statements) <= 6
            assert page.has_next == (number < 3)
            seen += [lesson.id for lesson in page.items]
    assert seen == expected
    with app.test_request_context("/lessons?page=3"):  # the last page asked every tier: the count is exact
        page = queries.search_page(db, None, q="chuyển đổi số")
    assert (page.total, page.more, page.pages) == (5, False, 3)
    with app.test_request_context("/lessons?page=9"):  # past the end: the last page, as paginate shows it
        page = queries.search_page(db, None, q="chuyển đổi số")
    assert (page.page, [lesson.id for lesson in page.items]) == (3, expected[4:])
