"""make bench (issue 8, point 2) is not run by CI; its argument handling, its reading of wrk's output,
its pages and its result file are checked here."""
from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from schoolhub.scale import Preset, seed_scale

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
bench = importlib.util.module_from_spec(_spec)
sys.modules["bench_run"] = bench  # dataclasses look their module up there
_spec.loader.exec_module(bench)

# Captured from wrk 4.1 (Debian) against a local server: one clean run, one with refused requests.
WRK_CLEAN = """Running 1s test @ http://127.0.0.1:18765/
  2 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     8.03ms    3.39ms  22.49ms   68.71%
    Req/Sec   246.85     39.78   310.00     65.00%
  Latency Distribution
     50%    7.75ms
     75%    9.89ms
     90%   12.14ms
     99%   18.28ms
  493 requests in 1.01s, 806.09KB read
Requests/sec:    489.86
Transfer/sec:    800.95KB
"""
WRK_ERRORS = """Running 5s test @ http://127.0.0.1:8000/lessons?q=so
  2 threads and 16 connections
  Latency Distribution
     50%  845.00us
     75%    1.20s
     90%    1.50s
     99%    1.76s
  20 requests in 5.01s, 400.00KB read
  Socket errors: connect 0, read 0, write 0, timeout 6
  Non-2xx or 3xx responses: 2
Requests/sec:      3.99
Transfer/sec:     79.84KB
"""


def test_settings_come_from_the_environment_and_the_command_line():
    assert bench.parse_settings([], {}) == bench.Settings(db="sqlite", preset="commune", seed=57, duration=10)
    env = {"BENCH_DB": "postgres", "BENCH_PRESET": "province", "BENCH_SEED": "3", "BENCH_DURATION": "5"}
    assert bench.parse_settings([], env) == bench.Settings(db="postgres", preset="province", seed=3, duration=5)
    assert bench.parse_settings(["--db", "sqlite"], env).db == "sqlite"  # the command line wins
    assert bench.parse_settings([], {"BENCH_RUNS": "3"}).runs == 3
    assert bench.parse_settings(["--runs", "2"], {"BENCH_RUNS": "3"}).runs == 2
    assert bench.parse_settings([], {}).runs == 1


@pytest.mark.parametrize("argv,env", [
    (["--db", "mysql"], {}), (["--preset", "country"], {}), (["--seed", "x"], {}), (["--duration", "0"], {}),
    (["--duration", "121"], {}), ([], {"BENCH_DB": "oracle"}), ([], {"BENCH_SEED": "x"}),
    (["--runs", "0"], {}), (["--runs", "6"], {}), ([], {"BENCH_RUNS": "x"}),
])
def test_bad_settings_exit_2(argv, env, capsys):
    with pytest.raises(SystemExit) as stopped:
        bench.parse_settings(argv, env)
    assert stopped.value.code == 2
    assert "make bench" in capsys.readouterr().err


def test_wrk_output_is_read():
    assert bench.parse_wrk(WRK_CLEAN) == {"requests_per_s": 489.86, "p50_ms": 7.75, "p99_ms": 18.28,
                                          "requests": 493, "errors": 0}
    slow = bench.parse_wrk(WRK_ERRORS)
    assert slow["p50_ms"] == pytest.approx(0.845) and slow["p99_ms"] == 1760.0
    assert slow["errors"] == 8 and slow["requests"] == 20


def _page(name, path, rps, role="anonymous"):
    return bench.PageResult(name=name, path=path, role=role, requests_per_s=rps, p50_ms=1.0, p99_ms=2.0,
                            sql_per_request=3, app_cpu_ms=4.5, db_cpu_ms=0.5)


