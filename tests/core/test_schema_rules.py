"""The migrated database itself refuses what the models never write: checked by raw SQL, past the ORM."""
from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import Date, DateTime, UniqueConstraint, bindparam, select, text
from sqlalchemy.exc import IntegrityError

from schoolhub.accounts.models import OrgUnit
from schoolhub.accounts.queries import schools_under
from schoolhub.clock import utcnow
from tests.helpers.plans import query_plan


def _insert(db, sql: str, **params) -> None:
    """Run one INSERT in a savepoint, so a refused row leaves the test's transaction usable (PostgreSQL)."""
    params = {"now": utcnow().replace(tzinfo=None), **params}
    # Typed, so SQLAlchemy formats days and instants itself (sqlite3's own adapters are deprecated).
    typed = [bindparam(k, v, type_=DateTime() if isinstance(v, datetime) else Date())
             for k, v in params.items() if isinstance(v, date)]
    with db.begin_nested():
        db.execute(text(sql).bindparams(*typed), {k: v for k, v in params.items() if not isinstance(v, date)})


def _unit_sql(kind: str, level: str | None) -> tuple[str, dict]:
    return ("INSERT INTO org_units (kind, code, name, name_folded, level, address, path, is_active, created_at) "
            "VALUES (:kind, :code, 'x', 'x', :level, '', :path, true, :now)",
            {"kind": kind, "level": level})


@pytest.mark.parametrize(("kind", "level"), [("planet", None), ("school", "university"), ("SCHOOL", None)])
def test_org_units_refuse_an_unknown_kind_or_level(db, kind, level):
    sql, params = _unit_sql("commune", None)
    _insert(db, sql, **params, code="OK-1", path="/ok-1/")  # the same statement with known values goes in
    sql, params = _unit_sql(kind, level)
    with pytest.raises(IntegrityError):
        _insert(db, sql, **params, code="BAD-1", path="/bad-1/")


_MEMBERSHIP_SQL = ("INSERT INTO memberships (user_id, unit_id, role, class_id, started_on, ended_on, created_at) "
                   "VALUES (:user_id, :unit_id, :role, NULL, :started_on, :ended_on, :now)")


@pytest.mark.parametrize("role", ["superuser", "TEACHER", ""])
def test_memberships_refuse_an_unknown_role(db, world, role):
    _insert(db, _MEMBERSHIP_SQL, user_id=world.outsider.id, unit_id=world.school.id, role="teacher",
            started_on=date(2025, 9, 5), ended_on=None)
    with pytest.raises(IntegrityError):
        _insert(db, _MEMBERSHIP_SQL, user_id=world.outsider.id, unit_id=world.other_school.id, role=role,
                started_on=date(2025, 9, 5), ended_on=None)


def test_one_current_membership_per_user_unit_and_role_but_any_number_of_past_ones(db, world):
    """The unique rule covers current memberships only (a partial unique index): history may repeat."""
    row = {"user_id": world.outsider.id, "unit_id": world.school.id, "role": "teacher"}
    _insert(db, _MEMBERSHIP_SQL, **row, started_on=date(2023, 9, 5), ended_on=date(2024, 6, 1))
    _insert(db, _MEMBERSHIP_SQL, **row, started_on=date(2024, 9, 5), ended_on=date(2025, 6, 1))
    _insert(db, _MEMBERSHIP_SQL, **row, started_on=date(2025, 9, 5), ended_on=None)
    with pytest.raises(IntegrityError):
        _insert(db, _MEMBERSHIP_SQL, **row, started_on=date(2025, 10, 1), ended_on=None)
    # Another role at the same school, or the same role elsewhere, is another membership.
    _insert(db, _MEMBERSHIP_SQL, **{**row, "role": "school_admin"}, started_on=date(2025, 9, 5), ended_on=None)
    _insert(db, _MEMBERSHIP_SQL, **{**row, "unit_id": world.other_school.id}, started_on=date(2025, 9, 5),
            ended_on=None)


def test_a_membership_cannot_end_before_it_starts(db, world):
    row = {"user_id": world.outsider.id, "unit_id": world.school.id, "role": "teacher"}
    _insert(db, _MEMBERSHIP_SQL, **row, started_on=date(2025, 9, 5), ended_on=date(2025, 9, 5))  # no day covered
    with pytest.raises(IntegrityError):
        _insert(db, _MEMBERSHIP_SQL, **row, started_on=date(2025, 9, 5), ended_on=date(2025, 9, 4))


_LESSON_SQL = (
    "INSERT INTO lessons (school_id, author_id, title, summary, body, body_html, topics, subjects, grades, "
    "audiences, tags, video_url, is_core, status, visibility, source_credit, title_folded, search_folded, "
    "search_exact, revision_count, created_at, updated_at) VALUES (:school_id, NULL, 't', '', '', '', '', '', "
    "'', '', '', '', false, :status, :visibility, '', 't', 't', 't', 0, :now, :now)")
_REVISION_SQL = (
    "INSERT INTO lesson_revisions (lesson_id, number, editor_id, title, summary, body, tags, topics, subjects, "
    "grades, audiences, video_url, visibility, note, created_at) VALUES (:lesson_id, :number, NULL, 't', '', '', "
    "'', '', '', '', '', '', :visibility, '', :now)")


