"""Reading pages as a browser tokenizes them, and the check that a page can run nothing but the app's own script.

`assert_page_safe(html, where)` is what every page that shows user text must pass: no script but
/static/app.js, no on* handler, no script URL, no embedding tag. Its own test
(test_the_page_checker_catches_what_it_must) proves it fails on what it must.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser


class Page(HTMLParser):
    """Start tags with entity-decoded attributes, the text, and textarea contents, as a browser tokenizes them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None], list[tuple[str, str | None]]]] = []
        self.text: list[str] = []
        self.textareas: dict[str, str] = {}
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs), attrs))
        if tag == "textarea":
            self._textarea = dict(attrs).get("name") or ""
            self.textareas[self._textarea] = ""

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        self.text.append(data)
        if self._textarea is not None:
            self.textareas[self._textarea] += data

    def inputs(self) -> dict[str, str | None]:
        return {a.get("name"): a.get("value") for t, a, _ in self.tags if t == "input" and a.get("name")}

    def all_text(self) -> str:
        return "".join(self.text)


def parse_page(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


APP_SCRIPT = {"src": "/static/app.js", "defer": None}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "poster", "background", "xlink:href", "srcset",
                  "srcdoc", "data-embed"}
SCRIPT_SCHEMES = ("javascript:", "data:", "vbscript:")
NEVER_TAGS = {"iframe", "object", "embed", "base", "frame", "frameset", "svg", "math", "applet", "isindex"}
_IGNORED_IN_URL = re.compile(r"[\x00-\x20\x7f\s]")


def assert_page_safe(html: str, where: str) -> Page:
    """No script but the app's own, no on* handler, no script URL, no embedding tag anywhere on the page."""
    page = parse_page(html)
    for tag, attrs, raw in page.tags:
        if tag == "script":
            assert attrs == APP_SCRIPT, (where, raw)
        assert tag not in NEVER_TAGS, (where, tag, raw)
        if tag == "meta":
            assert "http-equiv" not in attrs, (where, raw)
        for name, value in raw:
            assert not name.lower().startswith("on"), (where, tag, raw)
            if name.lower() in URL_ATTRIBUTES and value:
                squeezed = _IGNORED_IN_URL.sub("", value).lower()
                assert not any(s in squeezed for s in SCRIPT_SCHEMES), (where, tag, raw)
    scripts = [attrs for tag, attrs, _ in page.tags if tag == "script"]
    assert len(scripts) <= 1, (where, scripts)
    return page
