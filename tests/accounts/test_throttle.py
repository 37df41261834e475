"""Login throttling that cannot lock out a school (issue 9, point 4; issue 10, point 8)."""
from __future__ import annotations

import logging
import re
from contextlib import contextmanager
from datetime import datetime

import pytest

from schoolhub.clock import LOCAL_ZONE
from schoolhub.throttle import LoginThrottle
from tests.helpers.accounts import PASSWORD


@contextmanager
def throttle_with(app, **settings):
    """The app's throttle rebuilt with other settings for the duration of a test."""
    saved = {k: app.config[k] for k in settings}
    original = app.extensions["schoolhub.throttle"]
    app.config.update(settings)
    try:
        app.extensions["schoolhub.throttle"] = LoginThrottle(app)
        yield app.extensions["schoolhub.throttle"]
    finally:
        app.config.update(saved)
        app.extensions["schoolhub.throttle"] = original


def _login(client, username, password, address):
    return client.post("/login", data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_per_account_limit_counts_across_addresses(world, app):
    c = app.test_client()
    for n in range(20):  # 5 addresses, 4 mistakes each: under the per-address-and-account limit everywhere
        assert _login(c, "teacher", "sai-mat-khau", f"10.0.{n % 5}.1").status_code == 200
    blocked = _login(c, "teacher", PASSWORD, "10.9.9.9")
    assert blocked.status_code == 429  # even the right password, even from a new address
    # Other accounts are untouched.
    assert _login(app.test_client(), "student", PASSWORD, "10.0.0.1").status_code == 302


def test_a_full_address_refuses_only_wrong_passwords_and_accounts_that_failed(world, factory, app, db):
    from schoolhub.accounts.models import Role

    others = [factory.user(Role.TEACHER, world.school, username=f"gv{i}") for i in range(3)]
    db.commit()
    school = "203.0.113.7"  # the whole school behind one address
    with throttle_with(app, LOGIN_FAILURES_PER_ADDRESS="5 per 15 minutes"):
        attacker = app.test_client()
        for n in range(5):
            assert _login(attacker, f"ai-do-{n}", "doan-mo", school).status_code == 200
        assert _login(attacker, "ai-do-9", "doan-mo", school).status_code == 429
        # The teacher who never mistyped gets in, from the same address, at once.
        assert _login(app.test_client(), "teacher", PASSWORD, school).status_code == 302
        for user in others:
            assert _login(app.test_client(), user.username, PASSWORD, school).status_code == 302
        # One who mistyped lately waits, and is told until when.
        assert _login(app.test_client(), "student", "go-nham", "198.51.100.1").status_code == 200
        late = _login(app.test_client(), "student", PASSWORD, school)
        assert late.status_code == 429 and "mạng này" in late.get_data(as_text=True)


def test_the_form_warns_how_many_tries_are_left(world, client):
    texts = [_login(client, "teacher", "sai", "10.1.1.1").get_data(as_text=True) for _ in range(4)]
    assert "lần thử" not in texts[0] and "lần thử" not in texts[1]
    assert "Còn 7 lần thử" in texts[2] and "Còn 6 lần thử" in texts[3]


def test_the_429_page_is_the_form_again_with_the_local_time_to_try_again(world, client):
    for _ in range(10):
        last = _login(client, "teacher", "sai", "10.1.1.2")
    assert "lần thử cuối cùng" in last.get_data(as_text=True)
    blocked = _login(client, "Teacher", "sai", "10.1.1.2")
    html = blocked.get_data(as_text=True)
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    assert 'name="username"' in html and 'value="Teacher"' in html and 'name="password"' in html
    assert 'name="password" required type="password" value=""' in html or 'value="sai"' not in html
    shown = re.search(r"thử lại lúc (\d{2}):(\d{2})", html)
    assert shown, html
    later = datetime.now(LOCAL_ZONE).timestamp() + int(blocked.headers["Retry-After"])
    expected = datetime.fromtimestamp(later, LOCAL_ZONE)
    assert abs((int(shown.group(1)) * 60 + int(shown.group(2))) - (expected.hour * 60 + expected.minute)) in (0, 1,
                                                                                                            1439)


def test_logins_work_when_redis_does_not_answer(world, app, caplog):
    with throttle_with(app, RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0") as throttle:
        with caplog.at_level(logging.WARNING, logger="schoolhub.throttle"):
            assert _login(app.test_client(), "teacher", PASSWORD, "10.2.0.1").status_code == 302
        assert "does not answer" in caplog.text and throttle.using_fallback
        # Failures still count, in this process, and still stop a guesser.
        c = app.test_client()
        for _ in range(10):
            assert _login(c, "student", "sai", "10.2.0.2").status_code == 200
        assert _login(c, "student", PASSWORD, "10.2.0.2").status_code == 429


def _redis_answers() -> bool:
    import redis

    try:
        return bool(redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


@pytest.mark.skipif(not _redis_answers(), reason="no Redis on 127.0.0.1:6379")
def test_two_app_processes_count_toward_one_limit_in_redis(world, app):
    import uuid

    prefix = f"schoolhub-test-{uuid.uuid4().hex}"
    with throttle_with(app, RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0", RATELIMIT_KEY_PREFIX=prefix) as one:
        two = LoginThrottle(app)  # a second worker or server, same Redis and prefix
        try:
            for n in range(10):
                (one if n % 2 else two).failed("teacher", "10.3.0.1")
            assert one.check("teacher", "10.3.0.1").blocked_until is not None
            assert two.check("teacher", "10.3.0.1").blocked_until is not None
            assert two.check("teacher", "10.3.0.2").account_failures == 10
        finally:
            import redis

            r = redis.Redis(host="127.0.0.1", port=6379)
            for key in r.scan_iter(f"{prefix}*"):
                r.delete(key)
            r.close()
            one._primary.storage.storage.close()
            two._primary.storage.storage.close()
