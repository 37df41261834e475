"""The walked search (lessons.queries._walks_page, SQLite's way for a search known to match many): each ranking
tier walked in list order through the list walk index (migration 0022), its exact and phrase tiers asked of
the trigram tables. It shows what ranking every match shows, on every page, with every filter and reader,
on both databases (PostgreSQL walks when the tests ask it to)."""
from __future__ import annotations

import re

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import select, text, update

from schoolhub.lessons import queries, search
from schoolhub.lessons.models import Lesson
from schoolhub.textfold import exact_key
from tests.helpers.lesson_lists import dated, listed, shaped

# (title, body, topics): lessons in every tier of "chuyển đổi số" (exact, title, text, words apart, label).
SHAPES = [
    ("Chuyển đổi số ở trường", "Bài mở đầu.", ("khcn",)),
    ("Chuyen doi so khong dau", "Viết không dấu.", ("khcn",)),
    ("Bài đọc", "Nói về chuyển đổi số trong lớp.", ("khcn",)),
    ("Bài đọc thêm", "Chuyên đôi sô là gì?", ("khcn",)),
    ("Số liệu", "Đổi cách chuyển bài.", ("khcn",)),
    # Every third trigram of "chuyen doi so" and its last (search.sparse_trigrams), not the phrase: the words
    # apart, ranked after the phrase's tiers.
    ("Ghi chép", "Chuyển đi, đổi sổ ghi.", ("khcn",)),
    ("Bảng tính", "Hàng và cột.", ("cds",)),
    ("Robot", "Động cơ.", ("stem",)),
]
QUERIES = ["chuyển đổi số", "chuyen doi so", "Chuyên đôi sô", "doi", "so chuyen", "bảng tính", "robot",
           'chuyen "doi" so', "không có gì"]


@pytest.fixture
def many(world, factory, db):
    """48 lessons: each shape six times, in the two schools, some private and some core, all dated."""
    shaped(world, factory, db, SHAPES)


@pytest.fixture
def walked(app, monkeypatch):
    """Pages of 3 walked tier by tier (PostgreSQL too), so 48 lessons take every branch a commune's 1,000 do."""
    monkeypatch.setitem(app.config, "PER_PAGE", 3)
    monkeypatch.setattr(queries, "PROBE", 10)  # pages 1 to 3 are walked
    monkeypatch.setattr(queries, "FEW", 3)  # unless the search matches fewer than 3 lessons
    monkeypatch.setattr(queries, "TIERED", False)
    monkeypatch.setattr(queries, "WALKS", True)


def _ranked_all(app, db, user, **filters) -> list[int]:
    with app.test_request_context():
        return [lesson.id for lesson in db.scalars(queries.search(user, **filters))]


def _status(client, **params) -> str:
    page = client.get("/lessons", query_string=params).get_data(as_text=True)
    return re.search(r'role="status">([^<]*)<', page).group(1)


def _walks(statements: list[str]) -> int:
    return sum(s.startswith("WITH ") and "walk0 AS" in s for s in statements)


@pytest.mark.parametrize("filters", [{}, {"topic": "khcn"}, {"school": "other"}], ids=["all", "a-topic", "a-school"])
@pytest.mark.parametrize("q", QUERIES)
def test_every_walked_page_shows_what_ranking_every_match_shows(q, filters, many, walked, world, db, app, login_as,
                                                                sent):
    """Pages 1 to 5 (past the walked ones too), and a page past the end, as ranking every match shows them;
    the count is exact when every tier was walked to its end, else "more than" a whole number of pages."""
    client = login_as(world.teacher)
    params = dict(filters, school=str(world.other_school.id)) if "school" in filters else dict(filters)
    expected = _ranked_all(app, db, world.teacher, q=q, topic=params.get("topic", ""),
                           school_id=int(params["school"]) if "school" in params else None)
    listed(client, q=q, **params)  # the first run: the probe for few matches
    for page in range(1, 6):
        start = (page - 1) * 3
        if start >= len(expected) and page > 1:
            break
        assert listed(client, q=q, page=str(page), **params) == expected[start:start + 3], (q, filters, page)
    status = _status(client, q=q, **params)
    if len(expected) < 3:  # fewer than FEW: the few matches' statement counts them
        assert status == f"{len(expected)} bài giảng"
    else:
        sent.clear()
        status = _status(client, q=q, **params)
        assert _walks(sent) == 1, sent
        shown = int(re.search(r"\d+", status).group())
        if status.startswith("Hơn "):
            assert shown % 3 == 0 and shown < len(expected), status
        else:
            assert shown == len(expected), status
    if expected:
        last = (len(expected) - 1) // 3 * 3
        assert listed(client, q=q, page="99", **params) == expected[last:last + 3]


