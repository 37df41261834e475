"""The ranked search page, found tier by tier without ranking every match, shows exactly what ranking
every match shows: the same lessons in the same order on every page, whether a tier is read whole,
walked in list order, or sorted because the walk fell short."""
from __future__ import annotations

import contextlib
import re

import pytest

from schoolhub.lessons import queries
from tests.helpers.lesson_lists import CARD, dated, listed, shaped

# (title, body, topics, visibility, is_core): titles and bodies that put lessons in every tier of
# "chuyển đổi số": the exact phrase, the folded phrase in the title or only in the text, the words
# apart, only the label; some private to the other school, some core.
SHAPES = [
    ("Chuyển đổi số ở trường", "Bài mở đầu.", ("khcn",)),  # exact, in the title
    ("Chuyen doi so khong dau", "Viết không dấu.", ("khcn",)),  # folded phrase in the title only
    ("Bài đọc", "Nói về chuyển đổi số trong lớp.", ("khcn",)),  # exact, in the body
    ("Bài đọc thêm", "Chuyên đôi sô là gì?", ("khcn",)),  # folded phrase, other diacritics
    ("Số liệu", "Đổi cách chuyển bài.", ("khcn",)),  # every word, not as a phrase
    ("Bảng tính", "Hàng và cột.", ("cds",)),  # only filed under the topic
    ("Robot", "Động cơ.", ("stem",)),  # no match at all
]


@pytest.fixture
def many(world, factory, db):
    """42 lessons: each shape six times, in the two schools, some private and some core, all dated."""
    shaped(world, factory, db, SHAPES)


@pytest.fixture
def small_steps(app, monkeypatch):
    """Pages of 3, so 42 lessons cover every branch a province's 30,000 take, on both databases."""
    monkeypatch.setitem(app.config, "PER_PAGE", 3)
    monkeypatch.setattr(queries, "PROBE", 10)  # pages 1 to 3 go tier by tier
    monkeypatch.setattr(queries, "FEW", 3)  # unless the search matches fewer than 3 lessons
    monkeypatch.setattr(queries, "TIERED", True)  # on SQLite too, which otherwise ranks every match at once


def _ranked_all(app, db, user, **filters) -> list[int]:
    with app.test_request_context():
        return [lesson.id for lesson in db.scalars(queries.search(user, **filters))]


QUERIES = ["chuyển đổi số", "chuyen doi so", "Chuyên đôi sô", "doi", "so chuyen", "bảng tính", "robot",
           "không có gì"]


@pytest.mark.parametrize("walk", [1000, 4], ids=["walk-finds-them", "walk-too-short-sorts-the-tier"])
@pytest.mark.parametrize("q", QUERIES)
def test_every_page_shows_what_ranking_every_match_shows(q, walk, many, small_steps, monkeypatch, world, db, app,
                                                         login_as):
    monkeypatch.setattr(queries, "WALK", walk)
    client = login_as(world.teacher)
    expected = _ranked_all(app, db, world.teacher, q=q)
    for page in range(1, 6):
        shown = listed(client, q=q, page=str(page))
        start = (page - 1) * 3
        if start >= len(expected):
            break
        assert shown == expected[start:start + 3], (q, page)


@pytest.mark.parametrize("q", QUERIES)
def test_a_search_of_few_matches_ranks_the_ones_its_probe_found_as_ranking_every_match(q, many, small_steps,
                                                                                         monkeypatch, world, db,
                                                                                         app, login_as,
                                                                                         count_queries):
    """Fewer matches than FEW: the probe found them all, and its statement ranks them and reads their cards,
    without asking the indexes again; every page, its count and a filter read as ranking every match."""
    monkeypatch.setattr(queries, "FEW", 100)  # more than the 42 lessons: every search takes this path
    client = login_as(world.teacher)
    for filters in ({"q": q}, {"q": q, "topic": "khcn"}):
        expected = _ranked_all(app, db, world.teacher, q=q, topic=filters.get("topic", ""))
        for page in range(1, 6):
            start = (page - 1) * 3
            if start >= len(expected) and page > 1:
                break
            with count_queries() as statements:
                assert listed(client, **filters, page=str(page)) == expected[start:start + 3], (filters, page)
            assert not any("probe0" in statement for statement in statements)  # the tiers were never asked
        counted = client.get("/lessons", query_string=filters).get_data(as_text=True)
        status = re.search(r'role="status">([^<]*)<', counted).group(1)
        assert status == (f"{len(expected)} bài giảng" if expected else "0 bài giảng"), (filters, status)
        if expected:  # a page past the end shows the last one
            last = (len(expected) - 1) // 3 * 3
            assert listed(client, **filters, page="99") == expected[last:last + 3]


