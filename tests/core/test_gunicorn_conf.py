"""deploy/gunicorn.conf.py: what a worker does once it has loaded the app."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# In a process of its own: freezing the suite's own objects would keep them for the rest of the run.
_WORKER = textwrap.dedent("""
    import gc, runpy
    from schoolhub import create_app
    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://"})
    hooks = runpy.run_path(%r)
    before = gc.get_freeze_count()
    hooks["post_worker_init"](None)
    frozen = gc.get_freeze_count()

    class Node:
        pass

    gc.disable()  # counted below, not freed on the way by the automatic collections
    for _ in range(1000):  # what a request leaves behind: cycles that only the collector frees
        a, b = Node(), Node()
        a.other, b.other = b, a
    del a, b
    print(before, frozen, gc.collect())
""")


def test_a_worker_puts_its_start_up_objects_out_of_the_collectors_reach_and_still_collects_the_rest():
    out = subprocess.run([sys.executable, "-c", _WORKER % str(ROOT / "deploy" / "gunicorn.conf.py")],
                         capture_output=True, text=True, check=True, cwd=ROOT).stdout.split()
    before, frozen, collected = map(int, out)
    assert before == 0
    assert frozen > 50_000  # the app's modules, mappers and routes
    assert collected >= 2000  # both objects of every cycle made after the freeze
