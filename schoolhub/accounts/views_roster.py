"""Roster import: upload a class list, preview every row, commit all or nothing."""
from __future__ import annotations

from flask import Blueprint
from flask_login import login_required

bp = Blueprint("roster", __name__, url_prefix="/schools")


@bp.route("/<int:school_id>/import", methods=["GET", "POST"])
@login_required
def upload(school_id: int):
    """Upload form (filled in by the roster import work)."""
    from flask import abort

    abort(404)
