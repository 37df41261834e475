"""The "teachers informed" figures kept on write (informed_counts) under two writers at once, on
PostgreSQL: two teachers of one school confirm core material in two transactions that overlap. Each
flush counts its school and commune again from the rows once it holds their figures' rows (the second
waits there for the first to end), so the second's count, begun after the first committed, holds both
confirmations. Counted before it waited, the second would write over the first's figure with its own."""
from __future__ import annotations

import os
import threading
import time

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.helpers.live import app_config, drop_database, is_postgres, seed_school, sibling_database, temp_dir

pytestmark = pytest.mark.skipif(not is_postgres(os.environ.get("SCHOOLHUB_TEST_DATABASE_URL")),
                                reason="two writers at once are PostgreSQL's: SQLite lets one write at a time")


def test_two_teachers_confirming_at_once_are_both_counted():
    from schoolhub import create_app
    from schoolhub.accounts.models import OrgUnit, User
    from schoolhub.lessons import counts
    from schoolhub.lessons import services as lesson_services
    from schoolhub.lessons.models import InformedCount, Lesson

    url = sibling_database(os.environ["SCHOOLHUB_TEST_DATABASE_URL"], "informed")
    with temp_dir("schoolhub-informed-") as tmp:
        seeded = seed_school(url, tmp / "uploads", teachers=2)
        app = create_app(app_config(url, tmp / "uploads"))
        engine = app.extensions["schoolhub.engine"]
        try:
            def confirm(session: Session, username: str) -> None:
                user = session.scalar(select(User).where(User.username == username))
                lesson_services.confirm_read(session, user, session.get(Lesson, seeded.core[0]))
                session.flush()

            second_done = threading.Event()
            failures: list[BaseException] = []

            def second_writer():
                try:
                    with app.test_request_context(), Session(engine) as session:
                        confirm(session, seeded.teachers[1])
                        session.commit()
                except BaseException as error:  # noqa: BLE001  (reported by the test below)
                    failures.append(error)
                finally:
                    second_done.set()

            with app.test_request_context(), Session(engine) as first:
                confirm(first, seeded.teachers[0])  # its figures' rows are locked until it commits
                writer = threading.Thread(target=second_writer)
                writer.start()
                time.sleep(0.5)
                assert not second_done.is_set(), "the second writer waits for the first's figures"
                first.commit()
            writer.join(timeout=20)
            assert second_done.is_set() and not failures, failures

            with Session(engine) as session:
                school = session.scalar(select(OrgUnit).where(OrgUnit.code == "SL"))
                kept = {row.unit_id: (row.teachers, row.informed) for row in session.scalars(select(InformedCount))}
                assert kept[school.id] == (2, 2) and kept[school.parent_id] == (2, 2), kept
                assert {u: f for u, f in kept.items() if f[0]} == {
                    u: (t, i) for u, t, i in session.execute(counts.informed_select())}
        finally:
            engine.dispose()
            drop_database(url)
