"""The migrated database itself refuses what the models never write: checked by raw SQL, past the ORM."""
from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from schoolhub.clock import utcnow


def _insert(db, sql: str, **params) -> None:
    """Run one INSERT in a savepoint, so a refused row leaves the test's transaction usable (PostgreSQL)."""
    with db.begin_nested():
        db.execute(text(sql), {"now": utcnow().replace(tzinfo=None), **params})


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


@pytest.mark.parametrize("role", ["superuser", "TEACHER", ""])
def test_memberships_refuse_an_unknown_role(db, world, role):
    sql = ("INSERT INTO memberships (user_id, unit_id, role, class_id, created_at) "
           "VALUES (:user_id, :unit_id, :role, NULL, :now)")
    _insert(db, sql, user_id=world.outsider.id, unit_id=world.school.id, role="teacher")
    with pytest.raises(IntegrityError):
        _insert(db, sql, user_id=world.outsider.id, unit_id=world.other_school.id, role=role)


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
