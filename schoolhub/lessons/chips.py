"""A lesson's chips (core material, topics, subjects, grades, audiences, length, tags) as one HTML list.

Built in Python rather than by a Jinja macro: a list or search page draws 25 of them, and the macro's
loops, look-ups and escapes cost those pages 1-2 ms each. The list depends only on the lesson's stored
values and the reader's language, so the same values in the same language give the same HTML, made once
(a pure function of its arguments: nothing a later save could make stale).
"""
from __future__ import annotations

import functools

from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from markupsafe import Markup, escape

from schoolhub.lessons.vocab import grade_label, labels_in, unpack


def lesson_chips(lesson, language: str | None = None) -> Markup:
    """The <ul class="chips lesson-meta"> of a lesson (or of anything with the same columns), in the
    reader's language (given when the caller looked it up already)."""
    return _chips(language or str(get_locale()), bool(lesson.is_core), lesson.topics or "", lesson.subjects or "",
                  lesson.grades or "", lesson.audiences or "", lesson.duration_minutes, lesson.tags or "")


@functools.lru_cache(maxsize=2048)
def _chips(language: str, is_core: bool, topics: str, subjects: str, grades: str, audiences: str,
           duration: int | None, tags: str) -> Markup:
    # Called inside a request of `language`: gettext and labels_in both answer in it.
    labels = labels_in(language)
    items: list[str] = []
    # Each message outside the f-strings: pybabel reads no call inside one (tests/core/test_i18n.py).
    if is_core:
        core = _("Core Resolution 57 material")
        items.append(f'<li class="core">{escape(core)}</li>')
    items.extend(f"<li>{escape(labels['TOPICS'][t])}</li>" for t in unpack(topics) if t in labels["TOPICS"])
    items.extend(f"<li>{escape(labels['SUBJECTS'][s])}</li>" for s in unpack(subjects) if s in labels["SUBJECTS"])
    for g in unpack(grades):
        grade = int(g)
        items.append(f"<li>{escape(labels['GRADE_LABELS'].get(grade) or grade_label(grade))}</li>")
    for a in unpack(audiences):
        if a in labels["AUDIENCES"]:
            audience = _("For %(who)s", who=labels["AUDIENCES"][a].lower())
            items.append(f"<li>{escape(audience)}</li>")
    if duration:
        length = ngettext("%(num)d minute", "%(num)d minutes", duration)
        items.append(f"<li>{escape(length)}</li>")
    items.extend(f'<li class="tag">#{escape(t.strip())}</li>' for t in tags.split(",") if t.strip())
    return Markup(f'<ul class="chips lesson-meta">{"".join(items)}</ul>')
