"""A lesson's card on the list and search pages (one <li class="lesson-card">) and its entry in the Atom
feed, built in Python.

A page draws 25 cards. As a Jinja macro each one cost a call, a link built by the router, look-ups
through the ORM's relationships and a dozen escapes: about a millisecond and a half for the page. Here a
card is one string made from what it shows (title, status, school, author, day, summary, chips), and the
same values in the same language give the same string, kept in an LRU (a pure function of its arguments:
a saved lesson brings new values, so nothing can be shown stale).

The feed's 30 entries, drawn by Jinja, cost it about 3 ms (each body of about 3 KB escaped, a summary
cut from the body's text where the lesson has none, two links); each entry is kept the same way.

The values come from CARD_COLUMNS (rows, not ORM objects: the list and search pages load only what the
cards show) or from a Lesson, which answers the same attribute names.
"""
from __future__ import annotations

import functools
from collections import namedtuple

from flask import current_app
from flask_babel import get_locale
from jinja2.filters import do_truncate
from markupsafe import Markup, escape
from sqlalchemy.engine import Row

from schoolhub.accounts.models import OrgUnit, User
from schoolhub.i18n import format_day
from schoolhub.lessons.chips import lesson_chips
from schoolhub.lessons.models import Lesson
from schoolhub.lessons.vocab import labels_in, unpack
from schoolhub.views_common import id_link
from schoolhub.vocab import label

# What a card shows, as columns: a select of these joined with the school and (outer) the author.
CARD_COLUMNS = (Lesson.id, Lesson.title, Lesson.status, Lesson.summary, Lesson.published_at, Lesson.updated_at,
                Lesson.is_core, Lesson.topics, Lesson.subjects, Lesson.grades, Lesson.audiences,
                Lesson.duration_minutes, Lesson.tags, OrgUnit.name.label("school_name"),
                User.full_name.label("author_name"))
# What a feed entry shows: a card's values, the rendered body instead of the chips.
ENTRY_COLUMNS = (Lesson.id, Lesson.title, Lesson.summary, Lesson.body_html, Lesson.published_at, Lesson.updated_at,
                 Lesson.topics, OrgUnit.name.label("school_name"), User.full_name.label("author_name"))
_ATOM_TIME = "%Y-%m-%dT%H:%M:%SZ"
# A card's values by name, as a row of CARD_COLUMNS has them (its values by position: lessons.queries sorts by them).
CARD_FIELDS = tuple(column.key for column in CARD_COLUMNS)
_SHOWN = len(CARD_FIELDS)
_CardValues = namedtuple("_CardValues", CARD_FIELDS)
_ENTRY_FIELDS = tuple(column.key for column in ENTRY_COLUMNS)
_EntryValues = namedtuple("_EntryValues", _ENTRY_FIELDS)

def lesson_card(lesson, show_status: bool = False, language: str | None = None) -> Markup:
    """The card of a lesson (a Lesson, or a row of CARD_COLUMNS); its status too on "My lessons"."""
    language = language or str(get_locale())
    when = lesson.published_at or lesson.updated_at
    return _card(language, id_link("lessons.view", lesson_id=lesson.id), lesson.title, lesson.status if show_status else None,
                 lesson.school_name, lesson.author_name or "", format_day(when), lesson.summary or "",
                 lesson_chips(lesson, language))


