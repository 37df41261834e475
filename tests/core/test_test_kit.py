"""The test kit's own rules: test modules share code only through tests/helpers and tests/plugins."""
from __future__ import annotations

import ast
from pathlib import Path

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
