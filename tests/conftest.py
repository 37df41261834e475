"""Fixtures: one migrated database per run, one rolled-back transaction per test.

SQLite by default; PostgreSQL when SCHOOLHUB_TEST_DATABASE_URL is set.
"""
from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from schoolhub import create_app
from schoolhub.accounts import services
from schoolhub.accounts.models import OrgUnit, Role, SchoolClass, SchoolLevel, UnitKind, User
from schoolhub.clock import current_school_year
from schoolhub.migrate import upgrade
from schoolhub.security import limiter

PASSWORD = "mật-khẩu-thử-1"
_TMP = Path(tempfile.mkdtemp(prefix="schoolhub-tests-"))


def _database_url() -> str:
    return os.environ.get("SCHOOLHUB_TEST_DATABASE_URL") or f"sqlite:///{_TMP / 'test.sqlite3'}"


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


TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret",
    "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",  # cheap in tests only; production keeps the default cost
    "TEMP_PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
    "UPLOAD_DIR": str(_TMP / "uploads"),
    "BACKUP_DIR": str(_TMP / "backups"),
    "RATELIMIT_STORAGE_URI": "memory://",
    "SERVER_NAME": None,
}


@pytest.fixture(scope="session")
def database_url() -> str:
    url = _database_url()
    reset_database(url)
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def _app(database_url):
    app = create_app({**TEST_CONFIG, "DATABASE_URL": database_url})
    yield app
    app.extensions["schoolhub.engine"].dispose()


@pytest.fixture
def app(_app, database_url) -> Iterator:
    """The app, with every session of this test joined to one outer transaction rolled back at the end."""
    engine = _app.extensions["schoolhub.engine"]
    connection = engine.connect()
    outer = connection.begin()
    original = _app.extensions["schoolhub.sessionmaker"]
    _app.extensions["schoolhub.sessionmaker"] = sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint")
    limiter.reset()
    _app.config["WTF_CSRF_ENABLED"] = False
    try:
        yield _app
    finally:
        _app.extensions["schoolhub.sessionmaker"] = original
        _app.config["WTF_CSRF_ENABLED"] = False
        outer.rollback()
        connection.close()


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
    """Builds units, classes and users in the test's transaction."""

    def __init__(self, db: Session, app):
        self.db = db
        self.app = app
        self._n = 0

    def __getattribute__(self, name):
        attr = object.__getattribute__(self, name)
        if callable(attr) and not name.startswith("_"):
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

    def lesson(self, school: OrgUnit, author: User, *, title: str = "Bài học thử", body: str = "Nội dung bài học.",
               status: str = "published", visibility: str = "commune", is_core: bool = False, **fields):
        """A lesson made through the services, as a teacher would make it."""
        from schoolhub.lessons import services as lesson_services
        from schoolhub.lessons.models import LessonStatus, Visibility

        data = lesson_services.LessonInput(title=title, body=body, visibility=Visibility(visibility), **fields)
        lesson = lesson_services.create_lesson(self.db, author, school, data)
        if status != "draft":
            lesson_services.set_status(self.db, author, lesson, LessonStatus.PUBLISHED)
        if status == "archived":
            lesson_services.set_status(self.db, author, lesson, LessonStatus.ARCHIVED)
        lesson.is_core = is_core
        self.db.commit()
        return lesson


@pytest.fixture
def factory(db, app) -> Factory:
    return Factory(db, app)


class World:
    """Two schools of one commune, each with a class, and a user of every role."""

    def __init__(self, f: Factory):
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
        self.outsider = f.user(None, username="judge", full_name="Hồ Tấn Lộc")
        f.db.commit()  # releases the savepoint: the app's requests see it, the outer rollback still undoes it


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
    import contextlib

    engine = app.extensions["schoolhub.engine"]

    @contextlib.contextmanager
    def _counter():
        statements: list[str] = []

        def _before(conn, cursor, statement, parameters, context, executemany):
            if not re.match(r"\s*(SAVEPOINT|RELEASE|ROLLBACK)", statement, re.I):
                statements.append(statement)

        event.listen(engine, "before_cursor_execute", _before)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", _before)

    return _counter


@pytest.fixture
def build_app(database_url):
    """Build an extra app with its own config (configuration tests only)."""
    built = []

    def _build(config: dict):
        app = create_app({**TEST_CONFIG, "DATABASE_URL": database_url, **config})
        built.append(app)
        return app

    yield _build
    for app in built:
        app.extensions["schoolhub.engine"].dispose()


@pytest.fixture
def scope_case_confirm_lesson(world, factory, db):
    """Core lessons of two communes: flagged for the school or the commune, for each audience, each
    visibility (and a draft and an unflagged one); the people of every role, near and far."""
    far_commune = factory.commune(name="Xã Bình Hải")
    far_school = factory.school(far_commune, name="Trường THCS Bình Hải")
    far_teacher = factory.user(Role.TEACHER, far_school, username="far.teacher")
    far_student = factory.user(Role.STUDENT, far_school, username="far.student",
                               school_class=factory.school_class(far_school, "6A", 6))
    db.commit()
    authors = {world.school.id: world.teacher, world.other_school.id: world.other_teacher, far_school.id: far_teacher}
    lessons = []
    for school in (world.school, far_school):
        for scope in (school, school.parent, None):
            for audiences in ((), ("teachers",), ("students",), ("parents",)):
                for visibility in ("school", "commune"):
                    lesson = factory.lesson(school, authors[school.id], title=f"core {visibility}", is_core=True,
                                            visibility=visibility, audiences=audiences)
                    lesson.core_unit_id = scope.id if scope is not None else None
                    lessons.append(lesson)
    lessons.append(factory.lesson(world.other_school, world.other_teacher, title="B core", is_core=True))
    lessons.append(factory.lesson(world.school, world.teacher, title="core draft", status="draft", is_core=True))
    lessons.append(factory.lesson(world.school, world.teacher, title="not core", visibility="commune"))
    db.commit()
    principals = {"anonymous": None, "student": world.student, "teacher": world.teacher, "admin": world.admin,
                  "other_admin": world.other_admin, "other_teacher": world.other_teacher,
                  "other_student": world.other_student, "officer": world.officer, "outsider": world.outsider,
                  "far_teacher": far_teacher, "far_student": far_student}
    return lessons, principals