def test_the_result_file_has_every_figure_of_every_page(tmp_path):
    result = bench.RunResult(db="postgres", preset="province", seed=57, date="2026-12-01", machine="2 cores, x",
                             duration_s=5, connections=16, workers=2, pages=[
                                 _page("healthz (ceiling)", "/healthz", 1000.0),
                                 _page("healthz with a session", "/healthz", 900.0, "demo.student"),
                                 _page("lesson list", "/lessons", 300.0, "demo.teacher"),
                                 _page("healthz (ceiling, last)", "/healthz", 1200.0)])
    bench.with_ratios(result)
    # The ceiling is the mean of the anonymous /healthz runs, first and last; a session's /healthz is a page.
    assert [p.ratio for p in result.pages] == [0.909, 0.818, 0.273, 1.091]
    path = bench.write(result, tmp_path)
    assert path.name == "2026-12-01-postgres-province.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    assert {"db", "preset", "seed", "date", "machine", "duration_s", "connections", "workers"} <= data.keys()
    for page in data["pages"]:
        assert {"path", "requests_per_s", "p50_ms", "p99_ms", "ratio", "sql_per_request", "app_cpu_ms",
                "db_cpu_ms"} <= page.keys()
    table = bench.table(result)
    assert "| lesson list | 300 | 1.0 | 2.0 | 0.273 | 3 | 4.5 | 0.5 |" in table


def _run(ceiling_first, ceiling_last, lesson_list, sql=3, errors=0):
    result = bench.RunResult(db="postgres", preset="province", seed=57, date="2026-12-06", machine="2 cores, x",
                             duration_s=10, connections=16, workers=2, pages=[
                                 _page("healthz (ceiling)", "/healthz", ceiling_first),
                                 _page("lesson list", "/lessons", lesson_list, "demo.teacher"),
                                 _page("healthz (ceiling, last)", "/healthz", ceiling_last)])
    result.pages[1].sql_per_request, result.pages[1].errors = sql, errors
    return bench.with_ratios(result)


def test_several_runs_give_each_pages_medians_and_every_runs_ratio(tmp_path):
    """Each run's ratio is against its own ceiling: a run in a slower minute has a lower ceiling too, and
    its ratio stays comparable; the page's ratio is the median of those, not of requests over ceilings."""
    runs = [_run(1000.0, 1000.0, 250.0), _run(1600.0, 1600.0, 320.0, errors=2), _run(1200.0, 1400.0, 390.0, sql=2)]
    assert [run.pages[1].ratio for run in runs] == [0.25, 0.2, 0.3]
    combined = bench.medians(runs)
    lesson_list = combined.pages[1]
    assert combined.runs == 3 and lesson_list.ratios == [0.25, 0.2, 0.3]
    assert lesson_list.ratio == 0.25 and lesson_list.requests_per_s == 320.0
    assert lesson_list.sql_per_request == 2 and lesson_list.errors == 2  # the least count, every error
    table = bench.table(combined)
    assert "median of 3 runs" in table.splitlines()[0]
    assert "| lesson list | 320 | 1.0 | 2.0 | 0.250 | 2 | 4.5 | 0.5 | 0.250 · 0.200 · 0.300 |" in table
    data = json.loads(bench.write(combined, tmp_path).read_text(encoding="utf-8"))
    assert data["runs"] == 3 and data["pages"][1]["ratios"] == [0.25, 0.2, 0.3]
    # One run: the table and file as before, without the runs' column.
    single = bench.table(runs[0])
    assert "median" not in single and "| lesson list | 250 | 1.0 | 2.0 | 0.250 | 3 | 4.5 | 0.5 |" in single


def test_every_key_page_is_measured(app, connection, database_url):
    """The pages the issue names, with ids read from a seeded data set (every one answers 200 there)."""
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    with app.app_context():
        seed_scale(session, Preset("tiny", communes=1, schools=8, teachers=30, students=1200, lessons=40, reads=100),
                   password=bench.PASSWORD, quiet=True)
    session.commit()
    pages = bench.pages_of(connection)
    names = [name for name, _, _ in pages]
    assert names[0] == "healthz (ceiling)" and names[-1] == "healthz (ceiling, last)"
    for wanted in ("login page", "officer home", "school admin home", "teacher home", "student home",
                   "officer's school list", "student list, first page", "student list, a late page", "lesson list",
                   "search, common phrase", "search, rare phrase", "search with a filter", "one lesson",
                   "Atom feed", "readers page"):
        assert wanted in names
    clients = {}
    for name, path, role in pages:
        if role not in clients:
            clients[role] = app.test_client()
            if role:
                assert clients[role].post("/login", data={"username": role, "password": bench.PASSWORD}).status_code == 302
        assert clients[role].get(path).status_code == 200, (name, path)
    late = dict((n, p) for n, p, _ in pages)["student list, a late page"]
    assert "page=" in late and not late.endswith("page=1")
    session.close()


