"""A deployment that never runs `make` (issue 9, point 2): the wheel carries the compiled catalogs,
the templates and the migrations, and an app imported from it serves Vietnamese pages."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    (os.environ.get("SCHOOLHUB_TEST_DATABASE_URL") or "").startswith("postgresql"),
    reason="runs with the SQLite suite: the wheel does not depend on the database")]
SKIP_DIRS = {".git", ".venv", "build", "dist", "instance", "__pycache__", ".pytest_cache", ".ruff_cache", "artifacts"}


def _source_copy(target: Path) -> Path:
    """The source tree without the built catalogs (as a fresh clone has it)."""
    def ignore(directory, names):
        return {n for n in names if n in SKIP_DIRS or n.endswith((".mo", ".pyc")) or n.endswith(".egg-info")}

    shutil.copytree(REPO, target, ignore=ignore)
    return target


def test_the_wheel_carries_catalogs_templates_and_migrations(tmp_path):
    src = _source_copy(tmp_path / "src")
    assert not list(src.rglob("*.mo"))
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                            "--quiet", "--wheel-dir", str(tmp_path / "dist"), str(src)],
                           capture_output=True, text=True, timeout=180)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    (wheel,) = (tmp_path / "dist").glob("schoolhub-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path / "site")
    for lang in ("vi", "en"):
        assert f"schoolhub/translations/{lang}/LC_MESSAGES/messages.mo" in names
    assert "schoolhub/bundled/templates/base.html" in names
    assert "schoolhub/bundled/migrations/env.py" in names
    assert any(n.startswith("schoolhub/bundled/migrations/versions/") for n in names)

    # The installed package, alone: migrate a database and serve the login page in Vietnamese.
    script = f"""
import sys
sys.path.insert(0, {str(tmp_path / 'site')!r})
import schoolhub
assert schoolhub.__file__.startswith({str(tmp_path / 'site')!r}), schoolhub.__file__
from schoolhub import create_app
from schoolhub.migrate import upgrade
url = "sqlite:///{tmp_path / 'db.sqlite3'}"
upgrade(url)
app = create_app({{"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": url}})
page = app.test_client().get("/login").get_data(as_text=True)
app.extensions["schoolhub.engine"].dispose()
print("VI" if "Đăng nhập" in page and 'lang="vi"' in page else page[:500])
"""
    ran = subprocess.run([sys.executable, "-c", script], cwd=str(tmp_path), capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert ran.stdout.strip().endswith("VI"), ran.stdout[-2000:]
