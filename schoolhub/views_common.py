"""Home page, health check and language choice: the core blueprint.

The home page is made of the panels the domains registered (`domains.Registry.add_panel`);
the header's menu of their navigation entries.
"""
from __future__ import annotations

import functools
import re
import threading
from collections import OrderedDict

from flask import Blueprint, Flask, current_app, g, jsonify, redirect, render_template, request, session, url_for
from flask_babel import get_locale, gettext
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape
from sqlalchemy import text

from schoolhub import policy
from schoolhub.db import generic_plan, get_session
from schoolhub.domains import registry
from schoolhub.security import safe_next
from schoolhub.vocab import label
from schoolhub.worklist import items_for

bp = Blueprint("core", __name__)


@bp.route("/")
def home():
    """Each user's landing page: their worklist, then the panels the domains show them."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    db = get_session()
    user = current_user._get_current_object()  # the panels read it often: not through the proxy each time
    panels = []
    for panel in registry().panels:
        context = panel.context(db, user)
        if context is not None:
            panels.append((panel.template, context))
    return render_template("home/index.html", panels=panels, waiting=items_for(user))


# Marked like the layout's statements (it has no values to plan for): a request starts in the generic
# mode, so the check stays one statement on PostgreSQL, with no planner switch before it.
_SELECT_ONE = generic_plan(text("SELECT 1"))


@bp.route("/healthz")
def healthz():
    """200 with a JSON body when the database answers."""
    try:
        get_session().execute(_SELECT_ONE)
    except Exception:  # any driver error means "not healthy", never a stack trace
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")


@bp.route("/language", methods=["POST"])
def language():
    """Switch the interface language, for the account when logged in, else for this browser."""
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        logged_in = current_user.is_authenticated  # loads the user first: if that fails, nothing has changed
        session["lang"] = lang
        if logged_in:
            current_user.preferred_language = lang
            get_session().commit()
    return redirect(safe_next(request.form.get("next")) or url_for("core.home"))


_ID_MARK = 987654321  # stands for an id in a link pattern: nine digits, found nowhere else in a path
_MARKS = re.compile(r"(98765432[0-9])")


def id_link(endpoint: str, _external: bool = False, **ids: int) -> str:
    """url_for(endpoint, **ids) for integer ids, from one url_for per request, endpoint and argument
    names: a list of 25 rows with three links each otherwise asks the router 75 times (a few tenths of
    a millisecond). The pattern holds a mark per id; it is cut at the marks once, and each link is its
    pieces with the ids' digits between them."""
    patterns = g.setdefault("_id_links", {})
    key = (endpoint, _external, *ids)
    found = patterns.get(key)
    if found is None:
        marks = {str(_ID_MARK + i): name for i, name in enumerate(ids)}
        link = url_for(endpoint, _external=_external, **{name: int(mark) for mark, name in marks.items()})
        # The link cut at the marks: (text, None) or (None, an argument's name). An id put in is never
        # read as a mark, and digits that only look like one stay as they are.
        found = patterns[key] = tuple((None, marks[piece]) if piece in marks else (piece, None)
                                      for piece in _MARKS.split(link) if piece)
    return "".join(text if name is None else str(int(ids[name])) for text, name in found)


def nav_entries() -> list:
    """The main menu's links for the current user, from every domain."""
    # The user itself, not Flask-Login's proxy: each domain's entries ask the policy, which reads the
    # user a dozen times (each read through the proxy looks the request's user up again).
    user = current_user._get_current_object()
    entries = []
    for contribute in registry().nav:
        entries.extend(contribute(user))
    return entries


# Put into the kept header on every page: nothing a reader typed can make them (their text is escaped).
_CSRF_MARK, _NEXT_MARK = "<!--csrf-->", "<!--next-->"


def site_header() -> Markup:
    """The header and menu of every page (templates/_site_header.html).

    Drawn once per language, reader's name, to-do count and menu, and kept (an LRU): a reader's pages
    all show the same header until one of those changes, and each is part of the key, so a new name or
    a new to-do shows on the next page. The CSRF token and the page to come back to after a change of
    language differ from page to page and are put in each time. Drawing it cost every page about half
    a millisecond (a dozen links from the router, a dozen translations)."""
    user = current_user
    signed_in = policy.is_authenticated(user)
    waiting, name, menu = 0, "", ()
    if signed_in:
        waiting = sum(item.count for item in items_for(user._get_current_object()))
        name, menu = user.full_name, tuple(nav_entries())
    html = _header(str(get_locale()), request.script_root, signed_in, name, waiting, menu)
    back = request.full_path if request.method == "GET" else url_for("core.home")
    return Markup(html.replace(_CSRF_MARK, str(escape(csrf_token()))).replace(_NEXT_MARK, str(escape(back))))


_SIGNED_KEPT = 4096  # sessions whose signed token each process keeps (about 150 bytes each)


def csrf_token() -> str:
    """This page's CSRF token (Flask-WTF's generate_csrf), signed once per session and process.

    Flask-WTF signs the session's secret token anew on every page (a timestamp and an HMAC), which the
    header's forms ask for on every page; with no time limit on tokens (WTF_CSRF_TIME_LIMIT None, the
    token lives as long as the session) a token signed for the session earlier is exactly as valid, so
    it is put where generate_csrf looks first. With a time limit, every page signs its own."""
    config = current_app.config
    field = config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    raw = session.get(field)
    if raw is None or field in g or config.get("WTF_CSRF_TIME_LIMIT") is not None:
        return generate_csrf()
    key = (config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key, field, raw)
    signed = _SIGNED.get(key)
    if signed is None:
        signed = generate_csrf()
        with _SIGNED_LOCK:
            _SIGNED[key] = signed
            while len(_SIGNED) > _SIGNED_KEPT:
                _SIGNED.popitem(last=False)
    else:
        setattr(g, field, signed)  # what generate_csrf returns for the rest of the request
    return signed