def test_the_few_matches_rows_are_card_rows_whose_cards_are_kept(many, small_steps, world, db, app, monkeypatch):
    """The probe's rows hold the card's columns first, in CARD_COLUMNS' order: cards.lesson_cards keeps a
    card by them (a row whose columns start otherwise is drawn anew on every page)."""
    from schoolhub.lessons.cards import CARD_FIELDS

    monkeypatch.setattr(queries, "FEW", 100)
    monkeypatch.setattr(queries, "TIERED", True)
    with app.test_request_context("/lessons?q=chuyen+doi+so"):
        page = queries.search_page(db, world.teacher, q="chuyen doi so")
    assert page.items and not page.more
    assert all(row._fields[:len(CARD_FIELDS)] == CARD_FIELDS for row in page.items)


def test_the_tiers_fill_the_first_page_in_rank_order(many, small_steps, world, db, app, login_as):
    """The exact phrase first (core material first inside it), then the title, then the text, then the rest."""
    shown = listed(login_as(world.teacher), q="chuyển đổi số")
    expected = _ranked_all(app, db, world.teacher, q="chuyển đổi số")
    assert shown == expected[:3]


@pytest.mark.parametrize("complete", [0, 5, 40], ids=["filtered-tiers-walked", "small-tiers-whole", "all-whole"])
@pytest.mark.parametrize("q", QUERIES[:5])
def test_every_filtered_page_shows_what_ranking_every_match_shows(q, complete, many, small_steps, monkeypatch,
                                                                  world, db, app, login_as):
    """With a filter a tier is read whole when it is small (COMPLETE), else walked: every page is the
    same either way as ranking every match."""
    monkeypatch.setattr(queries, "COMPLETE", complete)
    client = login_as(world.teacher)
    expected = _ranked_all(app, db, world.teacher, q=q, topic="khcn")
    assert expected, q
    for page in range(1, 6):
        start = (page - 1) * 3
        if start >= len(expected):
            break
        assert listed(client, q=q, topic="khcn", page=str(page)) == expected[start:start + 3], (q, page)


@pytest.mark.parametrize("complete", [0, 5, 40], ids=["filtered-tiers-walked", "small-tiers-whole", "all-whole"])
def test_a_filter_and_the_scope_hold_on_every_path(complete, many, small_steps, world, db, app, login_as,
                                                   monkeypatch):
    """The other school's private lessons never appear, with or without a filter, whether a filtered
    tier is walked or read whole (COMPLETE)."""
    monkeypatch.setattr(queries, "COMPLETE", complete)
    client = login_as(world.teacher)
    for filters in ({"q": "chuyen doi so"}, {"q": "chuyen doi so", "topic": "khcn"},
                    {"q": "doi", "school": str(world.other_school.id)}):
        expected = _ranked_all(app, db, world.teacher, q=filters["q"], topic=filters.get("topic", ""),
                               school_id=int(filters["school"]) if "school" in filters else None)
        assert listed(client, **filters) == expected[:3], filters


def test_the_count_says_more_than_when_not_every_match_was_seen(many, small_steps, world, login_as):
    page = login_as(world.teacher).get("/lessons", query_string={"q": "chuyen doi so"}).get_data(as_text=True)
    assert "Hơn 3 bài giảng" in page and "Trang 1/hơn 1" in page
    assert 'rel="next"' in page


def test_a_search_with_few_matches_counts_them_exactly(many, small_steps, world, login_as):
    page = login_as(world.teacher).get("/lessons", query_string={"q": "robot 1"}).get_data(as_text=True)
    assert "1 bài giảng" in page and "Hơn" not in page


