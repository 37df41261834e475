"""The audit log of a commune or a school: who did which sensitive thing, and when."""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from flask import Blueprint, render_template, request
from flask_login import login_required

from schoolhub import policy
from schoolhub.accounts import queries
from schoolhub.accounts.models import OrgUnit
from schoolhub.accounts.policy import VIEW_AUDIT
from schoolhub.clock import LOCAL_ZONE
from schoolhub.db import get_session
from schoolhub.domains import registry
from schoolhub.pagination import paginate, small_int

bp = Blueprint("audit", __name__, url_prefix="/units")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _day(raw: str | None) -> date | None:
    """A yyyy-mm-dd date from the filter (what <input type=date> sends), else None."""
    if not raw or not _DAY.fullmatch(raw):
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LOCAL_ZONE)


@bp.route("/<int:unit_id>/audit")
@login_required
def log(unit_id: int):
    """The unit's audit log, newest first: filtered by person, action and days, one page at a time."""
    db = get_session()
    unit = policy.load_visible(db.get(OrgUnit, unit_id), policy.Action.VIEW_SCHOOL)
    policy.require(VIEW_AUDIT, unit)
    actors, actions = queries.audit_choices(db, unit)
    labels = registry().audit_labels
    filters = {
        "person": small_int(request.args.get("person")),
        "action": request.args.get("action", "") if request.args.get("action", "") in actions else "",
        "since": _day(request.args.get("since")),
        "until": _day(request.args.get("until")),
    }
    stmt = queries.audit_entries(
        unit, actor_id=filters["person"], action=filters["action"] or None,
        since=_local_midnight(filters["since"]) if filters["since"] else None,
        # "until" is a whole local day: entries before the next midnight.
        before=_local_midnight(filters["until"] + timedelta(days=1)) if filters["until"] else None)
    page = paginate(db, stmt)
    return render_template("audit/log.html", unit=unit, page=page, filters=filters, actors=actors,
                           actions=[(a, labels.get(a, a)) for a in actions], labels=labels)
