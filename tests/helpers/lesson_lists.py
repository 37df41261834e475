"""What GET /lessons lists, and lessons given their own publication time (for search and ranking tests)."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

CARD = re.compile(r'<li class="lesson-card">\s*<h2><a href="/lessons/(\d+)"')
BASE_DAY = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def listed(client, **params) -> list[int]:
    """The lesson ids GET /lessons lists for these parameters, in the order shown."""
    r = client.get("/lessons", query_string=params)
    assert r.status_code == 200, params
    return [int(m) for m in CARD.findall(r.get_data(as_text=True))]


def dated(db, lesson, day: int):
    """Give the lesson its own publication time, so no ordering ever rests on a tie."""
    lesson.published_at = BASE_DAY + timedelta(days=day)
    db.commit()
    return lesson


def shaped(world, factory, db, shapes) -> None:
    """Each (title, body, topics) of `shapes` six times, in the world's two schools (every third round the
    other school's, once private to it), the fifth round core, each with its own publication day."""
    day = 0
    for round_ in range(6):
        for title, body, topics in shapes:
            other = round_ % 3 == 2
            school, author = (world.other_school, world.other_teacher) if other else (world.school, world.teacher)
            lesson = factory.lesson(school, author, title=f"{title} {round_}", body=body, topics=topics,
                                    visibility="school" if other and round_ == 2 else "commune",
                                    is_core=round_ == 4)
            dated(db, lesson, day)
            day += 1
