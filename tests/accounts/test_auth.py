"""Login, logout, sessions, throttling, forced password change, health check, configuration."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from schoolhub.accounts.models import Role, User
from schoolhub.audit import AuditLog
from tests.helpers.accounts import PASSWORD


def _login(client, username, password=PASSWORD, **extra):
    return client.post("/login", data={"username": username, "password": password, **extra})


def test_login_page_is_served(client):
    page = client.get("/login")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="username"' in html and 'name="password"' in html and 'name="csrf_token"' in html


def test_anonymous_home_goes_to_login(client):
    r = client.get("/")
    assert r.status_code == 302 and r.headers["Location"].endswith("/login")


def test_login_success_records_last_login(world, client, db):
    r = _login(client, "teacher")
    assert r.status_code == 302 and r.headers["Location"] == "/"
    db.expire_all()
    assert db.get(User, world.teacher.id).last_login_at is not None
    assert client.get("/").status_code == 200


def test_username_is_case_insensitive(world, client):
    assert _login(client, "  TeAcHeR ").status_code == 302


def test_wrong_password_shows_form_again(world, client):
    r = _login(client, "teacher", "wrong-password")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert 'value="teacher"' in html  # what was typed is kept
    assert client.get("/").status_code == 302


def test_unknown_user_and_empty_fields_are_refused(world, client):
    assert _login(client, "nobody-here").status_code == 200
    assert client.post("/login", data={"username": "", "password": ""}).status_code == 200
    assert client.post("/login", data={"username": "x" * 500, "password": "y"}).status_code == 200
    assert client.get("/").status_code == 302


def test_deactivated_account_cannot_log_in(world, client, db):
    world.student.is_active_account = False
    db.commit()
    r = _login(client, "student")
    assert r.status_code == 200
    assert client.get("/").status_code == 302


def test_open_redirect_after_login_is_refused(world, client):
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        r = client.post(f"/login?next={target}", data={"username": "teacher", "password": PASSWORD})
        assert r.headers["Location"] == "/", target
        client.post("/logout")
    r = client.post("/login?next=/schools/1", data={"username": "teacher", "password": PASSWORD})
    assert r.headers["Location"] == "/schools/1"


def test_failed_logins_are_throttled_per_username_and_address(world, client):
    for _ in range(10):
        assert _login(client, "teacher", "wrong-password").status_code == 200
    blocked = _login(client, "teacher", "wrong-password")
    assert blocked.status_code == 429
    # Even the right password waits until the window passes.
    assert _login(client, "teacher").status_code == 429
    # Another user from the same address is not affected.
    assert _login(client, "student").status_code == 302


def test_successful_logins_do_not_count(world, client):
    for _ in range(15):
        assert _login(client, "teacher").status_code == 302
        client.post("/logout")


def test_thirty_teachers_behind_one_address_are_not_blocked(world, factory, client, db):
    teachers = [factory.user(Role.TEACHER, world.school, username=f"gv{i:02d}") for i in range(30)]
    db.commit()
    for t in teachers:
        assert _login(client, t.username, "typo").status_code == 200  # one mistake each
        assert _login(client, t.username).status_code == 302
        client.post("/logout")


def test_throttle_is_per_address(world, app):
    a = app.test_client()
    b = app.test_client()
    for _ in range(10):
        a.post("/login", data={"username": "teacher", "password": "x"}, environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert a.post("/login", data={"username": "teacher", "password": "x"},
                  environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code == 429
    ok = b.post("/login", data={"username": "teacher", "password": PASSWORD}, environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert ok.status_code == 302


def _session_cookie(client, app):
    return client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session")).value


def test_copied_cookie_dies_at_logout(world, app, client):
    _login(client, "teacher")
    stolen = _session_cookie(client, app)
    client.post("/logout")
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/").status_code == 302


def test_password_change_ends_other_sessions(world, app, client):
    other = app.test_client()
    _login(client, "teacher")
    _login(other, "teacher")
    assert other.get("/").status_code == 200
    r = client.post("/password", data={"current_password": PASSWORD, "password": "mot-mat-khau-moi",
                                       "confirm": "mot-mat-khau-moi"})
    assert r.status_code == 302
    assert client.get("/").status_code == 200  # this session goes on
    assert other.get("/").status_code == 302  # the other one is over
    client.post("/logout")
    assert _login(client, "teacher").status_code == 200
    assert _login(client, "teacher", "mot-mat-khau-moi").status_code == 302


def test_remember_cookie_also_dies_at_logout(world, app, client):
    _login(client, "teacher", remember="y")
    remember = client.get_cookie("remember_token")
    assert remember is not None
    client.post("/logout")
    thief = app.test_client()
    thief.set_cookie("remember_token", remember.value)
    assert thief.get("/").status_code == 302


def test_one_time_password_forces_a_new_one(world, factory, client, db):
    user = factory.user(Role.TEACHER, world.school, username="newbie", must_change=True)
    db.commit()
    r = _login(client, "newbie")
    assert r.headers["Location"] == "/password"
    assert client.get("/").headers["Location"] == "/password"
    assert client.get(f"/schools/{world.school.id}").headers["Location"] == "/password"
    bad = client.post("/password", data={"current_password": PASSWORD, "password": "short", "confirm": "short"})
    assert bad.status_code == 200
    same = client.post("/password", data={"current_password": PASSWORD, "password": PASSWORD, "confirm": PASSWORD})
    assert same.status_code == 200
    mismatch = client.post("/password", data={"current_password": PASSWORD, "password": "abcdefgh1",
                                              "confirm": "abcdefgh2"})
    assert mismatch.status_code == 200
    wrong = client.post("/password", data={"current_password": "nope-nope", "password": "abcdefgh1",
                                           "confirm": "abcdefgh1"})
    assert wrong.status_code == 200
    ok = client.post("/password", data={"current_password": PASSWORD, "password": "abcdefgh1", "confirm": "abcdefgh1"})
    assert ok.status_code == 302
    assert client.get("/").status_code == 200
    db.expire_all()
    assert db.get(User, user.id).must_change_password is False
    assert db.scalar(select(AuditLog).where(AuditLog.action == "user.change_password",
                                            AuditLog.object_id == user.id)) is not None


def test_logout_needs_post_and_csrf(world, csrf_client):
    assert csrf_client.get("/logout").status_code == 405
    assert csrf_client.post("/logout").status_code == 400


def test_login_without_csrf_token_is_refused(world, csrf_client):
    r = csrf_client.post("/login", data={"username": "teacher", "password": PASSWORD})
    assert r.status_code == 400
    assert csrf_client.get("/").status_code == 302


def test_healthz_answers_json(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.get_json() == {"status": "ok", "database": "ok"}


def test_language_switch_before_login_is_kept_per_browser(client):
    assert 'lang="vi"' in client.get("/login").get_data(as_text=True)
    client.post("/language", data={"lang": "en", "next": "/login"})
    assert 'lang="en"' in client.get("/login").get_data(as_text=True)
    client.post("/language", data={"lang": "xx"})  # unknown languages are ignored
    assert 'lang="en"' in client.get("/login").get_data(as_text=True)


def test_language_choice_is_kept_per_user(world, app, client, db):
    _login(client, "teacher")
    r = client.post("/language", data={"lang": "en", "next": "//evil.example"})
    assert r.headers["Location"] == "/"
    db.expire_all()
    assert db.get(User, world.teacher.id).preferred_language == "en"
    fresh = app.test_client()
    _login(fresh, "teacher")
    assert 'lang="en"' in fresh.get("/").get_data(as_text=True)


def test_app_refuses_development_secret_outside_debug(build_app):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        build_app({"TESTING": False, "DEBUG": False, "SECRET_KEY": "dev-only-not-secret"})
    app = build_app({"TESTING": False, "DEBUG": False, "SECRET_KEY": "a-real-secret"})
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_cookie_settings(app):
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["REMEMBER_COOKIE_DURATION"].days <= 30
    assert app.config["REMEMBER_COOKIE_HTTPONLY"] is True


def test_an_account_switched_off_outside_the_app_loses_its_open_session(world, login_as, db):
    """Deactivating in the app ends sessions (the token rotates); a switch made straight in the database
    (a support fix, a script) must end them too: the next page asks to log in (Flask-Login's
    is_authenticated reads User.is_active)."""
    from sqlalchemy import update

    c = login_as(world.teacher)
    assert c.get("/lessons/mine").status_code == 200
    db.execute(update(User).where(User.id == world.teacher.id).values(is_active_account=False))
    db.commit()
    response = c.get("/lessons/mine")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
