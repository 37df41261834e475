"""The demonstration domain's one action and its rule."""
from __future__ import annotations

from schoolhub.policy import define, is_related, rule

VIEW_DEMO = define("view_demo", "obj: unit — the demonstration page of a unit")


@rule(VIEW_DEMO)
def can_view_demo(user, unit) -> bool:
    """Anyone related to the unit (a test rule)."""
    return is_related(user, unit)
