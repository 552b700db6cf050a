"""WCAG 2.2 A and AA in a real browser: axe-core, keyboard, errors, paste, reflow, pictures."""

import re
import struct
import time

import pytest
from playwright.sync_api import expect

from .conftest import Sessions, assert_no_server_errors
from .steps import (
    DOCS_SCREENSHOT_DIR,
    SCREENSHOTS_ENV,
    admin_log_in,
    adviser_log_in,
    adviser_open_newest_case,
    adviser_reply,
    axe_violations,
    describe_violations,
    docs_screenshots_wanted,
    editor_flags_an_identity_question,
    focus_state,
    make_anonymous_report,
    page_width,
    save_admin_screenshot,
    save_screenshots,
    walk_reporter_pages,
)

pytestmark = pytest.mark.browser

REPORTER_PAGES = {
    "home",
    "choose-route",
    "support",
    "support-index",
    "emergency-contacts",
    "not-found",
    "thank-you-no-code",
    "contact-form",
    "contact-form-errors",
    "contact-thank-you",
    "form",
    "form-errors",
    "thank-you-code",
    "log-in",
    "log-in-error",
    "conversation-empty",
    "conversation-errors",
    "conversation",
    "logged-out",
    "already-received",
    "form-not-sent",
}
ADVISER_PAGES = {"adviser-dashboard", "adviser-case-list", "adviser-case"}
# The editor's new states: the Reporting settings (the one response time, the footer
# links) as a whole page; in the page editor, the panel that flags a question asking who
# the reporter is, judged on its own (Wagtail's rich-text editor is Wagtail's to judge).
EDITOR_PAGES = {"editor-settings", "editor-identity-flag"}
# The pages docs/accessibility.md shows, at desktop and phone widths.
PICTURED_PAGES = {"form", "thank-you-code", "log-in", "conversation"}
NARROW = {"width": 320, "height": 640}


@pytest.fixture(scope="module")
def screenshot_dir(tmp_path_factory):
    """docs/screenshots/ when the run is asked to rewrite them (ANON_MESSAGING_SCREENSHOTS=1),
    otherwise a temporary directory: the pictures are taken and checked either way."""
    if docs_screenshots_wanted():
        return DOCS_SCREENSHOT_DIR
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture(scope="module")
def audit(browser, site_server, screenshot_dir):
    """Walk every reporter page once (and the adviser's case list and case view),
    recording at each: axe-core at desktop width and at 320 px, the page's width at
    320 px, and screenshots of the pictured pages (into ``screenshot_dir``)."""
    started = time.time()
    log_offset = site_server.log_size()
    sessions = Sessions(browser, site_server.url)
    reporter = sessions.open(clipboard=True).page
    adviser = sessions.open().page
    results = {}

    def check(page, name, *, reporter_page=True, include=None):
        page.wait_for_load_state()  # a click returns before the new page's styles apply
        entry = {"axe": axe_violations(page, include)}
        if reporter_page:
            size = page.viewport_size
            page.set_viewport_size(NARROW)
            entry["width_at_320"] = page_width(page)
            entry["axe_at_320"] = axe_violations(page)
            page.set_viewport_size(size)
            if name in PICTURED_PAGES:
                save_screenshots(page, name, screenshot_dir)
        results[name] = entry

    def reply_in_admin(what_happened, text):
        adviser_log_in(adviser)
        check(adviser, "adviser-dashboard", reporter_page=False)
        adviser_open_newest_case(
            adviser, what_happened, visit=lambda name: check(adviser, name, reporter_page=False)
        )
        adviser_reply(adviser, text)
        check(adviser, "adviser-case", reporter_page=False)
        save_admin_screenshot(adviser, "adviser-case", screenshot_dir)

    walk_reporter_pages(reporter, lambda name: check(reporter, name), adviser_reply=reply_in_admin)

    editor = sessions.open().page
    admin_log_in(editor, "editor")
    editor.goto("/admin/settings/anon_messaging/reportingsettings/")
    expect(editor.get_by_label("Response time in working days")).to_be_visible()
    check(editor, "editor-settings", reporter_page=False)
    editor_flags_an_identity_question(editor, "Your university email")
    check(editor, "editor-identity-flag", reporter_page=False, include=".am-identity-questions")
    sessions.close()
    assert_no_server_errors(site_server, log_offset)
    return {"pages": results, "started": started, "screenshots": screenshot_dir}


def test_axe_reports_violations_it_is_given(open_session):
    """The harness itself: a page with known faults must not come out clean."""
    page = open_session().page
    page.goto("/")
    page.evaluate(
        """() => {
            const main = document.querySelector("main");
            main.insertAdjacentHTML("beforeend",
                '<input type="text" name="nameless"><img><p id="faint">Faint text</p>');
            document.getElementById("faint").style.color = "#bbb";
        }"""
    )
    rules = {violation["rule"] for violation in axe_violations(page)}
    assert {"label", "image-alt", "color-contrast"} <= rules


