"""Migrations: an empty database upgrades to head, the models agree with it, and data survives."""
from __future__ import annotations

from datetime import UTC

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import CheckConstraint, Enum, MetaData, create_engine, inspect, select, text

import schoolhub.models_all  # noqa: F401
from schoolhub.clock import local_day_of
from schoolhub.db import Base
from schoolhub.lessons.counts import informed_select, shelves_select
from schoolhub.migrate import alembic_config, include_name
from schoolhub.textfold import name_sort_key


def test_single_head():
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, heads


def test_upgraded_database_matches_the_models(database_url):
    # `database_url` was migrated from empty to head at the start of the run.
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True,
                                                                    "include_name": include_name})
            head = ScriptDirectory.from_config(alembic_config()).get_current_head()
            assert context.get_current_revision() == head
            diff = compare_metadata(context, Base.metadata)
            assert diff == [], f"models and migrations disagree: {diff}"
            tables = set(inspect(conn).get_table_names())
            assert {"org_units", "school_classes", "users", "memberships", "audit_logs"} <= tables
    finally:
        engine.dispose()


def test_check_constraints_agree_with_the_models(database_url):
    # Alembic's comparison ignores CHECK constraints: compare their names table by table.
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            inspector = inspect(conn)
            for table in Base.metadata.sorted_tables:
                expected = {c.name for c in table.constraints if isinstance(c, CheckConstraint)}
                found = {c["name"]: c["sqltext"] for c in inspector.get_check_constraints(table.name)}
                assert set(found) == expected, table.name
                # An enum that grew a member needs a migration replacing its CHECK: autogenerate won't say.
                for column in table.columns:
                    if isinstance(column.type, Enum):
                        check = found[f"ck_{table.name}_{column.name}"]
                        missing = [v for v in column.type.enums if f"'{v}'" not in check]
                        assert not missing, f"{table.name}.{column.name} CHECK lacks {missing}"
    finally:
        engine.dispose()


def test_downgrade_to_base_and_up_again(tmp_path):
    from alembic import command

    url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    command.upgrade(alembic_config(url), "head")
    command.downgrade(alembic_config(url), "base")
    engine = create_engine(url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
    command.upgrade(alembic_config(url), "head")


@pytest.fixture
def scratch_url(database_url, tmp_path):
    """An empty database beside the test one: a file on SQLite, a schema of its own on PostgreSQL."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'scratch.sqlite3'}"
        return
    schema = "schoolhub_migration_test"
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{database_url}{'&' if '?' in database_url else '?'}options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


def _rows(conn, tables) -> dict[str, list[tuple]]:
    return {t.name: [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns))] for t in tables}


def _models_agree(conn) -> list:
    return compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True, "include_name": include_name}), Base.metadata)


def test_demo_data_at_0002_survives_every_later_migration_and_their_downgrades(app, db, scratch_url):
    """A database with the demo commune at 0002 goes to head, down one step and to 0006 and up again each
    time, losing no row."""
    from schoolhub.demo import seed_demo

    command.upgrade(alembic_config(scratch_url), "0002")
    with app.app_context():
        seed_demo(db, "demo-password-57")  # in the test database (at head), rolled back after the test
    db.flush()
    scratch = create_engine(scratch_url)
    try:
        # Copy the demo rows into the 0002 database, column by column as 0002 has them.
        at_0002 = MetaData()
        at_0002.reflect(scratch)
        tables = [t for t in at_0002.sorted_tables if t.name != "alembic_version"]
        source = MetaData()
        source.reflect(db.connection(), only=[t.name for t in tables])
        with scratch.begin() as conn:
            for table in tables:
                columns = [source.tables[table.name].c[c.name] for c in table.columns]
                # In key order: a unit's parent was made before it, and the database's own order of rows
                # follows where it found free space (a school read before its commune broke the copy).
                keys = [source.tables[table.name].c[c.name] for c in table.primary_key.columns]
                data = [dict(zip(table.c.keys(), r, strict=True)) for r in db.execute(select(*columns).order_by(*keys))]
                if data:
                    conn.execute(table.insert(), data)
            before = _rows(conn, tables)
        assert len(before["memberships"]) > 100 and before["lessons"] and before["audit_logs"]

        command.upgrade(alembic_config(scratch_url), "head")
        with scratch.connect() as conn:
            assert _rows(conn, tables) == before
            assert _models_agree(conn) == []
            memberships = MetaData()
            memberships.reflect(conn, only=["memberships"])
            m = memberships.tables["memberships"]
            for created_at, started_on, ended_on in conn.execute(select(m.c.created_at, m.c.started_on, m.c.ended_on)):
                aware = created_at if created_at.tzinfo else created_at.replace(tzinfo=UTC)
                assert started_on == local_day_of(aware) and ended_on is None
            # 0007 gave every account already there its name-order key.
            keys = conn.execute(text("SELECT full_name, name_sort FROM users")).all()
            assert keys and all(key == name_sort_key(name) for name, key in keys)
            # 0011 counted each school's published lessons by visibility from the rows.
            kept = {tuple(r) for r in conn.execute(text("SELECT school_id, public, commune, school FROM school_lessons"))}
            assert kept and kept == {tuple(r) for r in conn.execute(shelves_select())}
            # 0020 counted each school's and commune's teachers informed from the rows.
            kept = {tuple(r) for r in conn.execute(text("SELECT unit_id, teachers, informed FROM informed_counts"))}
            assert kept and kept == {tuple(r) for r in conn.execute(informed_select())}

        # Each step of this session's work down and up again with the data in place: 0008 (an index),
        # 0007 (a users column; on SQLite its downgrade rebuilds the users table), and one step.
        for target in ("-1", "0006_core_scope"):
            command.downgrade(alembic_config(scratch_url), target)
            with scratch.connect() as conn:
                assert _rows(conn, tables) == before, target
            command.upgrade(alembic_config(scratch_url), "head")
            with scratch.connect() as conn:
                assert _rows(conn, tables) == before, target
                assert _models_agree(conn) == []
                keys = conn.execute(text("SELECT full_name, name_sort FROM users")).all()
                assert all(key == name_sort_key(name) for name, key in keys)
    finally:
        scratch.dispose()
