"""What the accounts domain puts on people's worklists."""
from __future__ import annotations

from flask import url_for
from flask_babel import ngettext
from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from schoolhub.accounts.models import Membership, OrgUnit, Role, SchoolClass, UnitKind
from schoolhub.accounts.policy import MANAGE_PEOPLE, MANAGE_SCHOOLS
from schoolhub.worklist import Pending, Provider


def schools_without_admin(user, communes) -> list[Pending]:
    """Officer: active schools of the commune that have no admin yet."""
    found = []
    for commune in communes:
        admin = aliased(Membership)
        count = (select(func.count(OrgUnit.id))
                 .outerjoin(admin, and_(admin.unit_id == OrgUnit.id, admin.role == Role.SCHOOL_ADMIN))
                 .where(OrgUnit.parent_id == commune.id, OrgUnit.kind == UnitKind.SCHOOL,
                        OrgUnit.is_active.is_(True), admin.id.is_(None))
                 .scalar_subquery())
        found.append(Pending(count, lambda n: ngettext(
            "%(num)d school has no admin yet: appoint one", "%(num)d schools have no admin yet: appoint one", n),
            url_for("admin.schools", commune_id=commune.id)))
    return found


def empty_classes(user, schools) -> list[Pending]:
    """School admin: open classes with no students, waiting for their list to be imported."""
    found = []
    for school in schools:
        student = aliased(Membership)
        count = (select(func.count(SchoolClass.id))
                 .outerjoin(student, student.class_id == SchoolClass.id)
                 .where(SchoolClass.school_id == school.id, SchoolClass.is_active.is_(True), student.id.is_(None))
                 .scalar_subquery())
        found.append(Pending(count, lambda n: ngettext(
            "%(num)d class has no students yet: import its list",
            "%(num)d classes have no students yet: import their lists", n),
            url_for("roster.upload", school_id=school.id)))
    return found


PROVIDERS = (Provider(MANAGE_SCHOOLS, schools_without_admin), Provider(MANAGE_PEOPLE, empty_classes))
