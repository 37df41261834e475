"""Accounts tests: login, the commune officer's and the school admin's screens, roster import."""
