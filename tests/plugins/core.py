"""Core fixtures: one migrated database per run, one rolled-back transaction per test, the base factory and world.

SQLite by default; PostgreSQL when SCHOOLHUB_TEST_DATABASE_URL is set.
"""
from __future__ import annotations

import contextlib
import inspect
import os
import re
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from schoolhub import create_app
from schoolhub.accounts import services
from schoolhub.accounts.models import OrgUnit, Role, SchoolClass, SchoolLevel, UnitKind, User
from schoolhub.clock import current_school_year
from schoolhub.lessons.queries import forget_many
from schoolhub.migrate import upgrade
from schoolhub.security import limiter
from tests.helpers.accounts import PASSWORD


def pytest_addhooks(pluginmanager) -> None:
    from tests.plugins import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


def reset_database(url: str) -> None:
    """Drop everything in the test database, so the run starts from an empty schema."""
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        path.unlink(missing_ok=True)
        return
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def scratch_dir(tmp_path_factory) -> Path:
    """The run's SQLite file, uploads and backups.

    It lies under pytest's base temporary directory, which `tmp_path_retention_policy = failed`
    (setup.cfg) removes at the end of a run that passed; a failed run keeps it, to be looked at.
    """
    return tmp_path_factory.mktemp("schoolhub")


@pytest.fixture(scope="session")
def test_config(scratch_dir) -> dict:
    """The configuration every test app starts from (the database URL is added by whoever builds one)."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",  # cheap in tests only; production keeps the default cost
        "TEMP_PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
        "UPLOAD_DIR": str(scratch_dir / "uploads"),
        "BACKUP_DIR": str(scratch_dir / "backups"),
        "RATELIMIT_STORAGE_URI": "memory://",
        "SERVER_NAME": None,
    }


@pytest.fixture(scope="session")
def database_url(scratch_dir) -> str:
    url = os.environ.get("SCHOOLHUB_TEST_DATABASE_URL") or f"sqlite:///{scratch_dir / 'test.sqlite3'}"
    reset_database(url)
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def _app(database_url, test_config):
    app = create_app({**test_config, "DATABASE_URL": database_url})
    yield app
    app.extensions["schoolhub.engine"].dispose()


@pytest.fixture
def connection(_app) -> Iterator:
    """The test's one connection, inside an outer transaction that is rolled back at the end."""
    connection = _app.extensions["schoolhub.engine"].connect()
    outer = connection.begin()
    try:
        yield connection
    finally:
        outer.rollback()
        connection.close()


@pytest.fixture
def app(_app, connection) -> Iterator:
    """The app, with every session of this test joined to the test's connection (its commits are savepoints)."""
    original = _app.extensions["schoolhub.sessionmaker"]
    _app.extensions["schoolhub.sessionmaker"] = sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint")
    limiter.reset()
    forget_many()
    _app.config["WTF_CSRF_ENABLED"] = False
    try:
        yield _app
    finally:
        _app.extensions["schoolhub.sessionmaker"] = original
        _app.config["WTF_CSRF_ENABLED"] = False


@pytest.fixture
def db(app) -> Iterator[Session]:
    """A session on the test's transaction, for factories and assertions.

    No app context stays pushed during the test: each client request gets its
    own, as in production (Flask would otherwise reuse one and its `g`).
    """
    session = app.extensions["schoolhub.sessionmaker"]()
    yield session
    session.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def csrf_client(app):
    """A client with CSRF protection switched on, for the tests that check it."""
    app.config["WTF_CSRF_ENABLED"] = True
    return app.test_client()


