"""Accounts' fixtures: factory methods that change accounts the way an admin would, through the services."""
from __future__ import annotations


class AccountsFactory:
    """`factory.deactivate(...)` (mixed into the core Factory)."""

    def deactivate(self, user, by):
        """Deactivate an account as `by` (its school's admin) would: every session of it ends."""
        from schoolhub.accounts import services

        services.set_user_active(self.db, by, user, False)
        self.db.commit()
        return user


def pytest_schoolhub_factory_parts() -> type:
    return AccountsFactory
