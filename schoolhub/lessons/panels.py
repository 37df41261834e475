"""What the lessons domain shows on the home page."""
from __future__ import annotations

from schoolhub import policy
from schoolhub.lessons import queries
from schoolhub.lessons.policy import VIEW_INFORMED, lesson_schools

LATEST = 5


def latest(db, user) -> dict:
    """Everyone: the newest lessons they may read, and the way to write one where they may."""
    return {"latest_lessons": list(db.scalars(queries.newest(user).limit(LATEST))),
            "can_write": bool(lesson_schools(user))}


def informed(db, user) -> dict | None:
    """Officers: how many of the commune's teachers confirmed core material."""
    communes = policy.units_where(user, VIEW_INFORMED)
    if not communes:
        return None
    return {"informed": [(commune, queries.informed_teachers(db, commune)) for commune in communes]}
