"""Reporter pages inside any base template: the app's own, or a new Wagtail project's
``base.html`` through the adapter docs/install.md gives.

Each page has one ``<main>`` landmark, a skip link to it before anything else that takes
focus, the quick exit, and the app's stylesheet in ``<head>``, whichever base template
frames it; and the stylesheet styles nothing outside the app's own wrapper.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from scripts import install_guide
from tests.reporter_journey import (
    ANONYMOUS_FORM,
    CONTACT_FORM,
    MESSAGING,
    SUPPORT,
    log_in,
    submit_anonymous,
)

STYLESHEET = "/static/anon_messaging/anon_messaging.css"
SCRIPT = "/static/anon_messaging/anon_messaging.js"
CSS_FILE = (
    Path(__file__).resolve().parent.parent
    / "anon_messaging"
    / "static"
    / "anon_messaging"
    / "anon_messaging.css"
)
PAGES = [ANONYMOUS_FORM, CONTACT_FORM, MESSAGING, SUPPORT, "/report/", "/no-such-page/"]


@pytest.fixture(scope="module")
def starter_templates(tmp_path_factory):
    """A ``wagtail start`` project of the installed Wagtail, and the guide's adapter."""
    project = tmp_path_factory.mktemp("starter")
    subprocess.run(  # noqa: S603 - the installed Wagtail's own command, fixed arguments
        [sys.executable, "-m", "wagtail.bin.wagtail", "start", "starter", str(project)],
        check=True,
        capture_output=True,
    )
    templates = project / "starter" / "templates"
    assert (templates / "base.html").exists()
    (templates / "reporting_base.html").write_text(install_guide.block("adapter"))
    return templates


@pytest.fixture
def starter_base(settings, starter_templates):
    """The site's templates first, as in a new project, with the guide's BASE_TEMPLATE."""
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [starter_templates, *settings.TEMPLATES[0]["DIRS"]]}
    ]
    settings.ANON_MESSAGING = {**settings.ANON_MESSAGING, "BASE_TEMPLATE": "reporting_base.html"}


def layout(html):
    """What a reporter page offers whatever frames it, as (problems, soup)."""
    soup = BeautifulSoup(html, "html.parser")
    problems = []
    mains = soup.find_all("main")
    if len(mains) != 1 or mains[0].get("id") != "main-content":
        problems.append(f"{len(mains)} <main> elements, want one with id main-content")
    focusable = soup.body.find_all(["a", "button", "input", "select", "textarea"])
    first = focusable[0] if focusable else None
    if first is None or "am-skip-link" not in first.get("class", []):
        problems.append("the skip link is not the first thing to take focus")
    elif first.get("href") != "#main-content":
        problems.append("the skip link does not lead to the main content")
    wrapper = soup.select_one("div.am-page")
    if wrapper is None or not mains or mains[0] not in wrapper.find_all("main"):
        problems.append("<main> is not inside the app's wrapper")
    exit_link = soup.select_one("a[data-quick-exit]")
    if exit_link is None or wrapper is None or exit_link not in wrapper.find_all("a"):
        problems.append("no quick exit inside the wrapper")
    head_links = [link.get("href") for link in soup.head.find_all("link", rel="stylesheet")]
    if STYLESHEET not in head_links:
        problems.append("the app's stylesheet is not loaded in <head>")
    if SCRIPT not in [script.get("src") for script in soup.head.find_all("script")]:
        problems.append("the app's script is not loaded in <head>")
    if soup.body.find("link") is not None:
        problems.append("a stylesheet is loaded in <body>")
    return problems, soup


def reporter_pages(client):
    """Every kind of reporter page, as (address, response): forms, support pages, the
    messaging log-in, a conversation, the thank-you page with its code, and a 404."""
    pages = [(path, client.get(path)) for path in PAGES]
    landing, code = submit_anonymous(client, "Base template check.")
    pages.append(("thank-you page", landing))
    log_in(client, code)
    pages.append(("conversation", client.get(MESSAGING)))
    return pages


def test_the_apps_own_base_template_frames_every_page(demo_site, client):
    for where, response in reporter_pages(client):
        assert response.status_code in (200, 404), where
        problems, _soup = layout(response.content.decode())
        assert problems == [], where


def test_a_new_wagtail_projects_base_template_frames_every_page_through_the_adapter(
    demo_site, client, starter_base
):
    for where, response in reporter_pages(client):
        assert response.status_code in (200, 404), where
        problems, soup = layout(response.content.decode())
        assert problems == [], where
        # The project's own base.html: its stylesheet, script and the site name in <title>.
        hrefs = [link.get("href") for link in soup.head.find_all("link", rel="stylesheet")]
        assert "/static/css/starter.css" in hrefs, where
        assert soup.find("script", src="/static/js/starter.js") is not None, where
        assert "Report and Support (demo)" in soup.title.get_text(), where


def test_the_error_prefix_reaches_the_title_of_a_new_projects_base_template(
    demo_site, client, starter_base
):
    response = client.post(MESSAGING, {"code": ""})
    title = " ".join(BeautifulSoup(response.content, "html.parser").title.get_text().split())
    assert title.startswith("Error: Anonymous messaging"), title


def test_the_adapter_in_the_guide_is_a_few_lines():
    lines = [line for line in install_guide.block("adapter").splitlines() if line.strip()]
    assert len(lines) <= 5


def _selectors(css):
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    for rule in re.finditer(r"([^{}]+)\{", css):
        text = rule.group(1).strip()
        if text.startswith("@"):
            continue
        yield from (selector.strip() for selector in text.split(","))


def test_every_rule_of_the_stylesheet_is_scoped_to_the_apps_wrapper():
    selectors = list(_selectors(CSS_FILE.read_text()))
    assert len(selectors) > 50
    unscoped = [
        selector
        for selector in selectors
        if not (
            selector == ".am-page"
            or selector.startswith(".am-page ")
            # Only while a page has the exit bar: scrolling stops below it.
            or selector == "html:has(.am-exit)"
            # The app's own base template's <body>.
            or selector == ".am-body"
        )
    ]
    assert unscoped == []
