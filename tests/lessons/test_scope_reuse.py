"""The lesson scopes' WHERE clauses are built once per process and principal (policy.shared_clause): a
changed membership must give a new clause at once, never the old school's reach."""
from __future__ import annotations

import lxml.html

from schoolhub.accounts import services


def _titles(client) -> set[str]:
    doc = lxml.html.fromstring(client.get("/lessons").get_data(as_text=True))
    return {t.strip() for t in doc.xpath("//main//h2//a/text() | //main//h3//a/text()")}


def test_a_teacher_who_moves_school_stops_seeing_the_old_schools_lessons(world, factory, login_as, db):
    factory.lesson(world.school, world.admin, title="Chỉ cho trường Bình Chương", visibility="school")
    factory.lesson(world.other_school, world.other_admin, title="Chỉ cho trường Bình Minh", visibility="school")
    db.commit()
    client = login_as(world.teacher)
    before = _titles(client)
    assert "Chỉ cho trường Bình Chương" in before and "Chỉ cho trường Bình Minh" not in before
    services.move_member(db, world.admin, world.teacher, world.school, world.other_school)
    db.commit()
    after = _titles(client)  # same process, same user id: a new key, so a new clause
    assert "Chỉ cho trường Bình Minh" in after and "Chỉ cho trường Bình Chương" not in after
