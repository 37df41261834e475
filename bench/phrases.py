"""Searches as people type them: `make bench-phrases` (BENCH_DB, BENCH_PRESET as for `make bench`).

`make bench` measures three fixed searches, each repeated for seconds: PostgreSQL has their plans and
pages in cache, and psycopg has prepared their statements. A person's search is a new phrase. This runs
PHRASES distinct phrases of two to four words cut from the data set's own lessons (a seeded choice, the
same every time), each once, as demo.teacher, in the app's process against the data set `make bench`
built, and prints the time per search (mean, median, 90th percentile, worst), the statements per search
and where the time went by statement. Wall time of a lone client: no load, no ratio to /healthz.
"""
from __future__ import annotations

import os
import random
import re
import statistics
import sys
import time
import urllib.parse
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run  # noqa: E402  (bench/run.py: the data set's URL and password)

PHRASES = 300
_WORD = re.compile(r"[^\W\d_]+")


def cut_phrases(texts: list[str], count: int, seed: int = 57) -> list[str]:
    """`count` distinct phrases of 2 to 4 consecutive words of letters, each cut from one of `texts` (folded
    search texts, words one space apart) as it stands there, chosen with a seeded random: the same texts
    give the same phrases. A cut that would hold punctuation or a number is left out."""
    rng = random.Random(seed)
    phrases: list[str] = []
    seen: set[str] = set()
    for text in texts:
        words = text.split(" ")
        size = rng.choice((2, 2, 3, 3, 4))
        if len(words) < size:
            continue
        start = rng.randrange(len(words) - size + 1)
        cut = words[start:start + size]
        if not all(_WORD.fullmatch(word) for word in cut):
            continue
        phrase = " ".join(cut)
        if phrase not in seen:
            seen.add(phrase)
            phrases.append(phrase)
        if len(phrases) == count:
            break
    return phrases


def _kind(statement: str) -> str:
    s = statement.lstrip()
    if s.startswith("SELECT users."):
        return "user"
    if s.startswith("WITH probe0"):
        return "tiers"
    if "count(*) OVER" in s:
        return "ranked whole"
    if "= ANY (" in s and "lessons.summary" in s:
        return "cards"
    if s.startswith("WITH few AS"):
        return "probe"
    return "other"


def main(argv: list[str] | None = None) -> int:
    from sqlalchemy import create_engine, event, text

    settings = run.parse_settings(argv)
    url = run.ensure_data(settings)  # built as `make bench` builds it, when missing
    engine = create_engine(url)
    with engine.connect() as conn:
        texts = list(conn.execute(text("SELECT search_folded FROM lessons WHERE status = 'published' "
                                       "ORDER BY md5(id::text || 'phrases') LIMIT 3000")
                                  if settings.db == "postgres" else
                                  text("SELECT search_folded FROM lessons WHERE status = 'published' "
                                       "ORDER BY (id * 7919) % 30011 LIMIT 3000")).scalars())
    engine.dispose()
    phrases = cut_phrases(texts, PHRASES)
    os.environ.update(run._env(url))
    from schoolhub import create_app

    app = create_app()
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    client.post("/login", data={"username": "demo.teacher", "password": run.PASSWORD, "csrf_token": token})
    client.get("/lessons")  # the worker's first page of the user
    spent: list[tuple[str, float]] = []
    engine = app.extensions["schoolhub.engine"]

    @event.listens_for(engine, "before_cursor_execute")
    def _start(conn, cursor, statement, *args):
        conn.info["bench.started"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def _end(conn, cursor, statement, *args):
        spent.append((_kind(statement), time.perf_counter() - conn.info["bench.started"]))

    times, counts, by_kind = [], [], defaultdict(float)
    for phrase in phrases:
        spent.clear()
        started = time.perf_counter()
        response = client.get("/lessons?q=" + urllib.parse.quote_plus(phrase))
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{phrase!r}: {response.status_code}")
        counts.append(len(spent))
        for kind, seconds in spent:
            by_kind[kind] += seconds * 1000
    times_sorted = sorted(times)
    worst = max(range(len(times)), key=times.__getitem__)
    print(f"{settings.db}, {settings.preset} preset: {len(phrases)} phrases, each searched once as demo.teacher")
    print(f"ms per search: mean {statistics.mean(times):.1f}, median {statistics.median(times):.1f}, "
          f"90th percentile {times_sorted[int(len(times) * 0.9)]:.1f}, worst {times[worst]:.1f} "
          f"({phrases[worst]!r})")
    print(f"statements per search: {min(counts)} to {max(counts)}")
    print("ms per search in each kind of statement: "
          + ", ".join(f"{kind} {total / len(phrases):.1f}" for kind, total in sorted(by_kind.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
