"""Usernames made from Vietnamese names: 'Nguyễn Đức Quân' → 'quannd'."""
from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from schoolhub.textfold import fold

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,39}$")


def base_username(full_name: str) -> str:
    """Given name followed by the initials of family and middle names, ASCII only."""
    words = [re.sub(r"[^a-z0-9]", "", w) for w in fold(full_name).split()]
    words = [w for w in words if w]
    if not words:
        return "user"
    given, others = words[-1], words[:-1]
    base = given + "".join(w[0] for w in others)
    if len(base) < 3:
        base = (base + "hs")[:3] if len(base) < 3 else base
    return base[:34]


def unique_username(session: Session, full_name: str, reserved: set[str]) -> str:
    """A free username for `full_name`; `reserved` holds names already handed out in this batch."""
    from schoolhub.accounts.models import User

    base = base_username(full_name)
    taken = set(
        session.scalars(select(User.username).where(User.username.like(f"{base}%"))).all()
    ) | reserved
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}{n}"
    reserved.add(candidate)
    return candidate
