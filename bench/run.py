"""The load benchmark: `make bench` (BENCH_DB=sqlite|postgres, BENCH_PRESET=commune|province).

1. Builds the data set with `seed-scale` if it is missing, and reuses it while the preset, the seed
   and the migration head are unchanged (a marker file beside it says which).
2. Starts gunicorn as deployed (deploy/gunicorn.conf.py) with 2 sync workers on a loopback port, logs in as each role.
3. Drives wrk on /healthz (the ceiling, first and last) and on every key page, and measures per page:
   requests/s, p50 and p99 latency, the ratio to the ceiling, SQL statements per request (the app's
   X-SQL-Count header, switched on for the benchmark only) and CPU ms per request of the app
   (gunicorn's processes) and of the database server (PostgreSQL's processes; SQLite runs inside
   the app).
4. With BENCH_RUNS=N (--runs, 1 to 5), does all of step 3 N times in a row on the same server, each run
   with its own ceiling, and reports each page's median figures with every run's ratio: a shared
   host's speed drifts by a fifth within minutes, and a median of runs is how the issue measured.
5. Prints a table and writes bench/results/<date>-<db>-<preset>.json.

Loopback only, bounded in time: every wrk run lasts BENCH_DURATION seconds (default 10).
"""
from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data"
RESULTS = ROOT / "bench" / "results"
BIN = Path(sys.executable).parent
PASSWORD = "bench-pass-57"
# Every request of a logged-in role, its login and the statement counts included, says it comes from the
# same browser, as a real one does. Flask-Login's session protection compares each request's address and
# User-Agent with the login's: a session seen from another browser loses its freshness and is written
# again into a new cookie. wrk sends no User-Agent and never keeps a cookie, so before this every page
# under load signed and sent a new session cookie, which no returning reader's browser costs the app.
USER_AGENT = "schoolhub-bench/1 (Linux; one browser for login and pages)"
DBS = ("sqlite", "postgres")
PRESETS = ("commune", "province")
PG_BASE = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432")
# Two checkouts benchmarking on one server set different prefixes, so neither drops the other's data.
PG_PREFIX = os.environ.get("BENCH_PG_PREFIX", "schoolhub_bench")
CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Settings:
    """What one benchmark run measures."""

    db: str
    preset: str
    seed: int = 57
    duration: int = 10
    connections: int = 16
    threads: int = 2
    workers: int = 2
    runs: int = 1


def parse_settings(argv: list[str] | None = None, env: dict | None = None) -> Settings:
    """Settings from the command line, falling back to BENCH_* variables; exits 2 on a bad value."""
    env = os.environ if env is None else env
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=env.get("BENCH_DB", "sqlite"), choices=DBS)
    parser.add_argument("--preset", default=env.get("BENCH_PRESET", "commune"), choices=PRESETS)
    # String defaults go through `type` as if typed, so a bad BENCH_SEED is an error like a bad --seed.
    parser.add_argument("--seed", type=int, default=env.get("BENCH_SEED", "57"))
    parser.add_argument("--duration", type=int, default=env.get("BENCH_DURATION", "10"),
                        help="seconds of load per page")
    parser.add_argument("--runs", type=int, default=env.get("BENCH_RUNS", "1"),
                        help="runs of every page in a row; the table gives each page's medians")
    args = parser.parse_args(argv)
    if args.db not in DBS or args.preset not in PRESETS:  # defaults from the environment skip `choices`
        parser.error(f"BENCH_DB must be one of {', '.join(DBS)} and BENCH_PRESET one of {', '.join(PRESETS)}")
    if not 1 <= args.duration <= 120:
        parser.error("--duration must be between 1 and 120 seconds")
    if not 1 <= args.runs <= 5:
        parser.error("--runs must be between 1 and 5")
    return Settings(db=args.db, preset=args.preset, seed=args.seed, duration=args.duration, runs=args.runs)


