"""What the lessons domain shows on the home page."""
from __future__ import annotations

from schoolhub import policy
from schoolhub.accounts.queries import schools_under
from schoolhub.lessons import queries
from schoolhub.lessons.policy import VIEW_CONFIRMATIONS, VIEW_INFORMED, lesson_schools
from schoolhub.worklist import NOT_ASKED, page_answer

LATEST = 5


def latest(db, user) -> dict:
    """Everyone: the newest lessons they may read, and the way to write one where they may."""
    text = page_answer(queries.NEWEST, user)  # asked with the user (lessons' init_app), else asked here
    latest = queries.newest_few(db, user, LATEST) if text is NOT_ASKED else queries.newest_rows(text)
    return {"latest_lessons": latest,
            "can_write": bool(lesson_schools(user))}


def informed(db, user) -> dict | None:
    """Officers: per school of the commune, how many teachers confirmed core material (names one click away)."""
    communes = policy.units_where(user, VIEW_INFORMED)
    if not communes:
        return None
    informed, figures = [], {}
    for commune in communes:
        schools = schools_under(db, commune)
        per_school, total = queries.informed_in_commune(db, commune, schools)
        figures.update(per_school)
        informed.append((commune, schools, total))
    return {"informed": informed, "figures": figures}


def school_informed(db, user) -> dict | None:
    """School admins: each core lesson their teachers are asked to confirm, and how many did."""
    schools = policy.units_where(user, VIEW_CONFIRMATIONS)
    if not schools:
        return None
    return {"school_informed": [(school, *queries.school_informed(db, school)) for school in schools]}
