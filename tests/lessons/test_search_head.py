"""The head statement of a search known to match many (lessons.queries._head_statement, PostgreSQL): the
exact tier's probe and the title tier walked key by key through the reach walk index (migration 0021).
It shows what ranking every match shows, reads only what the reader may read, and hands over to the
tiers' statement when its title tier holds too few."""
from __future__ import annotations

import itertools

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import select, text

from schoolhub import policy
from schoolhub.lessons import queries
from schoolhub.lessons.models import Lesson, LessonStatus
from schoolhub.lessons.policy import REACH_SCHOOL, reach_walk_keys, walks_by_reach
from tests.helpers.lesson_lists import dated, listed


def _postgresql(db) -> None:
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("the head statement and its index are PostgreSQL's: SQLite ranks every match at once")


def test_the_reach_walk_keys_hold_exactly_the_published_lessons_each_reader_may_read(scope_case_view_lesson,
                                                                                     db, app):
    """Every status × visibility in three schools of two communes, for every kind of reader: the lessons
    under a reader's keys are the published ones can_view_lesson allows them, no more (another school's or
    commune's, a draft) and no fewer. A province's officer has no keys (their walk would read nearly the
    whole index): their searches take the tiers' statement."""
    lessons, principals = scope_case_view_lesson
    ids = [lesson.id for lesson in lessons]
    with app.test_request_context():
        for name, user in principals.items():
            user = user if user is not None else AnonymousUserMixin()
            keys = reach_walk_keys(user)
            if name == "province_officer":
                assert keys is None and not walks_by_reach(user)
                continue
            assert walks_by_reach(user), name
            allowed = {lesson.id for lesson in lessons if lesson.status == LessonStatus.PUBLISHED
                       and policy.can(policy.Action.VIEW_LESSON, lesson, user=user)}
            under = set(db.scalars(select(Lesson.id).join(keys, (Lesson.visibility == keys.c.visibility)
                                                          & (REACH_SCHOOL == keys.c.school))
                                   .where(Lesson.id.in_(ids), Lesson.status == LessonStatus.PUBLISHED)))
            assert under == allowed, name
            rows = list(db.execute(select(keys.c.visibility, keys.c.school)))
            assert len(rows) == len(set(rows)), name  # each range once: no lesson twice on a page
            assert allowed, name  # every reader reads something: the public lessons


@pytest.fixture
def titled(world, factory, db, app, monkeypatch):
    """Lessons holding "chuyển đổi số" in their title or only in their text, of every visibility, in the
    two schools of the world's commune and in a school of another commune, some core, all dated; pages of 3."""
    from schoolhub.accounts.models import Role

    far_commune = factory.commune(name="Xã Bình Hải")
    far_school = factory.school(far_commune, name="Trường THCS Bình Hải")
    far_teacher = factory.user(Role.TEACHER, far_school, username="far.teacher")
    authors = {world.school.id: world.teacher, world.other_school.id: world.other_teacher, far_school.id: far_teacher}
    day = itertools.count()
    for round_ in range(6):
        for school in (world.school, world.other_school, far_school):
            for visibility in ("school", "commune", "public"):
                for title, body in (("Chuyển đổi số ở trường", "Bài."), ("Bài đọc", "Về chuyển đổi số.")):
                    lesson = factory.lesson(school, authors[school.id], title=f"{title} {round_}", body=body,
                                            topics=("cds",) if round_ % 2 else ("khcn",), visibility=visibility,
                                            is_core=round_ == 1)
                    dated(db, lesson, next(day))
    monkeypatch.setitem(app.config, "PER_PAGE", 3)
    monkeypatch.setattr(queries, "PROBE", 10)
    monkeypatch.setattr(queries, "FEW", 3)
    return far_teacher


def _ranked_all(app, db, user, **filters) -> list[int]:
    with app.test_request_context():
        return [lesson.id for lesson in db.scalars(queries.search(user, **filters))]


def _searches(statements: list[str]) -> list[str]:
    return ["head" if "by_key" in s else "tiers" for s in statements if s.lstrip().startswith("WITH probe0")]


@pytest.mark.parametrize("filters", [{}, {"topic": "cds"}], ids=["all", "a-topic"])
@pytest.mark.parametrize("reader", ["teacher", "student", "officer", "other_teacher", "far_teacher", "visitor"])
def _count_shown(client, **params) -> str:
    page = client.get("/lessons", query_string=params).get_data(as_text=True)
    return page.split('<p class="muted" role="status">', 1)[1].split("</p>", 1)[0]


