"""SQL statements per request of every key page: the same at two data sizes, at most 12, and the
shared layout at most 2 (the user with memberships in one query, the worklist count)."""
from __future__ import annotations

import pytest

from schoolhub.accounts.models import Role

PAGES = [  # (name, role, url template)
    ("healthz", None, "/healthz"),
    ("login page", None, "/login"),
    ("officer home", "officer", "/"),
    ("officer's school list", "officer", "/communes/{commune}/schools"),
    ("school admin home", "admin", "/"),
    ("teacher home", "teacher", "/"),
    ("student home", "student", "/"),
    ("student list", "admin", "/schools/{school}/students"),
    ("student list, page 2", "admin", "/schools/{school}/students?page=2"),
    ("lesson list", "teacher", "/lessons"),
    ("search, common phrase", "teacher", "/lessons?q=chuyen+doi+so"),
    ("search, rare phrase", "teacher", "/lessons?q=kinh+hien+vi"),
    ("search with a filter", "teacher", "/lessons?q=chuyen+doi+so&topic=cds"),
    ("one lesson", "student", "/lessons/{lesson}"),
    ("Atom feed", None, "/lessons/feed.atom"),
    ("readers page", "admin", "/lessons/{lesson}/readers"),
]


def _grow(world, factory, db, app, n: int) -> None:
    """n more of everything: schools with classes and students, lessons, readings."""
    for s in range(n):
        school = factory.school(world.commune, name=f"Trường số {s}")
        factory.user(Role.SCHOOL_ADMIN, school)
        klass = factory.school_class(school, "6A", 6)
        for _ in range(3):
            factory.user(Role.STUDENT, school, school_class=klass)
    for i in range(n * 2):
        factory.user(Role.STUDENT, world.school, school_class=world.school_class, full_name=f"Học Sinh Thêm {i}")
    for i in range(n * 3):
        lesson = factory.lesson(world.school if i % 2 else world.other_school, world.teacher if i % 2 else
                                world.other_teacher, title=f"Chuyển đổi số {i}", topics=("cds",), is_core=i % 5 == 0)
        if i % 2:
            with app.test_request_context():
                from schoolhub.lessons import services

                services.record_read(db, world.student, lesson)
    db.commit()


def _costs(world, factory, client_for, count_queries, lesson_id) -> dict[str, int]:
    ids = {"commune": world.commune.id, "school": world.school.id, "lesson": lesson_id}
    costs = {}
    for name, role, template in PAGES:
        client = client_for(role)
        client.get(template.format(**ids))  # warm: first reads are recorded once
        with count_queries() as statements:
            response = client.get(template.format(**ids))
        assert response.status_code == 200, (name, response.status_code)
        costs[name] = len(statements)
    return costs


@pytest.fixture
def client_for(world, app, login_as):
    """A client logged in as the world's user of that role (None: a visitor)."""

    def _client(role):
        return app.test_client() if role is None else login_as(getattr(world, role))

    return _client


def test_statement_counts_do_not_grow_with_data(world, factory, db, app, client_for, count_queries):
    lesson = factory.lesson(world.school, world.teacher, title="Kính hiển vi quanh em", visibility="commune",
                            is_core=True)
    small = _costs(world, factory, client_for, count_queries, lesson.id)
    _grow(world, factory, db, app, 6)
    large = _costs(world, factory, client_for, count_queries, lesson.id)
    print("statements per page:", large)
    assert small == large, {k: (small[k], large[k]) for k in small if small[k] != large[k]}
    too_many = {k: v for k, v in large.items() if v > 12}
    assert not too_many, too_many


def test_the_layout_costs_at_most_two_statements(world, client_for, count_queries):
    teacher = client_for("teacher")
    with count_queries() as statements:
        assert teacher.get("/password").status_code == 200  # a page that is the layout and a form
    assert len(statements) <= 2, statements
    with count_queries() as statements:
        static = teacher.get("/static/css/app.css")
        static.close()
        assert static.status_code == 200
        assert teacher.get("/healthz").status_code == 200
    assert len(statements) == 1, statements  # healthz's SELECT 1: static files and healthz load no user


# Pages whose statements are all built once and reused: a repeated request works out no SQLAlchemy cache
# key, the Python that building a statement costs on every request (about 0.1-0.5 ms each). Searches build
# theirs once per shape (lessons.search), so a repeated search builds none either; /healthz's one SELECT 1
# is the benchmark's ceiling.
BUILT_ONCE = [page for page in PAGES if page[0] != "healthz"]


@pytest.mark.parametrize(("name", "role", "template"), BUILT_ONCE, ids=[page[0] for page in BUILT_ONCE])
def test_a_key_page_builds_no_statement_on_a_repeated_request(world, factory, client_for, monkeypatch,
                                                              name, role, template):
    from sqlalchemy.sql.cache_key import HasCacheKey

    lesson = factory.lesson(world.school, world.teacher, title="Kính hiển vi quanh em", visibility="commune",
                            is_core=True)
    url = template.format(commune=world.commune.id, school=world.school.id, lesson=lesson.id)
    client = client_for(role)
    assert client.get(url).status_code == 200  # builds and keeps them
    built = []
    original = HasCacheKey._generate_cache_key

    def _generate(element):
        if not type(element).__name__.endswith("SavepointClause"):  # the test kit's, around each request
            built.append(type(element).__name__)
        return original(element)

    monkeypatch.setattr(HasCacheKey, "_generate_cache_key", _generate)
    assert client.get(url).status_code == 200
    assert built == [], f"{name} built {built} again"


