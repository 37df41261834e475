"""Each school's published lessons by visibility, kept on write (school_lessons): after every kind of
change the kept figures equal a full recount, and the lesson list's school choices and count read from
them agree with the lessons themselves for every kind of reader."""
from __future__ import annotations

import pytest
from sqlalchemy import delete, select

from schoolhub.lessons import counts, queries
from schoolhub.lessons import services as lesson_services
from schoolhub.lessons.models import Lesson, LessonStatus, SchoolLessons, Visibility
from schoolhub.textfold import fold


def _kept(db) -> dict:
    return {sid: (p, c, s) for sid, p, c, s in db.execute(
        select(SchoolLessons.school_id, SchoolLessons.public, SchoolLessons.commune, SchoolLessons.school))
        if p or c or s}


def _recounted(db) -> dict:
    return {sid: (p, c, s) for sid, p, c, s in db.execute(counts.shelves_select())}


def test_kept_figures_follow_every_change(world, factory, db, app):
    with app.test_request_context():
        public = factory.lesson(world.school, world.teacher, visibility="public")
        factory.lesson(world.school, world.teacher, visibility="school")
        draft = factory.lesson(world.school, world.teacher, visibility="commune", status="draft")
        factory.lesson(world.school, world.teacher, status="archived")  # never counted
        other = factory.lesson(world.other_school, world.other_teacher, visibility="commune")
        assert _kept(db) == _recounted(db) == {world.school.id: (1, 0, 1), world.other_school.id: (0, 1, 0)}

        lesson_services.set_status(db, world.teacher, draft, LessonStatus.PUBLISHED)
        assert _kept(db) == _recounted(db) == {world.school.id: (1, 1, 1), world.other_school.id: (0, 1, 0)}

        # Shared more narrowly, then archived, then taken back to a draft and published again.
        data = lesson_services.LessonInput(title=public.title, body=public.body, visibility=Visibility.SCHOOL)
        lesson_services.update_lesson(db, world.teacher, public, data)
        assert _kept(db) == _recounted(db) == {world.school.id: (0, 1, 2), world.other_school.id: (0, 1, 0)}
        lesson_services.set_status(db, world.teacher, public, LessonStatus.ARCHIVED)
        assert _kept(db) == _recounted(db) == {world.school.id: (0, 1, 1), world.other_school.id: (0, 1, 0)}
        lesson_services.set_status(db, world.teacher, public, LessonStatus.DRAFT)
        lesson_services.set_status(db, world.teacher, public, LessonStatus.PUBLISHED)
        assert _kept(db) == _recounted(db) == {world.school.id: (0, 1, 2), world.other_school.id: (0, 1, 0)}

        # A copy is a draft of the school that copied it: nothing until it is published.
        copy = lesson_services.copy_lesson(db, world.teacher, other, world.school, app.config["UPLOAD_DIR"], [])
        assert _kept(db) == _recounted(db)
        lesson_services.set_status(db, world.teacher, copy, LessonStatus.PUBLISHED)
        assert _kept(db) == _recounted(db) == {world.school.id: (0, 1, 3), world.other_school.id: (0, 1, 0)}

        # A published lesson removed, and a lesson changed twice in one flush (counted once).
        db.delete(other)
        db.flush()
        assert _kept(db) == _recounted(db) == {world.school.id: (0, 1, 3)}
        copy.visibility = Visibility.PUBLIC
        copy.status = LessonStatus.ARCHIVED
        copy.status = LessonStatus.PUBLISHED
        db.flush()
        assert _kept(db) == _recounted(db) == {world.school.id: (1, 1, 2)}
    db.commit()


def test_a_school_never_counted_is_counted_from_the_rows(world, factory, db, app):
    with app.test_request_context():
        one = factory.lesson(world.school, world.teacher, visibility="public")
        factory.lesson(world.school, world.teacher, visibility="commune")
        db.execute(delete(SchoolLessons))  # as before the figures existed (or after seed-scale's Core inserts)
        lesson_services.set_status(db, world.teacher, one, LessonStatus.ARCHIVED)
        assert _kept(db) == _recounted(db) == {world.school.id: (0, 1, 0)}


def test_a_failed_flush_counts_nothing(world, factory, db, app):
    from sqlalchemy.exc import IntegrityError

    with app.test_request_context():
        factory.lesson(world.school, world.teacher, visibility="public")
        before = _kept(db)
        with pytest.raises(IntegrityError), db.begin_nested():
            # A published lesson with an empty title: the CHECK refuses the flush, and its +1 with it.
            db.add(Lesson(school_id=world.school.id, author_id=world.teacher.id, title="", body="x",
                          status=LessonStatus.PUBLISHED, visibility=Visibility.PUBLIC))
            db.flush()
        assert _kept(db) == before == _recounted(db)


