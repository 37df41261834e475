"""The app's only Markdown renderer: markdown2 turns text into HTML, nh3 keeps an allow-list of it.

markdown2 passes raw HTML and any link through untouched (its safe_mode is not a sanitizer), so
everything it emits goes through nh3 with explicit tags, attributes and a per-attribute filter.
Also: plain-text summaries, and YouTube links turned into privacy-enhanced embed URLs.
"""
from __future__ import annotations

import html
import re
import unicodedata
from urllib.parse import parse_qs, urlsplit

import jinja2
import markdown2
import nh3
from flask import Flask
from markupsafe import Markup

MARKDOWN_EXTRAS: dict[str, object] = {
    "tables": None,
    "fenced-code-blocks": None,
    # Emits <code class="language-x"> instead of Pygments spans, so the output does not depend on
    # whether Pygments happens to be installed.
    "highlightjs-lang": None,
    "strike": None,
    "cuddled-lists": None,
    # snake_case_names and file_names_like_this must not turn into emphasis.
    "middle-word-em": False,
}

ALLOWED_TAGS = frozenset({
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6",
    "strong", "em", "b", "i", "u", "s", "del", "ins", "sup", "sub",
    "blockquote", "code", "pre", "ul", "ol", "li", "a", "img",
    "table", "thead", "tbody", "tr", "th", "td",
})
ALLOWED_ATTRIBUTES: dict[str, frozenset[str]] = {
    "a": frozenset({"href", "title"}),
    "img": frozenset({"src", "alt", "title", "width", "height"}),
    "th": frozenset({"align", "colspan", "rowspan"}),
    "td": frozenset({"align", "colspan", "rowspan"}),
    "code": frozenset({"class"}),
}
# Their text is code or chrome, never prose: drop it with the tag rather than show it as text.
CONTENT_DROPPED_TAGS = frozenset({
    "script", "style", "template", "noscript", "iframe", "object", "embed", "frame", "frameset",
    "svg", "math", "textarea", "select", "title", "xmp", "noembed", "noframes", "plaintext",
})
LINK_REL = "nofollow noopener ugc"
LINK_SCHEMES = frozenset({"http", "https", "mailto"})
_IMAGE_SCHEMES = frozenset({"https"})

UPLOAD_SRC = re.compile(r"/files/[A-Za-z0-9_-]+")
_CODE_LANGUAGE = re.compile(r"language-[A-Za-z0-9_+-]{1,40}")
_SMALL_NUMBER = re.compile(r"[0-9]{1,4}")
_ALIGNMENTS = frozenset({"left", "center", "right"})
# markdown2 writes column alignment as a style attribute, and style is never allowed through.
_TABLE_ALIGN_STYLE = re.compile(r'<(th|td) style="text-align:(left|center|right);">')
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
# Browsers drop tabs and newlines anywhere in a URL ("java\tscript:" is javascript:); refuse them outright.
_URL_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_URL_IGNORED = re.compile(r"[\x00-\x20\x7f\s]")
# Harmless as text, but scripts (lightboxes, copy-link buttons) have been known to turn alt/title into a URL.
_SCRIPT_SCHEME_TEXT = re.compile(r"javascript:|vbscript:|data:")
_SPACES = re.compile(r"\s+")


def _absolute_url(value: str, schemes: frozenset[str]) -> str | None:
    """The URL if it is absolute with one of the schemes (and a host for http/https), else None."""
    url = value.strip()
    scheme = _SCHEME.match(url)
    if not scheme or scheme.group(1).lower() not in schemes or _URL_CONTROL.search(url):
        return None
    if scheme.group(1).lower() in {"http", "https"}:
        try:
            host = urlsplit(url).hostname
        except ValueError:
            return None
        if not host:
            return None
    return url


def _image_src(value: str) -> str | None:
    """Our own uploads by token, or an https image; nothing that leaks mixed content or runs script."""
    src = value.strip()
    if UPLOAD_SRC.fullmatch(src):
        return src
    return _absolute_url(src, _IMAGE_SCHEMES)


def _filter_attribute(tag: str, attr: str, value: str) -> str | None:
    """Per-attribute check nh3 calls with the entity-decoded value; None drops the attribute."""
    # nh3 hands the exception of a filter to sys.unraisablehook and drops the attribute; never raise.
    if attr in {"title", "alt"}:
        return None if _SCRIPT_SCHEME_TEXT.search(_URL_IGNORED.sub("", value).lower()) else value
    if tag == "a":
        if attr == "href":
            # The lesson's own attachments (/files/<token>) may be linked too, like pictures.
            return value if UPLOAD_SRC.fullmatch(value) else _absolute_url(value, LINK_SCHEMES)
        if attr == "rel":
            return LINK_REL
        return None
    if tag == "img":
        if attr == "src":
            return _image_src(value)
        if attr in {"width", "height"}:
            return value.strip() if _SMALL_NUMBER.fullmatch(value.strip()) else None
        return None
    if tag in {"th", "td"}:
        if attr == "align":
            return value.strip().lower() if value.strip().lower() in _ALIGNMENTS else None
        if attr in {"colspan", "rowspan"}:
            return value.strip() if _SMALL_NUMBER.fullmatch(value.strip()) else None
        return None
    if tag == "code" and attr == "class":
        languages = [name for name in value.split() if _CODE_LANGUAGE.fullmatch(name)]
        return " ".join(languages[:1]) or None
    return None


