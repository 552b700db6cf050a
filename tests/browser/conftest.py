"""A real site and a real browser for the journeys and accessibility checks.

The example site runs in its own process (``manage.py runserver``) on a free
localhost port, on a database made for this run: a temporary SQLite file, or,
when the suite runs on PostgreSQL, a database of its own on that server. It is a
copy of the run's migrated template (tests/databases.py: ``manage.py migrate``, as
a new installation is migrated), seeded with ``seed_demo``.

Chromium is Debian's (``/usr/bin/chromium``), driven by Playwright; Playwright's
own browser download is never used. Every request that would leave localhost is
stopped in the browser, so a page that tries to load something from elsewhere
is caught, and nothing is fetched from the network.
"""

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests import databases

REPO_ROOT = databases.REPO_ROOT
MANAGE_PY = databases.MANAGE_PY
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# The seeded site's quick-exit address; the browser is answered with a stand-in page.
QUICK_EXIT_URL = "https://www.bbc.co.uk/weather"
SERVER_ERROR_LINE = re.compile(r'HTTP/1\.[01]" 5\d\d ')
DEMO_PASSWORD = "changeme"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class BrowserDatabase:
    """A database that only this run's served site uses, removed afterwards.

    On PostgreSQL it is named after the run's test database (TEST_DATABASE_NAME, or
    test_ and the DATABASE_URL's name) and, under pytest-xdist, the worker, so parallel
    workers and runs that name their test databases apart never share it.
    """

    def __init__(self, tmp_dir, shared_dir):
        self.tmp_dir = tmp_dir
        self.shared_dir = shared_dir
        self.admin_url = os.environ.get("DATABASE_URL", "")
        self.is_postgres = databases.is_postgres_url(self.admin_url)
        if self.is_postgres:
            parts = urlsplit(self.admin_url)
            base = databases.postgres_base_name(self.admin_url)
            worker = os.environ.get("PYTEST_XDIST_WORKER")
            self.name = f"{base}_{worker}_browser" if worker else f"{base}_browser"
            self.url = parts._replace(path="/" + self.name).geturl()
        else:
            self.name = str(tmp_dir / "site.sqlite3")
            self.url = f"sqlite:///{self.name}"

    def _postgres(self, statement):
        databases.postgres(self.admin_url, statement, self.name)

    def create(self):
        """A copy of the run's migrated template."""
        if self.is_postgres:
            template = databases.postgres_template(self.shared_dir, self.admin_url)
            # A run that was killed may have left its database behind.
            self._postgres("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            databases.postgres(
                self.admin_url, "CREATE DATABASE {} TEMPLATE {}", self.name, template
            )
        else:
            shutil.copyfile(databases.sqlite_template(self.shared_dir), self.name)

    def drop(self):
        if self.is_postgres:
            self._postgres("DROP DATABASE IF EXISTS {} WITH (FORCE)")


class SiteServer:
    def __init__(self, url, process, log_path):
        self.url = url
        self.process = process
        self.log_path = log_path

    def log_size(self):
        return self.log_path.stat().st_size

    def log_since(self, offset):
        with self.log_path.open("rb") as log:
            log.seek(offset)
            return log.read().decode(errors="replace")


def _wait_until_serving(url, process, log_path, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - localhost
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise RuntimeError(f"The example site did not start:\n{log_path.read_text()[-4000:]}")


@pytest.fixture(scope="package")
def site_server(tmp_path_factory):
    """The example site, migrated and seeded, served on a free localhost port."""
    tmp_dir = tmp_path_factory.mktemp("browser_site")
    database = BrowserDatabase(tmp_dir, databases.shared_dir(tmp_path_factory))
    database.create()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
        "DATABASE_URL": database.url,
        "PYTHONUNBUFFERED": "1",
    }
    log_path = tmp_dir / "server.log"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    databases.manage(["seed_demo"], database.url, log_path)
    with log_path.open("ab") as log:
        # --insecure: tests.settings has DEBUG off, as a real site has, and the
        # reporter pages and the admin still need their static files served.
        process = subprocess.Popen(  # noqa: S603 - our own manage.py with fixed arguments
            [
                sys.executable,
                str(MANAGE_PY),
                "runserver",
                f"127.0.0.1:{port}",
                "--noreload",
                "--insecure",
                "--skip-checks",
            ],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_serving(url + "/", process, log_path)
        yield SiteServer(url, process, log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        database.drop()


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

    def open(self, *, javascript=True, width=1280, height=900, clipboard=False, check_console=True):
        """A fresh browser context (no cookies, no history) and a page in it.

        ``javascript`` False is the no-JavaScript journey; ``clipboard`` grants
        clipboard access; ``check_console`` fails the test on a JavaScript error or
        a blocked resource (on by default; the Wagtail admin's own scripts are not
        ours to judge).
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

        def leave_localhost(route):
            url = route.request.url
            session.external_requests.append(url)
            if url.startswith(QUICK_EXIT_URL):
                route.fulfill(
                    status=200,
                    content_type="text/html",
                    body="<!doctype html><title>Weather</title><h1>Weather</h1>",
                )
            else:
                route.abort()

        context.route(
            re.compile(r"^(?!" + re.escape(self.site_url) + r"/)https?://"), leave_localhost
        )

        def console_error(message):
            # Error statuses are judged below, from the responses themselves: a page
            # may answer 4xx on purpose (a failed security check), a stylesheet may not.
            if message.type == "error" and not message.text.startswith(
                "Failed to load resource: the server responded with a status of"
            ):
                session.console_errors.append(message.text)

        def failed_resource(response):
            if response.status >= 400 and response.request.resource_type != "document":
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
