"""Browser harness: the real app on a live port, driven by Debian's Chromium through Playwright.

- `live_server` serves a separate app (CSRF on) in a background thread, on the migrated test
  database but *not* inside the per-test transaction: what the browser does is committed for real,
  so every table is emptied after each browser test.
- `live_db` / `live_factory` seed data committed for real (call `.commit()`).
- `page` is a phone (360x740, vi-VN) whose requests to any host but the live server are aborted
  and recorded in `page.external_requests`; tests assert that list stays empty.
- On failure a screenshot and the HTML go to tests/artifacts/<test name>.png/.html.

Without Chromium (or the playwright package) the browser tests are skipped and the run ends with
"BROWSER JOURNEYS SKIPPED: <reason>"; with SCHOOLHUB_REQUIRE_BROWSER=1 (CI) they fail instead.
"""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import threading
import traceback
import warnings
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import got_request_exception
from sqlalchemy import delete
from sqlalchemy.orm import Session
from werkzeug.serving import WSGIRequestHandler, make_server

from schoolhub import create_app
from schoolhub.security import limiter
from tests.helpers.accounts import PASSWORD
from tests.plugins.core import factory_class

CHROMIUM = os.environ.get("SCHOOLHUB_CHROMIUM") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
PHONE = {"width": 360, "height": 740}
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
REPO_ROOT = Path(__file__).resolve().parents[2]
ROSTER_SAMPLES = REPO_ROOT / "tests" / "data" / "roster-samples"  # copies of ../shared/data/roster-samples
TIMEOUT_MS = 15_000

_STASH_ITEMS = pytest.StashKey[int]()
_SERVER_ERRORS = pytest.StashKey[list]()


def browser_unavailable() -> str | None:
    """Why browser tests cannot run here, or None when they can."""
    if not os.access(CHROMIUM, os.X_OK):
        return f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is missing (pip install -e '.[test]')"
    return None


def browser_required() -> bool:
    return os.environ.get("SCHOOLHUB_REQUIRE_BROWSER", "").strip() not in ("", "0", "false", "no")


def _is_browser_item(item: pytest.Item) -> bool:
    return item.get_closest_marker("browser") is not None or Path(str(item.path)).parent == Path(__file__).parent


# --- collection and the end-of-run line -------------------------------------------------------

@pytest.hookimpl(trylast=True)  # after -m/-k deselection, so deselected browser tests do not count
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    browser_items = [item for item in items if _is_browser_item(item)]
    config.stash[_STASH_ITEMS] = len(browser_items)
    reason = browser_unavailable()
    if reason is None or browser_required():
        return  # when required, the session gate below turns the missing browser into errors
    for item in browser_items:
        item.add_marker(pytest.mark.skip(reason=reason))


def pytest_terminal_summary(terminalreporter, exitstatus, config: pytest.Config) -> None:
    if not config.stash.get(_STASH_ITEMS, 0):
        return
    reason = browser_unavailable()
    if reason is None:
        return
    if browser_required():
        terminalreporter.write_line(f"BROWSER JOURNEYS FAILED (SCHOOLHUB_REQUIRE_BROWSER=1): {reason}",
                                    red=True, bold=True)
    else:
        terminalreporter.write_line(f"BROWSER JOURNEYS SKIPPED: {reason}", yellow=True, bold=True)


