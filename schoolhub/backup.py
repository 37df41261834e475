"""Backups that restore: the database and every uploaded file, readable by their owner only.

A backup is one directory `<BACKUP_DIR or --to>/<local time stamp>/` (mode 0700) holding
- the SQLite file under its own name (`schoolhub.sqlite3`): SQLite's online backup API, a consistent
  copy even while the app writes; or `database.pgdump`: `pg_dump --format=custom` of PostgreSQL;
- `uploads/`: a copy of UPLOAD_DIR;
- `manifest.json`: the kind of database, the migration, each table's row count and each upload's SHA-256.
Files are 0600: the copy holds password hashes.

Restoring checks the backup against its manifest first, then replaces the database in one
transaction (SQLite: the backup API the other way; PostgreSQL: schema dropped and the dump loaded
by one `psql --single-transaction`), then makes UPLOAD_DIR hold exactly the backup's files.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine, make_url

from schoolhub.clock import local_now

FORMAT = 1
DIR_MODE = 0o700
FILE_MODE = 0o600
PG_NAME = "database.pgdump"


class BackupError(Exception):
    """A backup or restore that could not be done; the message says why."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def upload_checksums(root: Path) -> dict[str, str]:
    """SHA-256 of every file under `root`, by path relative to it."""
    if not root.is_dir():
        return {}
    return {p.relative_to(root).as_posix(): _sha256(p) for p in sorted(root.rglob("*")) if p.is_file()}


def table_counts(engine: Engine) -> dict[str, int]:
    """Rows in every table the models know."""
    from schoolhub.db import Base
    from schoolhub.domains import import_models

    import_models()
    with engine.connect() as conn:
        return {t.name: conn.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}


def _pg_env(url: str) -> tuple[dict, str]:
    """libpq's environment for a SQLAlchemy PostgreSQL URL (the password never goes on a command line)."""
    parsed = make_url(url)
    env = dict(os.environ)
    for key, value in (("PGHOST", parsed.host or parsed.query.get("host")), ("PGPORT", parsed.port),
                       ("PGUSER", parsed.username), ("PGPASSWORD", parsed.password),
                       ("PGDATABASE", parsed.database)):
        if value:
            env[key] = str(value)
    return env, parsed.database or ""


def _run(argv: list[str], env: dict, **kwargs) -> None:
    try:
        subprocess.run(argv, env=env, check=True, capture_output=True, text=True, **kwargs)
    except FileNotFoundError as error:
        raise BackupError(f"{argv[0]} is not installed (apt-get install postgresql-client).") from error
    except subprocess.CalledProcessError as error:
        raise BackupError(f"{argv[0]} failed: {error.stderr.strip()[-2000:]}") from error


@contextlib.contextmanager
def _private_files():
    """New files and directories readable by their owner only, whatever the process's umask."""
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


def _copy_private(source: Path, target: Path) -> None:
    target.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    for path in sorted(source.rglob("*")):
        dest = target / path.relative_to(source)
        if path.is_dir():
            dest.mkdir(mode=DIR_MODE, exist_ok=True)
        elif path.is_file():
            shutil.copyfile(path, dest)
            os.chmod(dest, FILE_MODE)


def _sqlite_path(url: str) -> Path:
    return Path(make_url(url).database or "")


def make_backup(engine: Engine, database_url: str, upload_dir: Path, into: Path) -> Path:
    """Write a backup under `into` and return its directory."""
    with _private_files():
        into.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        target = into / local_now().strftime("%Y%m%d-%H%M%S")
        n = 1
        while target.exists():
            n += 1
            target = into / f"{local_now().strftime('%Y%m%d-%H%M%S')}-{n}"
        target.mkdir(mode=DIR_MODE)
        try:
            _write_backup(engine, database_url, upload_dir, target)
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)  # no half backup that looks like a whole one
            raise
    return target


