"""Search at province scale uses an index on both databases, and the index follows every write."""
from __future__ import annotations

import pytest
from sqlalchemy import delete, select, text

from schoolhub.lessons import queries
from schoolhub.lessons.models import Lesson


def _plan(db, app, stmt) -> str:
    sql = str(stmt.compile(dialect=db.get_bind().dialect, compile_kwargs={"literal_binds": True}))
    if db.get_bind().dialect.name == "sqlite":
        return "\n".join(str(row[-1]) for row in db.execute(text("EXPLAIN QUERY PLAN " + sql)))
    db.execute(text("SET LOCAL enable_seqscan = off"))  # a test table is tiny: ask what the plan can use
    return "\n".join(row[0] for row in db.execute(text("EXPLAIN " + sql)))


def test_unaccented_search_uses_the_trigram_index(world, factory, db, app):
    factory.lesson(world.school, world.teacher, title="Chuyển đổi số", visibility="public")
    with app.test_request_context():
        if db.get_bind().dialect.name == "sqlite":
            plan = _plan(db, app, queries.search(world.teacher, q="chuyen doi so").with_only_columns(Lesson.id))
            assert "VIRTUAL TABLE INDEX" in plan and "lessons_fts" in plan, plan
        else:
            # The whole page query on a tiny table may rightly prefer another index; the word
            # condition itself must be one the trigram index serves.
            plan = _plan(db, app, select(Lesson.id).where(queries.contains_word("chuyen")))
            assert "ix_lessons_search_folded_trgm" in plan, plan


def test_the_index_follows_edits_and_deletions(world, factory, db, app, client):
    lesson = factory.lesson(world.school, world.teacher, title="Kính hiển vi", visibility="public")

    def found(q):
        with app.test_request_context():
            return lesson.id in set(db.scalars(queries.search(None, q=q).with_only_columns(Lesson.id)))

    assert found("kinh hien vi") and not found("ong nhom")
    lesson.search_folded = "ong nhom quang hoc"
    db.commit()
    assert found("ong nhom") and not found("kinh hien vi")
    db.execute(delete(Lesson).where(Lesson.id == lesson.id))
    db.commit()
    assert not found("ong nhom")


def test_short_words_and_like_characters_still_match(world, factory, db, app):
    made = factory.lesson(world.school, world.teacher, title="Tiết kiệm 50% giấy in, in 2 mặt", visibility="public")
    with app.test_request_context():
        for q in ("50%", "in", "2 mat"):
            assert made.id in set(db.scalars(queries.search(None, q=q).with_only_columns(Lesson.id))), q


def test_a_search_naming_a_label_still_uses_indexes(world, factory, db, app):
    """The OR of "the words in the text" and "filed under the topic" is answered from indexes on PostgreSQL
    (both arms of a BitmapOr, migration 0010); on SQLite the words still go through the FTS5 table."""
    factory.lesson(world.school, world.teacher, title="Bảng tính", visibility="public", topics=("cds",))
    with app.test_request_context():
        stmt = select(Lesson.id).where(queries._matches(["chuyen", "doi", "so"]))
        plan = _plan(db, app, stmt)
    if db.get_bind().dialect.name == "sqlite":
        assert "lessons_fts" in plan, plan
    else:
        assert "BitmapOr" in plan, plan
        assert "ix_lessons_search_folded_trgm" in plan and "ix_lessons_topics_trgm" in plan, plan


def test_the_ranking_tiers_are_found_through_their_own_indexes(world, factory, db, app):
    """search_page asks each tier for its first matches: "as typed" and "in the title" each have a trigram
    index on PostgreSQL (migration 0010), so a tier holding nothing is answered without reading lessons."""
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: on SQLite these tiers are read at a commune's size, without an index")
    factory.lesson(world.school, world.teacher, title="Chuyển đổi số", visibility="public")
    # The list-order index carries the folded title too (migration 0015), and on a table of one lesson
    # reading all of it is rightly cheaper than any trigram lookup: set it aside (in the test's
    # transaction, rolled back) to ask what the trigram indexes serve.
    db.execute(text("DROP INDEX ix_lessons_status_is_core_published_at_id"))
    exact, title, _text = queries._tiers("chuyển đổi số", ["chuyen", "doi", "so"])
    assert "ix_lessons_search_exact_trgm" in _plan(db, app, select(Lesson.id).where(exact))
    assert "ix_lessons_title_folded_trgm" in _plan(db, app, select(Lesson.id).where(title))


def test_the_title_tier_walks_the_list_order_index_alone(world, factory, db, app, login_as):
    """A search's walk of the newest lessons for the title tier tests each entry's visibility, school and
    folded title: on PostgreSQL the list-order index carries them (migration 0015), so the walk reads no
    lesson from the table (at the province preset: 1,013 lessons read for a teacher's "chuyen doi so",
    1.8 ms, against 0.28 ms from the index). It fails with the index as it was, without those columns."""
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no INCLUDE, and ranks every match in one statement")
    factory.lesson(world.school, world.teacher, title="Chuyển đổi số", visibility="public")
    with app.test_request_context():
        shape, params = queries.search_shape(world.teacher, q="chuyen doi so")
        stmt = queries._tiers_statement(shape, world.teacher).params(
            {**params, "need": 26, "probe_limit": 26, "walk": queries.WALK})
        db.execute(text("SET LOCAL enable_bitmapscan = off"))  # each part by its own plan, not the GIN's
        # And in list order as the province's size plans it: with the statistics the suite's earlier tests
        # leave on a handful of lessons, the planner may sort the few it estimates instead of walking an
        # index in order (it did after the search tests ran first), which says nothing of the index.
        db.execute(text("SET LOCAL enable_sort = off"))
        plan = _plan(db, app, stmt)
    walk = plan.split("Subquery Scan on newest1", 1)[1].split("Subquery Scan on newest2", 1)[0]
    assert "Index Only Scan Backward using ix_lessons_status_is_core_published_at_id on lessons" in walk, plan
