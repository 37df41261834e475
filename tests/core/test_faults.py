"""The database going away under load (issue 9, point 6): PostgreSQL is restarted while logged-in
teachers read and save through gunicorn. Every answer during the outage is the friendly 503 page
(never a 500, never a stack trace), the app recovers by itself when the server is back, and every
save it acknowledged is in the database afterwards. Errors and the seconds to recover are printed.

The restarted server is a private PostgreSQL made for this test (initdb in a temporary directory, a
port of its own), not the machine's cluster: restarting that one would cut the connections of
every other test run on this machine, and of this suite's own engine. It is stopped and removed
even when the test fails. Runs with the PostgreSQL suite only.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.helpers.live import Client, Server, free_port, is_postgres, seed_school, server_env, temp_dir

pytestmark = pytest.mark.slow
PG_BIN = Path("/usr/lib/postgresql/15/bin")
CLIENTS = 8


def _as_postgres(argv: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as the postgres user."""
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


class PrivatePostgres:
    """A throw-away PostgreSQL server on 127.0.0.1:<port>, its data in `root`."""

    def __init__(self, root: Path):
        self.root = root
        self.data = root / "data"
        self.port = free_port()
        self.log = root / "postgres.log"

    def _run(self, *argv: str, timeout: float = 60) -> None:
        # Output to a file, not a pipe: the postmaster pg_ctl starts would hold a pipe open forever.
        out = self.root.parent / "pg_ctl.out"
        with out.open("w") as sink:
            done = subprocess.run(_as_postgres([*argv]), stdout=sink, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"{argv[0]} failed: {out.read_text(errors='replace')[-2000:]}")

    def start(self) -> PrivatePostgres:
        self.root.parent.chmod(0o755)  # the postgres user must reach its data directory
        self.root.chmod(0o755)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                  "--no-sync", "--locale=C.UTF-8")
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")
        return self

    def restart(self) -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-m", "fast", "-w", "restart")

    def stop(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError, OSError, RuntimeError):
            self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop", timeout=30)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/fault"


def _unavailable_reason() -> str | None:
    if not is_postgres(os.environ.get("SCHOOLHUB_TEST_DATABASE_URL")):
        return "runs with the PostgreSQL suite (SCHOOLHUB_TEST_DATABASE_URL=postgresql+psycopg://...)"
    if not (PG_BIN / "initdb").exists():
        return f"no PostgreSQL server binaries in {PG_BIN}"
    return None


def _worker(port: int, username: str, lesson: int, stop: threading.Event, log: list, lock: threading.Lock):
    c = Client(port)
    assert c.login(username) == 302
    n = 0
    while not stop.is_set():
        n += 1
        body = f"Bản {n} của {username}"
        for op, run in (("read", lambda: c.get(f"/lessons/{lesson}")), ("edit", lambda b=body: c.edit_lesson(lesson, b))):
            started = time.monotonic()
            try:
                result = run()
            except OSError as error:  # the app server itself must never drop a connection
                result = f"connection error: {error}"
            status = result[0] if isinstance(result, tuple) else result
            with lock:
                log.append((started, time.monotonic(), op, username, body if op == "edit" else None, status,
                            c.last_page))
        time.sleep(0.05)


@pytest.mark.skipif(_unavailable_reason() is not None, reason=_unavailable_reason() or "")
def test_a_postgresql_restart_under_load_gives_503s_then_recovers():
    with temp_dir("schoolhub-faults-") as tmp:
        pg = PrivatePostgres(tmp / "pg")
        pg.root.mkdir()
        server = None
        try:
            pg.start()
            admin = create_engine(pg.url.replace("/fault", "/postgres"), isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text("CREATE DATABASE fault"))
            admin.dispose()
            seeded = seed_school(pg.url, tmp / "uploads", teachers=CLIENTS)
            server = Server("gunicorn", server_env(pg.url, tmp / "uploads"), workers=2, log_dir=tmp).start()
            stop, lock, log = threading.Event(), threading.Lock(), []
            threads = [threading.Thread(target=_worker, args=(server.port, name, seeded.lessons[name], stop, log, lock))
                       for name in seeded.teachers]
            for t in threads:
                t.start()
            time.sleep(2.0)
            restart_at = time.monotonic()
            pg.restart()
            back_at = time.monotonic()
            deadline = back_at + 25
            while time.monotonic() < deadline:  # until every client has had 2 s of answers without error
                time.sleep(0.5)
                with lock:
                    last_failure = max((e[1] for e in log if not _ok(e)), default=restart_at)
                if time.monotonic() - max(last_failure, back_at) > 2.0:
                    break
            stop.set()
            for t in threads:
                t.join(timeout=60)
            server.stop()
            server_log, server = server.log_text(), None

            failures = [e for e in log if not _ok(e)]
            recovered_after = max((e[1] for e in failures), default=restart_at) - restart_at
            print(f"\nPostgreSQL restart: {len(log)} requests, {len(failures)} answered 503 during the outage, "
                  f"server back {back_at - restart_at:.1f} s after the restart began, every answer fine again "
                  f"{recovered_after:.1f} s after it")
            bad = [e for e in failures if e[5] != 503]
            assert not bad, f"not the friendly 503: {[(e[2], e[5]) for e in bad[:5]]}\n{server_log[-3000:]}"
            assert all("Tạm thời chưa dùng được" in e[6] or "Hệ thống đang bận" in e[6] for e in failures)
            assert all("Traceback" not in e[6] for e in log)
            assert "Traceback" not in server_log, server_log[max(0, server_log.find("Traceback") - 1500):][:4000]
            assert recovered_after < 20
            assert [e for e in log if e[0] > restart_at + recovered_after and _ok(e)], "no answers after the outage"
            engine = create_engine(pg.url)
            try:
                with engine.connect() as conn:
                    for name in seeded.teachers:
                        acknowledged = [e[4] for e in sorted(log) if e[2] == "edit" and e[3] == name and e[5] == 302]
                        body = conn.execute(text("SELECT body FROM lessons WHERE id = :id"),
                                            {"id": seeded.lessons[name]}).scalar()
                        assert acknowledged and body == acknowledged[-1], (name, body, acknowledged[-1:])
            finally:
                engine.dispose()
        finally:
            if server is not None:
                server.stop()
            pg.stop()


def _ok(entry) -> bool:
    op, status = entry[2], entry[5]
    return status == (200 if op == "read" else 302)
