"""Flask's signed-cookie sessions, a cookie's checked contents kept by the process that checked it.

Every page of a logged-in reader sends the same session cookie until the session changes. Flask checks
it anew on each: builds a serializer, derives the signing key, verifies the HMAC, decodes base64, inflates
and parses the tagged JSON. Measured in process at the province preset, that was 0.16–0.20 ms of a page's
3–4 ms of app CPU (an anonymous request, with no cookie, 0.04 ms).

What a cookie holds and whether its signature is good depend only on the cookie's text and the keys, so
the result of that work is kept, per process, under the keys and the text (an LRU of SESSIONS_KEPT). What
does change is its age: every use of a kept cookie checks it as itsdangerous does (no older than the
session's lifetime, not from the future), so a cookie past its time is refused though it was kept. A
refused cookie is never kept, and a changed key (or fallback keys) finds nothing kept under the old one.

Each request gets its own session object, its lists and dicts copied: a request that adds to its flash
messages changes its own session, never what the next request with the same cookie starts from.
"""
from __future__ import annotations

import copy
import threading
import time
from collections import OrderedDict

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature

SESSIONS_KEPT = 4096  # cookies each process keeps (a cookie of about 200 bytes and its few values)


class KeptCookieSessions(SecureCookieSessionInterface):
    """SecureCookieSessionInterface whose checked cookies are kept (see the module's docstring)."""

    def __init__(self) -> None:
        self._kept: OrderedDict = OrderedDict()  # (keys, cookie) -> (values, signed at, whole seconds)
        self._lock = threading.Lock()

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if not app.secret_key:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        key = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()), value)
        with self._lock:
            found = self._kept.get(key)
            if found is not None:
                self._kept.move_to_end(key)
        if found is None:
            try:
                data, signed_at = self.get_signing_serializer(app).loads(value, max_age=max_age,
                                                                         return_timestamp=True)
            except BadSignature:  # a bad signature, an expired one, a cookie that is not ours
                return self.session_class()
            found = (data, int(signed_at.timestamp()))
            with self._lock:
                self._kept[key] = found
                while len(self._kept) > SESSIONS_KEPT:
                    self._kept.popitem(last=False)
        else:
            age = int(time.time()) - found[1]  # as itsdangerous's TimestampSigner counts it
            if age > max_age or age < 0:
                return self.session_class()
        data = found[0]
        return self.session_class({name: copy.deepcopy(item) if isinstance(item, (list, dict, set, tuple)) else item
                                   for name, item in data.items()})
