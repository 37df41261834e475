"""Hostile input on every route (issue 9, point 6): ids past the database's INTEGER and NUL bytes
were 500s on PostgreSQL. Walked over every route of app.url_map, anonymous and logged in:
an id out of range is 404, a NUL in the path or the query is 400, a NUL in a posted field is
400 too, with the form given back without it (never a 500, never stored)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from schoolhub.accounts.models import User
from schoolhub.lessons.models import Lesson
from tests.helpers.routes import build, ids_for, int_arguments, lesson_with_picture, routes

TOO_BIG = 2**31
WHO = ("anonymous", "teacher", "admin", "officer")
# Ids and the query are refused before any view runs, so two kinds of user are enough there.
BEFORE_VIEWS = ("anonymous", "admin")
NUL_FIELDS = {"username": "teach\x00er", "password": "x\x00y", "title": "Bài\x00 học", "body": "Nội\x00 dung",
              "q": "\x00", "lang": "vi\x00", "next": "/\x00", "to": "published\x00", "name": "7\x00A",
              "full_name": "Nguyễn\x00 Văn", "code": "S\x001", "school_id": "1\x00", "is_core": "1\x00",
              "current_password": "\x00", "confirm": "\x00", "kind": "auto\x00", "action": "save\x00"}


def _as(who, world, login_as):
    if who != "anonymous":
        login_as(getattr(world, who))


@pytest.mark.parametrize("who", BEFORE_VIEWS)
def test_ids_out_of_range_are_404_on_every_route(who, world, factory, app, db, client, login_as):
    lesson, attachment = lesson_with_picture(world, factory, app, db)
    _as(who, world, login_as)
    ids = ids_for(world, lesson, attachment)
    problems = []
    for route in routes(app):
        for name in sorted(int_arguments(route.rule)):
            for value in (TOO_BIG, 10**18):
                url = build(route.rule, ids, attachment, **{name: value})
                status = client.open(url, method=route.method, data={} if route.method == "POST" else None).status_code
                if status != 404:
                    problems.append(f"{route.method} {url}: {status}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("who", BEFORE_VIEWS)
def test_nul_bytes_in_paths_and_queries_are_400(who, world, factory, app, db, client, login_as):
    lesson, attachment = lesson_with_picture(world, factory, app, db)
    _as(who, world, login_as)
    ids = ids_for(world, lesson, attachment)
    problems = []
    for route in routes(app):
        url = build(route.rule, ids, attachment)
        data = {} if route.method == "POST" else None
        for query in ("q=%00", "next=/%00&page=1", "%00=1"):
            status = client.open(f"{url}?{query}", method=route.method, data=data).status_code
            if status != 400:
                problems.append(f"{route.method} {url}?{query}: {status}")
        texts = [name for name in route.rule.arguments if name not in int_arguments(route.rule)]
        for name in texts:
            bad = build(route.rule, ids, attachment, **{name: "a%00b"})
            status = client.open(bad, method=route.method, data=data).status_code
            if status not in (400, 404):
                problems.append(f"{route.method} {bad}: {status}")
        if route.endpoint == "auth.logout" and who != "anonymous":
            login_as(getattr(world, who))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("who", WHO)
def test_nul_bytes_in_posted_fields_are_400_and_never_stored(who, world, factory, app, db, client, login_as):
    lesson, attachment = lesson_with_picture(world, factory, app, db)
    _as(who, world, login_as)
    ids = ids_for(world, lesson, attachment)
    problems = []
    for route in routes(app, methods=("POST",)):
        url = build(route.rule, ids, attachment)
        response = client.post(url, data=NUL_FIELDS)
        if response.status_code not in (400, 404):
            problems.append(f"POST {url}: {response.status_code}")
        if route.endpoint == "auth.logout" and who != "anonymous":
            login_as(getattr(world, who))
        elif who != "anonymous" and route.endpoint == "auth.change_password":
            login_as(getattr(world, who))
    assert not problems, "\n".join(problems)
    db.expire_all()
    # Checked in Python: a NUL inside a LIKE pattern ends it on SQLite (and is an error on PostgreSQL).
    stored = [*db.execute(select(Lesson.title, Lesson.body, Lesson.summary, Lesson.tags)).all(),
              *db.execute(select(User.full_name, User.username)).all()]
    assert not [row for row in stored if any("\x00" in (value or "") for value in row)]


def test_a_login_name_with_a_nul_byte_is_no_500(world, client):
    response = client.post("/login", data={"username": "\x00", "password": "x"})
    assert response.status_code == 400
    assert client.post("/login?next=%00", data={"username": "teacher", "password": "x"}).status_code == 400


def test_a_nul_byte_pasted_into_a_lesson_gives_the_text_back_without_it(world, login_as, db):
    """400, nothing saved, and the form comes back (the character taken out) to send again in one tap."""
    import lxml.html

    c = login_as(world.teacher)
    body = "Nội dung dán từ PDF\x00 có ký tự rỗng ở giữa, dài hơn ba mươi ký tự."
    form = lxml.html.fromstring(c.get("/lessons/new").get_data(as_text=True))
    data = {i.get("name"): i.get("value") or "" for i in form.xpath('//form[@method="post"]//input[@type="hidden"]')}
    data.update(title="Bài\x00 dán từ PDF", body=body, action="save")
    response = c.post("/lessons/new", data=data)
    assert response.status_code == 400
    doc = lxml.html.fromstring(response.get_data(as_text=True))
    assert "ký tự không lưu được" in doc.text_content()
    assert body.replace("\x00", "") in doc.xpath("//textarea/text()")
    resend = {i.get("name"): i.get("value") for i in doc.xpath('//form[@method="post"]/input[@type="hidden"]')}
    assert resend["title"] == "Bài dán từ PDF" and resend["body"] == body.replace("\x00", "")
    assert db.scalar(select(Lesson).where(Lesson.title.like("Bài%dán từ PDF"))) is None
    # Sent again from that page, it is saved.
    assert c.post("/lessons/new", data=resend).status_code == 302
    assert db.scalar(select(Lesson).where(Lesson.title == "Bài dán từ PDF")) is not None
