"""Translations: every source string is in the Vietnamese catalog, translated, with its placeholders.

The catalogs are committed as .po files; `make extract-messages` refreshes them
from the source and `make translations` compiles the .mo files the app reads.
"""
from __future__ import annotations

import re
import subprocess
import sys
import unicodedata
from datetime import UTC, date, datetime
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "schoolhub" / "translations"
VI_PO = TRANSLATIONS / "vi" / "LC_MESSAGES" / "messages.po"
EN_PO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"
PYBABEL = Path(sys.executable).parent / "pybabel"
# The same keywords as the Makefile's extract-messages target (pybabel's defaults are kept too).
KEYWORDS = ("_l", "lazy_gettext", "lazy_ngettext:1,2")

# %(name)s, %(num)d, %s, %% — and a lone "%" that Python's % operator would choke on.
_PLACEHOLDER = re.compile(r"%%|%(?:\([^)]*\))?[-#0 +]*(?:\d+|\*)?(?:\.(?:\d+|\*))?[diouxXeEfFgGcrsa]|%")


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def _label(message: Message) -> str:
    msgid = message.id[0] if message.pluralizable else message.id
    return f"{msgid!r}" + (f" (context {message.context!r})" if message.context else "")


def _forms(message: Message) -> list[str]:
    return list(message.string) if message.pluralizable else [message.string]


def _placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


