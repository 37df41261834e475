"""Login throttling that stops password guessing without locking a school out.

Only failed logins count, in moving windows (Flask-Limiter's `limits` library underneath):

- per account, across every address (LOGIN_FAILURES_PER_ACCOUNT): guessing one account's password
  from many addresses is stopped;
- per account and address (LOGIN_FAILURES_PER_USER): the same, sooner, from one address;
- per address (LOGIN_FAILURES_PER_ADDRESS): a school behind one address shares it, so when it is
  full it refuses only wrong passwords and accounts that failed recently: the correct password of
  an account with no recent failure still gets in, and one attacker cannot block a school.

Counts live in RATELIMIT_STORAGE_URI (Redis when there are several app servers, so every worker and
server counts toward one limit). When Redis does not answer, counting goes on in this process's
memory (logged) and Redis is tried again every FALLBACK_RETRY seconds: logins keep working.
"""
from __future__ import annotations

import logging
import threading
import time
import weakref
from dataclasses import dataclass

from flask import Flask, current_app
from limits import parse
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

log = logging.getLogger(__name__)
FALLBACK_RETRY = 30.0  # seconds between attempts to reach the shared storage again
_ALL: weakref.WeakSet = weakref.WeakSet()


@dataclass(frozen=True)
class Verdict:
    """What the counts say before a password is checked."""

    blocked_until: float | None  # epoch seconds: this account may not try again before then
    address_full_until: float | None  # epoch seconds: the address has used its failures
    account_failures: int  # recent failures of the account, from any address


class LoginThrottle:
    """Failed-login counts of one app, in shared storage with an in-memory fallback."""

    def __init__(self, app: Flask):
        config = app.config
        self.enabled = bool(config.get("RATELIMIT_ENABLED", True))
        self.uri = config["RATELIMIT_STORAGE_URI"]
        prefix = config.get("RATELIMIT_KEY_PREFIX") or "schoolhub"
        self.per_account = parse(config["LOGIN_FAILURES_PER_ACCOUNT"])
        self.per_account_address = parse(config["LOGIN_FAILURES_PER_USER"])
        self.per_address = parse(config["LOGIN_FAILURES_PER_ADDRESS"])
        options: dict = {"key_prefix": prefix}
        if self.uri.startswith(("redis", "rediss", "valkey")):
            # A Redis that is away must cost a login a second at most, never a worker timeout.
            options.update(socket_connect_timeout=1.0, socket_timeout=1.0)
        self._primary = MovingWindowRateLimiter(storage_from_string(self.uri, **options))
        self._fallback = MovingWindowRateLimiter(MemoryStorage())
        self._shared = not self.uri.startswith("memory")
        self._down_since: float | None = None
        self._lock = threading.Lock()
        _ALL.add(self)

    # ---- storage with fallback ------------------------------------------------------------

    def _limiters(self) -> list[MovingWindowRateLimiter]:
        with self._lock:
            if self._down_since is not None and time.monotonic() - self._down_since >= FALLBACK_RETRY:
                self._down_since = None  # try the shared storage again
            return [self._fallback] if self._down_since is not None else [self._primary, self._fallback]

    def _run(self, operation):
        for limiter in self._limiters():
            if limiter is self._fallback:
                return operation(limiter)
            try:
                return operation(limiter)
            except Exception as error:  # any storage error: count in memory rather than refuse logins
                with self._lock:
                    if self._down_since is None:
                        log.warning("login throttle: %s does not answer (%s); counting failed logins in "
                                    "this process's memory until it does", self.uri, error)
                    self._down_since = time.monotonic()
        raise AssertionError("unreachable")

    @property
    def using_fallback(self) -> bool:
        """True while the shared storage is away and counts are kept in this process."""
        return self._down_since is not None

    def storage_answers(self) -> bool:
        """True when the shared storage answers right now (check-config)."""
        try:
            return bool(self._primary.storage.check())
        except Exception:
            return False

    def reset(self) -> None:
        """Forget every count (tests)."""
        self._fallback.storage.reset()
        if not self._shared:
            self._primary.storage.reset()

    # ---- questions ---------------------------------------------------------------------------

    @staticmethod
    def _keys(username: str, address: str) -> tuple[tuple, tuple, tuple]:
        return (("login-account", username), ("login-account-address", address, username),
                ("login-address", address))

    def check(self, username: str, address: str) -> Verdict:
        """The counts for an attempt on `username` from `address`, before the password is checked."""
        if not self.enabled:
            return Verdict(None, None, 0)
        account, pair, addr = self._keys(username, address)

        def look(limiter):
            return (limiter.get_window_stats(self.per_account, *account),
                    limiter.get_window_stats(self.per_account_address, *pair),
                    limiter.get_window_stats(self.per_address, *addr))

        acct_stats, pair_stats, addr_stats = self._run(look)
        exhausted = [s.reset_time for s in (acct_stats, pair_stats) if s.remaining <= 0]
        return Verdict(
            blocked_until=max(exhausted) if exhausted else None,
            address_full_until=addr_stats.reset_time if addr_stats.remaining <= 0 else None,
            account_failures=self.per_account.amount - acct_stats.remaining,
        )

    def failed(self, username: str, address: str) -> tuple[int, float]:
        """Count a failed login; returns the tries this account has left from this address, and when
        the oldest counted failure stops counting (epoch seconds)."""
        if not self.enabled:
            return self.per_account_address.amount, time.time()
        account, pair, addr = self._keys(username, address)

        def hit(limiter):
            limiter.hit(self.per_account, *account)
            limiter.hit(self.per_account_address, *pair)
            limiter.hit(self.per_address, *addr)
            return (limiter.get_window_stats(self.per_account, *account),
                    limiter.get_window_stats(self.per_account_address, *pair))

        stats = self._run(hit)
        left = min(s.remaining for s in stats)
        resets = [s.reset_time for s in stats if s.remaining == left]
        return max(left, 0), max(resets)


def reset_all() -> None:
    """Forget the counts of every throttle of this process (tests call it through `limiter.reset()`)."""
    for throttle in list(_ALL):
        throttle.reset()


def current() -> LoginThrottle:
    """The login throttle of the current app."""
    return current_app.extensions["schoolhub.throttle"]


def init_app(app: Flask) -> None:
    """Build the app's throttle from its settings."""
    app.extensions["schoolhub.throttle"] = LoginThrottle(app)
