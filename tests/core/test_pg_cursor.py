"""The app's psycopg cursor (schoolhub.pg_cursor): a result's description is made when read, and reads
exactly as psycopg's own: same names, types and count, None where psycopg gives None, and the columns of
the result it was asked of even after the cursor ran another statement. On an engine of its own (as
production makes it), PostgreSQL only."""
from __future__ import annotations

import pytest
from sqlalchemy import String, bindparam, func, select, text

from schoolhub.db import make_engine
from schoolhub.pg_cursor import Cursor, Description

WIDE = "SELECT 1 AS one, 'a'::text AS two, now() AS three, NULL::numeric(5, 2) AS four"


@pytest.fixture
def engine(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("psycopg's cursor: PostgreSQL only")
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def _plain(dbapi_connection):
    """A cursor of psycopg's own class on the same connection, to compare with."""
    import psycopg

    return psycopg.Cursor(dbapi_connection)


def test_the_app_connections_use_the_cursor(engine):
    with engine.connect() as conn:
        assert isinstance(conn.connection.dbapi_connection.cursor(), Cursor)


def test_description_reads_as_psycopgs_own(engine):
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        ours, theirs = raw.cursor(), _plain(raw)
        ours.execute(WIDE)
        theirs.execute(WIDE)
        described = ours.description
        assert isinstance(described, Description)
        assert len(described) == 4
        assert [c.name for c in described] == ["one", "two", "three", "four"]
        assert [tuple(c) for c in described] == [tuple(c) for c in theirs.description]
        assert described[-1].precision == 5 and described[-1].scale == 2
        assert [c.name for c in described[1:3]] == ["two", "three"]


def test_no_description_where_psycopg_gives_none_and_an_empty_one_for_select_nothing(engine):
    with engine.connect() as conn:
        cursor = conn.connection.dbapi_connection.cursor()
        assert cursor.description is None  # nothing ran
        cursor.execute("SET LOCAL work_mem = '4MB'")
        assert cursor.description is None
        cursor.execute("SELECT")  # a result of rows with no column, as psycopg says
        assert cursor.description is not None and len(cursor.description) == 0


def test_a_description_kept_still_names_its_own_result_after_the_next_statement(engine):
    with engine.connect() as conn:
        cursor = conn.connection.dbapi_connection.cursor()
        cursor.execute("SELECT 1 AS first_one")
        kept = cursor.description  # not yet read: made from its own result when read
        cursor.execute("SELECT 2 AS second_one, 3 AS third_one")
        assert [c.name for c in kept] == ["first_one"]
        assert [c.name for c in cursor.description] == ["second_one", "third_one"]


def test_sqlalchemy_names_the_columns_of_statements_it_has_not_compiled(engine):
    with engine.connect() as conn:
        # Text: SQLAlchemy learns the names from the description itself.
        row = conn.execute(text("SELECT 7 AS seven, 'bảy' AS word")).mappings().one()
        assert row == {"seven": 7, "word": "bảy"}
        # A compiled statement run twice: the second run takes SQLAlchemy's cached columns.
        series = select(func.generate_series(1, 3).label("x")).subquery("n")
        stmt = select(series.c.x, func.upper(bindparam("w", type_=String)).label("w"))
        for _ in range(2):
            rows = conn.execute(stmt, {"w": "ồ"}).mappings().all()
            assert rows == [{"x": 1, "w": "Ồ"}, {"x": 2, "w": "Ồ"}, {"x": 3, "w": "Ồ"}]


def test_a_row_factory_that_names_columns_reads_them(engine):
    from psycopg.rows import dict_row

    with engine.connect() as conn:
        cursor = conn.connection.dbapi_connection.cursor(row_factory=dict_row)
        cursor.execute("SELECT 1 AS a, 'b' AS b")
        assert cursor.fetchone() == {"a": 1, "b": "b"}
