"""Production behaviour inside the suite (issue 9): SQLite's locking, the friendly 503 pages when the
database is busy or away, the 500 page, HSTS and ProxyFix, logout and the remember cookie."""
from __future__ import annotations

import io
import re
import sqlite3

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from schoolhub import files
from schoolhub.db import wants_write_lock, writing
from schoolhub.lessons.models import Attachment, Lesson, LessonRead
from tests.helpers.accounts import PASSWORD
from tests.helpers.samples import png_bytes


def _html(response) -> str:
    return response.get_data(as_text=True)


# ---- SQLite: WAL, busy timeout, the write lock taken at BEGIN ------------------------------------

@pytest.fixture
def file_app(build_app, tmp_path):
    """An app of its own on a fresh SQLite file (outside the suite's rolled-back transaction)."""
    from schoolhub.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'school.sqlite3'}"
    upgrade(url)
    return build_app({"DATABASE_URL": url, "UPLOAD_DIR": str(tmp_path / "uploads"), "SQLITE_BUSY_TIMEOUT": 0.2,
                      "WTF_CSRF_ENABLED": False})


def test_sqlite_runs_in_wal_with_a_busy_timeout(file_app):
    engine = file_app.extensions["schoolhub.engine"]
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 200
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_sqlite_reads_its_file_through_a_memory_map_and_sees_every_commit(file_app):
    from schoolhub.db import SQLITE_MMAP_BYTES

    engine = file_app.extensions["schoolhub.engine"]
    with engine.connect() as reader, engine.connect() as writer:
        assert reader.exec_driver_sql("PRAGMA mmap_size").scalar() == SQLITE_MMAP_BYTES
        writer.exec_driver_sql("CREATE TABLE mapped_probe (v INTEGER)")
        writer.exec_driver_sql("INSERT INTO mapped_probe VALUES (1)")
        writer.commit()
        assert reader.exec_driver_sql("SELECT sum(v) FROM mapped_probe").scalar() == 1
        reader.rollback()
        # A page the reader has mapped, changed by another connection: the next read sees the commit.
        writer.exec_driver_sql("UPDATE mapped_probe SET v = 41")
        writer.exec_driver_sql("INSERT INTO mapped_probe VALUES (1)")
        writer.commit()
        assert reader.exec_driver_sql("SELECT sum(v) FROM mapped_probe").scalar() == 42