class Factory:
    """Builds units, classes and users in the test's transaction; domain plugins add their own methods.

    Every public method runs inside the app's context (services may need it).
    """

    def __init__(self, db: Session, app):
        self.db = db
        self.app = app
        self._n = 0

    def __getattribute__(self, name):
        attr = object.__getattribute__(self, name)
        if not name.startswith("_") and inspect.ismethod(attr):  # methods only: `self.app` is callable too
            app = object.__getattribute__(self, "app")

            def in_context(*args, **kwargs):
                with app.app_context():
                    return attr(*args, **kwargs)

            return in_context
        return attr

    def _next(self) -> int:
        self._n += 1
        return self._n

    def province(self) -> OrgUnit:
        return services.create_unit(self.db, None, kind=UnitKind.PROVINCE, code=f"P{self._next()}", name="Tỉnh Quảng Ngãi")

    def commune(self, province: OrgUnit | None = None, name: str = "Xã Bình Chương") -> OrgUnit:
        return services.create_unit(self.db, None, kind=UnitKind.COMMUNE, code=f"C{self._next()}", name=name,
                                    parent=province or self.province())

    def school(self, commune: OrgUnit, name: str | None = None, level: SchoolLevel = SchoolLevel.THCS,
               code: str | None = None) -> OrgUnit:
        n = self._next()
        return services.create_unit(self.db, None, kind=UnitKind.SCHOOL, code=code or f"S{n}",
                                    name=name or f"Trường THCS số {n}", parent=commune, level=level)

    def school_class(self, school: OrgUnit, name: str = "7A", grade: int = 7, year: str | None = None) -> SchoolClass:
        c = SchoolClass(school_id=school.id, name=name, grade=grade, school_year=year or current_school_year())
        self.db.add(c)
        self.db.flush()
        return c

    def user(self, role: Role | None = None, unit: OrgUnit | None = None, *, username: str | None = None,
             full_name: str | None = None, school_class: SchoolClass | None = None, password: str = PASSWORD,
             must_change: bool = False) -> User:
        n = self._next()
        username = username or f"user{n}"
        full_name = full_name or f"Nguyễn Văn Thử {n}"
        if role is None:
            from schoolhub.security import hash_password
            from schoolhub.textfold import fold

            user = User(username=username, full_name=full_name, name_folded=fold(full_name),
                        password_hash=hash_password(password))
            self.db.add(user)
            self.db.flush()
            return user
        user, _ = services.create_user(self.db, None, full_name=full_name, role=role, unit=unit,
                                       username=username, password=password, school_class=school_class)
        user.must_change_password = must_change
        self.db.flush()
        return user


_FACTORY_CLASS = pytest.StashKey[type]()


def factory_class(config: pytest.Config) -> type:
    """The core Factory with every domain plugin's part mixed in (built once per run)."""
    if _FACTORY_CLASS not in config.stash:
        parts = [part for part in config.hook.pytest_schoolhub_factory_parts() if part is not None]
        seen: dict[str, type] = {}
        for part in parts:
            for name in vars(part):
                if not name.startswith("__"):
                    assert name not in seen, f"{part.__name__} and {seen[name].__name__} both define {name}"
                    seen[name] = part
        config.stash[_FACTORY_CLASS] = type("Factory", (*parts, Factory), {})
    return config.stash[_FACTORY_CLASS]


@pytest.fixture
def factory(db, app, pytestconfig) -> Factory:
    return factory_class(pytestconfig)(db, app)