@pytest.mark.parametrize("reader", ["teacher", "student", "officer", "other_teacher", "visitor"])
def test_a_walk_shows_every_reader_only_what_they_may_read(reader, many, walked, world, db, app, login_as):
    """Another school's private lessons never appear in a walked page (the scope is tested on the index's
    entries): the same pages as ranking every match, for each kind of reader."""
    user = None if reader == "visitor" else getattr(world, reader)
    client = app.test_client() if user is None else login_as(user)
    expected = _ranked_all(app, db, user if user is not None else AnonymousUserMixin(), q="chuyen doi so")
    listed(client, q="chuyen doi so")
    for page in (1, 2, 3):
        assert listed(client, q="chuyen doi so", page=str(page)) == expected[(page - 1) * 3:page * 3], page


def test_a_walked_page_costs_the_plain_lists_statements(many, walked, world, login_as, count_queries, sent):
    """Once the search is known to match many, its page is one statement, as the plain list's page is."""
    client = login_as(world.teacher)
    listed(client)
    with count_queries() as statements:
        listed(client)
    plain = len(statements)
    listed(client, q="chuyen doi so")
    sent.clear()
    with count_queries() as statements:
        listed(client, q="chuyen doi so", page="2")
    assert len(statements) == plain and _walks(sent) == 1, sent


def _sqlite(db) -> None:
    if db.get_bind().dialect.name != "sqlite":
        pytest.skip("the trigram tables, the list walk index and the LIKE written `+?` are SQLite's")


def test_sqlite_walks_a_search_known_to_match_many_by_default(many, world, db, app, login_as, sent, monkeypatch):
    """Without the tests' switches: SQLite's first run probes for few matches and, finding many, walks; the
    next ones walk at once."""
    _sqlite(db)
    monkeypatch.setitem(app.config, "PER_PAGE", 3)
    monkeypatch.setattr(queries, "FEW", 3)
    client = login_as(world.teacher)
    expected = _ranked_all(app, db, world.teacher, q="chuyen doi so")
    assert listed(client, q="chuyen doi so") == expected[:3]
    assert _walks(sent) == 1 and any(s.startswith("WITH few") for s in sent)
    sent.clear()
    assert listed(client, q="chuyen doi so", page="2") == expected[3:6]
    assert _walks(sent) == 1 and not any(s.startswith("WITH few") for s in sent)
    sent.clear()
    listed(client, q="so")  # one short word: no trigram to find it by, every match ranked at once
    assert _walks(sent) == 0


def test_sqlite_walks_read_the_list_walk_index_alone_and_bind_no_pattern_the_planner_reads(many, world, db, app,
                                                                                         sent, login_as,
                                                                                         monkeypatch):
    """Each walk reads the list walk index in list order (none is sorted); the exact and title tiers' walks
    read it alone (no lesson is read from the table to test its scope, title or labels), the phrase tier's
    and the last read a lesson's text only to test the words or the phrase. Every LIKE pattern is written
    `+?`, so SQLite does not prepare the statement again each time it is bound (a bare parameter after LIKE
    marks it for that)."""
    _sqlite(db)
    monkeypatch.setattr(queries, "FEW", 3)
    client = login_as(world.teacher)
    for _ in range(2):
        listed(client, q="chuyen doi so", topic="khcn")
    statement = next(s for s in reversed(sent) if _walks([s]))
    assert "LIKE ?" not in statement and statement.count("LIKE +?") >= 2, statement
    with app.test_request_context():
        shape, params = queries.search_shape(world.teacher, q="chuyen doi so", topic="khcn")
        stmt = queries._walks_statement(shape, world.teacher).params({**params, "need": 4})
        sql = str(stmt.compile(dialect=db.get_bind().dialect, compile_kwargs={"literal_binds": True}))
    plan = [row[-1] for row in db.execute(text("EXPLAIN QUERY PLAN " + sql))]
    lessons = [step for step in plan if re.match(r"(SEARCH|SCAN) lessons\b", step) and "PRIMARY KEY" not in step]
    assert len(lessons) == 4, plan  # the four tiers' walks
    assert all(re.match(r"SCAN lessons USING (COVERING )?INDEX ix_lessons_list_walk$", step) for step in lessons), plan
    assert all("COVERING INDEX" in step for step in lessons[:2]), plan


