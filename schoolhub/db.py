"""Database plumbing: declarative Base with a naming convention, UTC datetimes,
and one SQLAlchemy session per request."""
from __future__ import annotations

import enum
from datetime import UTC, datetime

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import DateTime, Enum, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

ADDRESS_KEY = "client_address"


def _constraint_name(constraint, table) -> str:
    """The `%(constraint_name)s` of a CHECK: the name it was given, but the column's name for the
    CHECK an enum column makes for itself (SQLAlchemy would name it after the enum class: 'unitkind').

    So `Mapped[UnitKind]` on org_units.kind is checked by ck_org_units_kind.
    """
    if getattr(constraint, "_type_bound", False):
        return "_".join(column.name for column in constraint.columns)
    if not isinstance(constraint.name, str) or not constraint.name:
        raise InvalidRequestError(f"name the check constraint on {table.name}: CheckConstraint(..., name='...')")
    return constraint.name


NAMING_CONVENTION = {
    # All the columns, so two composite indexes or uniques that start alike never share a name.
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "constraint_name": _constraint_name,
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every backend.

    SQLite drops the offset, so values are stored as naive UTC there and made
    aware again when read; PostgreSQL keeps `timestamptz`.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Base class of every model: constraint names follow NAMING_CONVENTION, and plain annotations
    carry the schema's rules.

    `Mapped[SomeStrEnum]` is a VARCHAR(20) holding the members' values with a named CHECK that
    refuses any other value (ck_<table>_<column>); `Mapped[datetime]` is a UTC instant.
    """

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        enum.StrEnum: Enum(enum.StrEnum, native_enum=False, length=20, create_constraint=True,
                           validate_strings=True, values_callable=lambda cls: [member.value for member in cls]),
        datetime: UTCDateTime(),
    }


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    # SQLite ignores foreign keys unless asked, per connection.
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for the configured URL (SQLite file or PostgreSQL)."""
    kwargs: dict = {}
    sqlite = url.startswith("sqlite")
    if sqlite:
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 15}
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_engine(url, **kwargs)
    if sqlite:
        # pysqlite opens transactions lazily and so breaks SAVEPOINT; let SQLAlchemy
        # emit BEGIN itself (the recipe from SQLAlchemy's SQLite documentation).
        @event.listens_for(engine, "connect")
        def _no_implicit_transactions(dbapi_connection, connection_record):
            dbapi_connection.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin(conn):
            conn.exec_driver_sql("BEGIN")

    return engine


def init_app(app: Flask) -> None:
    """Create the engine and session factory and close the session after each request."""
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["schoolhub.engine"] = engine
    app.extensions["schoolhub.sessionmaker"] = sessionmaker(bind=engine, expire_on_commit=False)

    if app.config.get("SQL_COUNT_HEADER"):
        _count_statements(app, engine)

    @app.teardown_appcontext
    def _close_session(exc):
        session = g.pop("db_session", None)
        if session is not None:
            if exc is not None:
                session.rollback()
            session.close()


def get_session() -> Session:
    """The session of the current request (or app context), opened on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["schoolhub.sessionmaker"]()
        if has_request_context():
            # Services never read the request: the address they audit is passed in here.
            g.db_session.info[ADDRESS_KEY] = request.remote_addr
    return g.db_session


def get_engine() -> Engine:
    """The engine of the current app."""
    return current_app.extensions["schoolhub.engine"]


def _count_statements(app: Flask, engine: Engine) -> None:
    """Benchmarks only (SQL_COUNT_HEADER): answer each request with X-SQL-Count, its number of statements."""

    @event.listens_for(engine, "before_cursor_execute")
    def _count(conn, cursor, statement, parameters, context, executemany):
        if has_request_context():
            g.sql_count = g.get("sql_count", 0) + 1

    @app.after_request
    def _header(response):
        response.headers["X-SQL-Count"] = str(g.get("sql_count", 0))
        return response
