"""The reporter pages inside a new Wagtail project's own ``base.html``, through the adapter
docs/install.md gives, in a real browser: WCAG 2.2 A and AA, reflow at 320 px, one
``<main>`` reached by the skip link, the app's layout (its font, the column width), and the
project's own stylesheet beside the app's. The app's own base template is audited in
test_accessibility.py."""

import subprocess
import sys

import pytest
from playwright.sync_api import expect

from scripts import install_guide
from tests import databases
from tests.served_site import served_example_site

from .conftest import Sessions, assert_no_server_errors
from .steps import axe_violations, describe_violations, page_width, walk_reporter_pages

pytestmark = pytest.mark.browser

NARROW = {"width": 320, "height": 640}
LAYOUT_JS = """() => {
    const wrapper = document.querySelector(".am-page");
    const main = document.querySelector("main");
    const field = document.querySelector(".am-form textarea, .am-form input[type=text]");
    return {
        mains: document.querySelectorAll("main").length,
        mainInWrapper: !!wrapper && !!main && wrapper.contains(main),
        font: wrapper ? getComputedStyle(wrapper).fontFamily : null,
        mainWidth: main ? main.getBoundingClientRect().width : null,
        fieldWithinMain: !field || field.getBoundingClientRect().right
            <= main.getBoundingClientRect().right + 1,
        stylesheets: [...document.styleSheets].map((sheet) => sheet.href || ""),
        bodyClass: document.body.className,
    };
}"""


@pytest.fixture(scope="module")
def starter_site(tmp_path_factory):
    """The example site served with a `wagtail start` project's templates and static files
    first, and BASE_TEMPLATE naming the guide's adapter."""
    project = tmp_path_factory.mktemp("starter_project")
    subprocess.run(  # noqa: S603 - the installed Wagtail's own command, fixed arguments
        [sys.executable, "-m", "wagtail.bin.wagtail", "start", "starter", str(project)],
        check=True,
        capture_output=True,
    )
    package = project / "starter"
    (package / "templates" / "reporting_base.html").write_text(install_guide.block("adapter"))
    with served_example_site(
        tmp_path_factory.mktemp("starter_site"),
        databases.shared_dir(tmp_path_factory),
        "starter",
        extra_env={"TEST_STARTER_PROJECT": str(package)},
    ) as server:
        yield server


def test_every_reporter_page_fits_a_new_projects_base_template(browser, starter_site, tmp_path):
    log_offset = starter_site.log_size()
    sessions = Sessions(browser, starter_site.url)
    found = {}
    try:
        session = sessions.open()
        page = session.page

        def visit(name):
            # Judge the page once its stylesheets have loaded.
            page.wait_for_load_state("load")
            layout = page.evaluate(LAYOUT_JS)
            problems = []
            if layout["mains"] != 1 or not layout["mainInWrapper"]:
                problems.append(
                    f"{layout['mains']} <main>, in the wrapper: {layout['mainInWrapper']}"
                )
            if "system-ui" not in (layout["font"] or ""):
                problems.append(f"font is {layout['font']}")
            # The app's column (44rem) inside the project's page, fields within it.
            if not layout["mainWidth"] or layout["mainWidth"] > 44 * 16 + 1:
                problems.append(f"<main> is {layout['mainWidth']} px wide")
            if not layout["fieldWithinMain"]:
                problems.append("a form field is wider than the column")
            if not any(href.endswith("/static/css/starter.css") for href in layout["stylesheets"]):
                problems.append("the project's own stylesheet is not loaded")
            violations = axe_violations(page)
            if violations:
                problems.append(describe_violations(violations))
            page.set_viewport_size(NARROW)
            if page_width(page) > NARROW["width"]:
                problems.append(f"{page_width(page)} px wide at 320 px")
            page.set_viewport_size({"width": 1280, "height": 900})
            if problems:
                found[name] = problems
            if name == "form":
                page.screenshot(path=str(tmp_path / "form-in-starter-base.png"), full_page=True)

        walk_reporter_pages(page, visit)

        # The skip link is the first thing a keyboard reaches, and it moves focus to <main>.
        page.goto("/report/anonymous/")
        page.keyboard.press("Tab")
        skip = page.get_by_role("link", name="Skip to main content")
        expect(skip).to_be_focused()
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main-content"
    finally:
        sessions.close()
    assert found == {}, describe_violations(found)
    assert_no_server_errors(starter_site, log_offset)