def test_writing_requests_take_the_write_lock_when_they_begin(file_app):
    _seed_lesson(file_app)
    engine = file_app.extensions["schoolhub.engine"]
    begins: list[tuple[str, str]] = []
    client = file_app.test_client()

    def _seen(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("BEGIN"):
            begins.append((step, statement))

    event.listen(engine, "before_cursor_execute", _seen)
    try:
        step = "login"  # a POST that mostly reads: its password check holds no lock
        assert client.post("/login", data={"username": "teacher", "password": PASSWORD}).status_code == 302
        step = "home"
        assert client.get("/").status_code == 200
        step = "language"
        assert client.post("/language", data={"lang": "en"}).status_code == 302
    finally:
        event.remove(engine, "before_cursor_execute", _seen)
    assert ("login", "BEGIN") in begins and ("login", "BEGIN IMMEDIATE") in begins  # the login time: its own
    assert {s for k, s in begins if k == "home"} == {"BEGIN"}
    # The user is read first without the lock; the view's work then takes it at BEGIN.
    assert [s for k, s in begins if k == "language"] == ["BEGIN", "BEGIN IMMEDIATE"]
    with file_app.test_request_context("/", method="GET"):
        assert not wants_write_lock()
        with writing():
            assert wants_write_lock()
    with file_app.test_request_context("/", method="POST"):
        assert wants_write_lock()
        with writing(False):
            assert not wants_write_lock()


def _seed_lesson(app, core: bool = False):
    from schoolhub.accounts import services
    from schoolhub.accounts.models import Role, SchoolLevel, UnitKind
    from schoolhub.db import get_session
    from schoolhub.lessons import services as lesson_services
    from schoolhub.lessons.models import LessonStatus, Visibility

    with app.app_context():
        db = get_session()
        province = services.create_unit(db, None, kind=UnitKind.PROVINCE, code="PX", name="Tỉnh")
        commune = services.create_unit(db, None, kind=UnitKind.COMMUNE, code="CX", name="Xã", parent=province)
        school = services.create_unit(db, None, kind=UnitKind.SCHOOL, code="SX", name="Trường", parent=commune,
                                      level=SchoolLevel.THCS)
        teacher, _ = services.create_user(db, None, full_name="Lê Bảo Yến", role=Role.TEACHER, unit=school,
                                          username="teacher", password=PASSWORD)
        lesson = lesson_services.create_lesson(db, teacher, school, lesson_services.LessonInput(
            title="Bài đọc", body="Nội dung.", visibility=Visibility.SCHOOL))
        lesson_services.set_status(db, teacher, lesson, LessonStatus.PUBLISHED)
        lesson_services.set_core(db, None, lesson, core)
        db.commit()
        return lesson.id


def _hold_write_lock(app) -> sqlite3.Connection:
    """Another process's writer, in the middle of a long transaction."""
    path = app.config["DATABASE_URL"].removeprefix("sqlite:///")
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    return other


def test_a_lesson_page_is_shown_when_its_read_cannot_be_recorded(file_app, caplog):
    lesson_id = _seed_lesson(file_app)
    client = file_app.test_client()
    assert client.post("/login", data={"username": "teacher", "password": PASSWORD}).status_code == 302
    other = _hold_write_lock(file_app)
    try:
        page = client.get(f"/lessons/{lesson_id}")
    finally:
        other.rollback()
        other.close()
    assert page.status_code == 200 and "Bài đọc" in _html(page)
    assert "lesson read not recorded" in caplog.text
    with file_app.app_context():
        from schoolhub.db import get_session

        assert get_session().scalar(select(func.count()).select_from(LessonRead)) == 0
    # Once the writer is done, the next visit records it.
    assert client.get(f"/lessons/{lesson_id}").status_code == 200
    with file_app.app_context():
        from schoolhub.db import get_session

        assert get_session().scalar(select(func.count()).select_from(LessonRead)) == 1


def test_login_works_while_another_writer_holds_the_lock(file_app):
    _seed_lesson(file_app)
    other = _hold_write_lock(file_app)
    try:
        response = file_app.test_client().post("/login", data={"username": "teacher", "password": PASSWORD})
    finally:
        other.rollback()
        other.close()
    assert response.status_code == 302  # the login time is a side record: skipped, not a failure


def test_a_save_into_a_busy_database_is_a_503_that_keeps_the_text(file_app):
    lesson_id = _seed_lesson(file_app)
    client = file_app.test_client()
    client.post("/login", data={"username": "teacher", "password": PASSWORD})
    typed = "Một đoạn văn dài mà cô giáo đã gõ suốt buổi chiều, không được mất."
    other = _hold_write_lock(file_app)
    try:
        response = client.post(f"/lessons/{lesson_id}/edit", data={
            "title": "Bài đọc", "body": typed, "visibility": "school", "base_revision": "2", "action": "save"})
    finally:
        other.rollback()
        other.close()
    html = _html(response)
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert "Hệ thống đang bận" in html and "Gửi lại" in html
    assert typed in html  # shown, and sent again by the button
    assert re.search(r'<form method="post" action="/lessons/\d+/edit">', html)
    assert 'name="body" value="' + typed in html
    assert "Lê Bảo Yến" in html  # the layout is the logged-in one
    assert "Traceback" not in html and "OperationalError" not in html


# ---- the database going away -------------------------------------------------------------------------

@pytest.fixture
def database_down(app):
    """From the moment it is switched on, SQL statements fail as if the server had gone: every one, or
    (with "after_user") all but those loading the logged-in user, so the failure comes mid-request."""
    engine = app.extensions["schoolhub.engine"]
    state = {"down": False, "after_user": False}

    def _fail(conn, cursor, statement, parameters, context, executemany):
        # Transaction control and the planner's switch (db.generic_plan) pass, as the test's transaction needs.
        if not state["down"] or re.match(r"\s*(SAVEPOINT|RELEASE|ROLLBACK|SET LOCAL plan_cache_mode)", statement, re.I):
            return
        # The user's statement may carry their to-do questions (worklist.joined_to), lessons included.
        loads_user = statement.lstrip().startswith("SELECT users.id, users.username")
        if state["after_user"] and re.search(r"FROM (users|memberships|org_units)\b", statement) \
                and ("lesson" not in statement or loads_user):
            return
        raise OperationalError(statement, parameters, Exception("server closed the connection unexpectedly"))

    event.listen(engine, "before_cursor_execute", _fail)
    yield state
    event.remove(engine, "before_cursor_execute", _fail)


@pytest.mark.parametrize("who", ["anonymous", "teacher", "admin"])
def test_a_database_that_went_away_gives_the_friendly_503(who, world, factory, login_as, client, database_down):
    lesson = factory.lesson(world.school, world.teacher, visibility="public")
    if who != "anonymous":
        login_as(getattr(world, who))
        assert client.get("/").status_code == 200
    database_down.update(down=True, after_user=True)
    for url in ("/lessons", f"/lessons/{lesson.id}", "/lessons?q=chuyen", "/lessons/mine"):
        response = client.get(url)
        if who == "anonymous" and url == "/lessons/mine":
            assert response.status_code == 302
            continue
        html = _html(response)
        assert response.status_code == 503, (url, response.status_code)
        assert "Tạm thời chưa dùng được" in html and "<html" in html
        assert "Traceback" not in html and "OperationalError" not in html and "SELECT" not in html
        if who != "anonymous":
            assert getattr(world, who).full_name in html  # the header still names the user
    assert client.get("/healthz").status_code == 503
    database_down["down"] = False
    assert client.get("/lessons").status_code == 200  # and it recovers by itself


def test_a_logged_in_user_whose_account_cannot_be_loaded_sees_the_503(world, login_as, client, database_down):
    login_as(world.teacher)
    database_down["down"] = True  # the very first query of the request (loading the user) fails
    for method in ("GET", "POST"):
        response = client.open("/lessons/mine" if method == "GET" else "/language", method=method,
                               data={"lang": "en"} if method == "POST" else None)
        html = _html(response)
        assert response.status_code == 503 and "Tạm thời chưa dùng được" in html, method
        assert "Traceback" not in html


def test_the_500_page_shows_no_internals(build_app):
    app = build_app({"TESTING": False, "SECRET_KEY": "x" * 40, "PROPAGATE_EXCEPTIONS": False})

    @app.route("/boom")
    def boom():
        raise RuntimeError("secret internals /etc/passwd")

    response = app.test_client().get("/boom")
    html = _html(response)
    assert response.status_code == 500 and "<html" in html
    assert "secret internals" not in html and "Traceback" not in html and "RuntimeError" not in html


def test_a_failed_upload_leaves_no_file_and_no_row(world, factory, login_as, client, db, app, monkeypatch):
    from schoolhub.lessons import services as lesson_services

    lesson = factory.lesson(world.school, world.teacher)
    c = login_as(world.teacher)
    uploads = app.config["UPLOAD_DIR"]
    before = {p for p in files.Path(uploads).rglob("*") if p.is_file()}

    def broken(*args, **kwargs):
        raise OperationalError("INSERT INTO lesson_attachments", {}, Exception("disk I/O error"))

    monkeypatch.setattr(lesson_services, "add_attachment", broken)
    page = c.get(f"/lessons/{lesson.id}/edit")
    revision = re.search(r'name="base_revision"[^>]*value="(\d+)"', _html(page)).group(1)
    response = c.post(f"/lessons/{lesson.id}/edit", content_type="multipart/form-data", data={
        "title": lesson.title, "body": "Có ảnh.", "visibility": "school", "base_revision": revision,
        "action": "save", "file": (io.BytesIO(png_bytes()), "anh.png")})
    assert response.status_code == 503
    assert "Chọn tệp đó thêm một lần nữa".lower() in _html(response).lower()
    after = {p for p in files.Path(uploads).rglob("*") if p.is_file()}
    assert after == before
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Attachment).where(Attachment.lesson_id == lesson.id)) == 0
    assert db.get(Lesson, lesson.id).body == lesson.body


