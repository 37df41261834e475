"""The header and menu of every page (views_common.site_header): kept per language, name, to-do count and
menu, with each page's own CSRF token and way back put in on every page."""
from __future__ import annotations

import re

import lxml.html

from schoolhub.accounts.models import Role


def header(response) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(response.get_data(as_text=True)).xpath("//header[@class='site-header']")[0]


def tokens(response) -> list[str]:
    return [i.get("value") for i in header(response).xpath(".//input[@name='csrf_token']")]


def _signed_in(app, user):
    """A client of its own, logged in through the form with CSRF protection on."""
    from tests.helpers.accounts import PASSWORD

    client = app.test_client()
    token = tokens(client.get("/login"))[0]
    response = client.post("/login", data={"csrf_token": token, "username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_two_readers_with_the_same_header_each_get_their_own_csrf_token(app, world, factory, db):
    twin = factory.user(Role.TEACHER, world.school, username="twin", full_name=world.teacher.full_name)
    db.commit()
    app.config["WTF_CSRF_ENABLED"] = True
    mine, theirs = _signed_in(app, world.teacher), _signed_in(app, twin)
    a, b = mine.get("/lessons"), theirs.get("/lessons")
    strip = re.compile(r'name="csrf_token" value="[^"]*"')
    # The same words, links and name: one kept header serves both...
    assert strip.sub("", lxml.html.tostring(header(a), encoding="unicode")) == \
        strip.sub("", lxml.html.tostring(header(b), encoding="unicode"))
    # ...with each session's own token, which its own form accepts and the other's refuses.
    (mine_logout, mine_lang), (theirs_logout, _) = tokens(a), tokens(b)
    assert mine_logout == mine_lang and mine_logout != theirs_logout
    assert theirs.post("/language", data={"csrf_token": mine_lang, "lang": "en", "next": "/"}).status_code == 400
    assert mine.post("/language", data={"csrf_token": mine_lang, "lang": "en", "next": "/"}).status_code == 302
    assert header(mine.get("/lessons")).xpath(".//button[@name='lang']")[0].text == "Tiếng Việt"


def test_the_way_back_after_a_change_of_language_is_each_page_own(world, login_as):
    client = login_as(world.teacher)
    for path in ("/lessons?q=robot&topic=stem", "/", "/lessons/mine"):
        response = client.get(path)
        [back] = header(response).xpath(".//input[@name='next']/@value")
        assert back == (path if "?" in path else path + "?")  # request.full_path, as before


def test_a_new_name_shows_on_the_next_page(world, login_as, db):
    client = login_as(world.teacher)
    assert header(client.get("/")).xpath(".//span[@class='who']")[0].text == "Lê Bảo Yến"
    world.teacher.full_name = "Lê Bảo Yến Nhi"
    db.commit()
    assert header(client.get("/")).xpath(".//span[@class='who']")[0].text == "Lê Bảo Yến Nhi"


def test_a_hostile_name_is_text_and_never_taken_for_a_mark(world, login_as, db):
    world.teacher.full_name = '<!--csrf--><script>alert(1)</script><!--next-->'
    db.commit()
    response = login_as(world.teacher).get("/")
    html = response.get_data(as_text=True)
    assert "<script>alert(1)" not in html
    assert header(response).xpath(".//span[@class='who']")[0].text == '<!--csrf--><script>alert(1)</script><!--next-->'
    assert len(set(tokens(response))) == 1 and tokens(response)[0]


def test_an_anonymous_visitor_gets_the_short_menu_with_a_token(client):
    response = client.get("/login")
    links = [a.get("href") for a in header(response).xpath(".//nav/a")]
    assert links == ["/lessons", "/login"]
    assert header(response).xpath(".//a[@class='waiting-badge']") == []
    assert tokens(response)[0]


def test_id_link_puts_each_id_in_its_own_place_whatever_its_digits(app):
    from flask import url_for

    from schoolhub.views_common import id_link

    with app.test_request_context("/"):
        for commune_id, school_id in ((1, 2), (9876543220, 7), (3, 987654321), (987654322, 987654321)):
            assert id_link("admin.edit_school", commune_id=commune_id, school_id=school_id) == \
                url_for("admin.edit_school", commune_id=commune_id, school_id=school_id)
        assert id_link("lessons.view", _external=True, lesson_id=5) == url_for("lessons.view", lesson_id=5,
                                                                              _external=True)
    # Digits in the address that look like a mark are the address's own.
    with app.test_request_context("/", base_url="http://987654329.example/"):
        assert id_link("lessons.view", _external=True, lesson_id=987654320) == \
            url_for("lessons.view", lesson_id=987654320, _external=True)


def test_a_session_signed_token_serves_its_pages_and_ends_with_the_session(app, world):
    """The header's token is signed once per session (views_common.csrf_token): the same on every page of a
    session, accepted by its forms, and refused once that session has ended."""
    app.config["WTF_CSRF_ENABLED"] = True
    client = _signed_in(app, world.teacher)
    first, again = tokens(client.get("/lessons"))[0], tokens(client.get("/"))[0]
    assert first == again
    assert client.post("/language", data={"csrf_token": first, "lang": "en", "next": "/"}).status_code == 302
    assert client.post("/logout", data={"csrf_token": first}).status_code == 302
    client = _signed_in(app, world.teacher)  # a new session, a new secret token
    fresh = tokens(client.get("/"))[0]
    assert fresh != first
    assert client.post("/language", data={"csrf_token": first, "lang": "vi", "next": "/"}).status_code == 400
    assert client.post("/language", data={"csrf_token": fresh, "lang": "vi", "next": "/"}).status_code == 302
