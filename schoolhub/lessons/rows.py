"""The rows of the officer's home table of teachers informed about the resolution, built in Python.

Each row shows a school, its figure and a link to the names behind it, with a sentence for screen readers;
drawn by Jinja, the two home tables of a commune's ten schools cost the officer's home about as much as its
four statements. Each row is one string, kept per shown values and language (a pure function of them).
"""
from __future__ import annotations

import functools

from flask import request
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape

from schoolhub.views_common import id_link


def informed_rows(schools, figures) -> list[Markup]:
    """One <tr> per school: its name and how many of its teachers confirmed core material, linking to who
    (figures: lessons.queries.Informed by school id)."""
    language, root = str(get_locale()), request.script_root
    rows = []
    for s in schools:
        f = figures[s.id]
        rows.append(_row(language, root, s.id, s.name, bool(s.is_active), f.informed, f.teachers))
    return rows


@functools.lru_cache(maxsize=1024)
def _row(language: str, root: str, school_id: int, name: str, active: bool, informed: int, teachers: int) -> Markup:
    # Called inside a request of `language` and under the app's `root`, whose words and links it uses.
    # Each message outside the f-strings: pybabel reads no call inside one (tests/core/test_i18n.py).
    deactivated, heading = _("deactivated"), _("Teachers informed")
    note = "" if active else f' <em>({escape(deactivated)})</em>'
    opening = "<tr>" if active else '<tr class="inactive">'
    told = _("%(done)d of %(all)d teachers of %(school)s: see who", done=informed, all=teachers, school=name)
    return Markup(
        f'{opening}<td class="title">{escape(name)}{note}</td>'
        f'<td data-label="{escape(heading)}" class="num">'
        f'<a href="{escape(id_link("lessons.informed", school_id=school_id))}" aria-label="{escape(told)}">'
        f'{informed}/{teachers}</a></td></tr>')
