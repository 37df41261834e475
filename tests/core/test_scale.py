"""seed-scale (issue 8, point 1): realistic data from every domain's step, deterministic for a seed, with
the demo accounts, every table filled, and the planner's statistics gathered at the end."""
from __future__ import annotations

import hashlib
import re

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

import schoolhub.models_all  # noqa: F401
from schoolhub.accounts.models import Membership, OrgUnit, Role, UnitKind, User
from schoolhub.db import Base
from schoolhub.lessons.models import Lesson
from schoolhub.scale import PRESETS, Preset, seed_scale
from schoolhub.textfold import name_sort_key

TINY = Preset("tiny", communes=2, schools=16, teachers=40, students=300, lessons=200, reads=3000)
# Tables a fresh deployment leaves empty on purpose: nothing at scale writes them.
EMPTY_AT_SCALE = {"audit_logs", "alembic_version", "lesson_attachments"}


def _seeded(app, connection, seed: int, password: str = "pw-scale-57"):
    """Run seed_scale inside a savepoint of the test's connection; returns (fingerprint, counts, session)."""
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    with app.app_context():
        run = seed_scale(session, TINY, seed=seed, password=password, quiet=True)
    people = session.execute(select(User.username, User.full_name, User.birth_date, User.gender)
                             .order_by(User.username)).all()
    lessons = session.execute(select(Lesson.title, Lesson.summary).order_by(Lesson.title, Lesson.summary)).all()
    digest = hashlib.sha256(repr((people, lessons)).encode()).hexdigest()
    return digest, dict(run.counts), session


def test_the_same_seed_gives_the_same_data_and_another_seed_other_data(app, connection):
    runs = []
    for seed in (57, 57, 58):
        outer = connection.begin_nested()
        digest, counts, session = _seeded(app, connection, seed)
        session.close()
        outer.rollback()
        runs.append((digest, counts))
    assert runs[0] == runs[1]
    assert runs[2][0] != runs[0][0] and runs[2][1]["users"] == runs[0][1]["users"]


def test_the_data_set_has_the_sizes_the_names_and_the_demo_accounts(app, connection, client):
    digest, counts, db = _seeded(app, connection, 57, password="pw-scale-57")
    assert counts["communes"] == 2 and counts["lessons"] == 200 and counts["lesson reads"] == 3000
    per_commune = db.execute(select(OrgUnit.parent_id, func.count()).where(OrgUnit.kind == UnitKind.SCHOOL)
                             .group_by(OrgUnit.parent_id)).all()
    assert len(per_commune) == 2 and all(8 <= n <= 15 for _, n in per_commune), per_commune
    students = db.scalar(select(func.count()).select_from(Membership).where(Membership.role == Role.STUDENT))
    assert students >= 300
    names = db.scalars(select(User.full_name).limit(200)).all()
    assert sum(not n.isascii() for n in names) > 180, "Vietnamese names carry their diacritics"
    assert all(re.fullmatch(r"\w+( \w+){1,4}", n) for n in names), "family, middle and given names"
    # Bulk inserts still give every account its name-order key.
    assert all(k == name_sort_key(n) for n, k in db.execute(select(User.full_name, User.name_sort).limit(300)))
    # And every membership its user's list order (accounts.sortkeys keeps it for the ORM's writes).
    differ = db.scalar(select(func.count()).select_from(Membership).join(User, User.id == Membership.user_id)
                       .where((Membership.user_sort != User.name_sort) | (Membership.user_inactive == User.is_active_account)))
    assert differ == 0
    # demo.officer is the officer of one commune, demo.admin the admin of one of its schools.
    officer = db.scalar(select(User).where(User.username == "demo.officer"))
    admin = db.scalar(select(User).where(User.username == "demo.admin"))
    assert [m.role for m in officer.memberships] == [Role.OFFICER]
    assert admin.memberships[0].unit.parent_id == officer.memberships[0].unit_id
    db.commit()
    assert client.post("/login", data={"username": "demo.teacher", "password": "pw-scale-57"}).status_code == 302
    db.close()


def test_every_table_gets_rows_and_the_planner_gets_statistics(app, connection):
    _, _, db = _seeded(app, connection, 57)
    empty = [t.name for t in Base.metadata.sorted_tables
             if t.name not in EMPTY_AT_SCALE and not db.scalar(select(func.count()).select_from(t))]
    assert not empty, f"tables seed-scale leaves empty (add their rows to the generator): {empty}"
    if db.get_bind().dialect.name == "sqlite":
        analysed = {row[0] for row in db.execute(text("SELECT tbl FROM sqlite_stat1"))}
    else:
        analysed = {row[0] for row in db.execute(text(
            "SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL OR n_mod_since_analyze = 0"))}
    assert {"lessons", "users", "memberships", "lesson_reads"} <= analysed
    db.close()


