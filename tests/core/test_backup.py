"""The backup drill (issue 9, point 5), on the kind of database the suite runs on: seed the demo
commune and an uploaded file, back up, wipe the database and the uploads, restore, and compare
every table's row count and a checksum of its rows, and a checksum of every upload."""
from __future__ import annotations

import hashlib
import io
import os
import shutil
import stat
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.helpers.live import app_config, drop_database, is_postgres, reset_database, sibling_database

pytestmark = pytest.mark.slow


def fingerprint(engine, uploads: Path) -> tuple[dict, dict]:
    """Per table: (rows, SHA-256 of the rows in primary-key order); per upload: its SHA-256."""
    from schoolhub.db import Base
    from schoolhub.domains import import_models

    import_models()
    tables = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            digest = hashlib.sha256()
            rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
            for row in rows:
                digest.update(repr(tuple(row)).encode())
            tables[table.name] = (len(rows), digest.hexdigest())
    files = {p.relative_to(uploads).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
             for p in sorted(uploads.rglob("*")) if p.is_file()}
    return tables, files


@pytest.fixture
def drill_database(database_url, tmp_path):
    if is_postgres(database_url):
        url = sibling_database(database_url, "drill")
        yield url
        drop_database(url)
    else:
        yield f"sqlite:///{tmp_path / 'school.sqlite3'}"


def _modes(root: Path) -> set[tuple[str, str]]:
    found = {("dir" if p.is_dir() else "file", oct(stat.S_IMODE(p.stat().st_mode))) for p in root.rglob("*")}
    return found | {("dir", oct(stat.S_IMODE(root.stat().st_mode)))}


def test_backup_wipe_restore_gives_back_every_row_and_file(drill_database, tmp_path):
    from schoolhub import create_app, files
    from schoolhub.db import get_session
    from schoolhub.demo import seed_demo
    from schoolhub.lessons import services as lesson_services
    from schoolhub.lessons.models import Lesson
    from schoolhub.migrate import upgrade
    from tests.helpers.samples import pdf_bytes, png_bytes

    url, uploads, backups = drill_database, tmp_path / "uploads", tmp_path / "offsite"
    upgrade(url)
    app = create_app(app_config(url, uploads, BACKUP_DIR=str(tmp_path / "unused")))
    try:
        with app.app_context():
            db = get_session()
            seed_demo(db, "demo-pass-57")
            lesson = db.scalars(select(Lesson).order_by(Lesson.id)).first()
            for data, name in ((png_bytes(), "ảnh.png"), (pdf_bytes(), "tài liệu.pdf")):
                stored = files.store(io.BytesIO(data), name, str(uploads), max_bytes=10**6)
                lesson_services.add_attachment(db, lesson.author, lesson, stored)
            db.commit()
        engine = app.extensions["schoolhub.engine"]
        before = fingerprint(engine, uploads)
        assert sum(count for count, _ in before[0].values()) > 50 and len(before[1]) == 2

        runner = app.test_cli_runner()
        made = runner.invoke(args=["backup", "--to", str(backups)])
        assert made.exit_code == 0, made.output
        (backup,) = [p for p in backups.iterdir() if p.is_dir()]
        assert _modes(backup) <= {("dir", "0o700"), ("file", "0o600")}, _modes(backup)
        assert {p.name for p in backup.iterdir()} >= {"manifest.json", "uploads"}

        engine.dispose()
        reset_database(url)  # the wipe: no table, no row
        shutil.rmtree(uploads)
        uploads.mkdir()
        (uploads / "stray-file-from-after-the-backup").write_bytes(b"x")
        assert runner.invoke(args=["restore", str(backup)], input="n\n").exit_code != 0  # asks first

        restored = runner.invoke(args=["restore", str(backup), "--yes"])
        assert restored.exit_code == 0, restored.output
        assert fingerprint(engine, uploads) == before

        # A backup whose files do not match its manifest is refused before anything changes.
        victim = next(p for p in (backup / "uploads").rglob("*") if p.is_file())
        os.chmod(victim, 0o600)
        victim.write_bytes(b"corrupted")
        refused = runner.invoke(args=["restore", str(backup), "--yes"])
        assert refused.exit_code != 0 and "differ from its manifest" in refused.output
        assert fingerprint(engine, uploads) == before
    finally:
        app.extensions["schoolhub.engine"].dispose()
