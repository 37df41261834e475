"""An empty demonstration domain: one blueprint with one route, one action with one rule.

tests/core/test_domains.py adds it to an app's DOMAINS and checks that it plugs in without any edit
outside this package: its route answers, its rule decides, its menu entry and home panel show.
"""
from __future__ import annotations

from flask import Blueprint, Flask, render_template_string, url_for
from flask_login import login_required

from schoolhub import policy as core_policy
from schoolhub.db import get_session
from schoolhub.domains import NavEntry, registry

bp = Blueprint("demo_domain", __name__, url_prefix="/demo-domain", template_folder="templates")


@bp.route("/<int:unit_id>")
@login_required
def unit(unit_id: int):
    """A page about one unit, for whoever the demonstration rule lets in."""
    from schoolhub.accounts.models import OrgUnit
    from tests.helpers.demo_domain.policy import VIEW_DEMO

    found = core_policy.load_visible(get_session().get(OrgUnit, unit_id), VIEW_DEMO)
    return render_template_string("demo page of {{ name }}", name=found.name)


def _nav(user):
    from tests.helpers.demo_domain.policy import VIEW_DEMO

    return [NavEntry("Demo " + u.name, url_for("demo_domain.unit", unit_id=u.id))
            for u in core_policy.units_where(user, VIEW_DEMO)]


def _panel(db, user):
    from tests.helpers.demo_domain.policy import VIEW_DEMO

    units = core_policy.units_where(user, VIEW_DEMO)
    return {"units": units} if units else None


def init_app(app: Flask) -> None:
    """Register the demonstration domain."""
    from tests.helpers.demo_domain import policy as demo_policy

    assert demo_policy
    app.register_blueprint(bp)
    reg = registry(app)
    reg.add_nav(_nav)
    reg.add_panel(99, "demo_domain/_panel.html", _panel)
