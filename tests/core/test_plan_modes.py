"""PostgreSQL's plans for statements built once (schoolhub.db.generic_plan): a marked statement runs with
its generic plan (planned once per connection), every other with the plan PostgreSQL would choose itself
(auto), whatever ran before it in the transaction or the connection. On an engine of its own, not the
suite's shared connection, so transactions begin and end as in production."""
from __future__ import annotations

import pytest
from sqlalchemy import String, bindparam, event, func, select, text
from sqlalchemy.orm import sessionmaker

from schoolhub.db import custom_plan, generic_plan, make_engine

MODE = select(func.current_setting("plan_cache_mode"))
MARKED = generic_plan(select(func.current_setting("plan_cache_mode")))
CUSTOM = custom_plan(select(func.current_setting("plan_cache_mode")))


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda conn, cur, statement, *a: seen.append(statement))
    engine.seen = seen
    yield engine
    engine.dispose()


@pytest.fixture
def postgres(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("plan_cache_mode is PostgreSQL's")
    return engine


def _switches(engine) -> list[str]:
    return [s for s in engine.seen if s.startswith("SET")]


def _ran(engine, *statements) -> tuple[list[str], list[str], int]:
    """The plan mode each statement ran under, in one transaction; the switches; how many statements ran."""
    with engine.connect() as conn:
        engine.seen.clear()
        modes = [conn.scalar(statement) for statement in statements]
        return modes, _switches(engine), len(engine.seen)


def test_marked_statements_run_generic_and_the_rest_as_postgresql_chooses(postgres):
    modes, switches, ran = _ran(postgres, MARKED, MODE, MODE, MARKED)
    assert modes == ["force_generic_plan", "auto", "auto", "force_generic_plan"]
    # A switch only where the next statement wants the other mode; none before the first marked one.
    assert switches == ["SET LOCAL plan_cache_mode = auto", "SET LOCAL plan_cache_mode = force_generic_plan"]
    assert ran == 6


def test_statements_marked_custom_are_planned_for_their_values_every_time(postgres):
    modes, switches, ran = _ran(postgres, CUSTOM, MARKED, MODE, CUSTOM)
    assert modes == ["force_custom_plan", "force_generic_plan", "auto", "force_custom_plan"]
    assert switches == ["SET LOCAL plan_cache_mode = force_custom_plan", "SET LOCAL plan_cache_mode = force_generic_plan",
                        "SET LOCAL plan_cache_mode = auto", "SET LOCAL plan_cache_mode = force_custom_plan"]
    assert ran == 8


def test_a_custom_statement_past_its_fifth_run_is_still_planned_for_its_values(postgres):
    """PostgreSQL's auto mode may keep a prepared statement's generic plan from its sixth run on (psycopg
    prepares it from its fifth); a custom one is planned for each run's values however often it runs."""
    pattern = custom_plan(select(func.current_setting("plan_cache_mode"), text("'abc' LIKE :p")))
    with postgres.connect() as conn:
        for i in range(12):
            mode, matched = conn.execute(pattern, {"p": "%b%" if i % 2 else "%z%"}).one()
            assert (mode, matched) == ("force_custom_plan", bool(i % 2))
        # Prepared from the fifth run on (psycopg), and PostgreSQL planned each of its runs for the values.
        generic, custom = conn.execute(text(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE '%''abc'' LIKE%'")).one()
        assert generic == 0 and custom >= 7


def test_a_transaction_of_marked_statements_switches_nothing(postgres):
    for _ in range(3):  # each a transaction of its own, like requests
        with postgres.connect() as conn:
            assert conn.scalar(MARKED) == "force_generic_plan"
            conn.commit()
    assert _switches(postgres) == []


@pytest.mark.parametrize("end", ["commit", "rollback"])
def test_a_switch_ends_with_its_transaction(postgres, end):
    with postgres.connect() as conn:
        assert conn.scalar(MODE) == "auto"
        getattr(conn, end)()
        postgres.seen.clear()
        assert conn.scalar(MARKED) == "force_generic_plan"  # the new transaction is in the default again
        assert _switches(postgres) == []
        assert conn.scalar(MODE) == "auto"


def test_a_rolled_back_savepoint_undoes_a_switch_and_the_next_statement_switches_again(postgres):
    with postgres.connect() as conn:
        assert conn.scalar(MARKED) == "force_generic_plan"
        savepoint = conn.begin_nested()
        assert conn.scalar(MODE) == "auto"
        savepoint.rollback()  # PostgreSQL is back in the generic mode
        assert conn.scalar(MODE) == "auto"
        assert conn.scalar(MARKED) == "force_generic_plan"


def test_an_autocommit_connection_sets_the_mode_for_its_session(postgres):
    with postgres.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        assert conn.scalar(MODE) == "auto"
        assert conn.scalar(MODE) == "auto"
        assert conn.scalar(MARKED) == "force_generic_plan"
        assert conn.scalar(MODE) == "auto"
    assert _switches(postgres) == ["SET plan_cache_mode = auto", "SET plan_cache_mode = force_generic_plan",
                                   "SET plan_cache_mode = auto"]
    # The pooled connection comes back in auto: its next transaction still gives each statement its mode.
    with postgres.connect() as conn:
        assert conn.scalar(MARKED) == "force_generic_plan"
        assert conn.scalar(MODE) == "auto"


def test_an_orm_session_runs_marked_statements_generic_and_a_released_savepoint_keeps_its_switch(postgres):
    session = sessionmaker(bind=postgres)()
    try:
        assert session.scalar(MARKED) == "force_generic_plan"
        with session.begin_nested():
            assert session.scalar(MODE) == "auto"
        assert session.scalar(MODE) == "auto"  # released, not rolled back: the switch stands
        assert _switches(postgres) == ["SET LOCAL plan_cache_mode = auto"]
        assert session.scalar(MARKED) == "force_generic_plan"
    finally:
        session.close()


def test_a_statement_streamed_from_a_server_side_cursor_still_gets_its_mode(postgres):
    with postgres.connect().execution_options(stream_results=True) as conn:
        assert list(conn.execute(MODE)) == [("auto",)]
        assert list(conn.execute(MARKED)) == [("force_generic_plan",)]


def test_without_prepared_statements_nothing_is_switched(database_url):
    engine = make_engine(database_url, prepare_threshold=None)  # PG_PREPARE_THRESHOLD = null (PgBouncer)
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda conn, cur, statement, *a: seen.append(statement))
    try:
        with engine.connect() as conn:
            if engine.dialect.name != "postgresql":
                pytest.skip("plan_cache_mode is PostgreSQL's")
            assert conn.scalar(MARKED) == "auto"  # PostgreSQL's own choice, for every statement
            assert conn.scalar(MODE) == "auto"
        assert not [s for s in seen if s.startswith("SET")]
    finally:
        engine.dispose()


def test_a_marked_statement_is_planned_once_per_connection(postgres):
    lookup = generic_plan(select(func.count()).select_from(text("pg_class")).where(
        text("relname LIKE :pattern")))
    with postgres.connect() as conn:
        for pattern in ("pg_%", "nothing%", "pg_c%", "x%", "pg_t%", "pg_a%", "pg_i%", "%"):
            conn.execute(lookup, {"pattern": pattern})  # prepared by psycopg from the fifth run on
        plans = conn.execute(text("SELECT generic_plans, custom_plans FROM pg_prepared_statements "
                                  "WHERE statement LIKE '%pg_class%relname LIKE%'")).all()
    assert plans and all(custom == 0 and generic >= 1 for generic, custom in plans)


def test_sqlite_runs_marked_statements_as_any_other(engine):
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite has no plan_cache_mode")
    with engine.connect() as conn:
        assert conn.scalar(generic_plan(select(func.abs(-3)))) == 3
    assert _switches(engine) == []


def test_healthz_stays_one_statement_in_a_request_of_its_own(build_app):
    app = build_app({})
    engine = app.extensions["schoolhub.engine"]
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda conn, cur, statement, *a: seen.append(statement))
    client = app.test_client()
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    assert [s for s in seen if s != "BEGIN"] == ["SELECT 1"] * 3  # SQLite's BEGIN is ours: not a query


def test_the_apps_connections_start_no_parallel_workers(postgres):
    """A page reads a few dozen rows: at the province preset the lesson list's generic plan turned into a
    Gather Merge of two workers (12 ms against 0.5 ms), so the app's connections plan none, in every
    transaction, after a rollback too."""
    setting = select(func.current_setting("max_parallel_workers_per_gather"))
    with postgres.connect() as conn:
        assert conn.scalar(setting) == "0"
        conn.rollback()
        assert conn.scalar(setting) == "0"
    with postgres.connect() as conn:  # the pooled connection, handed out again
        assert conn.scalar(setting) == "0"


@pytest.mark.parametrize("prepare_threshold", [5, None], ids=["prepared", "never-prepared"])
def test_values_written_into_the_sql_read_as_typed_whatever_the_connection_defaults(database_url,
                                                                                  prepare_threshold):
    """db.planned_for_values writes typed values into the SQL, quotes doubled, a backslash as it is: every
    connection reads string literals the standard way, even where the role or database says otherwise
    (here the connection's own options)."""
    from schoolhub.db import planned_for_values

    if not database_url.startswith("postgresql"):
        pytest.skip("standard_conforming_strings is PostgreSQL's")
    sep = "&" if "?" in database_url else "?"
    engine = make_engine(f"{database_url}{sep}options=-c%20standard_conforming_strings%3Doff",
                         prepare_threshold=prepare_threshold)
    try:
        typed = "\\' or 1=1 --"
        stmt = planned_for_values(select(bindparam("v", type_=String())))
        with engine.connect() as conn:
            assert conn.execute(text("SHOW standard_conforming_strings")).scalar() == "on"
            assert conn.execute(stmt, {"v": typed}).scalar() == typed
    finally:
        engine.dispose()


def test_values_held_when_built_are_written_once_and_read_as_typed(database_url):
    """db.planned_for_values writes the values a statement holds from when it was built (a reader's scope)
    into its SQL there, once: quotes doubled, a % and a backslash as they are, even where the connection
    reads backslashes otherwise. Only the values a run brings are written at each run."""
    from sqlalchemy import literal

    from schoolhub.db import planned_for_values

    if not database_url.startswith("postgresql"):
        pytest.skip("planned_for_values serves PostgreSQL's plans")
    sep = "&" if "?" in database_url else "?"
    engine = make_engine(f"{database_url}{sep}options=-c%20standard_conforming_strings%3Doff")
    try:
        held, typed = "\\' or 1=1 -- 50%", "it's 100%\\"
        stmt = planned_for_values(select(literal(held, String()), bindparam("v", type_=String())))
        compiled = stmt.compile(dialect=engine.dialect)
        assert [b.key for b in compiled.literal_execute_params] == ["v"]
        with engine.connect() as conn:
            assert tuple(conn.execute(stmt, {"v": typed}).one()) == (held, typed)
            assert tuple(conn.execute(stmt, {"v": "other"}).one()) == (held, "other")
    finally:
        engine.dispose()


def test_a_backslash_escaped_like_runs_as_postgresql_default_escape(postgres):
    """ESCAPE '\\' is left out on PostgreSQL (its LIKE escapes with a backslash by default): the generic plan
    no longer calls like_escape for each row, and an escaped wildcard still matches only itself."""
    from sqlalchemy import column, values

    texts = values(column("t", String), name="v").data([("50% giấy",), ("500 giấy",), ("a_b",), ("axb",), ("c:\\d",)])
    stmt = generic_plan(select(texts.c.t).where(texts.c.t.like(bindparam("p", type_=String()), escape="\\")))
    sql = str(stmt.compile(dialect=postgres.dialect))
    assert "ESCAPE" not in sql and "LIKE %(p)s" in sql
    with postgres.connect() as conn:
        found = {p: sorted(conn.scalars(stmt, {"p": p})) for p in ("%50\\%%", "a\\_b", "%:\\\\%", "%0%")}
        assert found == {"%50\\%%": ["50% giấy"], "a\\_b": ["a_b"], "%:\\\\%": ["c:\\d"],
                         "%0%": ["50% giấy", "500 giấy"]}
        conn.exec_driver_sql("SET plan_cache_mode = force_generic_plan")
        from schoolhub.lessons.models import Lesson

        titled = select(Lesson.id).where(Lesson.title_folded.like(bindparam("p", type_=String()), escape="\\"))
        conn.exec_driver_sql("PREPARE liked(varchar) AS "
                             + str(titled.compile(dialect=postgres.dialect)).replace("%(p)s", "$1"))
        plan = "\n".join(row[0] for row in conn.exec_driver_sql("EXPLAIN EXECUTE liked('a')"))
        assert "~~" in plan and "like_escape" not in plan, plan
