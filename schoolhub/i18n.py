"""Flask-Babel setup: Vietnamese by default, English on request, dates in Asia/Ho_Chi_Minh."""
from __future__ import annotations

from datetime import UTC, date, datetime

from flask import Flask, current_app, g, request, session
from flask_babel import Babel, format_decimal, get_translations
from flask_babel.speaklater import LazyString
from flask_login import current_user
from jinja2 import pass_eval_context
from markupsafe import Markup

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


def _local(value: datetime) -> datetime:
    """A stored moment (UTC; naive ones are UTC too) in Asia/Ho_Chi_Minh."""
    from schoolhub.clock import LOCAL_ZONE

    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(LOCAL_ZONE)


# Both formats are digits only, the same in every language: strftime gives them without Babel's pattern
# machinery (which cost a list of 50 people a few milliseconds).
def format_day(value: date | datetime | None) -> str:
    """dd/mm/yyyy; datetimes are first moved to Asia/Ho_Chi_Minh."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = _local(value)
    return value.strftime("%d/%m/%Y")


def format_moment(value: datetime | None) -> str:
    """dd/mm/yyyy HH:mm in Asia/Ho_Chi_Minh."""
    if value is None:
        return ""
    return _local(value).strftime("%d/%m/%Y %H:%M")


def _translations():
    """This request's catalog, found once: Flask-Babel looks it up again for every string (its domain,
    locale and cache, through several context proxies), which cost a page of 200 strings 1–2 ms.

    Kept beside Flask-Babel's own locale on its request namespace, so `flask_babel.refresh()` (which
    drops that locale) is followed here too."""
    ctx = g.get("_flask_babel")
    state = ctx.__dict__ if ctx is not None else {}
    locale, cached = state.get("babel_locale"), state.get("schoolhub_translations")
    if locale is not None and cached is not None and cached[0] is locale:
        return cached[1]
    translations = get_translations()
    ctx = g.get("_flask_babel")
    if ctx is not None and getattr(ctx, "babel_locale", None) is not None:
        ctx.schoolhub_translations = (ctx.babel_locale, translations)
    return translations


_MEMO_KEPT = 4096  # finished strings kept per catalog: a template's messages are a few hundred


@pass_eval_context
def template_gettext(eval_ctx, string: str, /, **variables) -> str:
    """Jinja's newstyle gettext (the message translated, marked safe where the template autoescapes,
    then always formatted with `variables`, so `%%` reads `%` in every message), with a message
    without values finished once per catalog: through Jinja's wrapper and its context calls each
    `_("…")` of the layout cost about 7 µs, twenty of them on every page.

    The memo lives on the catalog object, which Flask-Babel keeps per locale for the app's life; a
    catalog is read-only once loaded, so an entry never goes stale."""
    translations = _translations()
    if variables:
        rv = translations.ugettext(string)
        return (Markup(rv) if eval_ctx.autoescape else rv) % variables
    memo = translations.__dict__.get("_schoolhub_memo")
    if memo is None:
        memo = translations.__dict__.setdefault("_schoolhub_memo", {})
    key = (string, eval_ctx.autoescape)
    rv = memo.get(key)
    if rv is None:
        rv = translations.ugettext(string)
        rv = (Markup(rv) if eval_ctx.autoescape else rv) % {}
        if len(memo) < _MEMO_KEPT:
            memo[key] = rv
    return rv


def format_size(size: int | None) -> str:
    """A file size as people read it: 850 B, 12 KB, 3,4 MB (decimal comma in Vietnamese)."""
    size = size or 0
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{round(size / 1024)} KB"
    return f"{format_decimal(round(size / (1024 * 1024), 1))} MB"


def compiled_catalogs(app: Flask) -> str:
    """The translations directory to read, with every catalog compiled.

    The build (setup.py) and `make` compile the .po files; a tree that had neither gets them
    compiled here at first start: into the package when it is writable, else under instance/.
    """
    import logging
    from pathlib import Path

    source = Path(app.root_path) / "translations"
    missing = [po for po in source.glob("*/LC_MESSAGES/messages.po") if not po.with_suffix(".mo").exists()]
    if not missing:
        return "translations"
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for base in (source, Path(app.instance_path) / "translations"):
        try:
            for po in source.glob("*/LC_MESSAGES/messages.po"):
                target = base / po.relative_to(source).with_suffix(".mo")
                target.parent.mkdir(parents=True, exist_ok=True)
                with po.open("rb") as f:
                    catalog = read_po(f, locale=po.parts[-3])
                with target.open("wb") as f:
                    write_mo(f, catalog, use_fuzzy=False)
        except OSError:
            continue
        logging.getLogger(__name__).warning("translations were not compiled: compiled them into %s", base)
        return str(base)
    return "translations"


def init_app(app: Flask) -> None:
    """Attach Babel and the date filters."""
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=compiled_catalogs(app),
    )
    # Flask-Babel's LazyString claims to be safe HTML (__html__ returns the raw
    # text), so a lazy message quoting user input would skip autoescaping.
    # Turning it into a plain str before output puts it back under escaping.
    app.jinja_env.finalize = lambda value: str(value) if isinstance(value, LazyString) else value
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    # `{{ _("…") }}` and `{% trans %}` without values go through template_gettext's memo instead.
    app.jinja_env.globals.update(gettext=template_gettext, _=template_gettext)
    app.jinja_env.filters["day"] = format_day
    app.jinja_env.filters["moment"] = format_moment
    app.jinja_env.filters["filesize"] = format_size
