"""Realistic data at two sizes: `flask --app schoolhub seed-scale --preset commune|province`.

Every domain adds its rows through a step it registers in its init_app
(`registry(app).add_scale(order, step)`), called as `step(run)` with the shared `ScaleRun`.
Rows go in through Core `insert()` executemany, in batches of one transaction each, with one
precomputed password hash; the same preset and seed always give the same data.
"""
from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import click
from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from schoolhub.domains import registry

BATCH = 5000


@dataclass(frozen=True)
class Preset:
    """How much of everything: the sizes issue 8 names."""

    name: str
    communes: int
    schools: int
    teachers: int
    students: int
    lessons: int
    reads: int


PRESETS = {
    "commune": Preset("commune", communes=1, schools=8, teachers=300, students=4000, lessons=1000, reads=40_000),
    "province": Preset("province", communes=25, schools=300, teachers=10_000, students=150_000, lessons=30_000,
                       reads=600_000),
}


@dataclass
class ScaleRun:
    """What the domains' steps share: the preset, a seeded random generator, the session, and the ids
    of what earlier steps made (`made["schools"]`, `made["teachers"]`…)."""

    session: Session
    preset: Preset
    rng: random.Random
    password: str
    password_hash: str
    quiet: bool = False
    made: dict = field(default_factory=dict)
    counts: dict = field(default_factory=dict)

    @contextmanager
    def progress(self, label: str, total: int) -> Iterator:
        """A click progress bar (silent when quiet); yields a function `advance(n)`."""
        if self.quiet:
            yield lambda n: None
            return
        with click.progressbar(length=total, label=f"{label:<22}", show_pos=True, width=30) as bar:
            yield bar.update

    def insert_rows(self, table, rows: Iterable[dict], *, total: int, label: str, returning=None) -> list:
        """Insert `rows` in batches, committing each; with `returning` (a column), return its values in order."""
        stmt = insert(table)
        if returning is not None:
            stmt = stmt.returning(returning, sort_by_parameter_order=True)
        out: list = []
        batch: list[dict] = []
        with self.progress(label, total) as advance:
            for row in rows:
                batch.append(row)
                if len(batch) >= BATCH:
                    out.extend(self._flush(stmt, batch, returning))
                    advance(len(batch))
                    batch = []
            if batch:
                out.extend(self._flush(stmt, batch, returning))
                advance(len(batch))
        self.counts[label] = self.counts.get(label, 0) + total
        return out

    @contextmanager
    def indexes_set_aside(self, table, method: str = "gin") -> Iterator[None]:
        """On PostgreSQL, `table`'s indexes of this access method are dropped while the block loads it
        and built again after, from the definitions the database held (what the migrations made), in
        the end whether the block succeeded or not. Elsewhere a plain block.

        Built once from all the rows, a GIN index costs less than kept row by row: the province preset's
        30,000 lessons went in in about 270 s with their nine trigram and word-join indexes, 167 s
        without them, and the indexes were then built in 67 s (this project's 2-core machine; the rest
        of the load's time is the database working out each lesson's word joins, generated columns)."""
        conn = self.session.connection()
        if conn.dialect.name != "postgresql":
            yield
            return
        found = conn.execute(text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename = :table AND indexdef LIKE :method ORDER BY indexname"),
            {"table": table.name, "method": f"% USING {method} %"}).all()
        for name, _definition in found:
            conn.execute(text(f'DROP INDEX "{name}"'))
        self.session.commit()
        try:
            yield
        except BaseException:
            self.session.rollback()  # what the block left half done; the indexes come back all the same
            raise
        finally:
            conn = self.session.connection()
            conn.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))  # this transaction's builds only
            for _name, definition in found:
                conn.execute(text(definition))
            self.session.commit()

    def _flush(self, stmt, batch: list[dict], returning) -> list:
        if returning is not None:
            values = list(self.session.scalars(stmt, batch))
        else:
            self.session.execute(stmt, batch)
            values = []
        self.session.commit()
        return values


def seed_scale(session: Session, preset: Preset, *, seed: int = 57, password: str = "schoolhub57",
               quiet: bool = False) -> ScaleRun:
    """Fill an empty migrated database with `preset`'s data, every domain in its order."""
    from schoolhub.security import hash_password

    run = ScaleRun(session=session, preset=preset, rng=random.Random(seed), password=password,
                   password_hash=hash_password(password), quiet=quiet)
    for step in registry().scale:
        step.seed(run)
    session.commit()
    # Fresh statistics for the planner: without them SQLite (which never gathers its own) walks the
    # newest-first index of every core lesson to count the few of one school.
    session.execute(text("ANALYZE"))
    session.commit()
    return run


def settle(engine) -> None:
    """After a bulk load (the seed-scale command), what PostgreSQL's autovacuum would do a little later:
    VACUUM marks the pages all-visible, so an index-only scan (the search's walk, migration 0015) reads no
    table page to check a row's visibility. It runs outside any transaction, on a connection of its own
    (so not in seed_scale, which tests run inside theirs); SQLite needs nothing more than its ANALYZE."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM")
