"""Each membership carries its user's list order (memberships.user_inactive, memberships.user_sort),
kept on write in the same flush as the change, so a school's people list is read in order from the
memberships' roster index alone (accounts.listings; migration 0014).

After a flush that adds memberships or changes an account's active flag or name, one UPDATE per batch
copies the values from the users' rows, which the flush has just written: what the lists sort by is then
what `users` holds, whatever wrote it. Bulk paths that bypass the ORM (seed-scale's Core inserts) write
the values themselves or call `resync()`; tests compare with `users` after every kind of change.
"""
from __future__ import annotations

from sqlalchemy import event, inspect, not_, select, update
from sqlalchemy.orm import Session

from schoolhub.accounts.models import Membership, User

BATCH = 500
_KEYS = ("is_active_account", "name_sort")


def _copied(where):
    """UPDATE of the memberships `where` keeps, with their users' values."""
    user = select(User).where(User.id == Membership.user_id)
    return (update(Membership).where(where)
            .values(user_inactive=user.with_only_columns(not_(User.is_active_account)).scalar_subquery(),
                    user_sort=user.with_only_columns(User.name_sort).scalar_subquery()))


def _after_flush(session: Session, flush_context) -> None:
    memberships = [m.id for m in session.new if isinstance(m, Membership)]
    users = [u.id for u in session.dirty if isinstance(u, User) and inspect(u).persistent
             and any(inspect(u).attrs[key].history.has_changes() for key in _KEYS)]
    if not memberships and not users:
        return
    conn = session.connection()
    for ids, column in ((memberships, Membership.id), (users, Membership.user_id)):
        for start in range(0, len(ids), BATCH):
            conn.execute(_copied(column.in_(ids[start:start + BATCH])))


def resync(conn, user_ids: list[int] | None = None) -> None:
    """Copy the values again from `users` (every membership, or those of these users)."""
    conn.execute(_copied(Membership.user_id.in_(user_ids) if user_ids is not None else Membership.id.is_not(None)))


def install() -> None:
    """Listen to every session's flushes (idempotent)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