def test_a_roster_import_that_dies_half_way_leaves_nothing(world, login_as, db, app, monkeypatch):
    from schoolhub.accounts import roster_services
    from schoolhub.accounts.models import User

    c = login_as(world.admin)
    before = db.scalar(select(func.count()).select_from(User))
    rows = "STT,Họ và tên,Ngày sinh,Lớp\n" + "\n".join(f"{i},Học Sinh Số {i},01/02/2012,7A" for i in range(1, 41))
    preview = c.post(f"/schools/{world.school.id}/import", content_type="multipart/form-data",
                     data={"kind": "auto", "file": (io.BytesIO(rows.encode()), "lop7a.csv")})
    token = re.search(r'/import/([0-9a-f]{32})', _html(preview))
    assert token, _html(preview)[:2000]
    calls = {"n": 0}

    def dies(*args, **kwargs):  # every account is inserted by now; the database goes before the end
        calls["n"] += 1
        raise OperationalError("INSERT", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(roster_services, "audit", dies)
    response = c.post(f"/schools/{world.school.id}/import/{token.group(1)}")
    assert response.status_code == 503 and calls["n"] == 1
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(User)) == before


# ---- production headers, proxies, logout -------------------------------------------------------------

def test_hsts_in_production_only(build_app, app, client):
    prod = build_app({"TESTING": False, "SECRET_KEY": "y" * 40})
    assert prod.test_client().get("/login").headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Strict-Transport-Security" not in client.get("/login").headers


