"""A real site and a real browser for the journeys and accessibility checks.

The example site runs in its own process (``manage.py runserver``) on a free
localhost port, on a database made for this run: a temporary SQLite file, or,
when the suite runs on PostgreSQL, a database of its own on that server. It is a
copy of the run's demo template (tests/databases.py: ``manage.py migrate``, as a new
installation is migrated, then ``seed_demo``). Each xdist worker that runs browser
tests has its own served site and its own Chromium.

Chromium is Debian's (``/usr/bin/chromium``), driven by Playwright; Playwright's
own browser download is never used. No host name resolves in it (only the site's
127.0.0.1 is reached), so nothing is fetched from the network, and every request for
another host is recorded: a page that tries to load something from elsewhere fails
its test. The neutral site the quick exit leaves for is answered, in the sessions
that ask for it, by a stand-in page. (Playwright's routing, which answers it, turns
the browser's cache off, so it is not set up for every session: every page would
then fetch and compile all its styles and scripts again.)
"""

import contextlib
import os
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests import databases
from tests.served_site import served_example_site

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    # Every host name fails to resolve: requests leave for nowhere but 127.0.0.1.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    # Without a GPU, compositing is software either way: in the browser process it costs
    # about a tenth less of Chromium's CPU time than in a GPU process of its own.
    "--in-process-gpu",
]
# The seeded site's quick-exit address; the browser is answered with a stand-in page.
QUICK_EXIT_URL = "https://www.bbc.co.uk/weather"
SERVER_ERROR_LINE = re.compile(r'HTTP/1\.[01]" 5\d\d ')
DEMO_PASSWORD = "changeme"


def declined_autosave(response):
    """Whether ``response`` is the Wagtail admin declining one of its background saves.

    Wagtail's editors save a draft in the background half a second after each change
    (autosave: a POST asking for JSON). One still on its way when the editor saves by hand
    is answered 400 (``invalid_revision``: "Saving will overwrite a newer version"), as is one
    sent while the form is half filled in; Wagtail shows that in its autosave indicator and
    saves again after the next change. It is the admin working as designed, not a resource
    that failed, and whether it happens depends only on how fast the machine types."""
    request = response.request
    return (
        response.status == 400
        and request.method == "POST"
        and urlsplit(response.url).path.startswith("/admin/")
        and "application/json" in request.headers.get("accept", "")
    )


@pytest.fixture(scope="package")
def site_server(tmp_path_factory):
    """The example site, migrated and seeded, served on a free localhost port."""
    with served_example_site(
        tmp_path_factory.mktemp("browser_site"), databases.shared_dir(tmp_path_factory), "browser"
    ) as server:
        yield server


def assert_no_server_errors(site_server, since):
    new_log = site_server.log_since(since)
    errors = [line for line in new_log.splitlines() if SERVER_ERROR_LINE.search(line)]
    assert not errors, "Server errors:\n" + new_log[-6000:]


@pytest.fixture(autouse=True)
def no_server_errors(site_server):
    """Every browser test also fails if any request it made ended in a server error."""
    offset = site_server.log_size()
    yield
    assert_no_server_errors(site_server, offset)


@pytest.fixture(scope="package")
def browser():
    from playwright.sync_api import expect, sync_playwright

    if not Path(CHROMIUM).exists() and not shutil.which(CHROMIUM):
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}. Install Debian's package "
            "(apt-get install chromium) or run scripts/test, which installs it; "
            "the browser tests are never skipped."
        )
    # A shared two-core machine can be slow to answer; a real failure still fails.
    expect.set_options(timeout=15_000)
    # Package scope: Playwright's event loop is closed before the rest of the
    # suite runs, so Django's async-safety check never sees it.
    with sync_playwright() as playwright:
        # launch() gives Chromium a fresh, temporary user-data-dir of its own.
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


class Session:
    """One person's browser: a context of its own, with what went wrong in it recorded."""

    def __init__(self, context, page, site_url, check_console):
        self.context = context
        self.page = page
        self.site_url = site_url
        self.check_console = check_console
        self.external_requests = []
        self.console_errors = []


class Sessions:
    """Opens browser sessions on the served site; closes and checks them at the end."""

    def __init__(self, browser, site_url):
        self.browser = browser
        self.site_url = site_url
        self.opened = []

    def open(
        self,
        *,
        javascript=True,
        width=1280,
        height=900,
        clipboard=False,
        check_console=True,
        neutral_site=False,
    ):
        """A fresh browser context (no cookies, no history) and a page in it.

        ``javascript`` False is the no-JavaScript journey; ``clipboard`` grants
        clipboard access; ``check_console`` fails the test on a JavaScript error or
        a blocked resource (on by default; the Wagtail admin's own scripts are not
        ours to judge); ``neutral_site`` answers the quick exit's address with a
        stand-in page.
        """
        context = self.browser.new_context(
            base_url=self.site_url,
            viewport={"width": width, "height": height},
            java_script_enabled=javascript,
            permissions=["clipboard-read", "clipboard-write"] if clipboard else [],
            locale="en-GB",
            timezone_id="Europe/London",
        )
        context.set_default_timeout(15_000)
        page = context.new_page()
        session = Session(context, page, self.site_url, check_console)

        elsewhere = re.compile(r"^(?!" + re.escape(self.site_url) + r"/)https?://")

        def record_elsewhere(request):
            if elsewhere.match(request.url):
                session.external_requests.append(request.url)

        context.on("request", record_elsewhere)
        if neutral_site:
            context.route(
                QUICK_EXIT_URL,
                lambda route: route.fulfill(
                    status=200,
                    content_type="text/html",
                    body="<!doctype html><title>Weather</title><h1>Weather</h1>",
                ),
            )

        def console_error(message):
            # Error statuses are judged below, from the responses themselves: a page
            # may answer 4xx on purpose (a failed security check), a stylesheet may not.
            if message.type == "error" and not message.text.startswith(
                "Failed to load resource: the server responded with a status of"
            ):
                session.console_errors.append(message.text)

        def failed_resource(response):
            failed = response.status >= 400 and response.request.resource_type != "document"
            if failed and not declined_autosave(response):
                session.console_errors.append(f"{response.status} for {response.url}")

        page.on("console", console_error)
        page.on("response", failed_resource)
        page.on("pageerror", lambda error: session.console_errors.append(str(error)))
        self.opened.append(session)
        return session

    def close(self):
        for session in self.opened:
            with contextlib.suppress(Exception):
                session.context.close()
        for session in self.opened:
            elsewhere = [
                url for url in session.external_requests if not url.startswith(QUICK_EXIT_URL)
            ]
            assert not elsewhere, f"Pages asked for resources from other hosts: {elsewhere}"
            if session.check_console:
                assert not session.console_errors, session.console_errors


@pytest.fixture
def open_session(browser, site_server):
    """``open_session(**options)``: see ``Sessions.open``."""
    sessions = Sessions(browser, site_server.url)
    yield sessions.open
    sessions.close()
