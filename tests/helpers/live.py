"""Real servers for the production tests and the soak: gunicorn or Flask's threaded server on a
loopback port, a database prepared for them, and a small HTTP client that logs in like a browser
(cookies, the form's CSRF token) and never follows redirects.

Everything listens on and talks to 127.0.0.1 only; every process started here is stopped by its
own id (its process group), and every socket and file is closed.
"""
from __future__ import annotations

import contextlib
import html
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

LOOPBACK = "127.0.0.1"
REPO = Path(__file__).resolve().parents[2]
PASSWORD = "mật-khẩu-tải-thử-1"
CHEAP_HASH = "scrypt:1024:8:1"  # servers under test check cheap hashes; production keeps the default cost


def free_port() -> int:
    """A TCP port free on the loopback interface right now."""
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


# ---- databases ------------------------------------------------------------------------------------

def is_postgres(url: str | None) -> bool:
    return bool(url) and url.startswith("postgresql")


def sibling_database(url: str, suffix: str) -> str:
    """A fresh, empty PostgreSQL database named after the test database (`test` -> `test_multi`)."""
    parsed = make_url(url)
    name = f"{parsed.database}_{suffix}"
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    finally:
        admin.dispose()


def app_config(url: str, upload_dir: Path, **extra) -> dict:
    """The settings of a throw-away app on `url` for seeding (the servers get the same through env())."""
    return {"TESTING": True, "SECRET_KEY": "live-test-secret", "DATABASE_URL": url, "UPLOAD_DIR": str(upload_dir),
            "PASSWORD_HASH_METHOD": CHEAP_HASH, "TEMP_PASSWORD_HASH_METHOD": CHEAP_HASH,
            "RATELIMIT_STORAGE_URI": "memory://", **extra}


@dataclass
class Seeded:
    """What `seed_school` made: usernames, lesson ids, and the core lesson everyone confirms."""

    teachers: list[str] = field(default_factory=list)
    lessons: dict[str, int] = field(default_factory=dict)  # username -> their own lesson
    shared: int = 0
    core: list[int] = field(default_factory=list)


def seed_school(url: str, upload_dir: Path, teachers: int, core_lessons: int = 1) -> Seeded:
    """Migrate `url` and seed one commune with one school, `teachers` teachers with one draft lesson each,
    a shared lesson and published core lessons."""
    from schoolhub import create_app
    from schoolhub.accounts import services
    from schoolhub.accounts.models import Role, UnitKind
    from schoolhub.db import get_session
    from schoolhub.lessons import services as lesson_services
    from schoolhub.lessons.models import LessonStatus, Visibility
    from schoolhub.migrate import upgrade

    upgrade(url)
    app = create_app(app_config(url, upload_dir))
    seeded = Seeded()
    try:
        with app.app_context():
            db = get_session()
            province = services.create_unit(db, None, kind=UnitKind.PROVINCE, code="PL", name="Tỉnh Thử")
            commune = services.create_unit(db, None, kind=UnitKind.COMMUNE, code="CL", name="Xã Thử", parent=province)
            from schoolhub.accounts.models import SchoolLevel

            school = services.create_unit(db, None, kind=UnitKind.SCHOOL, code="SL", name="Trường THCS Thử",
                                          parent=commune, level=SchoolLevel.THCS)
            admin, _ = services.create_user(db, None, full_name="Quản Trị Thử", role=Role.SCHOOL_ADMIN, unit=school,
                                            username="live.admin", password=PASSWORD)
            for i in range(teachers):
                name = f"gv{i:03d}"
                teacher, _ = services.create_user(db, None, full_name=f"Giáo Viên {i}", role=Role.TEACHER,
                                                  unit=school, username=name, password=PASSWORD)
                lesson = lesson_services.create_lesson(db, teacher, school, lesson_services.LessonInput(
                    title=f"Bài của {name}", body="Bản đầu.", visibility=Visibility.SCHOOL))
                seeded.teachers.append(name)
                seeded.lessons[name] = lesson.id
            shared = lesson_services.create_lesson(db, admin, school, lesson_services.LessonInput(
                title="Bài chung", body="Bản đầu.", visibility=Visibility.SCHOOL))
            seeded.shared = shared.id
            for n in range(core_lessons):
                core = lesson_services.create_lesson(db, admin, school, lesson_services.LessonInput(
                    title=f"Tài liệu cốt lõi {n}", body="Nghị quyết 57.", visibility=Visibility.SCHOOL))
                lesson_services.set_status(db, admin, core, LessonStatus.PUBLISHED)
                lesson_services.set_core(db, admin, core, True)
                seeded.core.append(core.id)
            db.commit()
    finally:
        app.extensions["schoolhub.engine"].dispose()
    return seeded


