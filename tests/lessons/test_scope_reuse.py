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


def test_a_search_worked_out_once_carries_each_readers_own_values(world, app):
    """The words, kinds and patterns of a search as typed are worked out once (search._shape_and_values);
    the school filter and "my lessons" are each reader's, and what one caller does to its values never
    reaches the next search."""
    from schoolhub.lessons.search import shape_of

    with app.test_request_context():
        mine, school = shape_of(world.teacher, q="Chuyển đổi số", school_id=world.school.id, mine=True)
        assert mine.mine and "school" in mine.filters
        assert school["author_id"] == world.teacher.id and school["f_school"] == world.school.id
        theirs, other = shape_of(world.admin, q="Chuyển đổi số", school_id=world.other_school.id, mine=True)
        assert theirs == mine
        assert other["author_id"] == world.admin.id and other["f_school"] == world.other_school.id
        exact = school["p_exact"]
        school["p_exact"] = "%hỏng%"  # a caller's own dict
        del school["w0"]
        visitor, plain = shape_of(None, q="Chuyển đổi số", mine=True)
        assert not visitor.mine and "school" not in visitor.filters
        assert "author_id" not in plain and "f_school" not in plain
        assert plain["p_exact"] == exact and plain["w0"] == other["w0"]
        # A query longer than a search reads is the search of its first QUERY_MAX characters.
        from schoolhub.lessons.search import QUERY_MAX

        typed = "Chuyển đổi số trong trường học " * 40
        assert shape_of(None, q=typed) == shape_of(None, q=typed[:QUERY_MAX])
