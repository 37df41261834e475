"""What the accounts domain puts on people's worklists."""
from __future__ import annotations

from flask import url_for
from flask_babel import ngettext

from schoolhub.accounts import queries
from schoolhub.accounts.policy import MANAGE_PEOPLE, MANAGE_SCHOOLS
from schoolhub.worklist import Pending, Provider


def schools_without_admin(user, communes) -> list[Pending]:
    """Officer: active schools of the commune that have no admin yet."""
    return [Pending(queries.count_schools_without_admin(commune), lambda n: ngettext(
        "%(num)d school has no admin yet: appoint one", "%(num)d schools have no admin yet: appoint one", n),
        url_for("admin.schools", commune_id=commune.id)) for commune in communes]


def empty_classes(user, schools) -> list[Pending]:
    """School admin: open classes with no students, waiting for their list to be imported."""
    return [Pending(queries.count_empty_classes(school), lambda n: ngettext(
        "%(num)d class has no students yet: import its list",
        "%(num)d classes have no students yet: import their lists", n),
        url_for("roster.upload", school_id=school.id)) for school in schools]


PROVIDERS = (Provider(MANAGE_SCHOOLS, schools_without_admin), Provider(MANAGE_PEOPLE, empty_classes))