@dataclass
class PageResult:
    """One page's figures."""

    name: str
    path: str
    role: str
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    ratio: float = 0.0
    sql_per_request: int = 0
    app_cpu_ms: float = 0.0
    db_cpu_ms: float = 0.0
    errors: int = 0
    ratios: list[float] = field(default_factory=list)  # each run's ratio, when there were several


@dataclass
class RunResult:
    """A whole run, as written to bench/results/."""

    db: str
    preset: str
    seed: int
    date: str
    machine: str
    duration_s: int
    connections: int
    workers: int
    pages: list[PageResult] = field(default_factory=list)
    runs: int = 1


# ---- wrk ----------------------------------------------------------------------------------------

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip()).groups()
    return float(number) * _UNITS[unit]


def parse_wrk(output: str) -> dict:
    """requests/s, p50 and p99 in ms, the request count and non-2xx/3xx or socket errors from wrk --latency."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1))
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1))
    total = int(re.search(r"(\d+) requests in", output).group(1))
    errors = 0
    if m := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output):
        errors += int(m.group(1))
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output):
        errors += sum(int(x) for x in m.groups())
    return {"requests_per_s": rps, "p50_ms": p50, "p99_ms": p99, "requests": total, "errors": errors}


# ---- processes and their CPU ------------------------------------------------------------------

def _cpu_ticks(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total


def _children(pid: int) -> list[int]:
    found = [pid]
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = (task / "children").read_text().split()
        for child in children:
            found.extend(_children(int(child)))
    return found


def _postgres_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in ("postgres", "postmaster"):
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- the data set -----------------------------------------------------------------------------

def _head() -> str:
    from alembic.script import ScriptDirectory

    from schoolhub.migrate import alembic_config

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def database_url(settings: Settings) -> str:
    """Where the benchmark's data set lives."""
    if settings.db == "sqlite":
        return f"sqlite:///{DATA / f'{settings.preset}-{settings.seed}.sqlite3'}"
    return f"{PG_BASE}/{PG_PREFIX}_{settings.preset}_{settings.seed}"


def _env(url: str) -> dict:
    env = dict(os.environ)
    env.update(SCHOOLHUB_DATABASE_URL=url, SCHOOLHUB_SECRET_KEY="bench-not-secret",
               SCHOOLHUB_RATELIMIT_ENABLED="false", SCHOOLHUB_SESSION_COOKIE_SECURE="false",
               SCHOOLHUB_REMEMBER_COOKIE_SECURE="false", SCHOOLHUB_SQL_COUNT_HEADER="true",
               SCHOOLHUB_UPLOAD_DIR=str(DATA / "uploads"))
    return env


def ensure_data(settings: Settings) -> str:
    """Build the data set unless a matching one is already there; returns its URL."""
    from sqlalchemy import create_engine, text

    DATA.mkdir(parents=True, exist_ok=True)
    url = database_url(settings)
    marker = DATA / f"{settings.db}-{settings.preset}-{settings.seed}.json"
    wanted = {"preset": settings.preset, "seed": settings.seed, "head": _head()}
    exists = True
    if settings.db == "sqlite":
        exists = Path(url.removeprefix("sqlite:///")).exists()
    if exists and marker.exists() and json.loads(marker.read_text()) == wanted:
        print(f"data set reused: {url}")
        return url
    print(f"building the {settings.preset} data set on {settings.db} (seed {settings.seed}) …", flush=True)
    if settings.db == "sqlite":
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    else:
        name = url.rsplit("/", 1)[1]
        admin = create_engine(f"{PG_BASE}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    env = _env(url)
    flask = [str(BIN / "flask"), "--app", "schoolhub"]
    subprocess.run([*flask, "init-db"], env=env, check=True)
    started = time.perf_counter()
    subprocess.run([*flask, "seed-scale", "--preset", settings.preset, "--seed", str(settings.seed),
                    "--password", PASSWORD], env=env, check=True)
    print(f"data set built in {time.perf_counter() - started:.0f} s")
    if settings.db == "postgres":
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("VACUUM ANALYZE"))
        admin.dispose()
    marker.write_text(json.dumps(wanted))
    return url


