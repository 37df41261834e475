"""The SQLite side of the lesson search index: an FTS5 table with the trigram tokenizer over
lessons.search_folded, kept in step by triggers (PostgreSQL uses a pg_trgm GIN index instead).

Migrations call these: 0004 makes it, and every later migration that rebuilds `lessons` on SQLite
(Alembic's batch mode copies the table, which drops its triggers) makes the triggers again.
"""
from __future__ import annotations

from collections.abc import Callable

TRIGGERS = {
    "lessons_fts_insert": "CREATE TRIGGER lessons_fts_insert AFTER INSERT ON lessons BEGIN "
                          "INSERT INTO lessons_fts(rowid, search_folded) VALUES (new.id, new.search_folded); END",
    "lessons_fts_delete": "CREATE TRIGGER lessons_fts_delete AFTER DELETE ON lessons BEGIN "
                          "INSERT INTO lessons_fts(lessons_fts, rowid, search_folded) "
                          "VALUES ('delete', old.id, old.search_folded); END",
    "lessons_fts_update": "CREATE TRIGGER lessons_fts_update AFTER UPDATE OF search_folded ON lessons BEGIN "
                          "INSERT INTO lessons_fts(lessons_fts, rowid, search_folded) "
                          "VALUES ('delete', old.id, old.search_folded); "
                          "INSERT INTO lessons_fts(rowid, search_folded) VALUES (new.id, new.search_folded); END",
}


def create(execute: Callable[[str], object]) -> None:
    """Make the FTS5 table and its triggers, and index every lesson."""
    execute("CREATE VIRTUAL TABLE lessons_fts USING fts5(search_folded, content='lessons', content_rowid='id', "
            "tokenize='trigram')")
    restore_triggers(execute)


def restore_triggers(execute: Callable[[str], object]) -> None:
    """Make the triggers again (after `lessons` was rebuilt) and index every lesson anew."""
    for name, statement in TRIGGERS.items():
        execute(f"DROP TRIGGER IF EXISTS {name}")
        execute(statement)
    execute("INSERT INTO lessons_fts(lessons_fts) VALUES ('rebuild')")


def drop(execute: Callable[[str], object]) -> None:
    """Remove the triggers and the FTS5 table."""
    for name in TRIGGERS:
        execute(f"DROP TRIGGER IF EXISTS {name}")
    execute("DROP TABLE IF EXISTS lessons_fts")
