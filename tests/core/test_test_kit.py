"""The test kit's own rules: test modules share code only through tests/helpers and tests/plugins."""
from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent
SHARED = ("tests.helpers", "tests.plugins")


def _module_name(path: Path, root: Path) -> str:
    return ".".join(path.relative_to(root).with_suffix("").parts)


def _imported(path: Path, root: Path = ROOT) -> list[tuple[int, str]]:
    """(line, dotted name) of everything the file imports, relative imports resolved ("tests.x.test_y.name")."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    module = _module_name(path, root)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def _is_test_code(name: str) -> bool:
    return name == "tests" or name.startswith("tests.")


def _is_shared(name: str) -> bool:
    return any(name == shared or name.startswith(shared + ".") for shared in SHARED)


def test_no_test_module_imports_another_test_module():
    bad = []
    for path in sorted(TESTS.rglob("*.py")):
        for line, name in _imported(path):
            if _is_test_code(name) and not _is_shared(name):
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert not bad, "only tests.helpers and tests.plugins may be imported:\n" + "\n".join(bad)


def test_the_import_check_sees_every_form_of_import(tmp_path):
    """The check itself: each of these must be caught, or it proves nothing."""
    package = tmp_path / "tests" / "lessons"
    package.mkdir(parents=True)
    probe = package / "test_probe.py"
    refused = {
        "import tests.test_files": "tests.test_files",
        "from tests.test_files import png_bytes": "tests.test_files.png_bytes",
        "from tests import conftest": "tests.conftest",
        "from . import test_access": "tests.lessons.test_access",
        "from .test_access import ROWS": "tests.lessons.test_access.ROWS",
        "from ..accounts.test_auth import _login": "tests.accounts.test_auth._login",
        "def f():\n    from tests.browser import conftest": "tests.browser.conftest",
    }
    for source, expected in refused.items():
        probe.write_text(source + "\n", encoding="utf-8")
        assert [name for _line, name in _imported(probe, tmp_path)] == [expected], source
        assert _is_test_code(expected) and not _is_shared(expected), source
    allowed = {
        "from tests.helpers.samples import png_bytes": "tests.helpers.samples.png_bytes",
        "from ..plugins.core import factory_class": "tests.plugins.core.factory_class",
        "from tests import helpers": "tests.helpers",
    }
    for source, expected in allowed.items():
        probe.write_text(source + "\n", encoding="utf-8")
        assert [name for _line, name in _imported(probe, tmp_path)] == [expected], source
        assert _is_shared(expected), source


def test_every_plugin_is_loaded_and_only_plugins_are(pytestconfig):
    tree = ast.parse((TESTS / "conftest.py").read_text(encoding="utf-8"))
    [listed] = [ast.literal_eval(node.value) for node in tree.body
                if isinstance(node, ast.Assign) and [t.id for t in node.targets] == ["pytest_plugins"]]
    on_disk = {_module_name(p, ROOT) for p in (TESTS / "plugins").glob("*.py")
               if p.stem not in ("__init__", "hookspecs")}
    assert set(listed) == on_disk
    assert all(pytestconfig.pluginmanager.has_plugin(name) for name in listed)


# --- a run leaves no temporary directory behind ----------------------------------------------------------------

# A few tests that between them make every kind of temporary file the suite makes outside the browser
# harness: tmp_path and the run's scratch directory (SQLite file, uploads, roster imports). The harness
# gives Playwright and Chromium a TMPDIR of their own and removes it (tests/browser/conftest.py).
LEAVE_NOTHING = (
    "tests/accounts/test_roster.py::test_cli_prints_bad_rows_and_writes_nothing",  # tmp_path
    "tests/lessons/test_lesson_uploads.py::test_upload_with_a_new_lesson",
    "tests/accounts/test_roster.py::test_double_commit_is_409_and_creates_nothing",
)


def _leftovers(root: Path) -> list[str]:
    """Everything under root but pytest's own per-user directory and its `pytest-current` link."""
    found = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if len(relative.parts) == 1 and relative.name.startswith("pytest-of-") and path.is_dir():
            continue  # pytest's root for every run of this user: it is meant to stay
        if len(relative.parts) == 2 and relative.name == "pytest-current" and path.is_symlink():
            continue  # points at the removed run: pytest replaces it at the next run
        found.append(f"{relative}{'/' if path.is_dir() else ''}")
    return found


@pytest.mark.slow
def test_a_run_leaves_no_temporary_directory_behind(tmp_path):
    """A passing run in a child pytest, with its own TMPDIR: afterwards that directory holds nothing of it."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST_", "SCHOOLHUB_TEST_"))}
    # (Without SCHOOLHUB_TEST_DATABASE_URL: always SQLite, as a child on the parent's PostgreSQL database
    # would drop its schema mid-run.)
    env["TMPDIR"] = str(temp)
    # (Hypothesis's and coverage's plugins are off only to start faster: these tests use neither.)
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:hypothesispytest",
                          "-p", "no:pytest_cov", *LEAVE_NOTHING],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert f"{len(LEAVE_NOTHING)} passed" in run.stdout, run.stdout[-2000:]
    assert _leftovers(temp) == []


def test_the_leftover_check_sees_what_a_run_could_leave(tmp_path):
    (tmp_path / "pytest-of-root" / "pytest-7" / "test_x0").mkdir(parents=True)
    (tmp_path / "pytest-of-root" / "pytest-current").symlink_to(tmp_path / "pytest-of-root" / "pytest-6")
    (tmp_path / "schoolhub-tests-k2j4").mkdir()
    (tmp_path / "playwright_chromiumdev_profile-x").mkdir()
    assert _leftovers(tmp_path) == ["playwright_chromiumdev_profile-x/", "pytest-of-root/pytest-7/",
                                    "pytest-of-root/pytest-7/test_x0/", "schoolhub-tests-k2j4/"]