def test_walk_reached_every_page(audit):
    assert set(audit["pages"]) == REPORTER_PAGES | ADVISER_PAGES | EDITOR_PAGES


def test_every_reporter_page_has_no_wcag_violations(audit):
    found = {}
    for name in sorted(REPORTER_PAGES):
        entry = audit["pages"][name]
        if entry["axe"]:
            found[name] = entry["axe"]
        if entry["axe_at_320"]:
            found[f"{name} at 320px"] = entry["axe_at_320"]
    assert not found, describe_violations(found)


def test_adviser_case_list_and_case_view_have_no_wcag_violations(audit):
    found = {name: audit["pages"][name]["axe"] for name in ADVISER_PAGES}
    assert not any(found.values()), describe_violations(found)


def test_the_editors_new_states_have_no_wcag_violations(audit):
    found = {name: audit["pages"][name]["axe"] for name in EDITOR_PAGES}
    assert not any(found.values()), describe_violations(found)


def test_every_reporter_page_reflows_at_320px(audit):
    """WCAG 1.4.10: nothing needs scrolling sideways in a 320 px wide window."""
    too_wide = {
        name: entry["width_at_320"]
        for name, entry in audit["pages"].items()
        if name in REPORTER_PAGES and entry["width_at_320"] > NARROW["width"]
    }
    assert not too_wide, too_wide