@pytest.fixture(scope="module")
def source_catalog(tmp_path_factory) -> Catalog:
    """The messages of the source tree right now, extracted as `make extract-messages` does."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    args = [str(PYBABEL), "-q", "extract", "-F", "babel.cfg", "-o", str(pot), "--no-location", "--sort-output"]
    for keyword in KEYWORDS:
        args += ["-k", keyword]
    result = subprocess.run([*args, "."], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"pybabel extract failed:\n{result.stdout}\n{result.stderr}"
    catalog = _read(pot)
    assert len([m for m in catalog if m.id]) > 100, "extraction found suspiciously few messages"
    return catalog


@pytest.fixture(scope="module")
def vi() -> Catalog:
    return _read(VI_PO)


def test_every_source_message_is_translated_into_vietnamese(source_catalog, vi):
    problems = []
    for message in source_catalog:
        if not message.id:
            continue
        entry = vi.get(message.id, context=message.context)
        if entry is None:
            problems.append(f"missing: {_label(message)}")
        elif entry.pluralizable != message.pluralizable or (
                message.pluralizable and entry.id[1] != message.id[1]):
            problems.append(f"plural form differs from the source: {_label(message)}")
        elif entry.fuzzy:
            problems.append(f"fuzzy: {_label(message)}")
        elif not all(form.strip() for form in _forms(entry)):
            problems.append(f"untranslated: {_label(message)}")
    assert not problems, (
        f"{len(problems)} message(s) need work in {VI_PO.relative_to(ROOT)} "
        "(run `make extract-messages`, then translate):\n" + "\n".join(problems))


# A gettext call written inside an f-string: Python 3.11 reads the f-string as one string token, so
# pybabel never sees the call, and `make extract-messages` would drop its message from the catalogs (the
# page would then show it in English).
_CALL_IN_FSTRING = re.compile(r"\{[^{}]*\b(?:_|gettext|ngettext|pgettext|lazy_gettext|lazy_ngettext|_l)\(")


def test_no_message_hides_in_an_f_string_where_extraction_cannot_see_it():
    import tokenize

    found = []
    for path in sorted((ROOT / "schoolhub").rglob("*.py")):
        with path.open("rb") as f:
            for token in tokenize.tokenize(f.readline):
                prefix = re.match(r"[A-Za-z]*", token.string).group(0).lower() if token.type == tokenize.STRING else ""
                if "f" in prefix and _CALL_IN_FSTRING.search(token.string):
                    found.append(f"{path.relative_to(ROOT)}:{token.start[0]}")
    assert not found, "gettext called inside an f-string (pybabel cannot extract it); call it first:\n" + "\n".join(found)


def test_f_string_check_sees_a_call_inside_and_none_outside():
    assert _CALL_IN_FSTRING.search("f'<li>{escape(_(\"Core\"))}</li>'")
    assert _CALL_IN_FSTRING.search('f"{ngettext(\'%(num)d minute\', \'%(num)d minutes\', n)}"')
    assert not _CALL_IN_FSTRING.search("f'<li>{escape(core)}</li>'")


def test_vietnamese_catalog_header_has_one_plural_form(vi):
    assert vi.locale is not None and str(vi.locale) == "vi"
    assert vi.num_plurals == 1
    assert vi.plural_expr.strip() == "0"
    assert dict(vi.mime_headers)["Content-Type"].lower().endswith("charset=utf-8")
    assert not vi.fuzzy, "the catalog header is marked fuzzy"


def test_vietnamese_keeps_every_placeholder(vi):
    problems = []
    for entry in vi:
        if not entry.id:
            continue
        expected = _placeholders(entry.id[1] if entry.pluralizable else entry.id)
        if entry.pluralizable:
            expected |= _placeholders(entry.id[0])
        for form in _forms(entry):
            if form and _placeholders(form) != expected:
                problems.append(f"{_label(entry)}: expected {sorted(expected)}, got {sorted(_placeholders(form))} "
                                f"in {form!r}")
    assert not problems, "placeholders lost or changed:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", [VI_PO, EN_PO], ids=["vi", "en"])
def test_catalogs_compile_cleanly(path):
    """What `pybabel compile` checks (python-format consistency), then the .mo itself."""
    assert path.exists(), f"{path.relative_to(ROOT)} is missing: run `make extract-messages`"
    catalog = _read(path)
    errors = [f"{_label(message)}: {'; '.join(map(str, errs))}" for message, errs in catalog.check()]
    assert not errors, "\n".join(errors)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    assert buffer.getvalue()


def test_vietnamese_catalog_is_nfc_normalised():
    text = VI_PO.read_text(encoding="utf-8")
    bad = [f"line {n}: {line}" for n, line in enumerate(text.splitlines(), 1)
           if not unicodedata.is_normalized("NFC", line)]
    assert not bad, "Vietnamese text must be NFC (precomposed diacritics):\n" + "\n".join(bad)


def test_login_page_is_in_vietnamese_then_english(client):
    mo = VI_PO.with_suffix(".mo")
    assert mo.exists(), f"{mo.relative_to(ROOT)} is not built: run `make translations`"
    html = client.get("/login").get_data(as_text=True)
    assert 'lang="vi"' in html
    assert "Đăng nhập" in html and "Tên đăng nhập" in html and "Mật khẩu" in html
    assert "Log in" not in html

    client.post("/language", data={"lang": "en", "next": "/login"})
    html = client.get("/login").get_data(as_text=True)
    assert 'lang="en"' in html
    assert "Log in" in html and "Username" in html
    assert "Đăng nhập" not in html


def test_format_day_uses_vietnam_time(app):
    from schoolhub.i18n import format_day, format_moment

    late_evening_utc = datetime(2025, 6, 14, 20, 0, tzinfo=UTC)  # 03:00 on the 15th in Hà Nội (UTC+7)
    with app.test_request_context():
        assert format_day(late_evening_utc) == "15/06/2025"
        assert format_moment(late_evening_utc) == "15/06/2025 03:00"
        assert format_day(datetime(2025, 6, 14, 16, 59, tzinfo=UTC)) == "14/06/2025"
        assert format_day(date(2025, 6, 4)) == "04/06/2025"
        assert format_day(None) == ""
        # A naive moment is UTC, as the database hands some back.
        assert format_moment(datetime(2025, 12, 31, 17, 5)) == "01/01/2026 00:05"
        assert format_moment(None) == ""


def test_templates_follow_a_language_change_within_the_request(app):
    """Templates find the catalog once per request; switching language mid-request (Flask-Babel's
    force_locale / refresh) must still switch what they print."""
    from flask import render_template_string
    from flask_babel import force_locale

    page = "{{ _('Not found') }} / {{ ngettext('%(num)d school', '%(num)d schools', 2) }}"
    with app.test_request_context():
        assert render_template_string(page) == "Không tìm thấy / 2 trường"
        with force_locale("en"):
            assert render_template_string(page) == "Not found / 2 schools"
        assert render_template_string(page) == "Không tìm thấy / 2 trường"


def test_template_messages_are_escaped_formatted_and_kept_per_language(app):
    """`_()` in a template (a message finished once per catalog when it has no values) reads as Jinja's
    own gettext: `%%` is a percent sign, values are escaped where the template escapes and not in a
    text template, hostile values stay text, and each language keeps its own words."""
    from flask import render_template_string
    from flask_babel import force_locale

    with app.test_request_context():
        for _round in range(2):  # the second reads the finished messages
            assert render_template_string("{{ _('Not found') }}|{{ _('100%% sure') }}") == "Không tìm thấy|100% sure"
            with force_locale("en"):
                assert render_template_string("{{ _('Not found') }}") == "Not found"
        hostile = "<b>x</b>"
        html = render_template_string("{{ _('Hello %(name)s', name=who) }}", who=hostile)
        assert html == "Hello &lt;b&gt;x&lt;/b&gt;"
        text = app.jinja_env.from_string("{% autoescape false %}{{ _('Hello %(name)s', name=who) }}"
                                         "|{{ _('100%% sure') }}{% endautoescape %}")
        assert text.render(who=hostile) == "Hello <b>x</b>|100% sure"