def test_behind_a_proxy_each_user_keeps_their_own_address(world, app):
    """PROXY_COUNT=1: the proxy's X-Forwarded-For is the client; ten failures from one address do not
    block the right password from another (without it, both were the proxy's address)."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    original = app.wsgi_app
    app.wsgi_app = ProxyFix(original, x_for=1, x_proto=1)
    try:
        a, b = app.test_client(), app.test_client()
        for _ in range(10):
            a.post("/login", data={"username": "teacher", "password": "sai"}, headers={"X-Forwarded-For": "10.1.1.1"})
        assert a.post("/login", data={"username": "teacher", "password": PASSWORD},
                      headers={"X-Forwarded-For": "10.1.1.1"}).status_code == 429
        assert b.post("/login", data={"username": "teacher", "password": PASSWORD},
                      headers={"X-Forwarded-For": "10.2.2.2"}).status_code == 302
    finally:
        app.wsgi_app = original


def test_proxy_count_setting_installs_proxyfix(build_app):
    from werkzeug.middleware.proxy_fix import ProxyFix

    assert isinstance(build_app({"PROXY_COUNT": 1}).wsgi_app, ProxyFix)
    assert not isinstance(build_app({}).wsgi_app, ProxyFix)


def test_logout_clears_the_remember_cookie(world, client):
    client.post("/login", data={"username": "teacher", "password": PASSWORD, "remember": "y"})
    assert client.get_cookie("remember_token") is not None
    response = client.post("/logout")
    cleared = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("remember_token=")]
    assert cleared and ("Max-Age=0" in cleared[0] or "1970" in cleared[0])
    assert client.get_cookie("remember_token") is None
