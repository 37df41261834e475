"""No per-process state (issue 9, point 3): two gunicorn instances on two loopback ports against one
PostgreSQL database, one upload directory and one Redis. A user logs in on one and works on the
other, a file uploaded through one is served by the other, and failed logins on both count toward
one limit (per account and address, and per account across addresses)."""
from __future__ import annotations

import os
import re
import uuid

import pytest

from tests.helpers.live import (
    PASSWORD,
    Client,
    Server,
    drop_database,
    is_postgres,
    seed_school,
    server_env,
    sibling_database,
    temp_dir,
)
from tests.helpers.samples import png_bytes

pytestmark = pytest.mark.slow
URL = os.environ.get("SCHOOLHUB_TEST_DATABASE_URL")


def _redis():
    import redis

    client = redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as error:
        client.close()
        pytest.skip(f"no Redis on 127.0.0.1:6379 ({error}); .ci/run starts one")
    return client


@pytest.mark.skipif(not is_postgres(URL), reason="two app servers share a PostgreSQL database: set "
                    "SCHOOLHUB_TEST_DATABASE_URL=postgresql+psycopg://... (SQLite is one file on one machine)")
def test_two_app_servers_share_sessions_files_and_login_counts():
    redis_client = _redis()
    prefix = f"schoolhub-test-{uuid.uuid4().hex[:12]}"
    url = sibling_database(URL, "multi")
    try:
        with temp_dir("schoolhub-multi-") as tmp:
            uploads = tmp / "shared-uploads"
            seeded = seed_school(url, uploads, teachers=3)
            env = server_env(url, uploads, RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0",
                             RATELIMIT_KEY_PREFIX=prefix, PROXY_COUNT=1,
                             LOGIN_FAILURES_PER_USER="4 per 15 minutes", LOGIN_FAILURES_PER_ACCOUNT="6 per 15 minutes")
            with Server("gunicorn", env, workers=2, log_dir=tmp) as a, Server("gunicorn", env, workers=2,
                                                                              log_dir=tmp) as b:
                _session_moves_between_servers(a, b, seeded)
                _files_are_shared(a, b, seeded)
                _failed_logins_count_together(a, b)
                for server in (a, b):
                    assert "Traceback" not in server.log_text(), server.log_tail()
    finally:
        for key in redis_client.scan_iter(f"{prefix}*"):
            redis_client.delete(key)
        redis_client.close()
        drop_database(url)


def _session_moves_between_servers(a, b, seeded):
    lesson = seeded.lessons["gv000"]
    on_a = Client(a.port, "198.51.100.10")
    assert on_a.login("gv000") == 302
    on_b = Client(b.port, "198.51.100.10")
    on_b.cookies = dict(on_a.cookies)  # the same browser, sent to the other server by the balancer
    status, page, _h = on_b.get("/")
    assert status == 200 and "Giáo Viên 0" in page
    assert on_b.edit_lesson(lesson, "Sửa trên máy chủ B.") == 302
    status, page, _h = on_a.get(f"/lessons/{lesson}/edit")
    assert status == 200 and "Sửa trên máy chủ B." in page


def _files_are_shared(a, b, seeded):
    lesson = seeded.lessons["gv001"]
    on_a = Client(a.port, "198.51.100.11")
    assert on_a.login("gv001") == 302
    status, page, _h = on_a.get(f"/lessons/{lesson}/edit")
    from tests.helpers.live import base_revision_of, csrf_of

    status, _page, _h = on_a.post_multipart(f"/lessons/{lesson}/edit", {
        "csrf_token": csrf_of(page), "base_revision": base_revision_of(page), "title": "Bài có ảnh",
        "body": "Ảnh ở dưới.", "visibility": "school", "action": "save"}, {"file": ("anh.png", png_bytes(), "image/png")})
    assert status == 302
    status, page, _h = on_a.get(f"/lessons/{lesson}/edit")
    token = re.search(r"/files/([A-Za-z0-9_-]+)", page).group(1)
    on_b = Client(b.port, "198.51.100.11")
    on_b.cookies = dict(on_a.cookies)
    from tests.helpers.live import request

    status, _headers, body = request(b.port, "GET", f"/files/{token}", headers=on_b._headers())
    assert status == 200 and body == png_bytes()


def _failed_logins_count_together(a, b):
    # One account from one address, alternating servers: the 4-failure limit is reached across both.
    x = [Client(a.port, "203.0.113.1"), Client(b.port, "203.0.113.1")]
    for n in range(4):
        assert x[n % 2].login("gv002", "sai-mat-khau") == 200
    assert x[0].login("gv002", PASSWORD) == 429 and x[1].login("gv002", PASSWORD) == 429
    # The same account from a fresh address still gets in: it has 4 of its 6 account-wide failures.
    assert Client(b.port, "203.0.113.2").login("gv002") == 302
    # Another account, failing from two addresses on two servers: 6 together stop it everywhere.
    for _n in range(3):
        assert Client(a.port, "203.0.113.3").login("live.admin", "sai") == 200
        assert Client(b.port, "203.0.113.4").login("live.admin", "sai") == 200
    assert Client(a.port, "203.0.113.5").login("live.admin") == 429
    assert Client(b.port, "203.0.113.6").login("live.admin") == 429
