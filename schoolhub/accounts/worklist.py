"""What the accounts domain puts on people's to-do lists."""
from __future__ import annotations

from flask import url_for
from flask_babel import ngettext
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from schoolhub import policy
from schoolhub.accounts.models import Membership, OrgUnit, Role, SchoolClass, UnitKind
from schoolhub.worklist import WorkItem, provider


@provider
def schools_without_admin(session: Session, user) -> list[WorkItem]:
    """Officer: active schools of the commune that have no admin yet."""
    items = []
    for m in policy.memberships(user):
        if m.role != Role.OFFICER or m.unit.kind != UnitKind.COMMUNE:
            continue
        admin = aliased(Membership)
        n = session.scalar(
            select(func.count(OrgUnit.id))
            .outerjoin(admin, and_(admin.unit_id == OrgUnit.id, admin.role == Role.SCHOOL_ADMIN, admin.ended_on.is_(None)))
            .where(OrgUnit.parent_id == m.unit.id, OrgUnit.kind == UnitKind.SCHOOL,
                   OrgUnit.is_active.is_(True), admin.id.is_(None))
        )
        if n:
            items.append(WorkItem(
                ngettext("%(num)d school has no admin yet: appoint one", "%(num)d schools have no admin yet: appoint one", n),
                url_for("admin.schools", commune_id=m.unit.id), n))
    return items


@provider
def empty_classes(session: Session, user) -> list[WorkItem]:
    """School admin: open classes with no students, waiting for their list to be imported."""
    items = []
    for m in policy.memberships(user):
        if m.role != Role.SCHOOL_ADMIN or m.unit.kind != UnitKind.SCHOOL:
            continue
        student = aliased(Membership)
        n = session.scalar(
            select(func.count(SchoolClass.id))
            .outerjoin(student, and_(student.class_id == SchoolClass.id, student.ended_on.is_(None)))
            .where(SchoolClass.school_id == m.unit.id, SchoolClass.is_active.is_(True), student.id.is_(None))
        )
        if n:
            items.append(WorkItem(
                ngettext("%(num)d class has no students yet: import its list", "%(num)d classes have no students yet: import their lists", n),
                url_for("roster.upload", school_id=m.unit.id), n))
    return items
