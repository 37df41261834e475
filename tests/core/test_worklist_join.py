"""The logged-in user and their to-do questions in one statement (worklist.joined_to): from a user's second
page on, the layout costs one statement, and what the badge says is always what waits now, even when
the user's memberships changed between two pages or a page before changed what waits."""
from __future__ import annotations

import lxml.html

from schoolhub.accounts import services
from schoolhub.accounts.models import Role


def _badge(response) -> str:
    """The to-do count in the header ("" when nothing waits)."""
    found = lxml.html.fromstring(response.get_data(as_text=True)).xpath("//a[@class='waiting-badge']/span[@class='count']")
    return found[0].text_content().strip() if found else ""


def _waiting(response) -> list[str]:
    return [li.text_content() for li in lxml.html.fromstring(response.get_data(as_text=True))
            .xpath("//section[@id='waiting']//li")]


def test_from_the_second_page_on_the_user_and_their_to_do_are_one_statement(world, factory, login_as, count_queries):
    factory.lesson(world.school, world.teacher, title="Nghị quyết 57", is_core=True, audiences=("teachers",))
    client = login_as(world.colleague)
    assert client.get("/password").status_code == 200  # the first page: the user, then the to-do
    with count_queries() as statements:
        response = client.get("/password")  # the layout and a form, nothing of its own to read
    assert response.status_code == 200
    assert len(statements) == 1, statements
    assert "lessons" in statements[0] and "users" in statements[0]
    assert _badge(response) == "1"


def test_a_membership_added_between_two_pages_shows_its_work_at_once(world, factory, login_as, db):
    factory.school_class(world.other_school, "9C", 9)  # empty: an admin of that school has work
    db.commit()
    client = login_as(world.teacher)
    assert not any("lớp" in item for item in _waiting(client.get("/")))
    services.appoint_school_admin(db, world.officer, world.other_school, existing=world.teacher)
    db.commit()
    waiting = _waiting(client.get("/"))  # asked for the old principal, whose answers are not used
    assert any("lớp chưa có học sinh" in item for item in waiting), waiting
    assert any("lớp chưa có học sinh" in item for item in _waiting(client.get("/"))), "and from then on"


def test_what_a_page_before_changed_is_counted_on_the_next(world, factory, login_as):
    lesson = factory.lesson(world.school, world.teacher, title="Nghị quyết 57", is_core=True,
                            audiences=("teachers",))
    client = login_as(world.colleague)
    assert _badge(client.get("/")) == "1"
    client.get(f"/lessons/{lesson.id}")
    assert client.post(f"/lessons/{lesson.id}/confirm").status_code in (302, 303)
    assert _badge(client.get("/")) == ""  # nothing waits any more


def test_the_to_do_is_worded_in_the_reader_language(world, factory, login_as, db):
    factory.lesson(world.school, world.teacher, title="Nghị quyết 57", is_core=True, audiences=("teachers",))
    world.colleague.preferred_language = "en"
    db.commit()
    client = login_as(world.colleague)
    client.get("/")
    waiting = _waiting(client.get("/"))  # the joined answers, worded once the user (and so the language) is known
    assert waiting == ["1 core Resolution 57 lesson to read and confirm"], waiting


def test_answers_asked_for_another_principal_are_never_shown(world, factory, login_as, db):
    """The answers kept are those asked for the principal loaded now: a user whose id the process last saw
    with a teacher's memberships (here forced) gets the answers of their own questions, not the teacher's."""
    from schoolhub import worklist

    factory.lesson(world.school, world.teacher, title="Nghị quyết 57", is_core=True, audiences=("teachers",))
    login_as(world.colleague).get("/")  # the teacher's questions, known and joined to the user statement
    client = login_as(world.student)
    worklist._LAST[world.student.id] = worklist._LAST[world.colleague.id]
    assert (_badge(client.get("/")), _waiting(client.get("/"))) == ("", [])
    assert Role.STUDENT in {m.role for m in world.student.memberships}


def _school_choices(response) -> list[str]:
    """The lesson list's school filter: its schools as shown, "All schools" left out."""
    return [o.text_content().strip() for o in lxml.html.fromstring(response.get_data(as_text=True))
            .xpath("//select[@id='school']/option[@value!='']")]


def test_the_lesson_list_asks_its_school_filter_with_the_user(world, factory, login_as, count_queries):
    """A page question (domains.Registry.add_page_question): from the second list on, the user, their
    to-do and the list's school filter are one statement, and the page's lessons the other."""
    factory.lesson(world.school, world.teacher, title="Nghị quyết 57", visibility="public")
    client = login_as(world.colleague)
    first = client.get("/lessons")  # the first list of this principal: the filter asked apart
    with count_queries() as statements:
        second = client.get("/lessons")
    assert second.status_code == 200
    assert len(statements) == 2, statements
    assert "users" in statements[0] and "school_lessons" in statements[0]
    assert _school_choices(second) == _school_choices(first) != []


def test_the_school_filter_asked_with_the_user_counts_what_is_published_now(world, factory, db, login_as,
                                                                          count_queries):
    """Asked with the user, the filter's figures are read when the page is: a lesson published by another
    school since the last page shows at once, with its school. The write drew a new shelf token, so the
    first page after it reads the public half of the choices again (one statement more, once); the next
    page asks the user, their to-do and the filter in one statement again."""
    factory.lesson(world.school, world.teacher, title="Nghị quyết 57", visibility="public")
    client = login_as(world.colleague)
    client.get("/lessons")
    before = _school_choices(client.get("/lessons"))
    factory.lesson(world.other_school, world.other_teacher, title="Robot", visibility="public")
    db.commit()
    with count_queries() as statements:
        after = _school_choices(client.get("/lessons"))
    assert len(statements) == 3 and "lesson_shelf_token" in statements[1], statements
    assert len(after) == len(before) + 1 and any(world.other_school.name in choice for choice in after), after
    with count_queries() as statements:
        assert _school_choices(client.get("/lessons")) == after
    assert len(statements) == 2, statements  # asked with the user, not apart


