"""`flask --app schoolhub check-config`: what is unsafe in this deployment's settings.

A plugin command (the `flask.commands` entry point in setup.cfg), so it runs even where
create_app would refuse to start (the development key is the first thing it should report).
Exits 1 when anything unsafe is found, so a deploy script can stop on it.
"""
from __future__ import annotations

import ipaddress
import multiprocessing
import os
from pathlib import Path

import click
from flask import Flask

MIN_KEY_LENGTH = 32


def default_workers() -> int:
    """The number of gunicorn workers deploy/gunicorn.conf.py starts with the same environment."""
    configured = os.environ.get("SCHOOLHUB_WORKERS") or os.environ.get("WEB_CONCURRENCY")
    return int(configured) if configured else min(2 * multiprocessing.cpu_count() + 1, 8)


def bind_is_local(bind: str | None = None) -> bool:
    """True when gunicorn listens where only this machine (a reverse proxy) can reach it."""
    bind = bind or os.environ.get("SCHOOLHUB_BIND", "127.0.0.1:8000")
    if bind.startswith("unix:"):
        return True
    host = bind.rsplit(":", 1)[0].strip("[]") or "0.0.0.0"
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _writable_dir(path: str) -> bool:
    return Path(path).is_dir() and os.access(path, os.W_OK | os.X_OK)


def unsafe_settings(app: Flask, *, workers: int, behind_proxy: bool) -> list[str]:
    """One sentence per unsafe setting, saying what to change (empty when all is well)."""
    from schoolhub import DEV_SECRET_KEY

    config = app.config
    found: list[str] = []
    key = config.get("SECRET_KEY") or ""
    if key == DEV_SECRET_KEY or not key:
        found.append("SECRET_KEY is the development key: set SCHOOLHUB_SECRET_KEY to a random value "
                     "(python3 -c 'import secrets; print(secrets.token_hex(32))').")
    elif len(str(key)) < MIN_KEY_LENGTH:
        found.append(f"SECRET_KEY is shorter than {MIN_KEY_LENGTH} characters: anyone who guesses it can forge sessions.")
    if config.get("DEBUG") or config.get("TESTING"):
        found.append("DEBUG or TESTING is on: turn both off in production.")
    for name in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if not config.get(name):
            found.append(f"{name} is off: cookies would travel over plain http (serve over https and leave it on).")
    if not config.get("HSTS_SECONDS"):
        found.append("HSTS_SECONDS is 0: browsers are not told to stay on https.")
    url = config["DATABASE_URL"]
    if url.startswith("sqlite") and workers > 1:
        found.append(f"SQLite with {workers} workers: writes take turns on one file, which suits one school on one "
                     "server at most; use PostgreSQL (SCHOOLHUB_DATABASE_URL=postgresql+psycopg://...) or "
                     "SCHOOLHUB_WORKERS=1.")
    if not _writable_dir(config["UPLOAD_DIR"]):
        found.append(f"UPLOAD_DIR {config['UPLOAD_DIR']} is missing or not writable: lesson files cannot be saved "
                     "(with several app servers it must be one directory they all share).")
    proxies = int(config.get("PROXY_COUNT") or 0)
    if behind_proxy and proxies == 0:
        found.append("Behind a reverse proxy without PROXY_COUNT: every user gets the proxy's address, so the "
                     "login throttle and the audit log see one address; set SCHOOLHUB_PROXY_COUNT=1 (one nginx).")
    if not behind_proxy and proxies > 0:
        found.append(f"PROXY_COUNT={proxies} but clients reach the app directly: anyone can forge X-Forwarded-For; "
                     "set it to 0.")
    storage = config.get("RATELIMIT_STORAGE_URI") or "memory://"
    if storage.startswith("memory") and workers > 1:
        found.append(f"The login throttle counts in memory with {workers} workers: each counts alone; set "
                     "SCHOOLHUB_RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379/0.")
    found.extend(_reachable(app, storage))
    found.extend(_catalogs(app))
    return found


def _reachable(app: Flask, storage: str) -> list[str]:
    found = []
    from sqlalchemy import text

    from schoolhub.db import get_engine

    url = app.config["DATABASE_URL"]
    if url.startswith("sqlite"):
        from sqlalchemy.engine import make_url

        path = make_url(url).database or ""
        if path and path != ":memory:" and not Path(path).is_file():
            # Connecting would create an empty file and hide the mistake.
            return [f"No database file at {path}: check DATABASE_URL, then run `flask --app schoolhub init-db`."]
    with app.app_context():
        try:
            with get_engine().connect() as conn:
                conn.execute(text("SELECT 1"))
                current = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except Exception as error:  # any driver error: say it, do not crash the check
            found.append(f"The database does not answer or is not initialised ({error.__class__.__name__}): "
                         "check DATABASE_URL, then run `flask --app schoolhub init-db`.")
        else:
            from alembic.script import ScriptDirectory

            from schoolhub.migrate import alembic_config

            head = ScriptDirectory.from_config(alembic_config()).get_current_head()
            if current != head:
                found.append(f"The database is at migration {current}, not {head}: run `flask --app schoolhub init-db`.")
        if not storage.startswith("memory"):
            throttle = app.extensions["schoolhub.throttle"]
            if not throttle.storage_answers():
                found.append(f"The login throttle's storage {storage} does not answer: logins work, but each "
                             "worker counts failures alone until it does.")
    return found


def _catalogs(app: Flask) -> list[str]:
    translations = Path(app.root_path) / "translations"
    missing = [po.parts[-3] for po in translations.glob("*/LC_MESSAGES/messages.po")
               if not po.with_suffix(".mo").exists()]
    if missing:
        return [f"Catalogs not compiled for {', '.join(sorted(missing))}: pages would be in English; run "
                "`pybabel compile -d schoolhub/translations` or install from a built wheel."]
    return []


@click.command("check-config")
@click.option("--workers", type=int, default=None,
              help="gunicorn workers to check for (default: SCHOOLHUB_WORKERS / WEB_CONCURRENCY, as "
                   "deploy/gunicorn.conf.py).")
@click.option("--behind-proxy/--direct", default=None,
              help="Whether a reverse proxy stands in front (default: yes when SCHOOLHUB_BIND is loopback, "
                   "as in deploy/gunicorn.conf.py).")
def check_config_command(workers: int | None, behind_proxy: bool | None):
    """List the unsafe settings of this deployment; exit 1 when there is any."""
    from schoolhub import create_app

    app = create_app(refuse_dev_key=False)
    workers = workers or default_workers()
    behind_proxy = bind_is_local() if behind_proxy is None else behind_proxy
    found = unsafe_settings(app, workers=workers, behind_proxy=behind_proxy)
    click.echo(f"schoolhub settings, checked for {workers} worker(s) "
               f"{'behind a reverse proxy' if behind_proxy else 'reached directly'}:")
    click.echo(f"  database: {_safe_url(app.config['DATABASE_URL'])}")
    click.echo(f"  uploads:  {app.config['UPLOAD_DIR']}")
    click.echo(f"  backups:  {app.config['BACKUP_DIR']}")
    app.extensions["schoolhub.engine"].dispose()
    if not found:
        click.echo("No unsafe setting found.")
        return
    click.echo(f"{len(found)} unsafe setting(s):")
    for problem in found:
        click.echo(f"  - {problem}")
    raise SystemExit(1)


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
