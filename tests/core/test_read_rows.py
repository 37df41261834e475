"""db.read_rows: a select of columns run on the session's connection, past the ORM's execution layer,
sees what the session holds as session.execute would (autoflush), in the same transaction. And
db.like_constant, the LIKE whose constant pattern is written into the SQL for SQLite's sake."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from schoolhub.accounts.models import OrgUnit, SchoolClass
from schoolhub.db import like_constant, read_rows


def _classes(db, school) -> int:
    return read_rows(db, select(func.count(SchoolClass.id)).where(SchoolClass.school_id == school.id)).scalar()


def test_pending_changes_are_flushed_first_as_session_execute_would(world, db):
    before = _classes(db, world.school)
    db.add(SchoolClass(school_id=world.school.id, name="9Z", grade=9, school_year="2026-2027"))
    assert _classes(db, world.school) == before + 1  # the pending class was flushed, then counted
    assert db.execute(select(func.count(SchoolClass.id)).where(SchoolClass.school_id == world.school.id)).scalar() \
        == before + 1
    world.school.name = "Đổi tên chưa lưu"
    assert read_rows(db, select(OrgUnit.name).where(OrgUnit.id == world.school.id)).scalar() == "Đổi tên chưa lưu"


def test_without_autoflush_nothing_is_flushed_and_the_rows_are_the_transaction_own(world, db):
    before = _classes(db, world.school)
    with db.no_autoflush:
        db.add(SchoolClass(school_id=world.school.id, name="9Y", grade=9, school_year="2026-2027"))
        assert _classes(db, world.school) == before
    db.rollback()
    assert _classes(db, world.school) == before


def test_parameters_and_rows_by_name(world, db):
    from sqlalchemy import bindparam

    stmt = select(OrgUnit.id, OrgUnit.name).where(OrgUnit.id == bindparam("unit_id"))
    [row] = list(read_rows(db, stmt, {"unit_id": world.school.id}))
    assert (row.id, row.name) == (world.school.id, "Trường THCS Bình Chương")


def test_a_constant_like_pattern_is_written_into_the_sql_and_selects_as_a_bound_one(world, db):
    clause = like_constant(OrgUnit.path, f"{world.commune.path}%")
    compiled = select(OrgUnit.id).where(clause).compile(db.get_bind())
    # psycopg's SQL doubles a written %: the driver reads it back as one.
    assert f"LIKE '{world.commune.path}%'" in str(compiled).replace("%%", "%") and compiled.params == {}
    written = db.scalar(select(func.count()).where(clause))
    bound = db.scalar(select(func.count()).where(OrgUnit.path.like(f"{world.commune.path}%")))
    assert written == bound >= 3  # the commune and its schools


def test_a_like_pattern_that_would_need_quoting_is_refused():
    for hostile in ("%' OR '1'='1", "a'b", "x;--", "%\\%", ""):
        with pytest.raises(ValueError):
            like_constant(OrgUnit.path, hostile)
