"""`make soak`: logged-in clients mixing reads and writes against gunicorn, bounded in time, loopback only.

    python tests/soak.py --database postgresql+psycopg://postgres@127.0.0.1:5432/test --seconds 60
    python tests/soak.py --database sqlite --seconds 20

Each client is a teacher who logs in once, then reads the home page, the lesson list, their own
lesson and core lessons, saves their own lesson and confirms core lessons, with a short pause
between requests. The server is gunicorn with deploy/gunicorn.conf.py on 127.0.0.1, on a
database made for the run (PostgreSQL: a sibling database `<name>_soak`, dropped afterwards;
SQLite: a file in a temporary directory). Afterwards every acknowledged write (a 302) is looked up
in the database. Exits 1 on any 5xx, any connection error or any acknowledged write missing.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text  # noqa: E402

from tests.helpers.live import (  # noqa: E402
    Client,
    Server,
    drop_database,
    is_postgres,
    seed_school,
    server_env,
    sibling_database,
    temp_dir,
)

CORE_LESSONS = 10
# operation: weight
MIX = {"home": 20, "list": 15, "own": 15, "core": 10, "edit": 25, "confirm": 15}


class Results:
    def __init__(self):
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.status: Counter = Counter()
        self.errors: list[str] = []
        self.edits: dict[str, list[str]] = defaultdict(list)  # username -> acknowledged bodies, in order
        self.confirms: set[tuple[str, int]] = set()

    def add(self, op: str, seconds: float, status) -> None:
        with self.lock:
            self.latency[op].append(seconds)
            self.status[status] += 1
            if not isinstance(status, int) or status >= 500:
                self.errors.append(f"{op}: {status}")


def client_loop(port: int, username: str, own: int, core: list[int], deadline: float, results: Results,
                seed: int) -> None:
    rng = random.Random(seed)
    c = Client(port)
    started = time.monotonic()
    try:
        status = c.login(username)
    except OSError as error:
        status = f"connection error: {error}"
    results.add("login", time.monotonic() - started, status)
    if status != 302:
        return
    ops, weights = zip(*MIX.items(), strict=True)
    n = 0
    while time.monotonic() < deadline:
        op = rng.choices(ops, weights)[0]
        started = time.monotonic()
        try:
            if op == "home":
                status = c.get("/")[0]
            elif op == "list":
                status = c.get("/lessons?q=" + rng.choice(["", "bai", "tai+lieu"]))[0]
            elif op == "own":
                status = c.get(f"/lessons/{own}")[0]
            elif op == "core":
                status = c.get(f"/lessons/{rng.choice(core)}")[0]
            elif op == "edit":
                n += 1
                body = f"Bản {n} của {username}, {time.time():.3f}"
                status = c.edit_lesson(own, body)
                if status == 302:
                    with results.lock:
                        results.edits[username].append(body)
            else:
                lesson = rng.choice(core)
                status = c.confirm(lesson)
                if status == 302:
                    with results.lock:
                        results.confirms.add((username, lesson))
        except OSError as error:
            status = f"connection error: {error}"
        except Exception as error:  # a client that dies silently would hide what it met
            status = f"client error: {error!r}"
        results.add(op, time.monotonic() - started, status)
        time.sleep(rng.uniform(0.05, 0.3))


def verify(url: str, seeded, results: Results) -> list[str]:
    """Every acknowledged write, looked up in the database."""
    missing = []
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            for username, bodies in results.edits.items():
                body, revisions = conn.execute(text("SELECT body, revision_count FROM lessons WHERE id = :id"),
                                               {"id": seeded.lessons[username]}).one()
                if body != bodies[-1]:
                    missing.append(f"{username}: last acknowledged save not stored")
                if revisions != 1 + len(bodies):
                    missing.append(f"{username}: {revisions} revisions for {len(bodies)} acknowledged saves")
            confirmed = {(u, lid) for u, lid in conn.execute(text(
                "SELECT u.username, r.lesson_id FROM lesson_reads r JOIN users u ON u.id = r.user_id "
                "WHERE r.confirmed_at IS NOT NULL"))}
            missing += [f"{u}: confirmation of lesson {lid} not stored" for u, lid in results.confirms - confirmed]
            missing += _figures_astray(conn)
    finally:
        engine.dispose()
    return missing


def _figures_astray(conn) -> list[str]:
    """The figures the confirmations change, kept on write by concurrent workers, against a count from the
    rows: who confirmed core material (core_readers) and each school's and commune's teachers informed
    (informed_counts, whose rows a writer locks before counting them again)."""
    from schoolhub.lessons.counts import counting_select, informed_select

    astray = []
    for name, kept_sql, counted in (
            ("core_readers", "SELECT user_id, confirmed FROM core_readers WHERE confirmed > 0", counting_select()),
            ("informed_counts", "SELECT unit_id, teachers, informed FROM informed_counts WHERE teachers > 0",
             informed_select())):
        kept = {tuple(r) for r in conn.execute(text(kept_sql))}
        recounted = {tuple(r) for r in conn.execute(counted) if r[1]}
        if kept != recounted:
            astray.append(f"{name} differs from a count of the rows: {sorted(kept ^ recounted)[:6]}")
    return astray


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] * 1000


def report(label: str, results: Results, seconds: float, clients: int, workers: int, missing: list[str]) -> None:
    total = sum(len(v) for v in results.latency.values())
    print(f"\n== soak: {label}, gunicorn {workers} workers, {clients} logged-in clients, {seconds:.0f} s")
    print(f"   {total} requests, {total / seconds:.1f} per second; statuses {dict(sorted(results.status.items(), key=str))}")
    print(f"   {'operation':<9} {'count':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for op in ("login", *MIX):
        values = results.latency.get(op, [])
        if values:
            print(f"   {op:<9} {len(values):>6} {statistics.median(values) * 1000:>8.0f} {_pct(values, 95):>8.0f} "
                  f"{_pct(values, 99):>8.0f} {max(values) * 1000:>8.0f}")
    saves = sum(len(v) for v in results.edits.values())
    print(f"   acknowledged writes: {saves} lesson saves, {len(results.confirms)} confirmations; "
          f"found in the database afterwards: {saves + len(results.confirms) - len(missing)} "
          f"(missing {len(missing)})")
    print(f"   5xx or connection errors: {len(results.errors)}")


def run(database: str, seconds: float, clients: int, workers: int) -> int:
    with temp_dir("schoolhub-soak-") as tmp:
        if database == "sqlite":
            url, label, sibling = f"sqlite:///{tmp / 'soak.sqlite3'}", "SQLite (file, WAL)", None
        elif is_postgres(database):
            url = sibling = sibling_database(database, "soak")
            label = "PostgreSQL"
        else:
            raise SystemExit(f"--database: sqlite or a postgresql+psycopg:// URL, not {database}")
        server = None
        try:
            print(f"soak: seeding {clients} teachers on {label}...", flush=True)
            seeded = seed_school(url, tmp / "uploads", teachers=clients, core_lessons=CORE_LESSONS)
            server = Server("gunicorn", server_env(url, tmp / "uploads"), workers=workers, log_dir=tmp).start()
            results = Results()
            started = time.monotonic()
            deadline = started + seconds
            threads = [threading.Thread(target=client_loop, daemon=True, args=(
                server.port, name, seeded.lessons[name], seeded.core, deadline, results, i))
                for i, name in enumerate(seeded.teachers)]
            for t in threads:
                t.start()
                time.sleep(0.01)  # a class arriving, not one packet
            for t in threads:
                t.join(timeout=seconds + 120)
            elapsed = time.monotonic() - started
            server.stop()
            log = server.log_text()
            server = None
            missing = verify(url, seeded, results)
            report(label, results, elapsed, clients, workers, missing)
            problems = list(results.errors) + missing
            if "Traceback" in log:
                problems.append("the server log has a traceback:\n" + log[log.index("Traceback"):][:3000])
            if any(t.is_alive() for t in threads):
                problems.append("a client did not finish")
        finally:
            if server is not None:
                server.stop()
            if sibling is not None:
                drop_database(sibling)
    if problems:
        print("SOAK FAILED:\n  " + "\n  ".join(problems[:20]))
        return 1
    print("   soak passed: no 5xx, every acknowledged write is stored")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", required=True, help="sqlite, or the PostgreSQL URL whose server to use")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    if not 1 <= args.seconds <= 300 or not 1 <= args.clients <= 500:
        raise SystemExit("bounded: at most 300 s and 500 clients")
    return run(args.database, args.seconds, args.clients, args.workers)


if __name__ == "__main__":
    sys.exit(main())