def _write_backup(engine: Engine, database_url: str, upload_dir: Path, target: Path) -> None:
    from schoolhub.migrate import current_revision

    kind = engine.dialect.name
    if kind == "sqlite":
        source = _sqlite_path(database_url)
        if not source.is_file():
            raise BackupError(f"No database file at {source}.")
        name = source.name
        with contextlib.closing(sqlite3.connect(source)) as src, \
                contextlib.closing(sqlite3.connect(target / name)) as dst:
            src.backup(dst)  # one consistent snapshot, even while the app writes
    elif kind == "postgresql":
        name = PG_NAME
        env, _db = _pg_env(database_url)
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(target / name)], env)
    else:
        raise BackupError(f"backup does not know the {kind} database.")
    os.chmod(target / name, FILE_MODE)
    if upload_dir.is_dir():
        _copy_private(upload_dir, target / "uploads")
    else:
        (target / "uploads").mkdir(mode=DIR_MODE)
    manifest = {
        "format": FORMAT, "created_at": local_now().isoformat(timespec="seconds"), "database": kind,
        "file": name, "revision": current_revision(engine), "tables": table_counts(engine),
        "uploads": upload_checksums(target / "uploads"),
    }
    (target / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
    os.chmod(target / "manifest.json", FILE_MODE)


def read_manifest(source: Path) -> dict:
    """The backup's manifest, after checking that its database file and every upload are intact."""
    try:
        manifest = json.loads((source / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BackupError(f"{source} is not a schoolhub backup (no readable manifest.json).") from error
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{source} has backup format {manifest.get('format')}, this version reads {FORMAT}.")
    name = manifest.get("file") or ""
    if not name or "/" in name or not (source / name).is_file():
        raise BackupError(f"{source} has no {name}.")
    found = upload_checksums(source / "uploads")
    if found != manifest["uploads"]:
        broken = sorted(set(found.items()) ^ set(manifest["uploads"].items()))
        raise BackupError(f"The uploads in {source} differ from its manifest ({len(broken)} files): not restored.")
    return manifest


def restore_backup(engine: Engine, database_url: str, upload_dir: Path, source: Path) -> dict:
    """Replace the database and the uploads with the backup's; returns its manifest."""
    manifest = read_manifest(source)
    kind = engine.dialect.name
    if manifest["database"] != kind:
        raise BackupError(f"The backup is of a {manifest['database']} database; this app uses {kind}.")
    engine.dispose()  # no pooled connection keeps the old data open
    if kind == "sqlite":
        live = _sqlite_path(database_url)
        live.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.closing(sqlite3.connect(source / manifest["file"])) as src, \
                contextlib.closing(sqlite3.connect(live, timeout=30)) as dst:
            src.backup(dst)  # page by page under one write lock: readers see the old or the new database
    else:
        env, _name = _pg_env(database_url)
        with tempfile.TemporaryDirectory(prefix="schoolhub-restore-") as tmp:
            script = Path(tmp) / "restore.sql"
            _run(["pg_restore", "--no-owner", "--no-privileges", "--file", str(script), str(source / manifest["file"])], env)
            with script.open("r+", encoding="utf-8") as f:
                body = f.read()
                f.seek(0)
                # The schema goes and comes back in the same transaction: on any error nothing changed.
                f.write("DROP SCHEMA public CASCADE;\nCREATE SCHEMA public;\n" + body)
            _run(["psql", "--no-psqlrc", "--quiet", "--single-transaction", "-v", "ON_ERROR_STOP=1",
                  "--file", str(script)], env)
    _replace_uploads(source / "uploads", upload_dir)
    after = table_counts(engine)
    if after != manifest["tables"]:
        raise BackupError(f"Restored, but the row counts differ from the backup's: {after} != {manifest['tables']}")
    return manifest


def _replace_uploads(backup_uploads: Path, upload_dir: Path) -> None:
    """Make UPLOAD_DIR hold exactly the backup's files (in place: it may be a shared mount)."""
    upload_dir.mkdir(parents=True, exist_ok=True)
    wanted = set()
    for path in sorted(backup_uploads.rglob("*")):
        rel = path.relative_to(backup_uploads)
        dest = upload_dir / rel
        if path.is_dir():
            dest.mkdir(exist_ok=True)
            continue
        wanted.add(rel.as_posix())
        partial = dest.with_name(dest.name + ".restoring")
        shutil.copyfile(path, partial)
        os.chmod(partial, 0o640)
        os.replace(partial, dest)
    for path in sorted(upload_dir.rglob("*"), reverse=True):
        rel = path.relative_to(upload_dir).as_posix()
        if path.is_file() and rel not in wanted:
            path.unlink()


def default_is_inside_instance(backup_dir: Path, instance_path: Path) -> bool:
    """True when backups would sit beside what they protect (the CLI then says so)."""
    try:
        backup_dir.resolve().relative_to(instance_path.resolve())
    except ValueError:
        return False
    return True


def check_database_is_reachable(engine: Engine) -> None:
    """Raise BackupError when the database does not answer."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as error:
        raise BackupError(f"The database does not answer: {error}") from error
