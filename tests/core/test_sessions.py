"""Session cookies checked once per process and kept (schoolhub.sessions): what a kept cookie still refuses."""
from __future__ import annotations

import time

import pytest
from flask import session

from schoolhub import sessions


def _cookie(client) -> str:
    return client.get_cookie("session").value


def _logged_in(client) -> bool:
    response = client.get("/")
    return response.status_code == 200 and "/logout" in response.get_data(as_text=True)


def _kept(client, app) -> str:
    """Pages until the session cookie stops changing (a first page adds its CSRF token), and that cookie,
    which the process now keeps (the last page was served from it unchanged)."""
    for _ in range(3):
        before = _cookie(client)
        assert _logged_in(client)
        if _cookie(client) == before:
            kept = app.session_interface._kept
            assert any(key[-1] == before for key in kept)
            return before
    raise AssertionError("the session cookie kept changing")


def test_a_kept_cookie_serves_its_reader_and_a_tampered_one_is_refused(world, login_as, app):
    client = login_as(world.teacher)
    good = _kept(client, app)
    payload, signature = good.rsplit(".", 1)
    # The signature's first character changed (its last one holds padding bits base64 may ignore).
    flipped = ("A" if signature[0] != "A" else "Q") + signature[1:]
    for forged in (f"{payload}.{flipped}", f"{payload[:-2]}xx.{signature}", good + "x", "not-a-cookie"):
        client.set_cookie("session", forged)
        response = client.get("/")
        assert response.status_code == 302 and "/login" in response.headers["Location"], forged
    client.set_cookie("session", good)
    assert _logged_in(client)


@pytest.mark.parametrize("shift", ["past its lifetime", "from the future"])
def test_a_kept_cookie_past_its_time_is_refused(shift, world, login_as, app, monkeypatch):
    client = login_as(world.teacher)
    _kept(client, app)
    lifetime = app.permanent_session_lifetime.total_seconds()
    now = time.time()
    later = now + lifetime + 5 if shift == "past its lifetime" else now - 120
    monkeypatch.setattr(time, "time", lambda: later)
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_new_secret_key_refuses_what_was_kept_under_the_old_one(world, login_as, app, monkeypatch):
    client = login_as(world.teacher)
    _kept(client, app)
    monkeypatch.setattr(app, "secret_key", "another-key-" + "x" * 40)
    monkeypatch.setitem(app.config, "SECRET_KEY_FALLBACKS", [])
    assert not _logged_in(client)


def test_each_request_changes_its_own_copy_of_a_kept_cookie(app):
    interface = app.session_interface
    assert isinstance(interface, sessions.KeptCookieSessions)
    with app.test_request_context():
        signed = interface.get_signing_serializer(app).dumps({"_flashes": [["info", "first"]], "lang": "vi"})
    headers = {"Cookie": f"{app.config['SESSION_COOKIE_NAME']}={signed}"}
    with app.test_request_context(headers=headers):
        session["_flashes"].append(["info", "added by this request"])
        session["lang"] = "en"
    with app.test_request_context(headers=headers):  # the same cookie again: as it was signed
        assert session["_flashes"] == [["info", "first"]] and session["lang"] == "vi"
        assert not session.modified


def test_the_kept_cookies_are_bounded(app, monkeypatch):
    interface = sessions.KeptCookieSessions()
    monkeypatch.setattr(app, "session_interface", interface)
    monkeypatch.setattr(sessions, "SESSIONS_KEPT", 2)
    with app.test_request_context():
        cookies = [interface.get_signing_serializer(app).dumps({"n": n}) for n in range(3)]
    for n, signed in enumerate(cookies):
        with app.test_request_context(headers={"Cookie": f"{app.config['SESSION_COOKIE_NAME']}={signed}"}):
            assert session["n"] == n
    assert len(interface._kept) == 2
    with app.test_request_context(headers={"Cookie": f"{app.config['SESSION_COOKIE_NAME']}={cookies[0]}"}):
        assert session["n"] == 0  # forgotten, then checked again
