"""What the lessons domain puts on people's to-do lists."""
from __future__ import annotations

from flask import url_for
from flask_babel import ngettext
from sqlalchemy.orm import Session

from schoolhub import policy
from schoolhub.accounts.models import Role
from schoolhub.lessons import queries
from schoolhub.worklist import WorkItem, provider


@provider
def core_to_confirm(session: Session, user) -> list[WorkItem]:
    """Teachers and school admins: core Resolution 57 material not yet confirmed as read."""
    if not ({Role.TEACHER, Role.SCHOOL_ADMIN} & policy.roles(user)):
        return []
    n = queries.core_unconfirmed_count(session, user)
    if not n:
        return []
    first = queries.core_unconfirmed(session, user, limit=1)[0]
    target = url_for("lessons.view", lesson_id=first.id)
    return [WorkItem(ngettext("%(num)d core Resolution 57 lesson to read and confirm",
                              "%(num)d core Resolution 57 lessons to read and confirm", n), target, n)]