@pytest.mark.parametrize(("status", "visibility"), [("secret", "school"), ("draft", "everyone"), ("Draft", "public")])
def test_lessons_refuse_an_unknown_status_or_visibility(db, world, status, visibility):
    _insert(db, _LESSON_SQL, school_id=world.school.id, status="draft", visibility="commune")
    with pytest.raises(IntegrityError):
        _insert(db, _LESSON_SQL, school_id=world.school.id, status=status, visibility=visibility)


def test_lesson_revisions_refuse_an_unknown_visibility(db, world, factory):
    lesson = factory.lesson(world.school, world.teacher)
    _insert(db, _REVISION_SQL, lesson_id=lesson.id, number=100, visibility="public")
    with pytest.raises(IntegrityError):
        _insert(db, _REVISION_SQL, lesson_id=lesson.id, number=101, visibility="world")


# ---- the organisation tree: subtree ranges, unique bytewise paths ------------------------------------------------

def test_subtree_of_is_a_range_after_the_path():
    clause = OrgUnit.subtree_of("/1/7/")
    compiled = clause.compile(compile_kwargs={"literal_binds": True})
    assert str(compiled) == "org_units.path >= '/1/7/' AND org_units.path < '/1/70'"
    for bad in ("", "/1/7", "1/7/"):
        with pytest.raises(ValueError):
            OrgUnit.subtree_of(bad)


def test_subtree_holds_the_unit_and_everything_under_it_and_nothing_else(db, factory):
    province = factory.province()
    commune = factory.commune(province)
    school = factory.school(commune)
    # Siblings whose paths start with the same characters: '/p/c/' against '/p/c0/', '/p/c1/'...
    siblings = [factory.commune(province) for _ in range(12)]
    nephew = factory.school(siblings[-1])
    under = set(db.scalars(select(OrgUnit.id).where(commune.subtree())))
    assert under == {commune.id, school.id}
    assert set(db.scalars(select(OrgUnit.id).where(province.subtree()))) == {
        province.id, commune.id, school.id, nephew.id, *(s.id for s in siblings)}
    assert set(db.scalars(select(OrgUnit.id).where(school.subtree()))) == {school.id}
    assert {u.id for u in schools_under(db, province)} == {school.id, nephew.id}


def test_schools_under_is_asked_once_until_the_session_writes(db, factory, count_queries):
    """The officer's home asks a commune's schools for two panels: one statement, and a school added
    (or renamed) in the same transaction is there the next time it is asked."""
    commune = factory.commune()
    first = factory.school(commune, name="Trường A")
    with count_queries() as statements:
        assert [s.id for s in schools_under(db, commune)] == [first.id]
        assert [s.id for s in schools_under(db, commune)] == [first.id]
    assert len(statements) == 1
    second = factory.school(commune, name="Trường B")  # flushed: forgotten
    assert [s.id for s in schools_under(db, commune)] == [first.id, second.id]
    db.commit()
    assert [s.id for s in schools_under(db, commune, active_only=True)] == [first.id, second.id]


def test_subtree_query_uses_the_path_index(db, world):
    plan = query_plan(db, select(OrgUnit.id, OrgUnit.name).where(world.commune.subtree()))
    if db.get_bind().dialect.name == "sqlite":
        # UNIQUE(path) is SQLite's automatic index on org_units; both ends of the range are searched in it.
        assert "SEARCH org_units USING" in plan and "INDEX" in plan and "(path>? AND path<?)" in plan, plan
    else:
        assert "uq_org_units_path" in plan and "Seq Scan" not in plan, plan
        cond = next(line for line in plan.splitlines() if "Index Cond" in line)
        assert ">= '" in cond and "< '" in cond, plan  # both ends of the range bound the index scan


def test_paths_are_unique(db, world):
    sql, params = _unit_sql("commune", None)
    with pytest.raises(IntegrityError):
        _insert(db, sql, **params, code="DUP-1", path=world.commune.path)


def test_unit_paths_compare_bytewise_on_postgresql(db):
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite compares text bytewise already")
    # Alembic's comparison ignores collations: ask the database.
    collation = db.scalar(text("SELECT collation_name FROM information_schema.columns "
                               "WHERE table_name = 'org_units' AND column_name = 'path'"))
    assert collation == "C"


def test_no_index_is_led_by_another():
    """A one-column index is redundant when a unique constraint or a wider index starts with its column.

    A partial index does not count: it holds only some rows (memberships' current-only unique index).
    """
    import schoolhub.models_all  # noqa: F401
    from schoolhub.db import Base

    redundant = []
    for table in Base.metadata.sorted_tables:
        leaders = [list(c.columns)[0].name for c in table.constraints
                   if isinstance(c, UniqueConstraint) and len(c.columns) > 1]
        leaders += [list(i.columns)[0].name for i in table.indexes if len(i.columns) > 1
                    and i.dialect_options["sqlite"]["where"] is None and i.dialect_options["postgresql"]["where"] is None]
        redundant += [i.name for i in table.indexes if len(i.columns) == 1 and list(i.columns)[0].name in leaders]
    assert redundant == []
