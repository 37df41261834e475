"""The demo commune: every domain adds its part (registered in its init_app), in order."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from schoolhub.domains import registry
from schoolhub.security import hash_password


@dataclass
class Demo:
    """What the demo steps share: the password, its one hash (fast seeding), the accounts made so far."""

    password: str
    password_hash: str
    accounts: dict = field(default_factory=dict)


def seed_demo(db: Session, password: str) -> dict:
    """Run every domain's demo step; every demo account uses `password`. Returns the demo accounts."""
    demo = Demo(password=password, password_hash=hash_password(password))
    for step in registry().demo:
        step.seed(db, demo)
    db.flush()
    return demo.accounts
