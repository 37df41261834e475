"""The query plan a database chooses for a statement, as text (for tests that an index is used)."""
from __future__ import annotations

from sqlalchemy import text


def query_plan(db, stmt) -> str:
    sql = str(stmt.compile(db.get_bind(), compile_kwargs={"literal_binds": True}))
    if db.get_bind().dialect.name == "sqlite":
        return "\n".join(str(row[-1]) for row in db.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
    # The test tables are tiny: without this PostgreSQL rightly prefers reading the whole table.
    db.execute(text("SET LOCAL enable_seqscan = off"))
    return "\n".join(row[0] for row in db.execute(text(f"EXPLAIN {sql}")))
