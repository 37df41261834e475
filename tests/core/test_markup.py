"""The Markdown renderer: what it keeps, a hostile corpus it must neutralise, plain text and YouTube links."""
from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser

import flask
import jinja2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from schoolhub import markup
from schoolhub.markup import render_markdown, render_plain, youtube_embed_url, youtube_id
from tests.helpers.hostile import HOSTILE

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6",
    "strong", "em", "b", "i", "u", "s", "del", "ins", "sup", "sub",
    "blockquote", "code", "pre", "ul", "ol", "li", "a", "img",
    "table", "thead", "tbody", "tr", "th", "td",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "rel"},
    "img": {"src", "alt", "title", "width", "height"},
    "th": {"align", "colspan", "rowspan"},
    "td": {"align", "colspan", "rowspan"},
    "code": {"class"},
}
REL = "nofollow noopener ugc"
HREF_OK = re.compile(r"(?i)(https?|mailto):")
UPLOAD_SRC = re.compile(r"/files/[A-Za-z0-9_-]+")
IGNORED_IN_URL = re.compile(r"[\x00-\x20\x7f\s]")
SCRIPT_SCHEMES = ("javascript:", "data:", "vbscript:")
VOID_TAGS = {"br", "hr", "img"}


class TagCollector(HTMLParser):
    """Every start tag with its (entity-decoded) attributes, as a browser's tokenizer would see them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.end_tags: list[str] = []
        self.text: list[str] = []
        self.open: list[str] = []
        self.unbalanced: list[str] = []
        self.comments: list[str] = []
        self.declarations: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))
        if tag not in VOID_TAGS:
            self.open.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_endtag(self, tag):
        self.end_tags.append(tag)
        if self.open and self.open[-1] == tag:
            self.open.pop()
        else:
            self.unbalanced.append(tag)

    def handle_data(self, data):
        self.text.append(data)

    def handle_comment(self, data):
        self.comments.append(data)

    def handle_decl(self, decl):
        self.declarations.append(decl)

    def unknown_decl(self, data):
        self.declarations.append(data)

    def handle_pi(self, data):
        self.declarations.append(data)


def parse(html: str) -> TagCollector:
    collector = TagCollector()
    collector.feed(str(html))
    collector.close()
    return collector


def assert_safe(html: str) -> None:
    """Fail with the offending piece if the HTML holds anything outside the allow-list."""
    doc = parse(html)
    assert not doc.comments, html
    assert not doc.declarations, html
    # An open <b> or <table> left in user content would swallow the rest of the page layout.
    assert not doc.open and not doc.unbalanced, (doc.open, doc.unbalanced, html)
    for tag in doc.end_tags:
        assert tag in ALLOWED_TAGS, (tag, html)
    for tag, attrs in doc.tags:
        assert tag in ALLOWED_TAGS, (tag, html)
        names = [name for name, _ in attrs]
        assert len(names) == len(set(names)), (tag, attrs, html)
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name, html)
            assert name != "style", (tag, html)
            assert name in ALLOWED_ATTRIBUTES.get(tag, set()), (tag, name, html)
            squeezed = IGNORED_IN_URL.sub("", value or "").lower()
            for scheme in SCRIPT_SCHEMES:
                assert scheme not in squeezed, (tag, name, value, html)
            if name == "href":
                assert value and HREF_OK.match(value), (value, html)
            if tag == "img" and name == "src":
                assert value and (UPLOAD_SRC.fullmatch(value) or value.startswith("https://")), (value, html)
        if tag == "a":
            assert dict(attrs).get("rel") == REL, (attrs, html)


def text_of(html: str) -> str:
    """The text a reader sees, on one line."""
    return " ".join("".join(parse(html).text).split())


def tags_of(html: str) -> list[str]:
    return [tag for tag, _ in parse(html).tags]


def attrs_of(html: str, tag: str) -> list[dict[str, str | None]]:
    return [dict(attrs) for name, attrs in parse(html).tags if name == tag]


# --- happy paths -------------------------------------------------------------------------------------------------


def test_empty_input_renders_nothing():
    for text in (None, "", "   \n\t "):
        out = render_markdown(text)
        assert isinstance(out, Markup) and out == ""


def test_output_is_markup_and_not_escaped_again_by_jinja():
    env = jinja2.Environment(autoescape=True)
    out = env.from_string("{{ html }}").render(html=render_markdown("**đậm**"))
    assert out == "<p><strong>đậm</strong></p>"


def test_table():
    out = render_markdown("| Lớp | Sĩ số |\n|:----|-----:|\n| 6A | 35 |\n| 6B | 34 |\n")
    assert_safe(out)
    tags = tags_of(out)
    assert {"table", "thead", "tbody", "tr", "th", "td"} <= set(tags)
    assert tags.count("td") == 4
    assert "style" not in out
    aligns = [attrs.get("align") for attrs in attrs_of(out, "th")]
    assert aligns == ["left", "right"]


def test_fenced_code_keeps_text_and_escapes_it():
    out = render_markdown("```python\nif a < b and c > d:\n    print('<script>')\n```\n")
    assert_safe(out)
    assert "<pre><code" in out
    assert tags_of(out) == ["pre", "code"]
    assert attrs_of(out, "code") == [{"class": "language-python"}]
    assert "&lt;script&gt;" in out and "if a &lt; b and c &gt; d:" in out


def test_fenced_code_without_language_has_no_class():
    out = render_markdown("```\nx = 1\n```\n")
    assert attrs_of(out, "code") == [{}]


def test_strike():
    out = render_markdown("~~đã hủy~~ còn lại")
    assert_safe(out)
    assert {"del", "s"} & set(tags_of(out))
    assert "đã hủy" in out


def test_headings_lists_and_emphasis():
    out = render_markdown("# Một\n\n## Hai\n\n###### Sáu\n\n- a\n- b\n\n1. x\n2. y\n\n*em* **strong** `code`\n\n> trích\n")
    assert_safe(out)
    tags = tags_of(out)
    for tag in ("h1", "h2", "h6", "ul", "ol", "li", "em", "strong", "code", "blockquote"):
        assert tag in tags, tag
    assert tags.count("li") == 4


def test_snake_case_is_not_emphasis():
    out = render_markdown("file_name_here and __bold__")
    assert "file_name_here" in out
    assert "<strong>bold</strong>" in out
    assert "<em>" not in out


def test_vietnamese_text_survives_in_nfc():
    text = "Nghị quyết 57-NQ/TW: đột phá phát triển khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số quốc gia"
    nfc = unicodedata.normalize("NFC", text)
    assert nfc in render_markdown(nfc)
    assert nfc in render_markdown(unicodedata.normalize("NFD", text))
    assert render_plain(unicodedata.normalize("NFD", text)) == nfc


def test_https_link_gets_rel():
    out = render_markdown("[Bộ GD&ĐT](https://moet.gov.vn/tin-tuc?id=1&trang=2 \"Trang chủ\")")
    assert_safe(out)
    assert attrs_of(out, "a") == [{
        "href": "https://moet.gov.vn/tin-tuc?id=1&trang=2", "title": "Trang chủ", "rel": REL,
    }]


def test_raw_html_link_rel_is_replaced():
    out = render_markdown('<a href="https://ok.example/" rel="opener" target="_blank">x</a>')
    assert_safe(out)
    assert attrs_of(out, "a") == [{"href": "https://ok.example/", "rel": REL}]


def test_autolink_is_linked():
    out = render_markdown("<https://ok.example/a>")
    assert attrs_of(out, "a") == [{"href": "https://ok.example/a", "rel": REL}]


def test_mailto_links_kept():
    out = render_markdown("[thư](mailto:hieutruong@truong.edu.vn) hoặc <mailto:vanthu@truong.edu.vn>")
    assert_safe(out)
    hrefs = [attrs["href"] for attrs in attrs_of(out, "a")]
    assert hrefs == ["mailto:hieutruong@truong.edu.vn", "mailto:vanthu@truong.edu.vn"]


def test_upload_image_kept():
    out = render_markdown("![ảnh lớp](/files/AbC_123-x)")
    assert_safe(out)
    assert attrs_of(out, "img") == [{"src": "/files/AbC_123-x", "alt": "ảnh lớp"}]


def test_https_image_kept():
    out = render_markdown("![x](https://example.org/a.png)")
    assert attrs_of(out, "img") == [{"src": "https://example.org/a.png", "alt": "x"}]


@pytest.mark.parametrize("src", [
    "/files/AbC/../../admin", "/files/", "/files/a.png", "/files/a?x=1", "/files/a b", "/static/x.png",
    "files/abc", "http://example.org/a.png", "//example.org/a.png", "https:/example.org/a.png",
])
def test_other_image_sources_dropped(src):
    out = render_markdown(f'<img src="{src}" alt="x">')
    assert_safe(out)
    assert attrs_of(out, "img") == [{"alt": "x"}]


def test_inline_html_allowed_tags_stay():
    out = render_markdown("Chữ <b>đậm</b>, <i>nghiêng</i>, <u>gạch</u>, H<sub>2</sub>O, x<sup>2</sup>, <br>")
    assert_safe(out)
    assert {"b", "i", "u", "sub", "sup", "br"} <= set(tags_of(out))
    assert "<b>đậm</b>" in out


def test_raw_table_attributes_are_checked():
    out = render_markdown(
        '<table><tr><td colspan="2" rowspan="x" align="justify" width="9">a</td>'
        '<th align="CENTER" colspan="3">b</th></tr></table>'
    )
    assert_safe(out)
    assert attrs_of(out, "td") == [{"colspan": "2"}]
    assert attrs_of(out, "th") == [{"align": "center", "colspan": "3"}]


def test_image_size_attributes():
    out = render_markdown('<img src="/files/abc" width="120" height="1e9" title="t">')
    assert attrs_of(out, "img") == [{"src": "/files/abc", "width": "120", "title": "t"}]


def test_code_class_keeps_only_a_language():
    out = render_markdown('<code class="language-js x onerror">a</code><code class="evil">b</code>')
    assert attrs_of(out, "code") == [{"class": "language-js"}, {}]


# --- hostile corpus ----------------------------------------------------------------------------------------------

def test_hostile_corpus_is_big_enough():
    assert len(HOSTILE) >= 40
    ids = [param.id for param in HOSTILE]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_is_neutralised(text):
    out = render_markdown(text)
    assert isinstance(out, Markup)
    assert_safe(out)
    assert "alert(1)</script" not in out.lower()


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_plain_text_is_the_rendered_text(text):
    assert render_plain(text) == text_of(render_markdown(text))


def test_unclosed_tags_are_closed_within_the_fragment():
    out = render_markdown("<b>đậm <table><tr><td>ô")
    assert_safe(out)
    assert text_of(out) == "đậm ô"


@pytest.mark.parametrize("text", [
    pytest.param("> " * 400 + "sâu <script>x()</script>", id="quotes"),
    pytest.param("".join("  " * level + "- mục\n" for level in range(250)), id="lists"),
])
def test_nesting_too_deep_for_markdown2_still_renders(text):
    out = render_markdown(text)
    assert_safe(out)
    assert tags_of(out) == ["p"]
    assert "mục" in out or "sâu" in out
    assert "x()" not in out
    assert render_plain(text) == text_of(out)


def test_checker_catches_what_it_must():
    """The checker itself: each of these must fail it, or the corpus proves nothing."""
    for bad in (
        "<script>x</script>", '<img src="x">', '<a href="/x" rel="nofollow noopener ugc">x</a>',
        '<a href="https://x">x</a>', '<b onclick="x">x</b>', '<b style="x">x</b>',
        '<img src="https://x" alt="java&#x09;script:x">', "<!-- x -->", '<img src="/files/a/b">',
        '<a href="JaVa&#10;ScRiPt:x" rel="nofollow noopener ugc">x</a>', "<b>x", "<p>x</b></p>",
    ):
        with pytest.raises(AssertionError):
            assert_safe(bad)


def test_script_and_style_contents_vanish():
    out = render_markdown("trước <script>var bí_mật = 1;</script><style>.x{color:red}</style> sau")
    assert "bí_mật" not in out and "color" not in out
    assert "trước" in out and "sau" in out


def test_entity_encoded_script_stays_text():
    out = render_markdown("&lt;script&gt;alert(1)&lt;/script&gt;")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert tags_of(out) == ["p"]


def test_hostile_link_keeps_its_text_but_loses_href():
    out = render_markdown("[bấm vào đây](JaVaScRiPt:alert(1))")
    assert attrs_of(out, "a") == [{"rel": REL}]
    assert "bấm vào đây" in out


def test_title_breakout_stays_inside_the_title():
    out = render_markdown('[x](http://a.com "\\" onmouseover=\\"alert(1)")')
    [attrs] = attrs_of(out, "a")
    assert set(attrs) <= {"href", "title", "rel"}
    assert attrs["href"] == "http://a.com"


def test_alt_breakout_stays_inside_the_alt():
    out = render_markdown('![x"onerror="alert(1)](https://a.example/b.png)')
    assert attrs_of(out, "img") == [{"src": "https://a.example/b.png", "alt": 'x"onerror="alert(1)'}]


FRAGMENTS = [
    "<", ">", "/", "script", "img", "svg", "a", "href=", "src=", "onerror=", "on", "style=", "javascript:",
    "data:", "vbscript:", "&#", "x", "6A", ";", ":", '"', "'", "`", "[", "](", ")", "!", "=", " ", "\n", "\t",
    "<!--", "-->", "```", "|", "---", "https://", "/files/", "*", "_", "~~", "\\",
]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join))
def test_random_dangerous_fragments_never_escape(text):
    assert_safe(render_markdown(text))
    assert render_plain(text) == text_of(render_markdown(text))


# --- plain text --------------------------------------------------------------------------------------------------


def test_render_plain_strips_markup_and_script_contents():
    text = "# Tiêu đề\n\n**Đậm** và [liên kết](https://x.example) <b>b</b>\n\n<script>bí_mật()</script>\n\n- một\n- hai"
    assert render_plain(text) == "Tiêu đề Đậm và liên kết b một hai"


def test_render_plain_returns_text_not_markup():
    out = render_plain("a &lt;b&gt; & <i>c</i>")
    assert type(out) is str
    assert out == "a <b> & c"
    env = jinja2.Environment(autoescape=True)
    assert env.from_string("{{ t }}").render(t=out) == "a &lt;b&gt; &amp; c"


def test_render_plain_empty():
    assert render_plain(None) == "" and render_plain("") == "" and render_plain("<script>x</script>") == ""


# --- YouTube -----------------------------------------------------------------------------------------------------

VIDEO = "dQw4w9WgXcQ"


@pytest.mark.parametrize(("url", "video"), [
    pytest.param(f"https://www.youtube.com/watch?v={VIDEO}", VIDEO, id="watch"),
    pytest.param(f"https://youtube.com/watch?feature=share&v={VIDEO}&t=42s", VIDEO, id="watch-param-order"),
    pytest.param(f"http://m.youtube.com/watch?v={VIDEO}", VIDEO, id="mobile-http"),
    pytest.param(f"https://youtu.be/{VIDEO}?si=abc123", VIDEO, id="short"),
    pytest.param(f"https://www.youtube.com/shorts/{VIDEO}", VIDEO, id="shorts"),
    pytest.param(f"https://www.youtube.com/embed/{VIDEO}?start=10", VIDEO, id="embed"),
    pytest.param(f"https://www.youtube-nocookie.com/embed/{VIDEO}", VIDEO, id="nocookie"),
    pytest.param("  HTTPS://WWW.YouTube.com/watch?v=a_B-c1D2e3F#t=5  ", "a_B-c1D2e3F", id="case-and-spaces"),
    pytest.param(f"https://www.youtube.com/live/{VIDEO}", VIDEO, id="live"),
    pytest.param(f"https://www.youtube.com/watch?v={VIDEO}&list=PL123&index=2", VIDEO, id="in-playlist"),
])
def test_youtube_id_accepts(url, video):
    assert youtube_id(url) == video


@pytest.mark.parametrize("url", [
    pytest.param(None, id="none"),
    pytest.param("", id="empty"),
    pytest.param(VIDEO, id="bare-id"),
    pytest.param(f"www.youtube.com/watch?v={VIDEO}", id="no-scheme"),
    pytest.param(f"javascript:alert('https://youtu.be/{VIDEO}')", id="javascript"),
    pytest.param(f"ftp://youtu.be/{VIDEO}", id="ftp"),
    pytest.param(f"https://youtube.com.evil.net/watch?v={VIDEO}", id="suffix-host"),
    pytest.param(f"https://evilyoutube.com/watch?v={VIDEO}", id="prefix-host"),
    pytest.param(f"https://evil.net/youtube.com/watch?v={VIDEO}", id="host-in-path"),
    pytest.param(f"https://www.youtube.com@evil.net/watch?v={VIDEO}", id="userinfo"),
    pytest.param("https://www.youtube.com/watch", id="missing-id"),
    pytest.param("https://www.youtube.com/watch?v=short", id="short-id"),
    pytest.param(f"https://www.youtube.com/watch?v={VIDEO}X", id="long-id"),
    pytest.param("https://www.youtube.com/watch?v=dQw4w9W<XcQ", id="bad-char-id"),
    pytest.param("https://youtu.be/", id="short-empty"),
    pytest.param(f"https://youtu.be/{VIDEO}/extra", id="short-extra-segment"),
    pytest.param(f"https://www.youtube-nocookie.com/watch?v={VIDEO}", id="nocookie-watch"),
    pytest.param("https://www.youtube.com/playlist?list=PL1234567890", id="playlist"),
    pytest.param(f"https://www.youtube.com:8080/watch?v={VIDEO}", id="port"),
    pytest.param(f"https://[::1/watch?v={VIDEO}", id="broken-ipv6"),
])
def test_youtube_id_rejects(url):
    assert youtube_id(url) is None


def test_youtube_embed_url():
    assert youtube_embed_url(VIDEO) == f"https://www.youtube-nocookie.com/embed/{VIDEO}"
    assert youtube_embed_url(youtube_id(f"https://youtu.be/{VIDEO}")) == f"https://www.youtube-nocookie.com/embed/{VIDEO}"
    for bad in ("", "x", f"{VIDEO}/../a", f'{VIDEO[:10]}"', None):
        with pytest.raises(ValueError):
            youtube_embed_url(bad)


# --- Jinja wiring ------------------------------------------------------------------------------------------------


def test_init_app_registers_filters_on_a_flask_app():
    app = flask.Flask(__name__)
    markup.init_app(app)
    with app.app_context():
        out = flask.render_template_string(
            "{{ body|markdown }}|{{ body|plaintext }}|{{ url|youtube_id }}|{{ url|youtube_id|youtube_embed }}",
            body="**đậm** <script>x()</script>", url=f"https://youtu.be/{VIDEO}",
        )
    html, plain, video, embed = out.split("|")
    assert html == "<p><strong>đậm</strong> </p>"
    assert plain == "đậm"
    assert video == VIDEO
    assert embed == f"https://www.youtube-nocookie.com/embed/{VIDEO}"


def test_init_app_registers_filters_on_a_jinja_environment():
    env = jinja2.Environment(autoescape=True)
    markup.init_app(env)
    assert env.from_string("{{ t|markdown }}").render(t="<img src='x' onerror='go()'>*a*") == "<p><img><em>a</em></p>"
    assert env.from_string("{{ t|plaintext }}").render(t="a &amp; <b>b</b>") == "a &amp; b"


def test_a_link_to_an_own_attachment_keeps_its_href():
    html = str(render_markdown("[Phiếu học tập](/files/AbC_123-x) và [xa](/files/../etc)"))
    assert '<a href="/files/AbC_123-x" rel="nofollow noopener ugc">Phiếu học tập</a>' in html
    assert "/etc" not in html
