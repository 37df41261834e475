"""Security headers on every response (issue 9, point 7), walked over every GET route as every
kind of user; no inline script or event handler in any template, so the CSP needs no exception."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from schoolhub.hardening import CONTENT_SECURITY_POLICY
from tests.helpers.routes import build, ids_for, lesson_with_picture, routes

ROOT = Path(__file__).resolve().parents[2]
WHO = ("anonymous", "student", "teacher", "admin", "officer")


def test_the_policy_allows_no_inline_script_and_no_framing():
    directives = dict(d.strip().split(" ", 1) for d in CONTENT_SECURITY_POLICY.split(";"))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert directives["frame-src"] == "https://www.youtube-nocookie.com"  # the embed, loaded on play
    assert "unsafe" not in CONTENT_SECURITY_POLICY


@pytest.mark.parametrize("who", WHO)
def test_every_get_route_carries_the_security_headers(who, world, factory, app, db, client, login_as):
    lesson, attachment = lesson_with_picture(world, factory, app, db)
    if who != "anonymous":
        login_as(getattr(world, who))
    ids = ids_for(world, lesson, attachment)
    problems = []
    for route in routes(app, methods=("GET",)):
        url = build(route.rule, ids, attachment)
        response = client.get(url)
        response.close()
        h = response.headers
        where = f"{route.endpoint} {url} ({response.status_code})"
        if route.endpoint == "files.serve":
            if response.status_code == 200 and "sandbox" not in h.get("Content-Security-Policy", ""):
                problems.append(f"{where}: the file's own sandboxing CSP is gone")
        elif h.get("Content-Security-Policy") != CONTENT_SECURITY_POLICY:
            problems.append(f"{where}: CSP {h.get('Content-Security-Policy')!r}")
        for name, value in (("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"),
                            ("Referrer-Policy", "strict-origin-when-cross-origin")):
            if h.get(name) != value:
                problems.append(f"{where}: {name} {h.get(name)!r}")
        if who != "anonymous" and route.endpoint not in ("static", "files.serve"):
            if "no-store" not in h.get("Cache-Control", ""):
                problems.append(f"{where}: Cache-Control {h.get('Cache-Control')!r} for a logged-in user")
        if "Strict-Transport-Security" in h:
            problems.append(f"{where}: HSTS in testing")
    assert not problems, "\n".join(problems)


def test_files_keep_their_revalidation_and_public_pages_may_be_cached(world, factory, app, db, client, login_as):
    lesson, attachment = lesson_with_picture(world, factory, app, db)
    login_as(world.teacher)
    served = client.get(f"/files/{attachment.token}")
    served.close()
    assert served.status_code == 200 and served.headers["Cache-Control"] == "private, no-cache"
    assert served.headers["Content-Security-Policy"] == "default-src 'none'; img-src 'self'; sandbox"
    assert "no-store" not in app.test_client().get("/login").headers.get("Cache-Control", "")


def test_the_youtube_embed_needs_only_the_allowed_frame_source(world, factory, client, login_as):
    lesson = factory.lesson(world.school, world.teacher, video_url="https://www.youtube.com/watch?v=dQw4w9WgXcQ")
    login_as(world.teacher)
    html = client.get(f"/lessons/{lesson.id}").get_data(as_text=True)
    embeds = re.findall(r'data-embed="([^"]+)"', html)
    assert embeds and all(e.startswith("https://www.youtube-nocookie.com/embed/") for e in embeds)
    assert "<iframe" not in html  # nothing loads before play


def test_no_template_has_inline_script_or_event_handlers():
    problems = []
    for path in sorted((ROOT / "templates").rglob("*.html")) + sorted((ROOT / "templates").rglob("*.xml")):
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"<script\b[^>]*>", text, re.I):
            if "src=" not in match.group(0):
                problems.append(f"{path.relative_to(ROOT)}: inline {match.group(0)}")
        for match in re.finditer(r"<[a-z][^>]*\s(on[a-z]+)\s*=", text, re.I):
            problems.append(f"{path.relative_to(ROOT)}: event handler {match.group(1)}")
        if re.search(r"""(href|src|action)\s*=\s*["']\s*javascript:""", text, re.I):
            problems.append(f"{path.relative_to(ROOT)}: javascript: URL")
        if re.search(r"\sstyle\s*=", text, re.I) or re.search(r"<style\b", text, re.I):
            problems.append(f"{path.relative_to(ROOT)}: inline style (style-src is 'self')")
    assert not problems, "\n".join(problems)