def test_an_empty_answer_asked_with_the_user_is_not_asked_again(world, login_as, count_queries):
    """Nothing readable: the school filter's answer is NULL on PostgreSQL (no row to aggregate), an answer all
    the same; the page shows no school and asks nothing apart."""
    client = login_as(world.student)
    client.get("/lessons")
    with count_queries() as statements:
        response = client.get("/lessons")
    assert response.status_code == 200 and _school_choices(response) == []
    assert len(statements) == 2, statements


def test_a_page_that_writes_keeps_no_page_answer(world, factory, db, login_as):
    """Outside a GET the user is loaded alone (a write may change what the page shows), and answers asked
    for a GET of the same principal are never kept for it."""
    from schoolhub import worklist
    from schoolhub.accounts import queries

    factory.lesson(world.school, world.teacher, title="Nghị quyết 57", visibility="public")
    client = login_as(world.colleague)
    client.get("/lessons")
    client.get("/lessons")  # the principal's questions are known and joined
    sid = f"{world.colleague.id}:{world.colleague.session_token}"
    app = client.application
    with app.test_request_context("/lessons", method="GET"):
        stmt, token = worklist.joined_to(queries._USER_FOR_SESSION, world.colleague.id)
        assert token is not None and token[2] == ("lesson_shelf",)
    with app.test_request_context("/lessons/new", method="POST"):
        stmt, token = worklist.joined_to(queries._USER_FOR_SESSION, world.colleague.id)
        assert stmt is queries._USER_FOR_SESSION and token is None
        user = queries.user_for_session(db, sid)
        worklist.accept_joined(user, queries._USER_FOR_SESSION, ("key", "lessons.index", ("lesson_shelf",)),
                               ["[]"])
        assert worklist.page_answer("lesson_shelf", user) is worklist.NOT_ASKED


def test_an_error_page_loads_the_user_alone(world, factory, login_as):
    """errors.settle_database loads the user again after a database error: the page's questions, perhaps
    the very statement that failed, are not asked with them."""
    from flask import g

    from schoolhub import worklist
    from schoolhub.accounts import queries

    factory.lesson(world.school, world.teacher, title="Nghị quyết 57", visibility="public")
    client = login_as(world.colleague)
    client.get("/lessons")
    with client.application.test_request_context("/lessons", method="GET"):
        assert worklist.joined_to(queries._USER_FOR_SESSION, world.colleague.id)[1] is not None
        g.settling_database = True
        assert worklist.joined_to(queries._USER_FOR_SESSION, world.colleague.id) == (queries._USER_FOR_SESSION, None)


def test_answers_are_only_read_for_the_principal_they_were_asked_for(world, factory, login_as):
    from flask import g

    from schoolhub import worklist

    with login_as(world.colleague).application.test_request_context("/lessons"):
        g.page_answers = (worklist._key(world.colleague), {"lesson_shelf": "[]"})
        assert worklist.page_answer("lesson_shelf", world.colleague) == "[]"
        assert worklist.page_answer("lesson_shelf", world.student) is worklist.NOT_ASKED
        assert worklist.page_answer("lessons_newest", world.colleague) is worklist.NOT_ASKED


def _newest(response) -> list[str]:
    """The home page's newest lessons, as listed."""
    return [a.text_content().strip() for a in lxml.html.fromstring(response.get_data(as_text=True))
            .xpath("//ul[@class='latest-lessons']/li/a")]


def test_the_home_page_asks_its_newest_lessons_with_the_user(world, factory, db, login_as, count_queries):
    """A page question: from the second home page on, a student's home is the one statement loading them,
    and the box shows the same five lessons, newest first, asked apart or with the user; never another
    school's private lesson."""
    from tests.helpers.lesson_lists import dated

    for day in reversed(range(7)):  # the newest made first: the order is the dates', not the ids'
        dated(db, factory.lesson(world.school, world.teacher, title=f"Bài {day}", visibility="commune"), day)
    dated(db, factory.lesson(world.other_school, world.other_teacher, title="Riêng", visibility="school"), 9)
    client = login_as(world.student)
    first = client.get("/")  # this principal's first home: asked apart
    with count_queries() as statements:
        second = client.get("/")
    assert second.status_code == 200
    assert len(statements) == 1, statements
    assert _newest(first) == _newest(second) == ["Bài 6", "Bài 5", "Bài 4", "Bài 3", "Bài 2"]


def test_the_newest_lessons_asked_with_the_user_are_the_newest_now(world, factory, db, login_as, count_queries):
    from tests.helpers.lesson_lists import dated

    for day in range(3):
        dated(db, factory.lesson(world.school, world.teacher, title=f"Bài {day}", visibility="commune"), day)
    client = login_as(world.colleague)
    client.get("/")
    assert _newest(client.get("/"))[0] == "Bài 2"
    dated(db, factory.lesson(world.school, world.teacher, title="Mới nhất", visibility="commune"), 5)
    with count_queries() as statements:
        assert _newest(client.get("/")) == ["Mới nhất", "Bài 2", "Bài 1", "Bài 0"]
    assert not [s for s in statements if s.lstrip().startswith("SELECT lessons.id, lessons.title")]  # asked with the user
