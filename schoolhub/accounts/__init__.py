"""Accounts: the organisation tree, classes, users, memberships, rosters and login."""
