"""Database plumbing: declarative Base with a naming convention, UTC datetimes,
and one SQLAlchemy session per request.

SQLite serves a school as well as one writer at a time allows: WAL (readers never wait for the
writer), a busy timeout, and write transactions that take the write lock when they begin
(`BEGIN IMMEDIATE` for POST/PUT/PATCH/DELETE requests and inside `writing()`), because a deferred
transaction that read first cannot upgrade its lock while another connection writes: SQLite then
answers "database is locked" at once instead of waiting. A GET that only records something (the
first read of a lesson) does it through `record_quietly`, which skips the record when the database
stays busy rather than failing the page.
"""
from __future__ import annotations

import contextlib
import enum
import functools
import logging
import re
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TypeVar

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import (
    ARRAY,
    DateTime,
    Enum,
    Integer,
    MetaData,
    String,
    any_,
    bindparam,
    create_engine,
    event,
    literal_column,
)
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects.postgresql.base import PGCompiler
from sqlalchemy.dialects.sqlite.base import SQLiteCompiler
from sqlalchemy.engine import Engine
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.types import TypeDecorator

from schoolhub.statement_cache import CompiledCache

ADDRESS_KEY = "client_address"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
log = logging.getLogger(__name__)
# How often (seconds) each process lets SQLite refresh its planner statistics (see make_engine).
SQLITE_OPTIMIZE_EVERY = 3600.0
# SQLite reads its file through a memory map of up to this many bytes (PRAGMA mmap_size), shared by every
# connection and process through the OS's page cache. Through its own page cache (2 MB a connection by
# default) a lesson list or search re-read from the OS the pages of rows it had read a request before: a
# lesson is about 11 KB, three pages, and a commune's 1,000 lessons are 12 MB. Measured at the commune
# preset: the titles of every lesson 2.9 -> 0.4 ms, their visibility (past the long texts) 9.6 -> 2.6 ms.
SQLITE_MMAP_BYTES = 256 * 1024 * 1024
T = TypeVar("T")


def _sqlite_table_hint(self, table, text: str) -> str:
    return text


# Select.with_hint(table, "INDEXED BY <index>", "sqlite") names the index SQLite walks for that table
# (https://www.sqlite.org/lang_indexedby.html). SQLAlchemy writes a table's hint after its name for the
# databases it knows hints of (MySQL, SQL Server, Oracle); its SQLite compiler writes none, and SQLite's
# planner, which has no statistics of a LIKE's selectivity, prefers the narrow list-order index to the
# covering one for a LIMIT: every entry's lesson is then read from the table (lessons.queries._walks_statement).
SQLiteCompiler.get_from_hint_text = _sqlite_table_hint


def _backslash_by_default(visit):
    """A PostgreSQL compiler's LIKE visitor that leaves out ESCAPE '\\' (see below)."""
    def visit_like(self, binary, operator, **kw):
        if binary.modifiers.get("escape") == "\\":
            binary = binary._clone()
            binary.modifiers = {key: value for key, value in binary.modifiers.items() if key != "escape"}
        return visit(self, binary, operator, **kw)

    return visit_like


# PostgreSQL's LIKE (and ILIKE) escapes with a backslash by default. Written out, `x LIKE $1 ESCAPE '\\'` is
# parsed as `x ~~ like_escape($1, '\\')`, and a generic plan, where the pattern is a parameter, calls
# like_escape again for every row it tests: the filtered search's title tier tests about 1,900 index
# entries at the province preset. Every LIKE of ours escapes with a backslash (SQLite, which has no default
# escape character, still gets the clause), so on PostgreSQL the clause is left out: the same test.
for _name in ("visit_like_op_binary", "visit_not_like_op_binary", "visit_ilike_op_binary", "visit_not_ilike_op_binary"):
    setattr(PGCompiler, _name, _backslash_by_default(getattr(PGCompiler, _name)))

# None: decided by the request's method; True: take the write lock at BEGIN; False: do not.
_WRITE_LOCK: ContextVar[bool | None] = ContextVar("schoolhub_write_lock", default=None)


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


def wants_write_lock() -> bool:
    """True when the transaction about to begin should take SQLite's write lock at once."""
    flagged = _WRITE_LOCK.get()
    if flagged is not None:
        return flagged
    return has_request_context() and request.method in WRITE_METHODS


