"""Build hook: the wheel and `pip install .` carry compiled catalogs, the templates and the migrations.

The .mo files are not committed (Makefile's `translations` compiles them for development); without
them a deployment that never ran `make` would serve English pages under lang="vi". templates/ and
migrations/ sit beside the package in the source tree, so they are copied into it as
schoolhub/bundled/ (create_app and schoolhub.migrate look there when the source tree is absent).
Everything else about the package is in setup.cfg.
"""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

CATALOGS = Path("schoolhub") / "translations"
BUNDLED = ("templates", "migrations")


class build_py_with_catalogs(build_py):
    """build_py, then compile every translations/<lang>/LC_MESSAGES/messages.po next to the built package."""

    def run(self):
        super().run()
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po in sorted(CATALOGS.glob("*/LC_MESSAGES/messages.po")):
            # An editable install runs from the source tree: the catalogs go there.
            base = Path(".") if getattr(self, "editable_mode", False) else Path(self.build_lib)
            target = base / po.with_suffix(".mo")
            target.parent.mkdir(parents=True, exist_ok=True)
            with po.open("rb") as source:
                catalog = read_po(source, locale=po.parts[-3])
            with target.open("wb") as out:
                write_mo(out, catalog, use_fuzzy=False)
        if not getattr(self, "editable_mode", False):
            for name in BUNDLED:
                target = Path(self.build_lib) / "schoolhub" / "bundled" / name
                shutil.rmtree(target, ignore_errors=True)
                shutil.copytree(name, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": build_py_with_catalogs})