_cleaner = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags=set(CONTENT_DROPPED_TAGS),
    attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
    attribute_filter=_filter_attribute,
    url_schemes=set(LINK_SCHEMES),
    link_rel=LINK_REL,
    strip_comments=True,
)
_text_cleaner = nh3.Cleaner(tags=set(), clean_content_tags=set(CONTENT_DROPPED_TAGS), attributes={})


def _markdown_html(text: str) -> str:
    """Unsanitised HTML from markdown2, with NFC text so Vietnamese compares and searches alike."""
    text = unicodedata.normalize("NFC", text)
    try:
        raw = markdown2.markdown(text, extras=dict(MARKDOWN_EXTRAS))
    except RecursionError:
        # markdown2 recurses once per nesting level: ~200 "> " or nested list levels exhaust the stack.
        # A page must still render: show the text unformatted, still as HTML for the sanitiser to judge.
        return f"<p>{text}</p>"
    return _TABLE_ALIGN_STYLE.sub(r'<\1 align="\2">', str(raw))


def render_markdown(text: str | None) -> Markup:
    """Markdown to sanitised HTML, safe to put in a page as it is."""
    if not text or not str(text).strip():
        return Markup("")
    return Markup(_cleaner.clean(_markdown_html(str(text))).strip())


def render_plain(text: str | None) -> str:
    """Markdown to plain text on one line, for summaries and meta descriptions (a str: let Jinja escape it)."""
    if not text or not str(text).strip():
        return ""
    stripped = html.unescape(_text_cleaner.clean(_markdown_html(str(text))))
    return _SPACES.sub(" ", unicodedata.normalize("NFC", stripped)).strip()


_YOUTUBE_ID = re.compile(r"[A-Za-z0-9_-]{11}")
_YOUTUBE_HOSTS = frozenset({"youtube.com", "www.youtube.com", "m.youtube.com", "music.youtube.com"})
_NOCOOKIE_HOSTS = frozenset({"youtube-nocookie.com", "www.youtube-nocookie.com"})
_SHORT_HOSTS = frozenset({"youtu.be", "www.youtu.be"})
_YOUTUBE_PATH_KINDS = frozenset({"shorts", "embed", "live", "v"})


def youtube_id(url: str | None) -> str | None:
    """The 11-character video id of a YouTube watch, short, shorts or embed link, else None."""
    if not url:
        return None
    try:
        parts = urlsplit(str(url).strip())
        host = (parts.hostname or "").rstrip(".")
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in {"http", "https"} or port is not None:
        return None
    if "@" in parts.netloc or "\\" in parts.netloc:
        return None
    segments = [s for s in parts.path.split("/") if s]
    candidate: str | None = None
    if host in _SHORT_HOSTS and len(segments) == 1:
        candidate = segments[0]
    elif host in _NOCOOKIE_HOSTS and len(segments) == 2 and segments[0] == "embed":
        candidate = segments[1]
    elif host in _YOUTUBE_HOSTS:
        if segments == ["watch"]:
            candidate = (parse_qs(parts.query).get("v") or [None])[0]
        elif len(segments) == 2 and segments[0] in _YOUTUBE_PATH_KINDS:
            candidate = segments[1]
    if candidate and _YOUTUBE_ID.fullmatch(candidate):
        return candidate
    return None


def youtube_embed_url(video_id: str) -> str:
    """The privacy-enhanced (youtube-nocookie.com) embed URL of a video id; ValueError for a bad id."""
    if not isinstance(video_id, str) or not _YOUTUBE_ID.fullmatch(video_id):
        raise ValueError(f"not a YouTube video id: {video_id!r}")
    return f"https://www.youtube-nocookie.com/embed/{video_id}"


FILTERS = {
    "markdown": render_markdown,
    "plaintext": render_plain,
    "youtube_id": youtube_id,
    "youtube_embed": youtube_embed_url,
}


def init_app(app: Flask | jinja2.Environment) -> None:
    """Register the filters markdown, plaintext, youtube_id and youtube_embed on a Flask app or Jinja env."""
    if isinstance(app, jinja2.Environment):
        app.filters.update(FILTERS)
        return
    for name, func in FILTERS.items():
        app.add_template_filter(func, name)