def test_the_benchmark_runs_gunicorn_as_deployed_without_recycling_workers():
    argv = bench.server_command(18765, 2)
    assert argv[argv.index("-c") + 1] == str(ROOT / "deploy" / "gunicorn.conf.py")
    assert argv[argv.index("-w") + 1] == "2"
    assert argv[argv.index("-b") + 1] == "127.0.0.1:18765"  # loopback only
    assert argv[argv.index("--max-requests") + 1] == "0"
    assert argv[-1] == "schoolhub:create_app()"


def test_statements_are_counted_as_a_returning_reader_costs_them():
    """A worker's first page of a user asks the user and their to-do apart; the count is the least of a
    few requests, and a page that fails stops the run."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    counts = iter([5, 4, 5, 4, 4, 5])
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            seen.append(self.headers.get("Cookie"))
            status = 500 if self.path == "/broken" else 200
            self.send_response(status)
            self.send_header("X-SQL-Count", str(next(counts, 9)))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        assert bench.sql_count(base, "/", "session=abc") == 4
        assert len(seen) == bench.SQL_TRIES and set(seen) == {"session=abc"}
        with pytest.raises(Exception):  # noqa: B017 (urllib's HTTPError or the run's RuntimeError)
            bench.sql_count(base, "/broken", None)
    finally:
        server.shutdown()
        server.server_close()


_phrases_spec = importlib.util.spec_from_file_location("bench_phrases", ROOT / "bench" / "phrases.py")
phrases = importlib.util.module_from_spec(_phrases_spec)
_phrases_spec.loader.exec_module(phrases)


def test_bench_phrases_are_cut_from_the_lessons_the_same_way_every_time():
    texts = ["bai giang: an toan thong tin cho hoc sinh lop 10, phan 2",
             "giang an",  # exactly two words: the only cut
             "x1 y2, z3",  # no cut without digits or punctuation
             "chuyen doi so trong nha truong va gia dinh",
             "ab",  # too short for a phrase
             "bai giang: an toan thong tin cho hoc sinh lop 10, phan 2"]  # the same text again
    cut = phrases.cut_phrases(texts, 10)
    assert cut == phrases.cut_phrases(texts, 10)
    assert len(cut) == len(set(cut)) and 1 <= len(cut) <= 4
    for phrase in cut:
        words = phrase.split(" ")
        assert 2 <= len(words) <= 4 and all(word.isalpha() for word in words)
        assert any(f" {phrase} " in f" {text} " for text in texts)  # as it stands in a text, whole words
    assert phrases.cut_phrases(texts, 1) == cut[:1]
    assert phrases.cut_phrases(texts, 10, seed=58) != cut or len(cut) == 1


def test_pages_under_load_come_from_the_browser_that_logged_in(app, world):
    """wrk carries the cookie and the User-Agent of the login, as a returning reader's browser does: a page
    then leaves the session as it is. From another browser (wrk sends no User-Agent of its own) Flask-Login
    marks the session not fresh and writes a new cookie, on every request, as no real reader costs it."""
    from tests.helpers.accounts import PASSWORD

    command = bench.wrk_command(bench.Settings(db="sqlite", preset="commune"), "http://127.0.0.1:1/lessons", "a=b")
    assert command[-1] == "http://127.0.0.1:1/lessons"
    headers = [command[i + 1] for i, arg in enumerate(command) if arg == "-H"]
    assert f"User-Agent: {bench.USER_AGENT}" in headers and "Cookie: a=b" in headers

    browser = app.test_client()
    browser.post("/login", data={"username": world.teacher.username, "password": PASSWORD},
                 headers={"User-Agent": bench.USER_AGENT})
    browser.get("/lessons", headers={"User-Agent": bench.USER_AGENT})  # the first page keeps its CSRF token
    cookie = f"session={browser.get_cookie('session').value}"

    def new_cookie(user_agent: str) -> list[str]:
        wrk = app.test_client(use_cookies=False)  # sends the same cookie every time, keeps none
        response = wrk.get("/lessons", headers={"Cookie": cookie, "User-Agent": user_agent})
        assert response.status_code == 200 and world.teacher.full_name in response.get_data(as_text=True)
        return response.headers.getlist("Set-Cookie")

    assert new_cookie(bench.USER_AGENT) == [] and new_cookie(bench.USER_AGENT) == []
    assert new_cookie("") != []  # another browser: the session is written again