# Pages whose every statement is marked for its generic plan (schoolhub.db.generic_plan): on PostgreSQL they
# run no planner switch. The searches' few-matches probe needs a plan for its words: its values are written
# into its SQL (db.planned_for_values), so it needs no switch either, and no key page switches.
SWITCHING: set[str] = set()


def test_postgresql_key_pages_switch_the_planner_only_where_marked(world, factory, db, client_for, app):
    from sqlalchemy import event, literal, select

    from schoolhub.db import generic_plan

    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("plan_cache_mode is PostgreSQL's")
    lesson = factory.lesson(world.school, world.teacher, title="Chuyển đổi số", topics=("cds",), is_core=True)
    ids = {"commune": world.commune.id, "school": world.school.id, "lesson": lesson.id}
    engine = app.extensions["schoolhub.engine"]
    switches: list[str] = []

    def _seen(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("SET LOCAL plan_cache_mode"):
            switches.append(statement)

    found = {}
    for name, role, template in PAGES:
        client = client_for(role)
        client.get(template.format(**ids))  # warm: first reads are recorded once
        # The suite's one long transaction keeps whatever mode the test's last statement left; a request
        # of its own starts in the generic mode, as this marked statement leaves it.
        db.execute(generic_plan(select(literal(1))))
        event.listen(engine, "before_cursor_execute", _seen)
        try:
            assert client.get(template.format(**ids)).status_code == 200, name
        finally:
            event.remove(engine, "before_cursor_execute", _seen)
        found[name] = len(switches)
        switches.clear()
    assert {name for name, n in found.items() if n} == SWITCHING, found
    assert all(found[name] <= 2 for name in SWITCHING), found


# What a user typed into a search is bound: those pages' LIKE patterns are parameters by need.
TYPED_PATTERNS = {"search, common phrase", "search, rare phrase", "search with a filter"}


def test_key_pages_bind_no_like_pattern_but_the_words_searched(world, factory, client_for, app):
    """SQLite prepares a statement again on every run when a LIKE's pattern is a bound parameter (and, past
    its 31st parameter, whenever any of those is bound): a constant pattern is written into the SQL
    (db.like_constant). The to-do badge's audience test, joined to every page's user load, made SQLite
    parse and plan that statement on every page."""
    import re

    from sqlalchemy import event

    bound_like = re.compile(r"\bLIKE\s+(\?|%\(\w+\)s|:\w+)", re.IGNORECASE)
    lesson = factory.lesson(world.school, world.teacher, title="Chuyển đổi số", topics=("cds",), is_core=True,
                            audiences=("teachers",))
    ids = {"commune": world.commune.id, "school": world.school.id, "lesson": lesson.id}
    engine = app.extensions["schoolhub.engine"]
    seen: list[str] = []

    def _seen(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    found = {}
    for name, role, template in PAGES:
        client = client_for(role)
        client.get(template.format(**ids))  # warm: the badge's questions join the user load from then on
        event.listen(engine, "before_cursor_execute", _seen)
        try:
            assert client.get(template.format(**ids)).status_code == 200, name
        finally:
            event.remove(engine, "before_cursor_execute", _seen)
        found[name] = sum(len(bound_like.findall(statement)) for statement in seen)
        seen.clear()
    assert {name for name, n in found.items() if n} <= TYPED_PATTERNS, found
    assert found["teacher home"] == 0 and found["school admin home"] == 0, found


def test_key_pages_send_their_sql_as_built_on_postgresql(world, factory, app, client_for):
    """No key page's statement has its SQL written again when it runs, which SQLAlchemy does for an
    expanding IN or a value written in at each run (the whole text re-rendered: 0.1-0.2 ms a statement),
    but a search's probe of the words typed, whose plan must know them: there only the values the run
    brings (named), never the reader's scope, which is written once when the statement is built."""
    from sqlalchemy import event

    engine = app.extensions["schoolhub.engine"]
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite takes a list of ids as an expanding IN")
    lesson = factory.lesson(world.school, world.teacher, title="Kính hiển vi quanh em", is_core=True)
    ids = {"commune": world.commune.id, "school": world.school.id, "lesson": lesson.id}
    rewritten: list = []

    def _before(conn, cursor, statement, parameters, context, executemany):
        compiled = getattr(context, "compiled", None)
        if compiled is not None:
            rewritten.extend(bind for bind in (*compiled.post_compile_params, *compiled.literal_execute_params))

    event.listen(engine, "before_cursor_execute", _before)
    try:
        for name, role, template in PAGES:
            client = client_for(role)
            client.get(template.format(**ids))
            rewritten.clear()
            assert client.get(template.format(**ids)).status_code == 200, name
            if name.startswith("search"):
                assert rewritten and not [bind.key for bind in rewritten if bind.unique], name
            else:
                assert not rewritten, (name, [bind.key for bind in rewritten])
    finally:
        event.remove(engine, "before_cursor_execute", _before)
