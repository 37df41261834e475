"""The SQLite side of the lesson search indexes: FTS5 tables with the trigram tokenizer, each kept in step
with `lessons` by triggers (PostgreSQL uses pg_trgm GIN indexes instead).

- lessons_fts (migration 0004): the folded text, with each trigram's positions, for phrase queries (a
  word, a phrase: the substring).
- lessons_exact_fts (0022): the exact text, the same way: the ranking's first tier.
- lessons_trigrams (0022): the folded text without positions (detail=none), a tenth of lessons_fts's size:
  which lessons hold some trigrams, anywhere (search.sparse_trigrams), read without the positions a phrase
  query reads.

Migrations call these: every migration that rebuilds `lessons` on SQLite (Alembic's batch mode copies the
table, which drops its triggers) makes the triggers of each table made before it again.
"""
from __future__ import annotations

from collections.abc import Callable


def _triggers(table: str, column: str) -> dict[str, str]:
    """The three triggers keeping `table` (an FTS5 table of lessons.`column`, rowid = lessons.id) in step."""
    add = f"INSERT INTO {table}(rowid, {column}) VALUES (new.id, new.{column});"
    remove = f"INSERT INTO {table}({table}, rowid, {column}) VALUES ('delete', old.id, old.{column});"
    return {
        f"{table}_insert": f"CREATE TRIGGER {table}_insert AFTER INSERT ON lessons BEGIN {add} END",
        f"{table}_delete": f"CREATE TRIGGER {table}_delete AFTER DELETE ON lessons BEGIN {remove} END",
        f"{table}_update": f"CREATE TRIGGER {table}_update AFTER UPDATE OF {column} ON lessons BEGIN "
                           f"{remove} {add} END",
    }


TABLES = {  # name: (lessons' column, FTS5 options after the tokenizer)
    "lessons_fts": ("search_folded", ""),
    "lessons_exact_fts": ("search_exact", ""),
    "lessons_trigrams": ("search_folded", ", detail='none'"),
}
TRIGGERS = _triggers("lessons_fts", "search_folded")


def create_table(execute: Callable[[str], object], table: str) -> None:
    """Make one of TABLES, its triggers, and index every lesson."""
    column, options = TABLES[table]
    execute(f"CREATE VIRTUAL TABLE {table} USING fts5({column}, content='lessons', content_rowid='id', "
            f"tokenize='trigram'{options})")
    restore_table_triggers(execute, table)


def restore_table_triggers(execute: Callable[[str], object], table: str) -> None:
    """Make one table's triggers again (after `lessons` was rebuilt) and index every lesson anew."""
    for name, statement in _triggers(table, TABLES[table][0]).items():
        execute(f"DROP TRIGGER IF EXISTS {name}")
        execute(statement)
    execute(f"INSERT INTO {table}({table}) VALUES ('rebuild')")


def drop_table(execute: Callable[[str], object], table: str) -> None:
    """Remove one table's triggers and the table."""
    for name in _triggers(table, TABLES[table][0]):
        execute(f"DROP TRIGGER IF EXISTS {name}")
    execute(f"DROP TABLE IF EXISTS {table}")


# What migrations 0004 and 0006 call (lessons_fts).
def create(execute: Callable[[str], object]) -> None:
    """Make lessons_fts and its triggers, and index every lesson."""
    create_table(execute, "lessons_fts")


def restore_triggers(execute: Callable[[str], object]) -> None:
    """Make lessons_fts's triggers again (after `lessons` was rebuilt) and index every lesson anew."""
    restore_table_triggers(execute, "lessons_fts")


def drop(execute: Callable[[str], object]) -> None:
    """Remove lessons_fts's triggers and the table."""
    drop_table(execute, "lessons_fts")


def merge_segments(execute: Callable[[str], object]) -> None:
    """Merge each table's index into one segment, as a rebuild leaves it (after a bulk load: row by row, its
    triggers left the index in many segments, each a search then reads; at the commune preset the filtered
    search's statement cost 7.4 million instructions on them, 5.8 merged)."""
    for table in TABLES:
        execute(f"INSERT INTO {table}({table}) VALUES ('optimize')")