@contextlib.contextmanager
def writing(lock: bool = True) -> Iterator[None]:
    """Transactions begun inside take the write lock at BEGIN (or, with lock=False, do not)."""
    token = _WRITE_LOCK.set(lock)
    try:
        yield
    finally:
        _WRITE_LOCK.reset(token)


def reads_first(view: Callable) -> Callable:
    """A POST view that mostly reads (the login form): its transaction starts without the write lock,
    so a slow step (checking a password) never holds up the school's writers."""
    import functools

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        with writing(False):
            return view(*args, **kwargs)

    return wrapper


def is_busy(error: BaseException) -> bool:
    """True for "try again" database errors: SQLite busy or locked; a PostgreSQL deadlock or serialization failure."""
    orig = getattr(error, "orig", error)
    text = str(orig).lower()
    if "database is locked" in text or "database table is locked" in text or "sqlite_busy" in text:
        return True
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return sqlstate in ("40001", "40P01")


def is_unavailable(error: BaseException) -> bool:
    """True for errors that mean the database is away or unusable right now (not a bug in a query)."""
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.DisconnectionError,
                              sa_exc.TimeoutError, sa_exc.PendingRollbackError))


def record_quietly(session: Session, work: Callable[[], T], what: str, attempts: int = 2) -> T | None:
    """Run `work()` and commit it in a write transaction of its own; when the database stays busy,
    skip it (logged) and return None instead of failing the page.

    For records a page keeps on the side (the first read of a lesson, the login time): the page
    must be shown even when every writer of the school saves at once. The session's read
    transaction is ended first, so on SQLite the write starts from a fresh snapshot with the lock.
    """
    if session.in_transaction():
        session.commit()
    for attempt in range(attempts):
        try:
            with writing():
                result = work()
                session.commit()
            return result
        except sa_exc.OperationalError as error:
            session.rollback()
            if not is_busy(error):
                raise
            log.warning("database busy: %s not recorded (attempt %d of %d)", what, attempt + 1, attempts)
    return None


# psycopg turns a query's %(name)s placeholders into $n once per query text and keeps the result, but
# only for texts up to 4 KB: longer ones (an ORM's one-off bulk INSERTs, it reasons) are parsed again on
# every run. Ours are built once and run on every page: the logged-in user with their to-do questions
# (about 5 KB), the search's tiers (about 14 KB). Parsing them again cost each page about 0.1–0.4 ms.
PSYCOPG_CACHED_QUERY_BYTES = 32 * 1024


def _keep_long_queries() -> None:
    """Let psycopg keep the conversion of queries up to PSYCOPG_CACHED_QUERY_BYTES (its cache holds 128)."""
    try:
        from psycopg import _queries
    except ImportError:  # another driver, or a psycopg that moved it: only slower
        return
    if getattr(_queries, "MAX_CACHED_STATEMENT_LENGTH", PSYCOPG_CACHED_QUERY_BYTES) < PSYCOPG_CACHED_QUERY_BYTES:
        _queries.MAX_CACHED_STATEMENT_LENGTH = PSYCOPG_CACHED_QUERY_BYTES


