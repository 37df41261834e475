"""SQLAlchemy's cache of compiled statements, found by the identity of a statement's cache key first.

Before each statement SQLAlchemy looks up its compiled form by the statement's cache key: a nested
tuple describing the whole statement, which Python hashes anew on every look-up (a tuple keeps no
hash). The app's hot statements are built once and reused (generic_plan, policy.shared_clause, the
worklist's joined user statement), and SQLAlchemy keeps each one's cache key, so the same tuple object
comes back on every run. Hashing it was measured at the province preset at 0.19 ms a request of the
lesson list (two statements) and 0.41-0.46 ms of a search (four), the user's statement with the to-do
questions alone 0.13 ms: about a twentieth of those pages' time in the app.

Here a look-up first asks by the key's identity (its id, which cannot be reused while the entry holds
the key), and only then, as SQLAlchemy does, by its value. The answer is the same either way: the
same key object is the same statement. Both halves are bounded.
"""
from __future__ import annotations

import threading

from sqlalchemy.util import LRUCache

# Keys remembered by identity. A statement built for one request brings a new key each time: such entries
# are dropped all at once when the room is full, and the statements built once are found again by value
# on their next run (one hash each).
_IDENTITY_KEPT = 2000


class CompiledCache:
    """A `compiled_cache` execution option for an engine: get and set as SQLAlchemy's LRUCache does."""

    def __init__(self, size: int = 500):
        self._by_value = LRUCache(size)
        # (id of the statement's key, dialect, column keys, flags) -> (that key, its compiled form)
        self._by_identity: dict = {}
        self._lock = threading.Lock()

    @staticmethod
    def _identity(key: tuple) -> tuple:
        dialect, statement_key, *rest = key
        return (id(statement_key), id(dialect), *rest)

    def get(self, key: tuple, default=None):
        found = self._by_identity.get(self._identity(key))
        if found is not None and found[0] is key[1] and found[1] is key[0]:
            return found[2]
        compiled = self._by_value.get(key)
        if compiled is None:
            return default
        self._remember(key, compiled)
        return compiled

    def __setitem__(self, key: tuple, compiled) -> None:
        self._by_value[key] = compiled
        self._remember(key, compiled)

    def _remember(self, key: tuple, compiled) -> None:
        # Holding the key (and the dialect) keeps its id from being reused by another object while the
        # entry lives.
        with self._lock:
            if len(self._by_identity) >= _IDENTITY_KEPT:
                self._by_identity.clear()
            self._by_identity[self._identity(key)] = (key[1], key[0], compiled)

    def __len__(self) -> int:
        return len(self._by_value)

    def clear(self) -> None:
        with self._lock:
            self._by_identity.clear()
        self._by_value.clear()