def png_size(path):
    with path.open("rb") as png:
        header = png.read(24)
    assert header[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", header[16:24])


def test_the_run_takes_every_screenshot_the_docs_show(audit):
    """Each picture the run takes is from this run, at its width, and is the one
    docs/accessibility.md shows. Only with ANON_MESSAGING_SCREENSHOTS=1 does the run
    write them to docs/screenshots/; otherwise they go to a temporary directory."""
    expected = {
        f"{name}-{label}.png": width
        for name in PICTURED_PAGES
        for label, width in (("desktop", 1280), ("phone", 375))
    }
    expected["adviser-case-desktop.png"] = 1280
    taken = {path.name for path in audit["screenshots"].glob("*.png")}
    assert set(expected) <= taken
    for filename, width in expected.items():
        path = audit["screenshots"] / filename
        assert path.stat().st_mtime >= audit["started"] - 1, f"{filename} is not from this run"
        assert png_size(path)[0] == width, filename
    docs = (DOCS_SCREENSHOT_DIR.parent / "accessibility.md").read_text()
    for filename in expected:
        assert f"screenshots/{filename}" in docs, f"docs/accessibility.md does not show {filename}"
        # The docs' copy is there (rewritten by a run with SCREENSHOTS_ENV set).
        assert png_size(DOCS_SCREENSHOT_DIR / filename)[0] == expected[filename], (
            f"docs/screenshots/{filename}: run once with {SCREENSHOTS_ENV}=1"
        )
    if docs_screenshots_wanted():
        assert audit["screenshots"] == DOCS_SCREENSHOT_DIR
    else:
        assert not audit["screenshots"].is_relative_to(DOCS_SCREENSHOT_DIR.parents[1])


# --- Keyboard only -----------------------------------------------------------------------


def tab_to(page, matches, *, backwards=False, limit=60):
    """Press Tab (Shift+Tab backwards) until ``matches(focus)``; focus must show at each stop."""
    stops = []
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        focus = focus_state(page)
        assert focus["element"], f"Focus was lost after {stops}"
        assert focus["visible"], f"Focus is not visible on {focus}"
        stops.append(focus["element"])
        if matches(focus):
            return focus
    raise AssertionError(f"Never reached the element; focus went through {stops}")


def press_to_leave(page, key):
    """Press a key that follows a link or sends a form, and wait for the next page."""
    with page.expect_navigation():
        page.keyboard.press(key)


def by_id(element_id):
    return lambda focus: focus["id"] == element_id


def by_text(tag, text):
    return lambda focus: focus["tag"] == tag and focus["text"] == text


def test_reporter_journey_with_the_keyboard_alone(open_session):
    """Tab, Shift+Tab, Enter and Space move and act; typing and pasting fill the fields."""
    page = open_session(clipboard=True).page
    page.goto("/")
    tab_to(page, by_text("a", "Skip to main content"))
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main-content"
    tab_to(page, by_text("a", "Report anonymously"))
    press_to_leave(page, "Enter")
    assert page.url.endswith("/report/anonymous/")

    tab_to(page, by_id("id_what_happened"))
    page.keyboard.type("It happened at the staff party.")
    tab_to(page, lambda focus: focus["type"] == "checkbox")
    tab_to(page, by_id("id_what_kind_of_behaviour_was_it_1"))
    page.keyboard.press("Space")
    expect(page.get_by_label("Bullying")).to_be_checked()
    tab_to(page, by_id("id_messaging_opt_in_0"))
    page.keyboard.press("Space")
    expect(page.get_by_label("Yes, give me a code for anonymous messaging")).to_be_checked()
    tab_to(page, by_text("button", "Send report"))
    press_to_leave(page, "Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your report has been sent")

    tab_to(page, by_text("button", "Copy code"))
    page.keyboard.press("Space")
    expect(page.get_by_role("status")).to_have_text("Code copied")
    tab_to(page, by_text("a", "Log in"))
    press_to_leave(page, "Enter")

    tab_to(page, by_id("id_code"))
    page.keyboard.press("ControlOrMeta+V")
    press_to_leave(page, "Enter")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    tab_to(page, lambda focus: focus["tag"] == "summary")
    page.keyboard.press("Space")
    expect(page.locator("details.am-report")).to_have_attribute("open", "")
    expect(page.locator(".am-answers")).to_contain_text("It happened at the staff party.")
    tab_to(page, by_id("id_body"))
    page.keyboard.type("Typed and sent with the keyboard.")
    tab_to(page, by_text("button", "Send message"))
    press_to_leave(page, "Space")
    expect(page.get_by_text("Your message was sent.")).to_be_visible()
    expect(page.locator(".am-message--reporter").last).to_contain_text("Typed and sent")

    # The page returns to the newest message, below the log-out button.
    tab_to(page, by_text("button", "Log out"), backwards=True)
    press_to_leave(page, "Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("You have logged out")
    tab_to(page, by_text("a", "Log in again"))


# --- Errors ------------------------------------------------------------------------------


def check_error_summary(page, *, javascript):
    summary = page.locator(".am-error-summary")
    expect(summary).to_be_visible()
    # At the top: straight after the page heading, before the introduction and the form.
    assert page.evaluate(
        "() => document.querySelector('main h1').nextElementSibling.matches('.am-error-summary')"
    )
    if javascript:
        expect(summary).to_be_focused()  # read out first by screen readers
    expect(page).to_have_title(re.compile("^Error:"))
    links = summary.get_by_role("link")
    assert links.count() >= 1
    for index in range(links.count()):
        link = links.nth(index)
        message = link.inner_text().strip()
        target = link.get_attribute("href").removeprefix("#")
        link.click()
        field = page.locator(f"#{target}")
        expect(field).to_be_focused()
        focus = focus_state(page)
        assert focus["visible"], f"The field is focused but not in sight: {focus}"
        # The same message beside the field, tied to it for screen readers.
        beside = field.evaluate(
            """(field) => {
                const box = field.closest(".am-field");
                const error = box && box.querySelector(".am-error-message");
                const described = field.closest("fieldset") || field;
                return {
                    text: error ? error.innerText : "",
                    linked: !!error && (described.getAttribute("aria-describedby") || "")
                        .split(" ").includes(error.id),
                };
            }"""
        )
        assert message in beside["text"], (message, beside)
        assert beside["linked"], f"{target}: its error is not in aria-describedby"


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_error_summary_links_to_each_field_with_the_error_beside_it(open_session, javascript):
    page = open_session(javascript=javascript).page
    page.goto("/report/with-contact-details/")
    page.get_by_label("Phone number").fill("call me")
    page.get_by_role("button", name="Send report").click()
    expect(page.locator(".am-error-summary a")).to_have_count(5)
    check_error_summary(page, javascript=javascript)

    page.goto("/messaging/")
    page.get_by_role("button", name="Log in").click()
    check_error_summary(page, javascript=javascript)


# --- The code field (WCAG 3.3.8, accessible authentication) ----------------------------


def test_code_field_takes_a_pasted_code_and_suits_password_managers(open_session):
    page = open_session(clipboard=True).page
    code = make_anonymous_report(page, "Pasted, not retyped.")
    page.goto("/messaging/")
    field = page.get_by_label("Your 16-character code")
    # One box for the whole code, marked as the password it is, so password managers
    # offer to save it and fill it in; never a box per character.
    expect(page.locator("form.am-form input:not([type=hidden])")).to_have_count(1)
    expect(field).to_have_attribute("type", "password")
    expect(field).to_have_attribute("autocomplete", "current-password")
    maxlength = field.get_attribute("maxlength")
    assert maxlength is None or int(maxlength) >= len(code) * 2

    # Pasted as people keep it, in lower case with spaces: the page takes it as it is.
    kept = code.lower().replace("-", " ")
    page.evaluate("text => navigator.clipboard.writeText(text)", kept)
    field.focus()
    page.keyboard.press("ControlOrMeta+V")
    expect(field).to_have_value(kept)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