def lesson_cards(lessons, show_status: bool = False) -> list[Markup]:
    """lesson_card of each lesson of a page, the reader's language looked up once for all of them.

    A row of CARD_COLUMNS holds every value its card shows, so the same row in the same language (and
    under the same link prefix) gives the same card: kept whole, a card is one look-up instead of a
    date moved to local time, a link, the chips' and the card's look-ups (0.6 ms for a page of 25 at
    the province preset). An edited lesson comes as another row: nothing is shown stale."""
    language = str(get_locale())
    prefix = id_link("lessons.view", lesson_id=1)  # the router's answer for this request (the app's root)
    # Kept by the card's values alone (a ranked page's rows carry their count too), as a plain tuple: a
    # Row would keep its result's metadata, and through it the statement, alive in the cache.
    # A page's rows come from one statement: whether they are rows of CARD_COLUMNS is asked of the
    # first (a Row makes its tuple of names anew each time it is asked).
    first = lessons[0] if lessons else None
    if isinstance(first, Row) and first._fields[:_SHOWN] == CARD_FIELDS and all(
            type(lesson) is type(first) and lesson._parent is first._parent for lesson in lessons):
        return [_row_card(language, show_status, prefix, lesson[:_SHOWN]) for lesson in lessons]
    return [_row_card(language, show_status, prefix, lesson[:_SHOWN])
            if isinstance(lesson, Row) and lesson._fields[:_SHOWN] == CARD_FIELDS
            else lesson_card(lesson, show_status, language) for lesson in lessons]


@functools.lru_cache(maxsize=2048)
def _row_card(language: str, show_status: bool, _prefix: str, values: tuple) -> Markup:
    return lesson_card(_CardValues(*values), show_status, language)


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


def feed_entry(lesson, language: str | None = None) -> Markup:
    """The Atom <entry> of a public lesson (a row of ENTRY_COLUMNS, or a Lesson)."""
    return _entry(language or str(get_locale()), id_link("lessons.view", _external=True, lesson_id=lesson.id),
                  lesson.title, lesson.published_at.strftime(_ATOM_TIME), lesson.updated_at.strftime(_ATOM_TIME),
                  lesson.author_name or lesson.school_name, lesson.topics or "", lesson.summary or "",
                  lesson.body_html or "")


def feed_entries(lessons) -> list[Markup]:
    """feed_entry of each lesson of the feed, the reader's language and the link's prefix looked up once.

    As lesson_cards does for a page of cards: a row of ENTRY_COLUMNS holds every value its entry shows,
    so the same row in the same language under the same external link prefix gives the same entry, kept
    whole (one look-up instead of the language, a link and two dates formatted, for each of 30 entries:
    a fifth of the feed's app time at the province preset). An edited lesson comes as another row."""
    language = str(get_locale())
    prefix = id_link("lessons.view", _external=True, lesson_id=1)  # the host and root of this request
    first = lessons[0] if lessons else None
    if isinstance(first, Row) and first._fields == _ENTRY_FIELDS and all(
            type(lesson) is type(first) and lesson._parent is first._parent for lesson in lessons):
        return [_row_entry(language, prefix, tuple(lesson)) for lesson in lessons]
    return [feed_entry(lesson, language) for lesson in lessons]


@functools.lru_cache(maxsize=256)
def _row_entry(language: str, _prefix: str, values: tuple) -> Markup:
    # Kept under the prefix: the link inside is built for this request's host and root.
    return feed_entry(_EntryValues(*values), language)


@functools.lru_cache(maxsize=256)
def _entry(language: str, link: str, title: str, published: str, updated: str, author: str, topics: str,
           summary: str, body_html: str) -> Markup:
    # Called inside a request of `language`: the topics' labels are in it.
    labels = labels_in(language)["TOPICS"]
    categories = "".join(f'<category term="{escape(t)}" label="{escape(labels[t])}"/>'
                         for t in unpack(topics) if t in labels)
    excerpt = summary or Markup(body_html).striptags()[:300]
    link = escape(link)
    return Markup(f"""  <entry>
    <title>{escape(title)}</title>
    <id>{link}</id>
    <link rel="alternate" type="text/html" href="{link}"/>
    <published>{published}</published>
    <updated>{updated}</updated>
    <author><name>{escape(author)}</name></author>
    {categories}
    <summary type="text">{escape(do_truncate(current_app.jinja_env, excerpt, 300))}</summary>
    <content type="html">{escape(body_html)}</content>
  </entry>
""")