def make_engine(url: str, busy_timeout: float = 10.0, prepare_threshold: int | None = 5) -> Engine:
    """An engine for the configured URL (SQLite file or PostgreSQL).

    `prepare_threshold` (psycopg's): a statement run that many times on a connection is prepared there;
    None never prepares (PgBouncer in transaction mode before 1.21 cannot keep prepared statements)."""
    kwargs: dict = {}
    sqlite = url.startswith("sqlite")
    if sqlite:
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": busy_timeout}
    else:
        kwargs["pool_pre_ping"] = True  # a connection the server dropped (a restart) is replaced, not used
        if url.startswith("postgresql+psycopg"):
            # A database host that went silent costs a request seconds, not the TCP timeout's minutes.
            from schoolhub.pg_cursor import Cursor

            # cursor_factory: a result's description made only when read (schoolhub.pg_cursor).
            kwargs["connect_args"] = {"connect_timeout": 5, "prepare_threshold": prepare_threshold,
                                      "cursor_factory": Cursor}
            _keep_long_queries()
    # Compiled statements found by their key's identity first (statement_cache: a hash of each statement's
    # whole description saved on every run).
    engine = create_engine(url, execution_options={"compiled_cache": CompiledCache()}, **kwargs)
    _watch_writes(engine)
    if engine.dialect.name == "postgresql":
        _plain_string_literals(engine)
    if engine.dialect.name == "postgresql" and prepare_threshold is not None:
        # Without prepared statements a generic plan is made again on every run: nothing to gain. And
        # that is the setting for PgBouncer in transaction mode, where a session's SET would reach other
        # clients of the same server connection.
        _plan_modes(engine)
        _serial_plans(engine)
    if sqlite:
        # pysqlite opens transactions lazily and so breaks SAVEPOINT; let SQLAlchemy
        # emit BEGIN itself (the recipe from SQLAlchemy's SQLite documentation).
        @event.listens_for(engine, "connect")
        def _no_implicit_transactions(dbapi_connection, connection_record):
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            # WAL: readers and the one writer do not block each other (a no-op for :memory:).
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
            cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE" if wants_write_lock() else "BEGIN")

        # SQLite gathers no statistics by itself, and without them its planner can walk a long index in
        # order rather than search a short one. PRAGMA optimize (bounded by analysis_limit: milliseconds)
        # analyses what this connection's queries used and needs it; once an hour per process is plenty.
        last_optimize = [float("-inf")]  # the first check-in of a process analyses

        @event.listens_for(engine, "checkin")
        def _optimize(dbapi_connection, connection_record):
            now = time.monotonic()
            if dbapi_connection is None or now - last_optimize[0] < SQLITE_OPTIMIZE_EVERY:
                return
            last_optimize[0] = now
            try:
                dbapi_connection.execute("PRAGMA analysis_limit=400")
                dbapi_connection.execute("PRAGMA optimize")
            except Exception as error:  # busy, read-only, closed: statistics can wait for the next hour
                log.info("PRAGMA optimize skipped: %s", error)

    return engine


# Whether the transaction a connection is in has run anything but reads (see end_session).
WROTE = "schoolhub.wrote"
_READ = re.compile(r"\s*(?:SELECT|WITH)\b", re.IGNORECASE)
_WRITE_WORDS = re.compile(r"\b(?:INSERT|UPDATE|DELETE|MERGE|CREATE|DROP|ALTER|TRUNCATE|COPY)\b", re.IGNORECASE)
# Transaction control neither reads nor writes (SQLite's BEGIN is a statement of ours, see make_engine).
_NEUTRAL = re.compile(r"\s*(?:BEGIN|SAVEPOINT|RELEASE|ROLLBACK\s+TO|SET(?:\s+LOCAL)?\s+plan_cache_mode)\b",
                      re.IGNORECASE)


@functools.lru_cache(maxsize=1024)
def _kind(statement: str) -> str:
    """"read" for a SELECT (WITH … SELECT included) naming no writing command, not even FOR UPDATE;
    "neutral" for transaction control; else "write"."""
    if _NEUTRAL.match(statement):
        return "neutral"
    return "read" if _READ.match(statement) and _WRITE_WORDS.search(statement) is None else "write"


def _watch_writes(engine: Engine) -> None:
    """Mark, per connection, whether its current transaction ran any statement other than a read."""

    @event.listens_for(engine, "begin")
    def _fresh(conn):
        conn.info[WROTE] = False

    @event.listens_for(engine, "before_cursor_execute")
    def _mark(conn, cursor, statement, parameters, context, executemany):
        if executemany or _kind(statement) == "write":
            conn.info[WROTE] = True


# A statement built once whose generic plan is as good as a plan for its values (see `generic_plan`).
GENERIC_PLAN = "schoolhub_generic_plan"
_PLAN_MODE = "schoolhub.plan_mode"  # this transaction's mode (None: not known)
_SESSION_MODE = "schoolhub.session_plan_mode"  # the connection's mode outside a transaction
_GENERIC, _AUTO, _CUSTOM = "force_generic_plan", "auto", "force_custom_plan"
# A statement that must always be planned for its values (see `custom_plan`).
CUSTOM_PLAN = "schoolhub_custom_plan"
_PLAIN = {"stream_results": False}


_CONSTANT_PATTERN = re.compile(r"[%,/\w]+", re.ASCII)


