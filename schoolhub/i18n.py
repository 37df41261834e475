"""Flask-Babel setup: Vietnamese by default, English on request, dates in Asia/Ho_Chi_Minh."""
from __future__ import annotations

from datetime import date, datetime

from flask import Flask, current_app, request, session
from flask_babel import Babel, format_datetime, format_decimal
from flask_babel.speaklater import LazyString
from flask_login import current_user

babel = Babel()


def select_locale() -> str:
    """The user's saved language, else this browser's choice, else Vietnamese."""
    languages = current_app.config["LANGUAGES"]
    if getattr(current_user, "is_authenticated", False) and current_user.preferred_language in languages:
        return current_user.preferred_language
    chosen = session.get("lang") if request else None
    if chosen in languages:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def format_day(value: date | datetime | None) -> str:
    """dd/mm/yyyy; datetimes are first moved to Asia/Ho_Chi_Minh."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_datetime(value, "dd/MM/yyyy")
    return value.strftime("%d/%m/%Y")


def format_moment(value: datetime | None) -> str:
    """dd/mm/yyyy HH:mm in Asia/Ho_Chi_Minh."""
    if value is None:
        return ""
    return format_datetime(value, "dd/MM/yyyy HH:mm")


def format_size(size: int | None) -> str:
    """A file size as people read it: 850 B, 12 KB, 3,4 MB (decimal comma in Vietnamese)."""
    size = size or 0
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{round(size / 1024)} KB"
    return f"{format_decimal(round(size / (1024 * 1024), 1))} MB"


def init_app(app: Flask) -> None:
    """Attach Babel and the date filters."""
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories="translations",
    )
    # Flask-Babel's LazyString claims to be safe HTML (__html__ returns the raw
    # text), so a lazy message quoting user input would skip autoescaping.
    # Turning it into a plain str before output puts it back under escaping.
    app.jinja_env.finalize = lambda value: str(value) if isinstance(value, LazyString) else value
    app.jinja_env.filters["day"] = format_day
    app.jinja_env.filters["moment"] = format_moment
    app.jinja_env.filters["filesize"] = format_size