def test_school_choices_and_counts_agree_with_the_lessons_for_every_reader(scope_case_view_lesson, db, app):
    """The figures' reading of who may read what (lessons.policy.readable_of_school) against the lessons
    themselves (visible_lessons), for readers near and far, at every visibility."""
    lessons, principals = scope_case_view_lesson
    schools = sorted({lesson.school_id for lesson in lessons})
    with app.test_request_context():
        for name, user in principals.items():
            readable = list(db.scalars(queries.search(user)))
            assert all(lesson.status == LessonStatus.PUBLISHED for lesson in readable), name
            shelf, counts = queries.lesson_shelf(db, user)
            choices = {sid for sid, _name in shelf}
            assert choices == {lesson.school_id for lesson in readable}, name
            # Each school's figure too: the reader's own half (commune and school lessons) added to the
            # public one, school by school (lessons.policy.reached_units, own_of_reached).
            assert dict(counts) == {sid: sum(1 for r in readable if r.school_id == sid) for sid in choices}, name
            assert queries.published_count(db, user) == len(readable), name
            for sid in schools:
                assert queries.published_count(db, user, sid) == sum(1 for r in readable if r.school_id == sid), name
    counted = {name: queries.published_count(db, user) for name, user in principals.items()}
    assert counted["anonymous"] < counted["student"] < counted["officer"]  # the cases reach differently


def test_the_list_counts_exactly_past_the_bounded_count(world, factory, db, app, client, login_as, monkeypatch):
    """With nothing narrowing the list its count is exact (kept on write), however long; a filter goes
    back to the bounded count ("more than")."""
    from schoolhub import pagination

    monkeypatch.setattr(pagination, "COUNT_CAP", 3)
    monkeypatch.setitem(app.config, "PER_PAGE", 2)
    for i in range(5):
        factory.lesson(world.school, world.teacher, title=f"Bài {i}", visibility="public",
                       topics=("stem",) if i < 3 else ())
    factory.lesson(world.other_school, world.other_teacher, title="Bài trường bạn", visibility="school")
    login_as(world.teacher)
    page = client.get("/lessons").get_data(as_text=True)
    assert "5 bài giảng" in page and "Hơn" not in page and "Trang 1/3" in page
    last = client.get("/lessons?page=3").get_data(as_text=True)
    assert last.count('class="lesson-card') == 1 and "Trang 3/3" in last
    past = client.get("/lessons?page=9").get_data(as_text=True)  # past the end: the last page
    assert "Trang 3/3" in past
    mine = client.get(f"/lessons?school={world.school.id}").get_data(as_text=True)
    assert "5 bài giảng" in mine
    every = client.get("/lessons?school=0").get_data(as_text=True)  # no school: every school, counted so
    assert "5 bài giảng" in every and every.count('class="lesson-card"') == 2
    theirs = client.get(f"/lessons?school={world.other_school.id}").get_data(as_text=True)
    assert "Bài trường bạn" not in theirs and "lesson-card" not in theirs  # another school's school-only lesson
    narrowed = client.get("/lessons?topic=stem").get_data(as_text=True)  # counted from the lessons
    assert "3 bài giảng" in narrowed and "Trang 1/2" in narrowed


@pytest.mark.parametrize("theirs", ["archived", "shared-with-the-commune"])
def test_a_lesson_changed_by_another_request_since_it_was_loaded_counts_once(theirs, world, factory, db, app):
    """Two requests change one lesson: the second loaded it before the first saved (two clicks on
    "Archive", or an edit beside an archive). Each change counts once, from what the row holds."""
    from sqlalchemy.orm import Session

    with app.test_request_context():
        lesson = factory.lesson(world.school, world.teacher, visibility="school")
        assert lesson.status == LessonStatus.PUBLISHED  # loaded here, as the second request loaded it
        other = Session(bind=db.connection())  # the first request, in the same transaction here
        first = other.get(Lesson, lesson.id)
        if theirs == "archived":
            first.status = LessonStatus.ARCHIVED
        else:
            first.visibility = Visibility.COMMUNE
        other.commit()  # releases its savepoint: the change stays in the test's transaction
        other.close()
        assert _kept(db) == _recounted(db)
        lesson.status = LessonStatus.ARCHIVED  # the second request, from what it loaded
        db.flush()
        assert _kept(db) == _recounted(db) == {}


