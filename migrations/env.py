"""Alembic environment: schoolhub's metadata, batch mode for SQLite."""
from __future__ import annotations

import os

from alembic import context
from sqlalchemy import engine_from_config, pool

import schoolhub.models_all  # noqa: F401  (registers every table on the metadata)
from schoolhub.db import Base
from schoolhub.migrate import include_name

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    url = config.attributes.get("database_url") or os.environ.get("SCHOOLHUB_DATABASE_URL")
    if not url:
        from schoolhub import create_app

        url = create_app({"TESTING": True}).config["DATABASE_URL"]
    return url


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True,
                      render_as_batch=True, compare_type=True, include_name=include_name)
    with context.begin_transaction():
        context.run_migrations()


def _run(connection) -> None:
    # A batch operation rebuilds a SQLite table (copy, DROP, rename): with foreign keys enforced the
    # DROP would be refused, or cascade into the rows that refer to the table. SQLite only changes
    # this setting outside a transaction, so here, before the migration's transaction begins.
    sqlite = connection.dialect.name == "sqlite" and not connection.in_transaction()
    if sqlite:
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
    try:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=True, compare_type=True, include_name=include_name)
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"the migration left rows with dangling foreign keys: {broken[:10]}")
    finally:
        if sqlite:
            connection.rollback()  # nothing is pending: just leave the transaction, if any
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = engine_from_config({"sqlalchemy.url": _url()}, prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.connect() as connection:
        _run(connection)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
