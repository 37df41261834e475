"""How a request's transaction ends (schoolhub.db.end_session): one that only read ends with COMMIT, so
psycopg keeps its prepared statements; anything else ends with ROLLBACK, so nothing a request did not
commit is ever kept. On a database of its own engine, not the suite's shared connection."""
from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, event, insert, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, sessionmaker

from schoolhub.db import _kind, end_session, make_engine

metadata = MetaData()
probe = Table("request_end_probe", metadata, Column("id", Integer, primary_key=True),
              Column("note", String(40), nullable=False))


class _Base(DeclarativeBase):
    metadata = metadata


class Probe(_Base):
    __table__ = probe


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    metadata.drop_all(engine)
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(probe).values(id=1, note="as saved"))
    ends: list[str] = []
    event.listen(engine, "commit", lambda conn: ends.append("commit"))
    event.listen(engine, "rollback", lambda conn: ends.append("rollback"))
    engine.ends = ends
    try:
        yield engine
    finally:
        engine.dispose()
        metadata.drop_all(engine)
        engine.dispose()


def _saved(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(select(probe.c.id, probe.c.note).order_by(probe.c.id))]


def test_a_session_that_only_read_ends_with_commit(engine):
    session = sessionmaker(bind=engine)()
    assert session.scalar(select(probe.c.note).where(probe.c.id == 1)) == "as saved"
    session.execute(text("SELECT 1"))
    engine.ends.clear()
    end_session(session)
    assert engine.ends == ["commit"]
    assert _saved(engine) == [(1, "as saved")]


def test_a_failed_request_rolls_back_even_when_it_only_read(engine):
    session = sessionmaker(bind=engine)()
    session.execute(select(probe.c.id))
    engine.ends.clear()
    end_session(session, failed=True)
    assert engine.ends == ["rollback"]


def _pending(session):
    session.add(Probe(id=2, note="pending"))


def _flushed(session):
    session.add(Probe(id=2, note="flushed"))
    session.flush()


def _dirty(session):
    session.get(Probe, 1).note = "changed"


def _core_insert(session):
    session.execute(insert(probe).values(id=2, note="core insert"))


def _core_update(session):
    session.execute(update(probe).where(probe.c.id == 1).values(note="core update"))


def _text_update(session):
    session.execute(text("UPDATE request_end_probe SET note = 'text update' WHERE id = 1"))


def _lowercase_delete(session):
    session.execute(text("  delete from request_end_probe"))


def _read_then_write_then_read(session):
    session.execute(select(probe.c.id))
    session.execute(update(probe).values(note="in between"))
    session.execute(select(probe.c.id))


@pytest.mark.parametrize("work", [_pending, _flushed, _dirty, _core_insert, _core_update, _text_update,
                                  _lowercase_delete, _read_then_write_then_read])
def test_what_a_request_did_not_commit_is_never_kept(engine, work):
    session = sessionmaker(bind=engine)()
    work(session)
    engine.ends.clear()
    end_session(session)
    assert "commit" not in engine.ends  # a session that never reached the database has nothing to end
    assert _saved(engine) == [(1, "as saved")]


def test_a_read_the_database_refused_still_gives_the_connection_back(engine):
    session = sessionmaker(bind=engine)()
    session.execute(select(probe.c.id))
    with pytest.raises(DBAPIError):  # a view that caught this and drew its page anyway
        session.execute(text("SELECT no_such_column FROM request_end_probe"))
    try:
        end_session(session)
    except DBAPIError:
        pass  # the request's teardown logs it: the page was already answered
    assert engine.pool.checkedout() == 0
    assert _saved(engine) == [(1, "as saved")]


def test_a_write_committed_in_the_request_stays_and_the_reads_after_it_end_with_commit(engine):
    session = sessionmaker(bind=engine)()
    session.execute(update(probe).values(note="committed"))
    session.commit()
    session.execute(select(probe.c.id))  # a new transaction, which only reads
    engine.ends.clear()
    end_session(session)
    assert engine.ends == ["commit"]
    assert _saved(engine) == [(1, "committed")]


def test_a_row_locked_for_update_counts_as_a_write(engine):
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite has no FOR UPDATE: SQLAlchemy leaves it out, and the SELECT only reads")
    session = sessionmaker(bind=engine)()
    session.execute(select(probe.c.id).with_for_update())
    engine.ends.clear()
    end_session(session)
    assert engine.ends == ["rollback"]


@pytest.mark.parametrize(("statement", "kind"), [
    ("SELECT users.id FROM users", "read"),
    ("\n  select 1", "read"),
    ("WITH probe0 AS (SELECT 1) SELECT * FROM probe0", "read"),
    ("SELECT lessons.updated_at, org_units.created_at FROM lessons", "read"),  # words inside names
    ("SELECT id FROM lessons FOR UPDATE", "write"),
    ("WITH gone AS (DELETE FROM lessons RETURNING id) SELECT * FROM gone", "write"),
    ("INSERT INTO lessons (title) VALUES (%(title)s)", "write"),
    ("update lessons set title = 'x'", "write"),
    ("CREATE TEMPORARY TABLE t (id int)", "write"),
    ("BEGIN IMMEDIATE", "neutral"),
    ("SAVEPOINT sa_savepoint_1", "neutral"),
    ("RELEASE SAVEPOINT sa_savepoint_1", "neutral"),
    ("ROLLBACK TO SAVEPOINT sa_savepoint_1", "neutral"),
    ("PRAGMA optimize", "write"),  # anything not known to read is a write
])
def test_statements_are_told_apart(statement, kind):
    assert _kind(statement) == kind


def _prepared_after_seven_requests(engine) -> list[str]:
    for _ in range(7):  # psycopg prepares a statement on its sixth run on a connection
        session = sessionmaker(bind=engine)()
        assert session.scalar(select(probe.c.note).where(probe.c.id == 1)) == "as saved"
        end_session(session)
    session = sessionmaker(bind=engine)()
    prepared = session.scalars(text("SELECT statement FROM pg_prepared_statements")).all()
    end_session(session)
    assert engine.pool.checkedin() == 1  # one connection served every request
    return [statement for statement in prepared if "SELECT request_end_probe.note" in statement]


def test_postgresql_keeps_a_statement_prepared_across_requests(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("prepared statements are psycopg's (PostgreSQL)")
    assert len(_prepared_after_seven_requests(engine)) == 1


def test_a_prepare_threshold_of_none_prepares_nothing(engine, database_url):
    if engine.dialect.name != "postgresql":
        pytest.skip("prepared statements are psycopg's (PostgreSQL)")
    never = make_engine(database_url, prepare_threshold=None)  # PG_PREPARE_THRESHOLD = null
    try:
        assert _prepared_after_seven_requests(never) == []
    finally:
        never.dispose()