def like_constant(column, pattern: str):
    """`column LIKE 'pattern'` with the pattern written into the SQL, not bound as a parameter: for a
    pattern that is a constant of the code (an audience key, say), never one a user typed.

    SQLite prepares a statement again on every run when a LIKE's pattern is a bound parameter (a new
    pattern may allow another plan), and a statement holding one is prepared again whenever any of its
    parameters from the 31st on is bound. The to-do badge's questions, joined to every page's user
    (0.05 ms to run), were parsed and planned anew on every page: 0.28 ms (measured at the commune
    preset). Letters, digits, underscores, commas, slashes and % only, so the text needs no quoting."""
    if not _CONSTANT_PATTERN.fullmatch(pattern):
        raise ValueError(f"not a constant LIKE pattern: {pattern!r}")
    return column.like(literal_column(f"'{pattern}'", String()))


def equals_constant(column, value: str):
    """`column = 'value'` with the value written into the SQL when the statement is built (as like_constant
    writes its pattern): for a constant of the code, never a value a user typed. A generic plan then knows
    the value, and how many rows hold it. Written at build time, not bound with literal_execute, which
    would render the statement's text again on every run."""
    if not _CONSTANT_PATTERN.fullmatch(value):
        raise ValueError(f"not a constant value: {value!r}")
    return column == literal_column(f"'{value}'", String())


def _ids_in_postgresql(column, name: str):
    return column == any_(bindparam(name, type_=ARRAY(Integer)))


def _ids_in_sqlite(column, name: str):
    return column.in_(bindparam(name, expanding=True))


class PerDatabase:
    """A statement built once for each kind of database, taking a list of ids as that database takes it
    best: `build(ids_in)` builds it, `ids_in(column, name)` the test of `column` among the list bound as
    `name` when the statement runs.

    PostgreSQL takes the list as one array (`= ANY(%(ids)s)`). An expanding IN, which SQLite needs, makes
    SQLAlchemy write the statement's SQL again on every run, a parameter per id (0.1-0.15 ms of a home
    page, measured at the province preset), and makes a text per number of ids, each prepared apart.
    Call it with the session to get the statement for its database."""

    def __init__(self, build: Callable):
        self._build = build
        self._built: dict = {}

    def __call__(self, session: Session):
        name = session.get_bind().dialect.name
        stmt = self._built.get(name)
        if stmt is None:
            stmt = self._built[name] = self._build(_ids_in_postgresql if name == "postgresql" else _ids_in_sqlite)
        return stmt


def generic_plan(stmt):
    """Mark a statement (built once, run with parameters) to run on PostgreSQL with its generic plan.

    PostgreSQL plans a prepared statement anew for each run's values unless its generic plan is
    estimated as cheap. For the statements that read a principal's scope (an OR of paths and ids) that
    estimate is far off: the newest-lessons box's generic plan is estimated 40 times costlier than the
    plan for its values, though it runs as fast, so PostgreSQL planned such statements (0.2-0.8 ms each)
    on every request. Mark only a statement measured at the province preset to run as fast generically:
    the search tiers, the officer's commune figures and a name search need their values' plans.
    """
    return stmt.execution_options(**{GENERIC_PLAN: True})


def custom_plan(stmt):
    """Mark a statement (built once, run with parameters) to be planned on PostgreSQL for each run's values.

    Under the usual choice (auto) PostgreSQL plans a prepared statement's first five runs for their
    values, then keeps its generic plan if that one is estimated no costlier. For a LIKE pattern the
    generic estimate knows nothing of the pattern: a search's probe for its first matches ran 2.2 ms
    planned for "tri tue nhan tao" in topic "ai" and 6 ms once its generic plan took over from the sixth
    run (19 ms for "chuyen doi so", measured at the province preset). Mark the statements whose plan
    depends on the words searched.
    """
    return stmt.execution_options(**{CUSTOM_PLAN: True})