# ---- the server and its users -----------------------------------------------------------------

def server_command(port: int, workers: int) -> list[str]:
    """gunicorn as deployed (deploy/gunicorn.conf.py), with the benchmark's workers and port. Workers are
    not recycled during a run: a fresh worker's first requests would be measured with cold caches."""
    return [str(BIN / "gunicorn"), "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), "-w", str(workers),
            "-b", f"127.0.0.1:{port}", "--max-requests", "0", "--access-logfile", "-", "--error-logfile", "-",
            "--log-level", "warning", "schoolhub:create_app()"]


class Server:
    """gunicorn with the benchmark's settings on a loopback port."""

    def __init__(self, url: str, workers: int):
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            server_command(self.port, workers),
            env=_env(url), stdout=subprocess.DEVNULL, stderr=None, start_new_session=True)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("gunicorn did not answer /healthz within 60 s")

    def pids(self) -> list[int]:
        return _children(self.proc.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def login(base: str, username: str) -> str:
    """Log in through the real form (CSRF token included); returns the Cookie header value."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", USER_AGENT)]
    page = opener.open(base + "/login", timeout=10).read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"csrf_token": token, "username": username, "password": PASSWORD}).encode()
    opener.open(urllib.request.Request(base + "/login", data=data), timeout=10).read()
    cookies = "; ".join(f"{c.name}={c.value}" for c in jar)
    if "session=" not in cookies:
        raise RuntimeError(f"could not log in as {username}")
    return cookies


SQL_TRIES = 6


def sql_count(base: str, path: str, cookie: str | None) -> int:
    """Statements per request of a returning reader: the least of SQL_TRIES requests. A worker's first
    page of a user asks the user and their to-do apart (schoolhub.worklist.joined_to); each worker learns
    the user on that page, and with two workers a few requests reach both."""
    return min(_sql_count_once(base, path, cookie) for _ in range(SQL_TRIES))


def _sql_count_once(base: str, path: str, cookie: str | None) -> int:
    # The workers may still be serving what the previous page's wrk left queued (sync workers finish a
    # request whose client has gone): on a slow page that is 16 requests of seconds each, so wait long.
    request = urllib.request.Request(base + path, headers={"User-Agent": USER_AGENT,
                                                           **({"Cookie": cookie} if cookie else {})})
    with urllib.request.urlopen(request, timeout=180) as response:
        response.read()
        if response.status != 200:
            raise RuntimeError(f"{path}: {response.status}")
        return int(response.headers.get("X-SQL-Count", "0"))


# ---- the pages ----------------------------------------------------------------------------------

def pages(url: str) -> list[tuple[str, str, str | None]]:
    """(name, path, role) of every key page, with ids read from the data set at `url`."""
    from sqlalchemy import create_engine

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return pages_of(conn)
    finally:
        engine.dispose()


def pages_of(conn) -> list[tuple[str, str, str | None]]:
    """The key pages, with ids read through an open connection (the test of this module uses its own)."""
    from sqlalchemy import func, select

    import schoolhub.models_all  # noqa: F401
    from schoolhub.accounts.models import Membership, OrgUnit, Role, User
    from schoolhub.lessons.models import Lesson, LessonStatus

    admin_school = conn.scalar(select(Membership.unit_id).join(User, User.id == Membership.user_id)
                               .where(User.username == "demo.admin"))
    commune = conn.scalar(select(OrgUnit.parent_id).where(OrgUnit.id == admin_school))
    students = conn.scalar(select(func.count()).select_from(Membership).where(
        Membership.unit_id == admin_school, Membership.role == Role.STUDENT)) or 0
    lesson = conn.scalar(select(Lesson.id).join(User, User.id == Lesson.author_id)
                         .where(User.username == "demo.teacher", Lesson.status == LessonStatus.PUBLISHED)
                         .order_by(Lesson.id).limit(1))
    late = max(1, students // 25 - 1)
    return [
        ("healthz (ceiling)", "/healthz", None),
        ("healthz with a session", "/healthz", "demo.student"),
        ("login page", "/login", None),
        ("officer home", "/", "demo.officer"),
        ("officer's school list", f"/communes/{commune}/schools", "demo.officer"),
        ("school admin home", "/", "demo.admin"),
        ("teacher home", "/", "demo.teacher"),
        ("student home", "/", "demo.student"),
        ("student list, first page", f"/schools/{admin_school}/students", "demo.admin"),
        ("student list, a late page", f"/schools/{admin_school}/students?page={late}", "demo.admin"),
        ("lesson list", "/lessons", "demo.teacher"),
        ("search, common phrase", "/lessons?q=chuyen+doi+so", "demo.teacher"),
        ("search, rare phrase", "/lessons?q=kinh+hien+vi", "demo.teacher"),
        ("search with a filter", "/lessons?q=tri+tue+nhan+tao&topic=ai", "demo.teacher"),
        ("one lesson", f"/lessons/{lesson}", "demo.student"),
        ("Atom feed", "/lessons/feed.atom", None),
        ("readers page", f"/lessons/{lesson}/readers", "demo.admin"),
        ("healthz (ceiling, last)", "/healthz", None),
    ]


def wrk_command(settings: Settings, url: str, cookie: str | None) -> list[str]:
    """wrk on one page, as the logged-in role's browser: its cookie and the login's User-Agent."""
    command = ["wrk", f"-t{settings.threads}", f"-c{settings.connections}", f"-d{settings.duration}s", "--latency",
               "-H", f"User-Agent: {USER_AGENT}"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    return [*command, url]


def measure(settings: Settings, server: Server, name: str, path: str, role: str | None,
            cookie: str | None) -> PageResult:
    """One page under load: wrk's figures, the statement count and the CPU it cost."""
    sql = sql_count(server.base, path, cookie)
    app_pids = server.pids()
    db_pids = _postgres_pids() if settings.db == "postgres" else []
    app_before, db_before = _cpu_ticks(app_pids), _cpu_ticks(db_pids)
    out = subprocess.run(wrk_command(settings, server.base + path, cookie), capture_output=True, text=True,
                         check=True).stdout
    app_after, db_after = _cpu_ticks(app_pids), _cpu_ticks(_postgres_pids() if db_pids else [])
    figures = parse_wrk(out)
    n = max(figures["requests"], 1)
    return PageResult(name=name, path=path, role=role or "anonymous", requests_per_s=figures["requests_per_s"],
                      p50_ms=figures["p50_ms"], p99_ms=figures["p99_ms"], sql_per_request=sql,
                      app_cpu_ms=(app_after - app_before) * 1000 / CLK_TCK / n,
                      db_cpu_ms=max(db_after - db_before, 0) * 1000 / CLK_TCK / n, errors=figures["errors"])


def with_ratios(result: RunResult) -> RunResult:
    """Each page's throughput over the ceiling: the mean of the first and last anonymous /healthz."""
    ceilings = [p.requests_per_s for p in result.pages if p.path == "/healthz" and p.role == "anonymous"]
    ceiling = sum(ceilings) / len(ceilings) if ceilings else 0
    for page in result.pages:
        page.ratio = round(page.requests_per_s / ceiling, 3) if ceiling else 0.0
    return result


def medians(runs: list[RunResult]) -> RunResult:
    """One result of several runs of the same pages (each with its ratios): per page, the median of each
    figure, the ratio being the median of the runs' ratios (each against its own run's ceiling), every
    run's ratio kept beside it; the statements are the least any run counted, the errors all of them."""
    first = runs[0]
    combined = RunResult(db=first.db, preset=first.preset, seed=first.seed, date=first.date, machine=first.machine,
                         duration_s=first.duration_s, connections=first.connections, workers=first.workers,
                         runs=len(runs))
    for i, page in enumerate(first.pages):
        same = [run.pages[i] for run in runs]
        combined.pages.append(PageResult(
            name=page.name, path=page.path, role=page.role,
            requests_per_s=statistics.median(p.requests_per_s for p in same),
            p50_ms=statistics.median(p.p50_ms for p in same), p99_ms=statistics.median(p.p99_ms for p in same),
            ratio=round(statistics.median(p.ratio for p in same), 3),
            sql_per_request=min(p.sql_per_request for p in same),
            app_cpu_ms=statistics.median(p.app_cpu_ms for p in same),
            db_cpu_ms=statistics.median(p.db_cpu_ms for p in same),
            errors=sum(p.errors for p in same), ratios=[p.ratio for p in same]))
    return combined


def table(result: RunResult) -> str:
    """The run as a Markdown table (README's Performance section quotes it); for several runs, their
    medians and each run's ratio."""
    several = result.runs > 1
    lines = [f"{result.db}, {result.preset} preset (seed {result.seed}), {result.date}, {result.machine}, "
             f"wrk -t2 -c{result.connections} -d{result.duration_s}s, gunicorn {result.workers} workers"
             + (f", median of {result.runs} runs" if several else ""),
             "", "| page | req/s | p50 ms | p99 ms | ratio | SQL | app CPU ms | db CPU ms |"
             + (" ratio of each run |" if several else ""),
             "|---|---:|---:|---:|---:|---:|---:|---:|" + ("---|" if several else "")]
    for p in result.pages:
        lines.append(f"| {p.name} | {p.requests_per_s:,.0f} | {p.p50_ms:.1f} | {p.p99_ms:.1f} | {p.ratio:.3f} | "
                     f"{p.sql_per_request} | {p.app_cpu_ms:.1f} | {p.db_cpu_ms:.1f} |"
                     + (f" {' · '.join(f'{r:.3f}' for r in p.ratios)} |" if several else ""))
    return "\n".join(lines)


def write(result: RunResult, folder: Path = RESULTS) -> Path:
    """bench/results/<date>-<db>-<preset>.json"""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{result.date}-{result.db}-{result.preset}.json"
    path.write_text(json.dumps(asdict(result), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path


def _machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), "unknown CPU")
    return f"{os.cpu_count()} cores, {model}"


def main(argv: list[str] | None = None) -> int:
    settings = parse_settings(argv)
    if shutil.which("wrk") is None:
        print("wrk is missing: apt-get install -y wrk", file=sys.stderr)
        return 2
    url = ensure_data(settings)
    runs: list[RunResult] = []
    server = Server(url, settings.workers)
    try:
        cookies: dict[str, str] = {}
        for run in range(settings.runs):
            if settings.runs > 1:
                print(f"run {run + 1} of {settings.runs}", flush=True)
            result = RunResult(db=settings.db, preset=settings.preset, seed=settings.seed,
                               date=date.today().isoformat(), machine=_machine(), duration_s=settings.duration,
                               connections=settings.connections, workers=settings.workers)
            for name, path, role in pages(url):
                if role and role not in cookies:
                    cookies[role] = login(server.base, role)
                page = measure(settings, server, name, path, role, cookies.get(role))
                result.pages.append(page)
                print(f"  {name:30} {page.requests_per_s:8,.0f} req/s  p50 {page.p50_ms:6.1f} ms  "
                      f"SQL {page.sql_per_request}", flush=True)
            runs.append(with_ratios(result))
    finally:
        server.stop()
    result = runs[0] if len(runs) == 1 else medians(runs)
    print()
    print(table(result))
    print(f"\nwritten to {write(result).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