def test_the_shelf_in_one_statement_agrees_with_the_lessons_each_reader_may_read(world, factory, db, app,
                                                                                  count_queries):
    """One statement a reader (their own half and the shelf token), once the app keeps the public half
    of the token: the first reader after a write reads it in a second statement."""
    from schoolhub.lessons import queries

    factory.lesson(world.school, world.teacher, title="Trong xã", visibility="commune")
    factory.lesson(world.school, world.teacher, title="Trong trường", visibility="school")
    factory.lesson(world.other_school, world.other_teacher, title="Công khai", visibility="public")
    factory.lesson(world.other_school, world.other_teacher, title="Nháp", status="draft")
    names = {world.school.id: world.school.name, world.other_school.id: world.other_school.name}
    for n, user in enumerate((world.teacher, world.other_teacher, world.student, world.officer, world.outsider)):
        with app.test_request_context():
            list(user.memberships)  # loaded, as for the request's user
            with count_queries() as statements:
                schools, readable = queries.lesson_shelf(db, user)
            assert len(statements) == (2 if n == 0 else 1)
            lessons = list(db.scalars(queries.search(user)))
            expected = {sid: sum(1 for lesson in lessons if lesson.school_id == sid) for sid in names}
            assert readable == {sid: n for sid, n in expected.items() if n}
            assert list(schools) == sorted(((sid, names[sid]) for sid in readable), key=lambda pair: fold(pair[1]))
            assert sum(readable.values()) == queries.published_count(db, user)
    with app.test_request_context():
        assert queries.lesson_shelf(db, world.outsider)[1] == {world.other_school.id: 1}  # the public one only
        assert queries.lesson_shelf(db, world.teacher)[1] == {world.school.id: 2, world.other_school.id: 1}


def test_the_published_scope_lists_exactly_the_published_lessons_the_rule_allows(scope_case_view_lesson, db, app):
    """visible_published_lessons, the lists' and searches' scope written without the drafts' branch,
    against can_view_lesson itself, for every reader of the scope cases: drafts and archived lessons the
    reader may open (their own, their school's as admin) are left out, nothing else."""
    from flask_login import AnonymousUserMixin

    from schoolhub import policy
    from schoolhub.lessons.policy import visible_published_lessons

    lessons, principals = scope_case_view_lesson
    ids = [lesson.id for lesson in lessons]
    unpublished_seen = 0
    with app.test_request_context():
        for name, user in principals.items():
            user = user if user is not None else AnonymousUserMixin()
            allowed = {lesson.id for lesson in lessons if policy.can(policy.Action.VIEW_LESSON, lesson, user=user)}
            published = {lesson.id for lesson in lessons if lesson.status == LessonStatus.PUBLISHED}
            listed = set(db.scalars(select(Lesson.id).where(Lesson.id.in_(ids), visible_published_lessons(user))))
            assert listed == allowed & published, name
            unpublished_seen += len(allowed - published)
    assert unpublished_seen > 0  # some reader may open a draft: the branch left out mattered to the cases


def test_the_kept_public_half_of_the_shelf_is_never_shown_after_a_write(world, factory, db, app, count_queries):
    """The app keeps the public half of the school choices under the shelf token; a lesson published,
    archived or made private, or a school renamed, draws a new token in its transaction: the next list shows
    the change (reading the public half again), never the kept half."""
    from schoolhub.lessons import queries

    def shelf(user):
        with app.test_request_context():
            list(user.memberships)
            with count_queries() as statements:
                schools, readable = queries.lesson_shelf(db, user)
            return dict(schools), dict(readable), len(statements)

    public = factory.lesson(world.other_school, world.other_teacher, title="Công khai", visibility="public")
    shelf(world.outsider)
    assert shelf(world.outsider) == ({world.other_school.id: world.other_school.name}, {world.other_school.id: 1}, 1)

    factory.lesson(world.school, world.teacher, title="Mới đăng", visibility="public")
    names, readable, statements = shelf(world.outsider)
    assert readable == {world.other_school.id: 1, world.school.id: 1} and statements == 2

    world.other_school.name = "Trường Đổi Tên"
    db.flush()
    assert shelf(world.outsider)[0][world.other_school.id] == "Trường Đổi Tên"

    public.visibility = "school"
    db.flush()
    assert shelf(world.outsider)[1] == {world.school.id: 1}
    assert shelf(world.other_teacher)[1] == {world.school.id: 1, world.other_school.id: 1}  # their own half

    public.status = LessonStatus.ARCHIVED
    db.flush()
    assert shelf(world.other_teacher)[1] == {world.school.id: 1}
