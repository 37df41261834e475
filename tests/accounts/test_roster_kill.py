"""A roster import whose process is killed half-way leaves nothing (issue 9, point 6).

`flask import-roster` runs in a process of its own, on the kind of database the suite uses; it is
killed with SIGKILL at the worst moment: every account of the list inserted, the transaction not
yet committed. Afterwards the school has exactly the people it had before."""
from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from sqlalchemy import create_engine, text

from tests.helpers.live import app_config, drop_database, is_postgres, seed_school, sibling_database

pytestmark = pytest.mark.slow

KILLER = """
import os, signal, sys
from schoolhub.accounts import roster_services
def die(*args, **kwargs):  # called once every row is inserted, just before the commit
    os.kill(os.getpid(), signal.SIGKILL)
roster_services.audit = die
from flask.cli import main
sys.argv = ["flask", "--app", "schoolhub", "import-roster", sys.argv[1], "--school", "SL", "--create-classes"]
main()
"""


@pytest.fixture
def kill_database(database_url, tmp_path):
    if is_postgres(database_url):
        url = sibling_database(database_url, "kill")
        yield url
        drop_database(url)
    else:
        yield f"sqlite:///{tmp_path / 'school.sqlite3'}"


def _people(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM users")).scalar()
    finally:
        engine.dispose()


def test_a_killed_import_leaves_nothing(kill_database, tmp_path):
    seed_school(kill_database, tmp_path / "uploads", teachers=1)
    before = _people(kill_database)
    roster = tmp_path / "lop7a.csv"
    roster.write_text("STT,Họ và tên,Ngày sinh,Lớp\n" + "\n".join(
        f"{i},Học Sinh Số {i},01/02/2012,7A" for i in range(1, 121)), encoding="utf-8")
    config = app_config(kill_database, tmp_path / "uploads")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCHOOLHUB_")}
    env.update({f"SCHOOLHUB_{k}": str(v) for k, v in config.items() if k != "TESTING"})
    env["SCHOOLHUB_SECRET_KEY"] = "k" * 40
    done = subprocess.run([sys.executable, "-c", KILLER, str(roster)], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == -signal.SIGKILL, done.stdout[-2000:] + done.stderr[-2000:]
    assert _people(kill_database) == before
    # The same file imports whole once nothing kills the process.
    ok = subprocess.run([sys.executable, "-m", "flask", "--app", "schoolhub", "import-roster", str(roster),
                         "--school", "SL", "--create-classes", "--out", str(tmp_path / "out.csv")],
                        env=env, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr[-2000:]
    assert _people(kill_database) == before + 120