def test_a_search_known_to_match_many_skips_the_few_matches_probe_until_it_matches_few(many, small_steps, world,
                                                                                     db, app, login_as,
                                                                                     count_queries, monkeypatch):
    """The first run of a search matching many lessons asks the probe for few matches, which says "many";
    the next runs go straight to the tiers and show the same pages. When the tiers find it matching fewer
    than FEW (here between a page and FEW), they show them and count them exactly, as the probe would, and
    it is forgotten: its next run ranks them in the few matches' statement again."""
    from sqlalchemy import select

    from schoolhub.lessons.models import Lesson, LessonStatus

    monkeypatch.setattr(queries, "FEW", 5)  # pages of 3: a first page needs 4, fewer than FEW
    client = login_as(world.teacher)

    def run(**filters) -> tuple[list[int], str, list[str]]:
        with count_queries() as statements:
            response = client.get("/lessons", query_string=filters)
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        status = re.search(r'role="status">([^<]*)<', page).group(1)
        return [int(i) for i in CARD.findall(page)], status, [s.lstrip() for s in statements]

    for filters in ({"q": "chuyen doi so"}, {"q": "chuyen doi so", "topic": "khcn"}):
        expected = _ranked_all(app, db, world.teacher, q=filters["q"], topic=filters.get("topic", ""))
        assert len(expected) > 6
        first, said, asked = run(**filters)
        assert first == expected[:3] and any(_is_few_probe(s) for s in asked)
        for page in ("1", "2"):
            again, says, asked = run(**filters, page=page)
            start = (int(page) - 1) * 3
            assert again == expected[start:start + 3], (filters, page)
            assert not any(_is_few_probe(s) for s in asked) and any("probe0" in s for s in asked), (filters, page)
            if page == "1":
                assert says == said  # "more than", as after the probe
    # Archive all but four of the matches: a first page needs four, FEW is five. The tiers find the four,
    # show the first three and count four, exactly, in the same request; then the search is forgotten.
    matching = _ranked_all(app, db, world.teacher, q="chuyen doi so")
    for lesson in db.scalars(select(Lesson).where(Lesson.id.in_(matching[4:]))):
        lesson.status = LessonStatus.ARCHIVED
    db.commit()
    shown, says, asked = run(q="chuyen doi so")
    assert not any(_is_few_probe(s) for s in asked) and any("probe0" in s for s in asked)
    assert shown == matching[:3] and says == "4 bài giảng"
    shown, says, asked = run(q="chuyen doi so")  # forgotten: the probe found them all, and no tier was asked
    assert any(_is_few_probe(s) for s in asked) and not any("probe0" in s for s in asked)
    assert shown == matching[:3] and says == "4 bài giảng"
    # Another reader's scope is another question: their first run probes (the client logs in again).
    login_as(world.other_teacher)
    _shown, _says, asked = run(q="chuyen doi so")
    assert any(_is_few_probe(s) for s in asked)


def _modes_before(app, client, path: str, is_it) -> list[str]:
    """The plan mode in force (the last SET LOCAL plan_cache_mode before it, or the transaction's default)
    when each of 7 requests of `path` ran its first statement that `is_it`: past the runs after which
    PostgreSQL may keep a generic plan."""
    from sqlalchemy import event

    engine = app.extensions["schoolhub.engine"]
    if engine.dialect.name != "postgresql":
        pytest.skip("plan_cache_mode is PostgreSQL's")
    seen: list[str] = []

    def _before(conn, cursor, statement, *args):
        seen.append(statement)

    found = []
    event.listen(engine, "before_cursor_execute", _before)
    try:
        for _ in range(7):
            seen.clear()
            assert client.get(path).status_code == 200
            at = next(i for i, s in enumerate(seen) if is_it(s.lstrip()))
            modes = [s.rsplit("=", 1)[1].strip() for s in seen[:at] if s.startswith("SET LOCAL plan_cache_mode")]
            found.append(modes[-1] if modes else "force_generic_plan")  # db.py: the connections' default
    finally:
        event.remove(engine, "before_cursor_execute", _before)
    return found


def _is_few_probe(statement: str) -> bool:
    return statement.startswith("WITH few AS") and "LIMIT" in statement


@contextlib.contextmanager
def _sent_on_postgresql(app, why: str):
    """Every (statement, parameters) the app sends while inside; the test is skipped on SQLite (`why`)."""
    from sqlalchemy import event

    engine = app.extensions["schoolhub.engine"]
    if engine.dialect.name != "postgresql":
        pytest.skip(why)
    sent: list[tuple[str, object]] = []

    def _before(conn, cursor, statement, parameters, *args):
        sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", _before)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", _before)