_SIGNED: OrderedDict = OrderedDict()  # (secret, field, session's raw token) -> its signed token, oldest first
_SIGNED_LOCK = threading.Lock()


@functools.lru_cache(maxsize=1024)
def _header(locale: str, script_root: str, signed_in: bool, full_name: str, waiting_count: int,
            nav: tuple) -> str:
    # Called inside a request of `locale` and `script_root`: the words and links are drawn in them.
    return render_template("_site_header.html", signed_in=signed_in, full_name=full_name,
                           waiting_count=waiting_count, nav=nav, locale=locale,
                           csrf=Markup(_CSRF_MARK), next=Markup(_NEXT_MARK))


def pager(page, endpoint: str) -> Markup:
    """The links to a list's previous and next page and where the reader is (nothing for one page).

    The links keep the page's path and query, with another page number. Drawn once per language, list,
    query and position and kept (an LRU of a pure function of those): as a macro it asked the router
    twice and translated three strings on every list page."""
    has_next = page.has_next
    pages = page.pages
    if pages <= 1 and not has_next:
        return Markup("")
    args = dict(request.view_args or {}, **request.args.to_dict())
    return _pager(str(get_locale()), request.script_root, endpoint, tuple(args.items()), page.page, pages,
                  bool(page.more), page.has_prev, has_next)


@functools.lru_cache(maxsize=1024)
def _pager(_locale: str, _script_root: str, endpoint: str, args: tuple, number: int, pages: int, more: bool,
           has_prev: bool, has_next: bool) -> Markup:
    # Called inside a request of `_locale` and `_script_root`: the words and links are drawn in them.
    def link(to: int) -> str:
        values = dict(args)
        values["page"] = to  # where the query had it, else last
        return escape(url_for(endpoint, **values))

    where = (gettext("Page %(page)d of more than %(pages)d", page=number, pages=pages) if more
             else gettext("Page %(page)d of %(pages)d", page=number, pages=pages))
    label, previous, following = gettext("Pages"), gettext("Previous"), gettext("Next")
    prev = f'<a rel="prev" href="{link(number - 1)}">‹ {escape(previous)}</a>' if has_prev else ""
    after = f'<a rel="next" href="{link(number + 1)}">{escape(following)} ›</a>' if has_next else ""
    return Markup(f'<nav class="pager" aria-label="{escape(label)}">\n  {prev}\n'
                  f'  <span>{escape(where)}</span>\n  {after}\n</nav>')


@functools.lru_cache(maxsize=64)
def _static_url(_script_root: str, filename: str) -> str:
    return url_for("static", filename=filename)


def static_url(filename: str) -> str:
    """url_for("static", filename=...), asked of the router once per file and app root: the layout
    links three files on every page."""
    return _static_url(request.script_root, filename)


_OPTIONS_OF: dict = {}  # (id of a tuple of pairs, selected) -> (the tuple, its options)
_OPTIONS_OF_KEPT = 256


def select_options(pairs, selected) -> Markup:
    """The <option> elements of a <select> from (value, label) pairs, the selected one marked.

    One string built here rather than a template loop: a province's 300 schools in the lesson
    filter cost the page a few milliseconds as a loop, on every list and search. The same choices
    come back on every page (the schools a reader may read from, the topics in one language): each
    string is kept for the next page that shows the same pairs with the same one selected. A tuple is
    taken as it is (its labels plain strings: the lesson shelf's), anything else is read into one."""
    if type(pairs) is not tuple:
        return _options(tuple((value, str(text)) for value, text in pairs), selected)
    # The lesson filter's schools come as the same tuple while the shelf is unchanged (lessons.queries
    # keeps it): found by identity, its 300 pairs are not hashed again on every page. The tuple is held
    # beside its options, so its id stays its own while the entry lives.
    key = (id(pairs), selected)
    found = _OPTIONS_OF.get(key)
    if found is not None and found[0] is pairs:
        return found[1]
    html = _options(pairs, selected)
    if len(_OPTIONS_OF) >= _OPTIONS_OF_KEPT:
        _OPTIONS_OF.clear()
    _OPTIONS_OF[key] = (pairs, html)
    return html


@functools.lru_cache(maxsize=256)
def _options(pairs: tuple, selected) -> Markup:
    return Markup("".join(
        f'<option value="{escape(value)}"{" selected" if value == selected else ""}>{escape(text)}</option>'
        for value, text in pairs))


def init_app(app: Flask) -> None:
    """Register the core blueprint and the template helpers every page uses."""
    app.register_blueprint(bp)
    app.jinja_env.filters["label"] = label
    app.jinja_env.globals["options"] = select_options
    app.jinja_env.globals["site_header"] = site_header
    app.jinja_env.globals["id_link"] = id_link
    app.jinja_env.globals["pager"] = pager
    app.jinja_env.globals["static_url"] = static_url

    @app.context_processor
    def _helpers():
        return {"can": policy.can, "Action": policy.Action, "nav_entries": nav_entries,
                "current_locale": lambda: str(get_locale())}
