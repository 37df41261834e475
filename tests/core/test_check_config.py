"""`flask --app schoolhub check-config` (issue 9, point 2): unsafe settings listed, exit 1; none, exit 0."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from schoolhub.checks import bind_is_local, check_config_command

REPO = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path, **settings) -> dict:
    base = {"SCHOOLHUB_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "SCHOOLHUB_UPLOAD_DIR": str(tmp_path),
            "SCHOOLHUB_BACKUP_DIR": str(tmp_path / "backups"), "SCHOOLHUB_RATELIMIT_STORAGE_URI": "memory://",
            "SCHOOLHUB_SECRET_KEY": "k" * 64, "SCHOOLHUB_PROXY_COUNT": "1", "SCHOOLHUB_WORKERS": "1",
            "SCHOOLHUB_BIND": "127.0.0.1:8000", "SCHOOLHUB_SESSION_COOKIE_SECURE": "true",
            "SCHOOLHUB_REMEMBER_COOKIE_SECURE": "true"}
    base.update(settings)
    return base


@pytest.fixture
def migrated(tmp_path):
    from schoolhub.migrate import upgrade

    upgrade(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    return tmp_path


def test_a_safe_setup_passes(migrated):
    result = CliRunner().invoke(check_config_command, [], env=_env(migrated))
    assert result.exit_code == 0, result.output
    assert "No unsafe setting found." in result.output


@pytest.mark.parametrize(("settings", "says"), [
    ({"SCHOOLHUB_SECRET_KEY": "dev-only-not-secret"}, "development key"),
    ({"SCHOOLHUB_SECRET_KEY": "short"}, "shorter than 32"),
    ({"SCHOOLHUB_SESSION_COOKIE_SECURE": "false"}, "SESSION_COOKIE_SECURE is off"),
    ({"SCHOOLHUB_REMEMBER_COOKIE_SECURE": "false"}, "REMEMBER_COOKIE_SECURE is off"),
    ({"SCHOOLHUB_WORKERS": "4"}, "SQLite with 4 workers"),
    ({"SCHOOLHUB_WORKERS": "4"}, "counts in memory with 4 workers"),
    ({"SCHOOLHUB_UPLOAD_DIR": "/nonexistent/schoolhub-uploads"}, "missing or not writable"),
    ({"SCHOOLHUB_PROXY_COUNT": "0"}, "without PROXY_COUNT"),
    ({"SCHOOLHUB_BIND": "0.0.0.0:8000"}, "anyone can forge X-Forwarded-For"),
    ({"SCHOOLHUB_HSTS_SECONDS": "0"}, "HSTS_SECONDS is 0"),
    ({"SCHOOLHUB_RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0"}, "does not answer"),
    ({"SCHOOLHUB_DATABASE_URL": "sqlite:////nonexistent/dir/db.sqlite3"}, "No database file"),
    ({"SCHOOLHUB_DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/none"}, "database does not answer"),
])
def test_each_unsafe_setting_is_listed(migrated, settings, says):
    result = CliRunner().invoke(check_config_command, [], env=_env(migrated, **settings))
    assert result.exit_code == 1, result.output
    assert says in result.output


def test_a_missing_sqlite_file_is_reported_not_created(tmp_path):
    missing = tmp_path / "never-made.sqlite3"
    result = CliRunner().invoke(check_config_command, [], env=_env(tmp_path, SCHOOLHUB_DATABASE_URL=f"sqlite:///{missing}"))
    assert result.exit_code == 1 and "No database file" in result.output
    assert not missing.exists()


def test_an_unwritable_upload_directory_is_listed(migrated):
    locked = migrated / "locked"
    locked.mkdir(mode=0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as a user who can write anywhere (root)")
        result = CliRunner().invoke(check_config_command, [], env=_env(migrated, SCHOOLHUB_UPLOAD_DIR=str(locked)))
        assert result.exit_code == 1 and "not writable" in result.output
    finally:
        locked.chmod(0o700)


def test_the_bind_address_tells_whether_a_proxy_is_in_front():
    assert bind_is_local("127.0.0.1:8000") and bind_is_local("unix:/run/schoolhub.sock")
    assert bind_is_local("[::1]:8000") and bind_is_local("localhost:8000")
    assert not bind_is_local("0.0.0.0:8000") and not bind_is_local("192.0.2.10:80")


def test_the_command_runs_where_create_app_would_refuse_the_key(tmp_path):
    """A flask.commands plugin: the development key is reported, not a traceback."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCHOOLHUB_")}
    env.update(_env(tmp_path, SCHOOLHUB_SECRET_KEY="dev-only-not-secret"))
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "schoolhub", "check-config"], env=env,
                            cwd=str(tmp_path), capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "development key" in result.stdout and "Traceback" not in result.stderr
