"""The SQLite side of the lesson search indexes: FTS5 tables with the trigram tokenizer over
lessons.search_folded (lessons_fts) and lessons.search_exact (lessons_exact_fts), each kept in step by
triggers (PostgreSQL uses pg_trgm GIN indexes instead).

Migrations call these: 0004 makes the first, 0022 the second, and every later migration that rebuilds
`lessons` on SQLite (Alembic's batch mode copies the table, which drops its triggers) makes the triggers of
both again (restore_triggers, then restore_exact_triggers).
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


# The exact text's table (migration 0022): the ranking's first tier, "the query as typed", found from its
# trigrams instead of read in every match's text (search.tiers_of).
EXACT_TRIGGERS = {
    "lessons_exact_fts_insert": "CREATE TRIGGER lessons_exact_fts_insert AFTER INSERT ON lessons BEGIN "
                                "INSERT INTO lessons_exact_fts(rowid, search_exact) VALUES (new.id, new.search_exact); "
                                "END",
    "lessons_exact_fts_delete": "CREATE TRIGGER lessons_exact_fts_delete AFTER DELETE ON lessons BEGIN "
                                "INSERT INTO lessons_exact_fts(lessons_exact_fts, rowid, search_exact) "
                                "VALUES ('delete', old.id, old.search_exact); END",
    "lessons_exact_fts_update": "CREATE TRIGGER lessons_exact_fts_update AFTER UPDATE OF search_exact ON lessons "
                                "BEGIN INSERT INTO lessons_exact_fts(lessons_exact_fts, rowid, search_exact) "
                                "VALUES ('delete', old.id, old.search_exact); "
                                "INSERT INTO lessons_exact_fts(rowid, search_exact) VALUES (new.id, new.search_exact); "
                                "END",
}


def create_exact(execute: Callable[[str], object]) -> None:
    """Make the exact text's FTS5 table and its triggers, and index every lesson."""
    execute("CREATE VIRTUAL TABLE lessons_exact_fts USING fts5(search_exact, content='lessons', "
            "content_rowid='id', tokenize='trigram')")
    restore_exact_triggers(execute)


def restore_exact_triggers(execute: Callable[[str], object]) -> None:
    """Make the exact table's triggers again (after `lessons` was rebuilt) and index every lesson anew."""
    for name, statement in EXACT_TRIGGERS.items():
        execute(f"DROP TRIGGER IF EXISTS {name}")
        execute(statement)
    execute("INSERT INTO lessons_exact_fts(lessons_exact_fts) VALUES ('rebuild')")


def drop_exact(execute: Callable[[str], object]) -> None:
    """Remove the exact table's triggers and the table."""
    for name in EXACT_TRIGGERS:
        execute(f"DROP TRIGGER IF EXISTS {name}")
    execute("DROP TABLE IF EXISTS lessons_exact_fts")
