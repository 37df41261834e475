"""HTTP hardening: the reverse proxy's headers, security headers on every response, and input that
no database should see (NUL bytes here; ids past a 32-bit integer are 404 in the URL converter).
"""
from __future__ import annotations

from flask import Flask, abort, current_app, g, request, session
from flask_login import current_user
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.middleware.proxy_fix import ProxyFix

# No inline script or style anywhere: app.js and app.css are the page's only code. A YouTube frame is
# created only when the reader presses play (app.js); lesson pictures may be https images.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' https:",
    "media-src 'self'",
    "font-src 'self'",
    "connect-src 'self'",
    "frame-src https://www.youtube-nocookie.com",
    "frame-ancestors 'none'",
    "form-action 'self'",
    "base-uri 'self'",
    "object-src 'none'",
))


def _has_nul(value: str) -> bool:
    return "\x00" in value


def refuse_nul_bytes():
    """400 for a NUL byte anywhere in the request: path, query, posted field or file name.

    PostgreSQL cannot store or compare text holding one (the driver raises: a 500), and no honest
    link carries one. In a form it is junk pasted from a PDF: the 400 page gives the form back with the
    character taken out, ready to send again, so nothing the user typed is lost.
    """
    if _has_nul(request.path):
        abort(400)
    for key, value in request.args.items(multi=True):
        if _has_nul(key) or _has_nul(value):
            abort(400)
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        fields = list(request.form.items(multi=True))
        in_fields = any(_has_nul(key) or _has_nul(value) for key, value in fields)
        in_names = any(upload.filename and _has_nul(upload.filename) for upload in request.files.values())
        if in_fields or in_names:
            from schoolhub.errors import NUL_IN_FORM, render_kept

            request.form = ImmutableMultiDict(
                [(key.replace("\x00", ""), value.replace("\x00", "")) for key, value in fields])
            return render_kept(400, *NUL_IN_FORM)
    return None


def security_headers(response):
    """Headers every response carries; a response that set its own (lesson files) keeps them."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")  # frame-ancestors for browsers that predate it
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    config = current_app.config
    if config["HSTS_SECONDS"] and not (current_app.debug or current_app.testing):
        headers.setdefault("Strict-Transport-Security", f"max-age={int(config['HSTS_SECONDS'])}; includeSubDomains")
    if request.endpoint != "static" and "Cache-Control" not in headers and _logged_in():
        # A shared school computer must not show the last user's pages from its cache or history.
        headers["Cache-Control"] = "no-store"
        headers.add("Vary", "Cookie")
    return response


def _logged_in() -> bool:
    """Whether the response is for a logged-in user; never loads the user just to answer (a page that did
    not need them, such as /healthz, costs no query for it): the session or remember cookie decides then."""
    if "_login_user" in g:
        try:
            return bool(current_user.is_authenticated)
        except Exception:  # the user could not be loaded (the database is away): treat as logged in
            return True
    return "_user_id" in session or bool(request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME",
                                                                                     "remember_token")))


def init_app(app: Flask) -> None:
    """Trust the configured number of proxies, refuse NUL bytes, add the security headers."""
    proxies = int(app.config["PROXY_COUNT"] or 0)
    if proxies > 0:
        # The proxy's X-Forwarded-For is the client's address (throttling, audit); -Proto says https.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    app.before_request(refuse_nul_bytes)
    app.after_request(security_headers)
