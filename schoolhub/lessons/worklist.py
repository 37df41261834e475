"""What the lessons domain puts on people's worklists."""
from __future__ import annotations

from flask import url_for
from flask_babel import ngettext
from sqlalchemy import func, select

from schoolhub.lessons import queries
from schoolhub.lessons.models import Lesson
from schoolhub.lessons.policy import CONFIRM_CORE
from schoolhub.worklist import Pending, Provider


def core_to_confirm(user, schools) -> list[Pending]:
    """Core Resolution 57 material the user is asked to confirm (by its scope and audiences) and has not yet."""
    unconfirmed = queries.core_unconfirmed_select(user)  # built once: building it is most of the badge's cost
    # Counted over the ids alone: SQLite reads every column a counted subquery names, and a lesson's
    # are long (its body, rendered HTML and search texts, about 10 KB): the teacher's layout statement,
    # which asks this badge, 0.62 -> 0.55 ms at the commune preset (with SQLite's memory map, db.py).
    count = (select(func.count()).select_from(unconfirmed.with_only_columns(Lesson.id).subquery())
             .scalar_subquery())
    first = (unconfirmed.with_only_columns(Lesson.id)
             .order_by(Lesson.published_at.desc(), Lesson.id.desc()).limit(1).scalar_subquery())
    return [Pending(count, lambda n: ngettext("%(num)d core Resolution 57 lesson to read and confirm",
                                              "%(num)d core Resolution 57 lessons to read and confirm", n),
                    lambda lesson_id: url_for("lessons.view", lesson_id=lesson_id), target=first)]


PROVIDERS = (Provider(CONFIRM_CORE, core_to_confirm),)
