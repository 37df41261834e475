"""What the accounts domain shows on the home page and in the menu."""
from __future__ import annotations

from flask import url_for
from flask_babel import lazy_gettext as _l

from schoolhub import policy
from schoolhub.accounts import queries
from schoolhub.accounts.policy import MANAGE_SCHOOLS, VIEW_ROSTER
from schoolhub.domains import NavEntry


def commune_schools(db, user) -> dict | None:
    """Officer: every school of the commune with its counts and the commune's totals."""
    communes = policy.units_where(user, MANAGE_SCHOOLS)
    if not communes:
        return None
    listed, counts = [], {}
    for commune in communes:
        schools, of_commune = queries.schools_and_counts(db, commune)
        listed.append((commune, schools))
        counts.update(of_commune)
    totals = {
        commune.id: queries.SchoolCounts(
            teachers=sum(counts[s.id].teachers for s in schools if s.is_active),
            classes=sum(counts[s.id].classes for s in schools if s.is_active),
            students=sum(counts[s.id].students for s in schools if s.is_active),
        )
        for commune, schools in listed
    }
    return {"officer_schools": listed, "counts": counts, "totals": totals}


def staff_schools(db, user) -> dict | None:
    """Teachers and admins: their school's counts and classes."""
    schools = policy.units_where(user, VIEW_ROSTER)
    if not schools:
        return None
    counts, classes, sizes = queries.counts_and_classes(db, schools, open_only=True)
    return {"staff_schools": schools, "counts": counts, "school_classes": classes, "class_sizes": sizes}


def own_class(db, user) -> dict | None:
    """Students: their school and class (a class belongs to a student's membership only)."""
    places = [m for m in policy.memberships(user) if m.school_class is not None]
    return {"places": places} if places else None


def no_role(db, user) -> dict | None:
    """An account without any membership (an outside judge): say what will appear here."""
    return {} if not policy.memberships(user) else None


def nav(user) -> list[NavEntry]:
    """The commune's schools for its officers; the school's page for its staff."""
    entries = [NavEntry(str(_l("Schools")), url_for("admin.schools", commune_id=c.id))
               for c in policy.units_where(user, MANAGE_SCHOOLS)]
    entries += [NavEntry(s.name, url_for("school.overview", school_id=s.id))
                for s in policy.units_where(user, VIEW_ROSTER)]
    return entries
