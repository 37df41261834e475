"""A lesson's card on the list and search pages: one <li class="lesson-card">, built in Python.

A page draws 25 cards. As a Jinja macro each one cost a call, a link built by the router, look-ups
through the ORM's relationships and a dozen escapes: about a millisecond and a half for the page. Here a
card is one string made from what it shows (title, status, school, author, day, summary, chips), and the
same values in the same language give the same string, kept in an LRU (a pure function of its arguments:
a saved lesson brings new values, so nothing can be shown stale).

The values come from CARD_COLUMNS (rows, not ORM objects: the list and search pages load only what the
cards show) or from a Lesson, which answers the same attribute names.
"""
from __future__ import annotations

import functools

from flask_babel import get_locale
from markupsafe import Markup, escape

from schoolhub.accounts.models import OrgUnit, User
from schoolhub.i18n import format_day
from schoolhub.lessons.chips import lesson_chips
from schoolhub.lessons.models import Lesson
from schoolhub.views_common import id_link
from schoolhub.vocab import label

# What a card shows, as columns: a select of these joined with the school and (outer) the author.
CARD_COLUMNS = (Lesson.id, Lesson.title, Lesson.status, Lesson.summary, Lesson.published_at, Lesson.updated_at,
                Lesson.is_core, Lesson.topics, Lesson.subjects, Lesson.grades, Lesson.audiences,
                Lesson.duration_minutes, Lesson.tags, OrgUnit.name.label("school_name"),
                User.full_name.label("author_name"))

def lesson_card(lesson, show_status: bool = False) -> Markup:
    """The card of a lesson (a Lesson, or a row of CARD_COLUMNS); its status too on "My lessons"."""
    when = lesson.published_at or lesson.updated_at
    return _card(str(get_locale()), id_link("lessons.view", lesson_id=lesson.id), lesson.title, lesson.status if show_status else None,
                 lesson.school_name, lesson.author_name or "", format_day(when), lesson.summary or "",
                 lesson_chips(lesson))


@functools.lru_cache(maxsize=2048)
def _card(language: str, link: str, title: str, status, school: str, author: str, day: str, summary: str,
          chips: Markup) -> Markup:
    # Called inside a request of `language`: the status label answers in it.
    shown = (f' <small class="status status-{escape(status.value)}">{escape(label(status))}</small>'
             if status is not None else "")
    by = f" · {escape(author)}" if author else ""
    about = f"<p>{escape(summary)}</p>" if summary else ""
    return Markup(f'<li class="lesson-card"><h2><a href="{escape(link)}">{escape(title)}</a>{shown}</h2>'
                  f'<p class="muted">{escape(school)}{by} · {escape(day)}</p>{about}{chips}</li>')
