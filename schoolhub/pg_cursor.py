"""psycopg's cursor, with a result's description made only when something reads it.

psycopg builds `cursor.description` anew each time it is asked: one `Column` object per column of the
result, each decoding its name and looking its type up. SQLAlchemy asks for it after every statement,
but once it knows a compiled statement's columns it only checks that the description is not None. A
page's user statement has about fifty columns (the user, memberships, units, classes and the to-do
questions), a lesson's page about as many. Measured at the province preset: sampled under load (py-spy on
gunicorn's workers), building those descriptions was 4% of a lesson's page; counted (callgrind, in
process), 12% of that page's instructions and 5% of the lesson list's, for nothing.

Here `description` is a sequence of the same columns, made on first reading (a statement SQLAlchemy has
not seen yet, a row factory that names its columns). It describes the result it was asked of, even when
the cursor has moved on to another.
"""
from __future__ import annotations

from collections.abc import Sequence

import psycopg
from psycopg import pq

_TUPLES = frozenset({pq.ExecStatus.TUPLES_OK, pq.ExecStatus.SINGLE_TUPLE, pq.ExecStatus.TUPLES_CHUNK})


class _ResultOf:
    """What psycopg's Column reads of a cursor, kept as it was for one result."""

    __slots__ = ("pgresult", "_encoding", "adapters")

    def __init__(self, cursor: psycopg.Cursor, result: pq.abc.PGresult):
        self.pgresult = result
        self._encoding = cursor._encoding
        self.adapters = cursor.adapters


class Description(Sequence):
    """A result's columns as psycopg describes them (psycopg.Column), made when first read."""

    __slots__ = ("_of", "_count", "_columns")

    def __init__(self, cursor: psycopg.Cursor, result: pq.abc.PGresult):
        self._of = _ResultOf(cursor, result)
        self._count = result.nfields
        self._columns: list[psycopg.Column] | None = None

    def _made(self) -> list[psycopg.Column]:
        if self._columns is None:
            self._columns = [psycopg.Column(self._of, i) for i in range(self._count)]
        return self._columns

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index):
        return self._made()[index]

    def __iter__(self):
        return iter(self._made())

    def __repr__(self) -> str:
        return repr(self._made())


class Cursor(psycopg.Cursor):
    """psycopg.Cursor whose description is a Description (None when the result holds no rows, as psycopg's)."""

    @property
    def description(self) -> Description | None:
        result = self.pgresult
        # As psycopg decides: columns, or a result that says it holds rows ("SELECT ;").
        if result and (result.nfields or result.status in _TUPLES):
            return Description(self, result)
        return None