def _index_definitions(db, table: str) -> set[str]:
    if db.get_bind().dialect.name == "sqlite":
        return {row[0] for row in db.execute(text(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :t AND sql IS NOT NULL"), {"t": table})}
    return {row[0] for row in db.execute(text(
        "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = :t"), {"t": table})}


def test_the_search_indexes_set_aside_for_the_load_are_all_back_after_it(app, connection):
    """The lessons' GIN indexes are dropped while seed-scale loads them and built again after (ScaleRun.
    indexes_set_aside): the same definitions as the migrations', and the searches use them."""
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    before = _index_definitions(session, "lessons")
    _, _, db = _seeded(app, connection, 57)
    assert _index_definitions(db, "lessons") == before
    if db.get_bind().dialect.name == "postgresql":
        assert sum(" USING gin " in d for d in before) >= 9, "the trigram and word-join indexes were there"
        plan = "\n".join(db.scalars(text("EXPLAIN SELECT id FROM lessons WHERE search_joins @> ARRAY['i tu']")))
        assert "ix_lessons_search_joins" in plan, plan
    db.close()
    session.close()


def test_the_trigram_tables_after_the_load_hold_every_lesson_and_find_them(app, connection):
    """On SQLite the load ends by merging each trigram table (search_index.merge_segments): each still
    agrees with the lessons' texts (FTS5's integrity check) and finds a seeded lesson by its title's words."""
    from schoolhub.lessons import search_index

    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("the trigram tables are SQLite's (PostgreSQL's GIN indexes are checked above)")
    _, _, db = _seeded(app, connection, 57)
    for table in search_index.TABLES:
        db.execute(text(f"INSERT INTO {table}({table}, rank) VALUES ('integrity-check', 1)"))
    lesson = db.scalars(select(Lesson).order_by(Lesson.id)).first()
    word = next(w for w in lesson.title_folded.split() if len(w) >= 4)
    found = set(db.scalars(text("SELECT rowid FROM lessons_trigrams WHERE lessons_trigrams MATCH :q"),
                           {"q": '"' + word[:3] + '"'}))
    assert lesson.id in found
    db.close()
    session.close()


def test_a_load_that_fails_still_gets_its_indexes_back(app, connection):
    from schoolhub.scale import PRESETS, ScaleRun

    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    before = _index_definitions(session, "lessons")
    run = ScaleRun(session=session, preset=PRESETS["commune"], rng=None, password="", password_hash="", quiet=True)
    with app.app_context(), pytest.raises(RuntimeError, match="the load failed"):
        with run.indexes_set_aside(Lesson.__table__):
            if session.get_bind().dialect.name == "postgresql":
                assert not any(" USING gin " in d for d in _index_definitions(session, "lessons"))
            raise RuntimeError("the load failed")
    assert _index_definitions(session, "lessons") == before
    session.close()


def test_the_presets_are_the_sizes_the_issue_names():
    assert PRESETS["commune"] == Preset("commune", communes=1, schools=8, teachers=300, students=4000,
                                        lessons=1000, reads=40_000)
    assert PRESETS["province"] == Preset("province", communes=25, schools=300, teachers=10_000,
                                         students=150_000, lessons=30_000, reads=600_000)


def test_the_command_refuses_a_database_that_has_data(app, db, world):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-scale", "--preset", "commune"])
    assert result.exit_code != 0 and "empty" in result.output
    assert db.scalar(select(func.count()).select_from(Lesson)) == 0, "nothing was added"


@pytest.mark.parametrize("bad", [["--preset", "planet"], ["--preset", "commune", "--seed", "x"]])
def test_the_command_refuses_bad_arguments(app, bad):
    assert app.test_cli_runner().invoke(args=["seed-scale", *bad]).exit_code == 2


def test_a_live_sqlite_database_gets_its_statistics_by_itself(tmp_path, database_url, monkeypatch):
    """A deployment never runs seed-scale: the app lets SQLite analyse what its queries use (once an hour
    per process), so a file database grown by use still gets a planner that knows its indexes."""
    if not database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL's autovacuum gathers statistics itself")
    from schoolhub.db import make_engine
    from schoolhub.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    upgrade(url)
    monkeypatch.setattr("schoolhub.db.SQLITE_OPTIMIZE_EVERY", 0.0)  # not once an hour: at every check-in
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO org_units (kind, code, name, name_folded, path, is_active, address, created_at) "
                              "VALUES ('province', :code, :name, :name, :path, 1, '', '2026-12-01 00:00:00')"),
                         [{"code": f"P{i:02d}", "name": f"Tỉnh {i}", "path": f"/{i}/"} for i in range(1, 40)])
        with engine.connect() as conn:
            conn.execute(text("SELECT id FROM org_units WHERE parent_id = 3")).all()
            assert not conn.scalar(text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'"))
        with engine.connect() as conn:  # the first connections went back to the pool: analysed then
            assert "org_units" in {r[0] for r in conn.execute(text("SELECT tbl FROM sqlite_stat1"))}
    finally:
        engine.dispose()


def test_settling_a_bulk_load_vacuums_postgresql(database_url):
    """seed-scale ends with VACUUM on PostgreSQL (scale.settle), outside any transaction: the visibility
    map it sets lets the search's walk read the list-order index alone. On an engine of its own, not the
    suite's connection, whose transaction VACUUM could not run in."""
    import time

    from sqlalchemy import text

    from schoolhub.db import make_engine
    from schoolhub.scale import settle

    engine = make_engine(database_url)
    try:
        if engine.dialect.name != "postgresql":
            settle(engine)  # nothing to do on SQLite, and nothing fails
            pytest.skip("VACUUM is PostgreSQL's here: SQLite's data set ends with ANALYZE")
        count = text("SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = 'lessons'")
        with engine.connect() as conn:
            before = conn.scalar(count)
        settle(engine)
        for _ in range(50):  # the statistics reach other sessions within moments
            with engine.connect() as conn:
                conn.exec_driver_sql("SELECT pg_stat_clear_snapshot()")
                if conn.scalar(count) > before:
                    break
            time.sleep(0.1)
        else:
            pytest.fail("lessons was not vacuumed")
    finally:
        engine.dispose()