def planned_for_values(stmt):
    """A statement (built once) whose values are written into its SQL when it runs, not sent as parameters:
    PostgreSQL plans it for them, as custom_plan would, with no SET of plan_cache_mode around it (each one
    a round trip; a search ran two for its probe of a few matches). A statement without parameters has
    no other plan to choose, so it is marked to run under the connections' default (generic_plan). Run
    again with the same values on a connection, it is prepared there and its plan is kept, as for any
    statement; new values are a new text, planned anew.

    SQLAlchemy writes each value with its type's literal form, quotes doubled: a value cannot end the
    literal it is written in. For values a user types only where a plan must know them (LIKE patterns).

    The values the statement holds from when it was built (the reader's scope: visibilities, paths, ids;
    anonymous, so a run cannot give them others) are written into its SQL once, here. Written at each run,
    they cost a search 0.15-0.2 ms of Python on every page (SQLAlchemy renders the statement's text again
    for them, measured at the province preset); only the values a run brings are written then."""
    dialect = _literal_dialect()

    def literal(element):
        if not isinstance(element, BindParameter) or element.literal_execute:
            return None
        if element.unique and not element.required and element.callable is None and not element.expanding:
            text = str(element.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
            return literal_column(text, element.type)
        return element.render_literal_execute()

    return generic_plan(visitors.replacement_traverse(stmt, {}, literal))


@functools.cache
def _literal_dialect():
    """PostgreSQL's dialect writing literals as psycopg's does (standard strings: a backslash is itself,
    _plain_string_literals), with a named paramstyle, so a % is written once here and doubled, as in any
    literal column, when the statement is compiled for psycopg."""
    from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg

    dialect = PGDialect_psycopg(paramstyle="named")
    dialect._backslash_escapes = False
    return dialect


def _set_for_session(dbapi_connection, setting: str) -> None:
    """`SET setting` on a new connection, for its whole session."""
    with dbapi_connection.cursor() as cursor:
        cursor.execute(f"SET {setting}")
    if not dbapi_connection.autocommit:
        dbapi_connection.commit()  # a session setting: kept by COMMIT (ROLLBACK would undo it)


def _plain_string_literals(engine: Engine) -> None:
    """PostgreSQL: every connection has standard_conforming_strings on (PostgreSQL's default since 9.1), so a
    backslash in a string literal is a backslash. planned_for_values writes values a user typed into the
    SQL, quotes doubled, as SQLAlchemy judged from the first connection; a role or database set otherwise
    must not change what a later connection reads there. Set before SQLAlchemy's own first look at the
    connection (insert=True), so the dialect, too, writes a backslash as one."""

    @event.listens_for(engine, "connect", insert=True)
    def _standard_strings(dbapi_connection, connection_record):
        _set_for_session(dbapi_connection, "standard_conforming_strings = on")


def _serial_plans(engine: Engine) -> None:
    """PostgreSQL: the app's connections plan no parallel query (max_parallel_workers_per_gather = 0).

    A page's statements read a few dozen rows; starting parallel workers costs more than any of them.
    With the statistics of a freshly vacuumed province (seed-scale), the lesson list's generic plan
    became a Gather Merge of two workers: 12 ms a page where the plain index scan takes 0.5 ms, and the
    list fell from 236 to 65 requests a second under load (make bench, province preset). Set once per
    connection, like plan_cache_mode (and likewise not where a pooler in transaction mode would hand
    the session's setting to other clients: see make_engine)."""

    @event.listens_for(engine, "connect")
    def _no_parallel_workers(dbapi_connection, connection_record):
        _set_for_session(dbapi_connection, "max_parallel_workers_per_gather = 0")


def _plan_modes(engine: Engine) -> None:
    """PostgreSQL: connections default to plan_cache_mode=force_generic_plan, a statement marked by
    custom_plan runs with force_custom_plan, and any other statement not marked by generic_plan runs under
    the usual choice (auto), each switched to with SET LOCAL before it. The switch
    runs only when the next statement wants the other mode (a transaction starts in the default), so a
    page of marked statements runs no SET; it goes through SQLAlchemy, so it is counted like any other
    statement. A rolled-back savepoint may undo a switch: the next statement then switches again.

    An AUTOCOMMIT connection has no transaction for SET LOCAL: there the switch is a session's SET, and
    the next transaction on that connection starts from the mode it left."""

    @event.listens_for(engine, "connect")
    def _default_generic(dbapi_connection, connection_record):
        _set_for_session(dbapi_connection, f"plan_cache_mode = {_GENERIC}")
        connection_record.info[_SESSION_MODE] = _GENERIC

    def _fresh(conn, *args):
        conn.info[_PLAN_MODE] = conn.info.get(_SESSION_MODE)  # SET LOCAL ends with its transaction

    for name in ("begin", "commit", "rollback"):
        event.listen(engine, name, _fresh)

    @event.listens_for(engine, "rollback_savepoint")
    def _undone(conn, name, context):
        conn.info[_PLAN_MODE] = None  # unknown: the next statement sets its mode

    @event.listens_for(engine, "before_cursor_execute")
    def _switch(conn, cursor, statement, parameters, context, executemany):
        if _kind(statement) == "neutral":
            return
        options = context.execution_options if context is not None else {}
        wanted = _GENERIC if options.get(GENERIC_PLAN) else _CUSTOM if options.get(CUSTOM_PLAN) else _AUTO
        # Recorded once the SET went through; never through a server-side cursor (stream_results).
        if cursor.connection.autocommit:
            if conn.info.get(_SESSION_MODE) != wanted:
                conn.exec_driver_sql(f"SET plan_cache_mode = {wanted}", execution_options=_PLAIN)
                conn.info[_SESSION_MODE] = wanted
        elif conn.info.get(_PLAN_MODE) != wanted:
            conn.exec_driver_sql(f"SET LOCAL plan_cache_mode = {wanted}", execution_options=_PLAIN)
            conn.info[_PLAN_MODE] = wanted


def _only_read(session: Session) -> bool:
    """True when the session's transaction read and nothing else: no change pending, none flushed, no
    statement but SELECTs (a Core UPDATE through session.execute counts as a write like a flush)."""
    if not session.in_transaction() or session.new or session.dirty or session.deleted:
        return False
    return session.connection().info.get(WROTE) is False


def read_rows(session: Session, stmt, params: dict | None = None):
    """The rows of a select of columns (no ORM entities), run on the session's connection and transaction
    without the ORM's execution layer: about 70 µs less a statement, on every page's to-do badge and
    figures (measured at the province preset). Pending changes are flushed first, as session.execute
    would (autoflush)."""
    if session.autoflush:
        session.flush()  # nothing to do, and nothing done, when nothing is pending
    return session.connection().execute(stmt, params or {})


def end_session(session: Session, failed: bool = False) -> None:
    """End a request's session. A transaction that only read ends with COMMIT, which for its data is
    the same as ROLLBACK, because psycopg forgets every prepared statement of the connection on
    ROLLBACK: after COMMIT it keeps them, and a statement run five times on a connection is then
    prepared, so PostgreSQL parses it once and can reuse its plan instead of planning it on every
    request (measured at the province preset: the database's CPU per page about halved). Anything
    else, and every failed request, ends with ROLLBACK: what a request did not commit is never kept.
    """
    try:
        if failed or not _only_read(session):
            session.rollback()
        else:
            session.commit()
    finally:
        session.close()  # even when the database refused the end: the connection goes back to the pool


def init_app(app: Flask) -> None:
    """Create the engine and session factory and close the session after each request."""
    engine = make_engine(app.config["DATABASE_URL"], busy_timeout=float(app.config["SQLITE_BUSY_TIMEOUT"]),
                         prepare_threshold=app.config["PG_PREPARE_THRESHOLD"])
    app.extensions["schoolhub.engine"] = engine
    app.extensions["schoolhub.sessionmaker"] = sessionmaker(bind=engine, expire_on_commit=False)

    if app.config.get("SQL_COUNT_HEADER"):
        _count_statements(app, engine)

    @app.teardown_appcontext
    def _close_session(exc):
        session = g.pop("db_session", None)
        if session is not None:
            try:
                end_session(session, failed=exc is not None)
            except sa_exc.SQLAlchemyError as error:  # the database went away: the pool drops the connection
                # One line, no traceback: the answer was already given, and nothing was left half-written.
                log.warning("database session could not be closed cleanly (%s); its connection is discarded",
                            error.__class__.__name__)


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


def values_before_flush(session: Session, obj, names: tuple[str, ...]) -> dict:
    """What the database holds for these attributes of a persistent object before the coming flush.

    From attribute history when it knows; else read (an attribute never loaded before it was set has
    no history). For counters kept on write (accounts.counts, lessons.counts) in a before_flush hook.
    """
    from sqlalchemy import inspect, select

    state = inspect(obj)
    found, unknown = {}, []
    for name in names:
        history = state.attrs[name].history
        if history.deleted:
            found[name] = history.deleted[0]
        elif history.unchanged:
            found[name] = history.unchanged[0]
        elif not history.added:
            found[name] = getattr(obj, name)
        else:
            unknown.append(name)
    if unknown:
        mapper, table = type(obj).__mapper__, type(obj).__table__
        row = session.connection().execute(
            select(*[table.c[mapper.attrs[n].columns[0].name] for n in unknown])
            .where(table.c.id == state.identity[0])).one()
        found.update(zip(unknown, row, strict=True))
    return found