class World:
    """Two schools of one commune, each with a class, and a user of every role.

    The principals most tests do not need are made on first use (so tests that count a school's
    people see the same school as ever): `colleague`, `other_commune`, `other_commune_school`,
    `other_officer`, `leaver` and `newcomer`.
    """

    def __init__(self, f: Factory):
        self._f = f
        self.commune = f.commune()
        self.school = f.school(self.commune, name="Trường THCS Bình Chương", code="THCS-A")
        self.other_school = f.school(self.commune, name="Trường THCS Bình Minh", code="THCS-B")
        self.school_class = f.school_class(self.school, "7A", 7)
        self.other_class = f.school_class(self.other_school, "7A", 7)
        self.officer = f.user(Role.OFFICER, self.commune, username="officer", full_name="Trần Thị Hà")
        self.admin = f.user(Role.SCHOOL_ADMIN, self.school, username="admin", full_name="Phan Đức Quân")
        self.other_admin = f.user(Role.SCHOOL_ADMIN, self.other_school, username="admin2", full_name="Lê Văn Bình")
        self.teacher = f.user(Role.TEACHER, self.school, username="teacher", full_name="Lê Bảo Yến")
        self.other_teacher = f.user(Role.TEACHER, self.other_school, username="teacher2", full_name="Võ Thị Mai")
        self.student = f.user(Role.STUDENT, self.school, username="student", full_name="Nguyễn Minh Khoa",
                              school_class=self.school_class)
        self.other_student = f.user(Role.STUDENT, self.other_school, username="student2",
                                    full_name="Đỗ Thu Trâm", school_class=self.other_class)
        # An outside judge: an account with no membership (judging is granted per contest).
        self.outsider = f.user(None, username="judge", full_name="Hồ Tấn Lộc")
        self._commit()

    def _commit(self) -> None:
        self._f.db.commit()  # releases the savepoint: the app's requests see it, the outer rollback still undoes it

    @cached_property
    def colleague(self) -> User:
        """Another teacher of the same school (not the author of `teacher`'s lessons)."""
        user = self._f.user(Role.TEACHER, self.school, username="colleague", full_name="Huỳnh Thị Lan")
        self._commit()
        return user

    @cached_property
    def other_commune(self) -> OrgUnit:
        """A second commune of the same province."""
        commune = self._f.commune(self.commune.parent, name="Xã Bình Khương")
        self._commit()
        return commune

    @cached_property
    def other_commune_school(self) -> OrgUnit:
        """The second commune's own school."""
        school = self._f.school(self.other_commune, name="Trường THCS Bình Khương", code="THCS-K")
        self._commit()
        return school

    @cached_property
    def other_officer(self) -> User:
        """The second commune's officer (the commune has its own school)."""
        self.other_commune_school  # noqa: B018  (the commune is not empty)
        user = self._f.user(Role.OFFICER, self.other_commune, username="officer2", full_name="Đinh Văn Hùng")
        self._commit()
        return user

    @cached_property
    def leaver(self) -> User:
        """A teacher of the school whose account is about to be deactivated (active until a test does it)."""
        user = self._f.user(Role.TEACHER, self.school, username="leaver", full_name="Tạ Văn Nghĩa")
        self._commit()
        return user

    @cached_property
    def newcomer(self) -> User:
        """A teacher of the school who logged in with a one-time password and must choose their own."""
        user = self._f.user(Role.TEACHER, self.school, username="newcomer", full_name="Mai Thị Hồng",
                            must_change=True)
        self._commit()
        return user


@pytest.fixture
def world(factory) -> World:
    return World(factory)


@pytest.fixture
def login_as(client):
    """Log the test client in as a user (through the real login form)."""

    def _login(user: User, password: str = PASSWORD):
        client.post("/logout")
        response = client.post("/login", data={"username": user.username, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return _login


@pytest.fixture
def count_queries(app):
    """Count SQL statements run inside a `with count_queries() as n:` block."""
    engine = app.extensions["schoolhub.engine"]

    @contextlib.contextmanager
    def _counter():
        statements: list[str] = []

        def _before(conn, cursor, statement, parameters, context, executemany):
            # Not transaction control, nor PostgreSQL's planner switch (db.generic_plan): under the test's
            # one long transaction the switches depend on the statements the test ran before; a request of
            # its own starts in the generic mode (tests/core/test_plan_modes.py counts them there).
            if not re.match(r"\s*(SAVEPOINT|RELEASE|ROLLBACK|SET LOCAL plan_cache_mode)", statement, re.I):
                statements.append(statement)

        event.listen(engine, "before_cursor_execute", _before)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", _before)

    return _counter


@pytest.fixture
def build_app(database_url, test_config):
    """Build an extra app with its own config (configuration tests only)."""
    built = []

    def _build(config: dict):
        app = create_app({**test_config, "DATABASE_URL": database_url, **config})
        built.append(app)
        return app

    yield _build
    for app in built:
        app.extensions["schoolhub.engine"].dispose()