@pytest.fixture(scope="session", autouse=True)
def _browser_gate() -> None:
    """Skip (or, with SCHOOLHUB_REQUIRE_BROWSER=1, fail) before any browser fixture starts."""
    reason = browser_unavailable()
    if reason is not None:
        if browser_required():
            pytest.fail(f"SCHOOLHUB_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
        pytest.skip(reason)


# --- screenshots of failures --------------------------------------------------------------------

def _artifact_name(item: pytest.Item) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", item.name).strip("_")[:150]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    report = yield
    if report.failed and report.when in ("setup", "call"):
        page = getattr(item, "funcargs", {}).get("page")
        if page is not None and not page.is_closed():
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            base = ARTIFACTS / _artifact_name(item)
            with contextlib.suppress(Exception):
                page.screenshot(path=str(base.with_suffix(".png")), full_page=True)
                report.sections.append(("browser", f"screenshot: {base.with_suffix('.png')}  url: {page.url}"))
            with contextlib.suppress(Exception):
                base.with_suffix(".html").write_text(page.content(), encoding="utf-8")
    server_errors = item.stash.get(_SERVER_ERRORS, None)
    if report.failed and server_errors:
        report.sections.append(("live server exceptions", "\n".join(server_errors)))
    return report


# --- the live app ---------------------------------------------------------------------------------

class _QuietRequestHandler(WSGIRequestHandler):
    """No line per request (a journey makes hundreds); errors are still logged."""

    def log_request(self, code="-", size="-") -> None:
        pass


def _buffered(wsgi_app):
    """Answer each request from memory, its body read and its iterable closed before any byte is sent.

    Werkzeug's development server closes the app's iterable only after draining the socket, and a
    browser that drops the connection first (a page left mid-load) makes that drain raise: the open
    file of a static or /files/ response is then closed by the garbage collector, as a ResourceWarning
    at a random later moment. The test server buffers instead; production (gunicorn) is not affected.
    """

    def app(environ, start_response):
        iterable = wsgi_app(environ, start_response)
        try:
            return [b"".join(iterable)]
        finally:
            if hasattr(iterable, "close"):
                iterable.close()

    return app


@pytest.fixture(scope="session")
def live_app(database_url, test_config):
    app = create_app({**test_config, "DATABASE_URL": database_url, "WTF_CSRF_ENABLED": True})
    app.wsgi_app = _buffered(app.wsgi_app)
    app.extensions["tests.server_errors"] = errors = []

    def _record(sender, exception, **extra):
        errors.append("".join(traceback.format_exception(exception)))

    got_request_exception.connect(_record, app, weak=False)
    yield app
    app.extensions["schoolhub.engine"].dispose()


@pytest.fixture(scope="session")
def _live_server(live_app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, live_app, threaded=True, request_handler=_QuietRequestHandler)
    thread = threading.Thread(target=server.serve_forever, name="schoolhub-live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def empty_all_tables(engine) -> None:
    """Delete every row, children first, so the next test starts from empty tables."""
    import schoolhub.models_all  # noqa: F401  (registers every table on the metadata)
    from schoolhub.db import Base

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an FK cycle would warn (order then best effort: see the report)
        tables = list(reversed(Base.metadata.sorted_tables))
    with engine.begin() as conn:
        for table in tables:
            conn.execute(delete(table))


@pytest.fixture
def _live_tables(live_app) -> Iterator[None]:
    """Empty tables before and after each browser test (data committed for real must not leak)."""
    engine = live_app.extensions["schoolhub.engine"]
    empty_all_tables(engine)
    limiter.reset()
    try:
        yield
    finally:
        empty_all_tables(engine)
        limiter.reset()


@pytest.fixture
def live_server(request, _live_server, _live_tables, live_app) -> Iterator[str]:
    """Base URL of the live app, e.g. http://127.0.0.1:41234; an exception in the app fails the test."""
    errors = live_app.extensions["tests.server_errors"]
    errors.clear()
    request.node.stash[_SERVER_ERRORS] = errors
    yield _live_server
    if errors:
        found = list(errors)
        errors.clear()
        pytest.fail("the live app raised:\n" + "\n".join(found), pytrace=False)


@pytest.fixture
def live_db(live_app, _live_tables) -> Iterator[Session]:
    """A session on the live app's engine, in its app context; commit to make seeds visible."""
    session = live_app.extensions["schoolhub.sessionmaker"]()
    with live_app.app_context():
        try:
            yield session
        finally:
            session.rollback()
            session.close()


@pytest.fixture
def live_factory(live_db, live_app, pytestconfig):
    """The test kit's factory (tests/plugins/) on the live database; call live_db.commit() after seeding."""
    return factory_class(pytestconfig)(live_db, live_app)


# --- Chromium -------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser(_browser_gate):
    from playwright.sync_api import sync_playwright

    # Playwright's driver and Chromium keep their profile and sockets in TMPDIR: give them their own,
    # removed at the end even if Chromium crashed and left a profile behind (short: a Unix socket's
    # path must fit in 108 bytes).
    temp = tempfile.mkdtemp(prefix="sh-pw-")
    try:
        with _environ(TMPDIR=temp):  # the driver starts with it, and Chromium inherits the driver's
            pw = sync_playwright().start()
        try:
            chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                yield chromium
            finally:
                chromium.close()
        finally:
            pw.stop()
    finally:
        shutil.rmtree(temp, ignore_errors=True)


@contextlib.contextmanager
def _environ(**values: str) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _local_route_handler(origin: str, external: list[str]):
    def handle(route):
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob", "about") or f"{parts.scheme}://{parts.netloc}" == origin:
            route.continue_()
        else:
            external.append(url)
            route.abort("blockedbyclient")

    return handle


@pytest.fixture
def new_page(browser, live_server):
    """Open more pages (own contexts, so own cookies), each guarded like `page`."""
    contexts = []

    def _open(viewport: dict | None = None, locale: str = "vi-VN"):
        context = browser.new_context(
            viewport=viewport or PHONE, locale=locale, base_url=live_server, is_mobile=True, has_touch=True,
            service_workers="block", timezone_id="Asia/Ho_Chi_Minh",
        )
        context.set_default_timeout(TIMEOUT_MS)
        external: list[str] = []
        errors: list[str] = []
        context.route("**/*", _local_route_handler(live_server, external))
        contexts.append((context, external))
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.external_requests = external  # requests to any host but the live server (aborted)
        page.js_errors = errors  # uncaught JavaScript exceptions
        return page

    yield _open
    for context, _ in contexts:
        with contextlib.suppress(Exception):
            context.close()
    leaked = [url for _, external in contexts for url in external]
    assert not leaked, f"the page asked hosts other than the live server for: {leaked}"


@pytest.fixture
def page(new_page):
    """A phone-sized page (360x740, Vietnamese) on the live server."""
    return new_page()


@pytest.fixture
def log_in(live_server):
    """Log a page in through the real form; returns the path it lands on."""

    def _log_in(page, username: str, password: str = PASSWORD) -> str:
        page.goto("/login")
        form = page.locator("main form").filter(has=page.locator("input[name=password]"))
        form.locator("input[name=username]").fill(username)
        form.locator("input[name=password]").fill(password)
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        return urlsplit(page.url).path

    return _log_in


def open_menu(page) -> None:
    """Unfold the header's menu (a <details> on a phone), as a person taps "Menu"."""
    menu = page.locator("header details.menu")
    if menu.count() and not menu.evaluate("details => details.open"):
        menu.locator("summary").click()


@pytest.fixture
def log_out():
    """Log out with the header's POST form."""

    def _log_out(page) -> None:
        open_menu(page)
        with page.expect_navigation():
            page.locator('form[action$="/logout"] button').click()
        assert urlsplit(page.url).path == "/login"

    return _log_out