def reset_database(url: str) -> None:
    """An empty database at `url` (SQLite: the file and its WAL removed)."""
    if url.startswith("sqlite"):
        path = Path(make_url(url).database)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


# ---- servers --------------------------------------------------------------------------------------

def server_env(url: str, upload_dir: Path, **settings) -> dict:
    """The environment of a production-mode schoolhub server for tests (cookies over plain http)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCHOOLHUB_", "FLASK_"))}
    env.update({
        "SCHOOLHUB_SECRET_KEY": "live-test-secret-" + "x" * 32,
        "SCHOOLHUB_DATABASE_URL": url,
        "SCHOOLHUB_UPLOAD_DIR": str(upload_dir),
        "SCHOOLHUB_SESSION_COOKIE_SECURE": "false",
        "SCHOOLHUB_REMEMBER_COOKIE_SECURE": "false",
        "SCHOOLHUB_PASSWORD_HASH_METHOD": CHEAP_HASH,
        "SCHOOLHUB_ACCESS_LOG": "",  # no access log: the soak would write megabytes of it
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    env.update({f"SCHOOLHUB_{k}": str(v) for k, v in settings.items()})
    return env


class Server:
    """A schoolhub server in its own process group on 127.0.0.1:`port`."""

    def __init__(self, kind: str, env: dict, *, workers: int = 4, port: int | None = None, log_dir: Path):
        self.kind = kind
        self.port = port or free_port()
        self.env = dict(env)
        self.log_path = log_dir / f"{kind}-{self.port}.log"
        if kind == "gunicorn":
            self.env.update(SCHOOLHUB_BIND=f"{LOOPBACK}:{self.port}", SCHOOLHUB_WORKERS=str(workers))
            self.argv = [sys.executable, "-m", "gunicorn", "-c", str(REPO / "deploy" / "gunicorn.conf.py"),
                         "schoolhub:create_app()"]
        elif kind == "threaded":
            self.argv = [sys.executable, "-m", "flask", "--app", "schoolhub", "run", "--with-threads",
                         "--no-reload", "--no-debugger", "--host", LOOPBACK, "--port", str(self.port)]
        else:
            raise ValueError(kind)
        self.process: subprocess.Popen | None = None
        self._log = None

    @property
    def base(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self, timeout: float = 40.0) -> Server:
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(self.argv, env=self.env, cwd=str(REPO), stdout=self._log,
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.stop()
                raise RuntimeError(f"{self.kind} exited at start:\n{self.log_tail()}")
            with contextlib.suppress(OSError):
                status, _h, _b = request(self.port, "GET", "/healthz", timeout=2)
                if status == 200:
                    return self
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.kind} did not answer in {timeout} s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)  # our own group: gunicorn and its workers
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, n: int = 4000) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")[-n:]
        return ""

    def log_text(self) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")
        return ""

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


@contextlib.contextmanager
def temp_dir(prefix: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        yield Path(tmp)


# ---- the client -----------------------------------------------------------------------------------

def request(port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
            timeout: float = 30.0) -> tuple[int, http.client.HTTPMessage, bytes]:
    """One HTTP request to 127.0.0.1:`port` on a connection of its own."""
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


_CSRF = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')
_BASE_REVISION = re.compile(r'<input[^>]*name="base_revision"[^>]*value="([^"]*)"')


def csrf_of(page: str) -> str:
    found = _CSRF.search(page)
    if not found:
        raise AssertionError(f"no CSRF token in the page: {page[:300]!r}")
    return html.unescape(found.group(1))


def base_revision_of(page: str) -> str:
    found = _BASE_REVISION.search(page)
    return html.unescape(found.group(1)) if found else ""


class Client:
    """A browser-like client of one server: keeps its cookies, reads CSRF tokens, follows no redirect."""

    def __init__(self, port: int, address: str | None = None):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.forwarded_for = address
        self.last_page = ""  # the body of the last answer (what an error page said)

    def _headers(self, extra: dict | None = None) -> dict:
        headers = dict(extra or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.forwarded_for:
            headers["X-Forwarded-For"] = self.forwarded_for
        return headers

    def _keep(self, headers: http.client.HTTPMessage) -> None:
        for raw in headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(raw)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or (morsel["expires"] and "1970" in morsel["expires"]):
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    def get(self, path: str, timeout: float = 30.0) -> tuple[int, str, http.client.HTTPMessage]:
        status, headers, body = request(self.port, "GET", path, headers=self._headers(), timeout=timeout)
        self._keep(headers)
        self.last_page = body.decode("utf-8", "replace")
        return status, self.last_page, headers

    def post(self, path: str, data: dict | list, timeout: float = 30.0) -> tuple[int, str, http.client.HTTPMessage]:
        body = urllib.parse.urlencode(data, doseq=True).encode()
        status, headers, raw = request(self.port, "POST", path, body=body, timeout=timeout, headers=self._headers(
            {"Content-Type": "application/x-www-form-urlencoded"}))
        self._keep(headers)
        self.last_page = raw.decode("utf-8", "replace")
        return status, self.last_page, headers

    def post_multipart(self, path: str, fields: dict, files: dict[str, tuple[str, bytes, str]],
                       timeout: float = 30.0) -> tuple[int, str, http.client.HTTPMessage]:
        """A form with files, as a browser sends it: files maps a field to (filename, bytes, content type)."""
        boundary = "----schoolhub" + os.urandom(8).hex()
        parts = []
        for name, value in fields.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        for name, (filename, data, content_type) in files.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                         f"Content-Type: {content_type}\r\n\r\n".encode() + data + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        status, headers, raw = request(self.port, "POST", path, body=b"".join(parts), timeout=timeout,
                                       headers=self._headers({"Content-Type": f"multipart/form-data; boundary={boundary}"}))
        self._keep(headers)
        return status, raw.decode("utf-8", "replace"), headers

    def login(self, username: str, password: str = PASSWORD) -> int:
        """Log in through the form; returns the POST's status (302 when logged in)."""
        status, page, _h = self.get("/login")
        if status != 200:
            return status
        status, _page, _h = self.post("/login", {"csrf_token": csrf_of(page), "username": username,
                                                 "password": password})
        return status

    def edit_lesson(self, lesson_id: int, body: str) -> int:
        """Open the lesson's editor and save a new body, as the teacher would; returns the POST's status."""
        status, page, _h = self.get(f"/lessons/{lesson_id}/edit")
        if status != 200:
            return status
        title = re.search(r'<input[^>]*name="title"[^>]*value="([^"]*)"', page)
        data = {"csrf_token": csrf_of(page), "base_revision": base_revision_of(page),
                "title": html.unescape(title.group(1)) if title else "Bài", "body": body,
                "visibility": "school", "action": "save"}
        status, _page, _h = self.post(f"/lessons/{lesson_id}/edit", data)
        return status

    def confirm(self, lesson_id: int) -> int:
        """Open a core lesson and press "I have read and understood"; returns the POST's status."""
        status, page, _h = self.get(f"/lessons/{lesson_id}")
        if status != 200:
            return status
        status, _page, _h = self.post(f"/lessons/{lesson_id}/confirm", {"csrf_token": csrf_of(page)})
        return status
