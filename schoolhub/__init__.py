"""schoolhub: the Resolution 57-NQ/TW platform of a commune's schools."""
from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from flask import Flask
from werkzeug.routing import IntegerConverter

DEV_SECRET_KEY = "dev-only-not-secret"
MAX_ID = 2**31 - 1  # ids are INTEGER columns: PostgreSQL refuses a larger number with an error, not a miss


def source_or_bundled(name: str) -> Path:
    """templates/ or migrations/: inside the package (bundled/) once installed, else beside it in the source tree."""
    here = Path(__file__).resolve().parent
    bundled = here / "bundled" / name
    return bundled if bundled.is_dir() else here.parent / name


class AsciiIntConverter(IntegerConverter):
    """An id in a URL: ASCII digits, at most 2**31 - 1 (a larger one is 404 on every database)."""

    # The bound is in the pattern itself (not in to_python): an id out of range then matches no rule at
    # all, so two rules on one path for different methods answer 404, never 405.
    regex = (r"(?:[0-9]{1,9}|1[0-9]{9}|20[0-9]{8}|21[0-3][0-9]{7}|214[0-6][0-9]{6}|2147[0-3][0-9]{5}"
             r"|21474[0-7][0-9]{4}|214748[0-2][0-9]{3}|2147483[0-5][0-9]{2}|21474836[0-3][0-9]|214748364[0-7])")


def create_app(test_config: dict | None = None, *, refuse_dev_key: bool = True) -> Flask:
    """Build the Flask app: defaults, instance/config.py, SCHOOLHUB_* variables, then test_config.

    (`refuse_dev_key=False` is for check-config only, which must report the key instead of stopping.)
    """
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(source_or_bundled("templates")),
    )
    # <int:…> in URLs: ASCII digits only, within INTEGER (Werkzeug's accepts "١" and numbers no column holds).
    app.url_map.converters["int"] = AsciiIntConverter
    instance = Path(app.instance_path)
    app.config.from_mapping(
        SECRET_KEY=DEV_SECRET_KEY,
        DATABASE_URL=f"sqlite:///{instance / 'schoolhub.sqlite3'}",
        SQLITE_BUSY_TIMEOUT=10,  # seconds a SQLite writer waits for the lock before "busy, try again"
        # psycopg prepares a statement run this often on one connection (null: never, for PgBouncer < 1.21
        # in transaction mode); a request that only read ends with COMMIT so they stay (db.end_session).
        PG_PREPARE_THRESHOLD=5,
        UPLOAD_DIR=str(instance / "uploads"),
        BACKUP_DIR=str(instance / "backups"),
        UPLOAD_MAX_BYTES=20 * 1024 * 1024,  # one attached file
        MAX_CONTENT_LENGTH=21 * 1024 * 1024,  # a whole request: the file plus the lesson's text
        PASSWORD_HASH_METHOD="scrypt",  # Werkzeug's default cost: n=2**15, r=8, p=1
        TEMP_PASSWORD_HASH_METHOD="scrypt:2048:8:1",
        RATELIMIT_STORAGE_URI="memory://",
        RATELIMIT_ENABLED=True,
        RATELIMIT_KEY_PREFIX="schoolhub",
        LOGIN_FAILURES_PER_ACCOUNT="20 per 15 minutes",  # one account, from every address together
        LOGIN_FAILURES_PER_USER="10 per 15 minutes",  # one account from one address
        LOGIN_FAILURES_PER_ADDRESS="200 per 15 minutes",  # one address, every account (a school's NAT)
        BABEL_DEFAULT_LOCALE="vi",
        BABEL_DEFAULT_TIMEZONE="Asia/Ho_Chi_Minh",
        LANGUAGES=("vi", "en"),
        PER_PAGE=25,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SECURE=None,  # None: Secure in production, unless set explicitly
        REMEMBER_COOKIE_SECURE=None,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_DURATION=timedelta(days=30),
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        WTF_CSRF_TIME_LIMIT=None,
        PROXY_COUNT=0,  # reverse proxies in front (nginx: 1); their X-Forwarded-For/-Proto are trusted
        HSTS_SECONDS=365 * 24 * 3600,  # Strict-Transport-Security outside debug/testing; 0 turns it off
        COMMUNE_NAME="Bình Chương",
        DOMAINS=None,  # None: schoolhub.domains.DOMAINS
        SQL_COUNT_HEADER=False,  # benchmarks: X-SQL-Count on every response
    )
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("SCHOOLHUB")
    if test_config is not None:
        app.config.from_mapping(test_config)

    production = not (app.debug or app.testing)
    if production and refuse_dev_key:
        if app.config["SECRET_KEY"] in (DEV_SECRET_KEY, "", None):
            raise RuntimeError(
                "schoolhub refuses to start with the development SECRET_KEY outside debug and "
                "testing: set SCHOOLHUB_SECRET_KEY (for example to the output of "
                "`python -c 'import secrets; print(secrets.token_hex(32))'`) or SECRET_KEY in "
                "instance/config.py."
            )
    for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if app.config[key] is None:
            app.config[key] = production

    os.makedirs(app.instance_path, exist_ok=True)
    if app.config["DOMAINS"] is None:
        from schoolhub.domains import DOMAINS

        app.config["DOMAINS"] = DOMAINS

    from schoolhub import (
        cli,
        db,
        domains,
        drafts,
        errors,
        hardening,
        i18n,
        markup,
        security,
        views_common,
        views_files,
        worklist,
    )

    db.init_app(app)
    hardening.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    drafts.init_app(app)
    errors.init_app(app)
    markup.init_app(app)
    worklist.init_app(app)
    views_common.init_app(app)
    app.register_blueprint(views_files.bp)  # /files/<token> of every domain
    cli.init_app(app)
    domains.init_domains(app)
    return app