def test_the_trigram_tables_follow_edits_and_deletions(world, factory, db, app):
    """lessons_exact_fts and lessons_trigrams are kept by triggers: a lesson edited to hold the query as typed
    is in the exact tier, one edited to hold the phrase in its text is in the phrase tier, and one deleted is
    found in neither (SQLite; on PostgreSQL the trigram indexes follow the row)."""
    _sqlite(db)
    lesson = factory.lesson(world.school, world.teacher, title="Kính hiển vi", visibility="public")

    def tier_ids(q: str, rank: int) -> set[int]:
        with app.test_request_context():
            shape, params = queries.search_shape(None, q=q)
            return set(db.scalars(select(Lesson.id).where(search.bound(search.tiers_of(shape)[rank], params))))

    assert lesson.id in tier_ids("kính hiển vi", 0) and lesson.id not in tier_ids("ống nhòm", 0)
    assert lesson.id not in tier_ids("ong nhom quang", 2)
    db.execute(update(Lesson).where(Lesson.id == lesson.id).values(search_exact=exact_key("ống nhòm quang học"),
                                                                  search_folded="ong nhom quang hoc"))
    db.commit()
    assert lesson.id in tier_ids("ống nhòm", 0) and lesson.id not in tier_ids("kính hiển vi", 0)
    assert lesson.id in tier_ids("ong nhom quang", 2)
    db.delete(lesson)
    db.commit()
    assert lesson.id not in tier_ids("ống nhòm", 0) and lesson.id not in tier_ids("ong nhom quang", 2)


def test_a_walked_part_is_put_in_list_order_as_sql_orders_it():
    """The walks' statement sends its rows unsorted; each part is put in list order in Python: core material
    first, then the newest, then the highest id, and a lesson without a date after the dated ones (where
    SQLite's descending order puts NULL; a published lesson always has a date)."""
    from collections import namedtuple
    from datetime import UTC, datetime

    from schoolhub.lessons.cards import CARD_FIELDS

    Row = namedtuple("Row", CARD_FIELDS)  # read by position, as the rows sent

    def row(id_, is_core, published_at):
        return Row(**{**dict.fromkeys(Row._fields, "x"), "id": id_, "is_core": is_core, "published_at": published_at})

    day = lambda n: datetime(2026, 9, n, 8, tzinfo=UTC)  # noqa: E731
    rows = [row(1, False, day(3)), row(2, True, day(1)), row(3, False, None), row(4, False, day(5)),
            row(5, True, day(1)), row(6, False, day(5)), row(7, True, None)]
    assert [r.id for r in sorted(rows, key=queries._list_key, reverse=True)] == [5, 2, 7, 6, 4, 1, 3]


def test_sparse_trigrams_ask_every_third_trigram_and_the_last():
    assert search.sparse_trigrams("abc") == '"abc"'
    assert search.sparse_trigrams("abcd") == '"abc" AND "bcd"'
    assert search.sparse_trigrams("tri tue") == '"tri" AND " tu" AND "tue"'
    assert search.sparse_trigrams('a"b"c') == '"a""b" AND "b""c"'


@pytest.mark.parametrize("q", ['l"eau', '"; DROP TABLE lessons; --', "c:\\tai-lieu\\", "a AND b OR c", "NEAR(x y)"])
def test_hostile_queries_walk_as_text(q, world, factory, db, app, login_as, walked, monkeypatch):
    """Quotes, FTS5 operators and SQL in a query are text to find in the trigram tables, never syntax."""
    from sqlalchemy import func

    for day, title in enumerate(['Nước l"eau', "Đường dẫn c:\\tai-lieu\\ mới", "Phép a AND b OR c", "NEAR(x y)"]):
        for round_ in range(2):
            dated(db, factory.lesson(world.school, world.teacher, title=f"{title} {round_}", body="Bài.",
                                     visibility="commune"), 10 * day + round_)
    monkeypatch.setattr(queries, "FEW", 1)
    before = db.scalar(select(func.count()).select_from(Lesson))
    client = login_as(world.teacher)
    expected = _ranked_all(app, db, world.teacher, q=q)
    listed(client, q=q)
    assert listed(client, q=q) == expected[:3]
    assert db.scalar(select(func.count()).select_from(Lesson)) == before


@pytest.mark.parametrize("q", QUERIES)
def test_each_tier_holds_exactly_the_lessons_whose_text_holds_the_query(q, many, world, db, app):
    """The tiers as the database finds them (on SQLite through the trigram tables and every third trigram,
    search.tiers_of) against the texts read in Python: the exact text holding the query as typed, the title
    and the folded text holding its folded phrase; no more (a text holding every third trigram of the phrase
    but not the phrase, "Chuyển đi, đổi sổ ghi", is not in the phrase's tier) and no fewer."""
    words = search.words_of(q)
    exact, phrase = exact_key(q), " ".join(words)
    lessons = db.scalars(select(Lesson)).all()
    truth = [{lesson.id for lesson in lessons if exact in lesson.search_exact},
             {lesson.id for lesson in lessons if phrase in lesson.title_folded},
             {lesson.id for lesson in lessons if phrase in lesson.search_folded}]
    with app.test_request_context():
        shape, params = queries.search_shape(None, q=q)
        for rank, test in enumerate(search.tiers_of(shape)):
            found = set(db.scalars(select(Lesson.id).where(search.bound(test, params))))
            assert found == truth[rank], (q, rank)
