"""Many rows read as one value: `json_rows(a, b, c)` is the JSON text [[a, b, c], ...] of every row the
statement's FROM and WHERE keep, one value instead of a row each.

For a list a page reads whole and the same on many pages (the lesson list's 300 schools), the driver
and SQLAlchemy build a row object per row, about 2 µs each; one text of the same rows costs the database
the same and the app one string, which can also serve as the key under which what the page derives
from it (choices, counts, <option> elements) is kept. The order is `order_by`'s on PostgreSQL; SQLite
3.40 takes no ORDER BY inside an aggregate, so there the rows come in whatever order it read them:
callers that need an order sort what they parse (the text then differs in order only, never in content).
"""
from __future__ import annotations

from sqlalchemy import Text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ClauseList
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.visitors import InternalTraversal


class json_rows(FunctionElement):  # noqa: N801 (an SQL function, named like SQLAlchemy's func.*)
    """JSON text of an array holding, per row, the array of the given columns' values (NULL: no row)."""

    type = Text()
    inherit_cache = True
    name = "json_rows"
    # The order is part of the statement's SQL, so of its cache key too.
    _traverse_internals = [*FunctionElement._traverse_internals, ("order_by", InternalTraversal.dp_clauseelement)]

    def __init__(self, *columns, order_by=None):
        # One expression or several (a tuple), each may be .desc()
        self.order_by = ClauseList(*order_by) if isinstance(order_by, tuple | list) else order_by
        super().__init__(*columns)


@compiles(json_rows)
def _json_rows_sqlite(element, compiler, **kw):
    return f"json_group_array(json_array({compiler.process(element.clauses, **kw)}))"


@compiles(json_rows, "postgresql")
def _json_rows_postgresql(element, compiler, **kw):
    order = f" ORDER BY {compiler.process(element.order_by, **kw)}" if element.order_by is not None else ""
    return f"json_agg(json_build_array({compiler.process(element.clauses, **kw)}){order})::text"