@pytest.mark.parametrize("filters", [{}, {"topic": "cds"}], ids=["all", "a-topic"])
@pytest.mark.parametrize("reader", ["teacher", "student", "officer", "other_teacher", "far_teacher", "visitor"])
def test_a_search_known_to_match_many_finds_its_pages_in_the_head_statement(reader, filters, titled, world, db,
                                                                          app, login_as, sent, count_queries,
                                                                          monkeypatch):
    """Its first run probes for few matches; the next ones send the head statement alone, as many statements
    as the plain list, and every page shows what ranking every match shows: the reader's own school's
    lessons, their commune's, the public ones of every commune, never another school's or commune's. Each
    page says the same "more than" as when the tiers' statement finds it (a filtered search's title tier,
    which the tiers probe whole, counted as the head counts it)."""
    _postgresql(db)
    user = titled if reader == "far_teacher" else None if reader == "visitor" else getattr(world, reader)
    client = app.test_client() if user is None else login_as(user)
    expected = _ranked_all(app, db, user if user is not None else AnonymousUserMixin(), q="chuyen doi so",
                           **filters)
    assert len(expected) > 6  # pages 1 and 2 come from the exact and title tiers
    listed(client)
    with count_queries() as statements:
        listed(client)
    plain = len(statements)
    counts = {}
    listed(client, q="chuyen doi so", **filters)  # the first run: the probe finds many
    for page in (1, 2):
        sent.clear()
        with count_queries() as statements:
            assert listed(client, q="chuyen doi so", page=page, **filters) == expected[(page - 1) * 3:page * 3]
        assert _searches(sent) == ["head"] and len(statements) == plain, (page, sent)
        counts[page] = _count_shown(client, q="chuyen doi so", page=page, **filters)
        assert counts[page].startswith("Hơn "), counts  # "more than": not every tier was asked
    monkeypatch.setattr(queries, "_head_page", lambda *args: None)  # as if it held too few: the tiers
    for page in (1, 2):
        sent.clear()
        assert _count_shown(client, q="chuyen doi so", page=page, **filters) == counts[page], page
        assert _searches(sent) == ["tiers"], sent


def test_a_head_whose_title_tier_holds_too_few_hands_over_to_the_tiers_once(titled, world, db, app, login_as,
                                                                           sent, monkeypatch, count_queries):
    """A page past what the title tier holds (the lessons holding the phrase only in their text come after
    it): the head runs once, finds too few, and the tiers' statement runs after it in the same request; the
    search's next runs go to the tiers at once. Every page as ranking every match shows it."""
    _postgresql(db)
    monkeypatch.setattr(queries, "PROBE", 100)  # a late page, still tier by tier
    client = login_as(world.teacher)
    q = {"q": "chuyen doi so", "topic": "cds"}
    expected = _ranked_all(app, db, world.teacher, **q)
    titles = len([i for i in expected if "Chuyển" in db.get(Lesson, i).title])
    page = titles // 3 + 1  # the first page past what the exact and title tiers hold
    assert 3 * page < len(expected)
    listed(client)
    with count_queries() as statements:
        listed(client)
    plain = len(statements)
    listed(client, page=page, **q)  # the probe finds many
    sent.clear()
    with count_queries() as statements:
        assert listed(client, page=page, **q) == expected[(page - 1) * 3:page * 3]
    assert _searches(sent) == ["head", "tiers"] and len(statements) == plain + 1, sent  # once
    sent.clear()
    with count_queries() as statements:
        assert listed(client, page=page, **q) == expected[(page - 1) * 3:page * 3]
    assert _searches(sent) == ["tiers"] and len(statements) == plain, sent
    sent.clear()
    assert listed(client, page=1, **q) == expected[:3]  # the search is known by what was asked, not the page
    assert _searches(sent) == ["tiers"], sent


def test_a_province_officers_search_takes_the_tiers(titled, world, factory, db, app, login_as, sent):
    """A reader above the communes has no reach keys: the same pages, from the tiers' statement."""
    _postgresql(db)
    from schoolhub.accounts.models import Role

    officer = factory.user(Role.OFFICER, world.commune.parent, username="province.officer")
    client = login_as(officer)
    expected = _ranked_all(app, db, officer, q="chuyen doi so")
    listed(client, q="chuyen doi so")
    sent.clear()
    assert listed(client, q="chuyen doi so", page=2) == expected[3:6]
    assert _searches(sent) == ["tiers"], sent


def test_the_head_walks_the_reach_walk_index_alone(titled, world, db, app):
    """Each key's range is read from the index in list order, its entries' titles and labels with them, under
    the generic plan the app runs (prepared, force_generic_plan): no lesson is read from the table to be left
    out (a walk of the newest published lessons left out three in four at the province preset). It fails
    with an index without the titles or the labels, or ordered otherwise: the walk then reads the table, or
    sorts each key's lessons."""
    _postgresql(db)
    import psycopg
    from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg

    with app.test_request_context():
        shape, params = queries.search_shape(world.teacher, q="chuyen doi so", topic="cds")
        stmt = queries._head_statement(shape, world.teacher).params({**params, "need": 7, "probe_limit": 200})
        compiled = stmt.compile(dialect=PGDialect_asyncpg())  # $1, $2, …: a statement PostgreSQL can prepare
        values = [compiled.params[name] for name in compiled.positiontup]
        db.execute(text("ANALYZE lessons"))
        db.execute(text("SET LOCAL plan_cache_mode = force_generic_plan"))
        db.execute(text("SET LOCAL enable_seqscan = off"))  # a test table is tiny: ask what the plan can use
        db.execute(text("SET LOCAL enable_sort = off"))  # and in list order, as the province's size plans it
        raw = db.connection().connection.driver_connection
        with psycopg.ClientCursor(raw) as cursor:
            cursor.execute("PREPARE head_plan AS " + str(compiled))
            cursor.execute(f"EXPLAIN EXECUTE head_plan({', '.join(['%s'] * len(values))})", values)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            cursor.execute("DEALLOCATE head_plan")
    assert "Index Only Scan Backward using ix_lessons_reach_walk on lessons" in plan, plan
