"""The audit log: who did which sensitive thing to which object, and when.

A core model (foreign keys by table name only), so every domain's services can write to it
without core importing a domain.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from schoolhub.clock import utcnow
from schoolhub.db import ADDRESS_KEY, Base, UTCDateTime


class AuditLog(Base):
    """Who did which sensitive thing to which object, and when."""

    __tablename__ = "audit_logs"
    __table_args__ = (Index("ix_audit_logs_unit_created", "unit_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None] = mapped_column(Integer)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id", ondelete="SET NULL"))
    detail: Mapped[str] = mapped_column(Text, default="")
    ip_address: Mapped[str | None] = mapped_column(String(45))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    actor = relationship("User")


def record(session: Session, actor, action: str, obj, unit=None, detail: str = "") -> AuditLog:
    """Add one audit row; the address is the one the web layer put on the session (None from the CLI)."""
    entry = AuditLog(
        actor_id=actor.id if actor is not None else None,
        action=action,
        object_type=type(obj).__name__,
        object_id=getattr(obj, "id", None),
        unit_id=unit.id if unit is not None else None,
        detail=detail[:2000],
        ip_address=session.info.get(ADDRESS_KEY),
    )
    session.add(entry)
    return entry
