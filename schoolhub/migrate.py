"""Run Alembic migrations from inside schoolhub."""
from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

from schoolhub import source_or_bundled

MIGRATIONS = source_or_bundled("migrations")


# Structures the migrations make by hand (no model declares them): the search structures of one database
# (SQLite's FTS5 tables and list walk index, the trigram indexes, PostgreSQL's word joins: two generated
# columns and their indexes), an index on an expression (Alembic cannot compare those) and PostgreSQL's
# covering indexes of users and of the units' paths.
DATABASE_ONLY_PREFIXES = ("lessons_fts", "lessons_exact_fts", "lessons_trigrams", "ix_lessons_list_walk", "ix_lessons_search_folded_trgm",
                          "ix_lessons_core_scope", "search_joins", "title_joins", "ix_lessons_search_joins",
                          "ix_lessons_title_joins", "ix_users_id_sort_keys", "ix_org_units_path_cover",
                          "ix_lessons_reach_walk",
                          *(f"ix_lessons_{name}_trgm" for name in ("search_exact", "title_folded", "topics",
                                                                  "subjects", "grades", "audiences")))


def include_name(name, type_, parent_names) -> bool:
    """Alembic's filter: compare everything but the database-only search structures."""
    return not (name or "").startswith(DATABASE_ONLY_PREFIXES)


def alembic_config(database_url: str | None = None, connection: Connection | None = None) -> Config:
    """An Alembic Config pointing at migrations/ and at the given database."""
    cfg = Config(str(MIGRATIONS / "alembic.ini"))
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if database_url:
        cfg.attributes["database_url"] = database_url
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    """Upgrade the database to `revision` (default: the newest)."""
    command.upgrade(alembic_config(database_url), revision)


def current_revision(engine) -> str | None:
    """The migration the database is at (None before the first)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