def test_the_probe_for_a_few_matches_is_planned_for_the_words_on_postgresql(many, world, app, login_as):
    """Its generic plan knows nothing of the LIKE patterns: at the province preset it ran 5.3 ms where the
    plan for the words ran 0.7 ms ("chuyen doi so"; "hoc sinh" 7.1 against 0.4 ms). The words are written
    into its SQL, so PostgreSQL plans it for them with no plan_cache_mode switched around it: the search
    runs no SET at all (it ran two, each a round trip); when it finds few matches, the same statement
    ranks them and reads their cards."""
    client = login_as(world.teacher)
    with _sent_on_postgresql(app, "plan_cache_mode is PostgreSQL's") as sent:
        for _ in range(7):  # past the runs after which psycopg prepares a statement
            sent.clear()
            queries.forget_many()  # it matches many: the process would not probe it again (_MANY)
            assert client.get("/lessons?q=chuyen+doi+so").status_code == 200
            # The test's savepoint may start in another mode; from the user on, the page switches none.
            shown = [s for s, _p in sent if not s.startswith(("SAVEPOINT", "ROLLBACK", "RELEASE"))]
            start = next(i for i, s in enumerate(shown) if s.startswith("SELECT users."))
            assert not [s for s in shown[start:] if "plan_cache_mode" in s]
            probes = [(s, p) for s, p in sent if _is_few_probe(s.lstrip())]
            assert len(probes) == 1
            statement, parameters = probes[0]
            assert "%%chuyen%%" in statement and f"LIMIT {queries.FEW}" in statement
            assert not parameters


@pytest.mark.parametrize("few", [60, 1], ids=["the-probe-finds-them-all", "the-tiers-rank-them"])
def test_words_written_into_the_probe_keep_quotes_and_backslashes_as_typed(few, world, factory, db, app, login_as,
                                                                            monkeypatch):
    """The probe's words are written into its SQL: a quote or a backslash in them is text to find, never
    the end of the literal (on both databases, tier by tier on SQLite too)."""
    from sqlalchemy import func, select

    from schoolhub.lessons.models import Lesson

    monkeypatch.setattr(queries, "FEW", few)
    monkeypatch.setattr(queries, "TIERED", True)
    for day in range(3):
        dated(db, factory.lesson(world.school, world.teacher, title=f"Nước l'eau {day}",
                                 body="Đường dẫn C:\\tai-lieu\\ và dấu ' lẻ.", visibility="commune"), day)
    client = login_as(world.teacher)
    before = db.scalar(select(func.count()).select_from(Lesson))
    assert len(listed(client, q="l'eau")) == 3
    assert len(listed(client, q="c:\\tai-lieu\\")) == 3
    assert listed(client, q="'; DROP TABLE lessons; --") == []
    assert listed(client, q="l''eau") == []
    assert listed(client, q="\\' or 1=1 --") == []  # a short word ending in a quote, then SQL
    assert db.scalar(select(func.count()).select_from(Lesson)) == before


def test_the_tiers_run_their_generic_plan_unless_the_query_is_one_short_word(many, world, app, login_as,
                                                                            small_steps):
    """The tiers' generic plan asks the trigram indexes with the patterns as parameters and costs about
    half the plan made for each query's words (server CPU at the province preset, "chuyen doi so": 5.1
    against 2.9 ms), and under auto PostgreSQL planned it anew on every run. A lone short word has no
    trigram: a generic plan would still read the trigram indexes whole, so that one is planned for it."""
    client = login_as(world.teacher)

    def is_tiers(statement: str) -> bool:
        return statement.startswith("WITH probe0")

    assert _modes_before(app, client, "/lessons?q=chuyen+doi+so", is_tiers) == ["force_generic_plan"] * 7
    assert _modes_before(app, client, "/lessons?q=doi&topic=khcn", is_tiers) == ["force_generic_plan"] * 7
    assert _modes_before(app, client, "/lessons?q=so", is_tiers) == ["auto"] * 7


def test_a_ranked_page_reads_its_cards_in_the_tiers_statement(many, world, app, db, login_as, small_steps,
                                                               count_queries, monkeypatch):
    """The tiers' statement sends each tier's first lessons with what their cards show: a search known to
    match many costs the statements the plain list costs (the user, then one), whatever its page's length,
    and shows what ranking every match shows. The cards were a statement of their own (a round trip, and
    0.3 ms of PostgreSQL's CPU a search at the province preset). The head statement, which a search known to
    match many asks first on PostgreSQL, is left aside here (tests/lessons/test_search_head.py)."""
    monkeypatch.setattr(queries, "_heads", lambda shape, user: False)
    client = login_as(world.teacher)
    listed(client)  # a worker's first page of a user reads more (the user's to-do, the schools' shelf)
    with count_queries() as statements:
        listed(client)
    plain = len(statements)
    for q, page in (("chuyen doi so", 1), ("bang tinh", 1), ("bang tinh", 2), ("doi", 2)):
        listed(client, q=q, page=page)  # the first run probes for few matches: these match many
        expected = _ranked_all(app, db, world.teacher, q=q)[(page - 1) * 3:page * 3]
        with count_queries() as statements:
            assert listed(client, q=q, page=page) == expected, (q, page)
        assert len(statements) == plain and sum("probe0" in s for s in statements) == 1, (q, page, statements)
