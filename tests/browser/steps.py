"""What reporters and advisers do, as browser steps, and the checks the tests share."""

import json
import os
import re
from pathlib import Path

from playwright.sync_api import expect

CODE_PATTERN = re.compile(r"[0-9A-Z]{4}(?:-[0-9A-Z]{4}){3}")
AXE_SOURCE = (Path(__file__).parent / "axe.min.js").read_text()
# WCAG 2.0, 2.1 and 2.2 at levels A and AA: the standard for public-sector sites.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# The pictures docs/accessibility.md shows. A run writes them there only when asked,
# with ANON_MESSAGING_SCREENSHOTS=1, and otherwise into a temporary directory, so a
# test run leaves the checkout as it found it.
DOCS_SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SCREENSHOTS_ENV = "ANON_MESSAGING_SCREENSHOTS"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}

OPT_IN_LABEL = "Yes, give me a code for anonymous messaging"


# --- Reporter -----------------------------------------------------------------------


def fill_anonymous_report(page, what_happened, *, messaging=True):
    page.goto("/report/anonymous/")
    page.get_by_label("What happened?").fill(what_happened)
    page.get_by_label("Bullying").check()
    messaging_question = page.get_by_role("group", name=re.compile("anonymous messaging"))
    messaging_question.get_by_label(OPT_IN_LABEL if messaging else "No", exact=True).check()


def send_report(page):
    page.get_by_role("button", name="Send report").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your report has been sent")


def make_anonymous_report(page, what_happened, *, messaging=True):
    """Send an anonymous report; return the code shown on the thank-you page, if any."""
    fill_anonymous_report(page, what_happened, messaging=messaging)
    send_report(page)
    return read_code(page) if messaging else None


def read_code(page):
    """The code as a reporter reads it off the thank-you page."""
    text = page.locator(".am-code").inner_text()
    match = CODE_PATTERN.search(text)
    assert match, f"No code on the thank-you page: {text!r}"
    return match.group()


def log_in(page, code):
    page.goto("/messaging/")
    page.get_by_label("Your 16-character code").fill(code)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def send_message(page, text):
    page.get_by_label("Your message").fill(text)
    page.get_by_role("button", name="Send message").click()
    expect(page.get_by_text("Your message was sent.")).to_be_visible()
    expect(page.locator(".am-message--reporter").last).to_contain_text(text)


def log_out(page):
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You have logged out")


# --- Checks ----------------------------------------------------------------------------


def axe_violations(page, include=None):
    """Run axe-core on the page as it is now (or only on the elements ``include`` selects);
    return its WCAG A/AA violations, readably."""
    # A check on text can pass while the new page is still parsing; its stylesheet may not
    # apply yet, and a page judged without its CSS has 17-pixel links (target-size).
    page.wait_for_load_state("load")
    # Once per document: a second run on the same page (at another width) reuses it.
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SOURCE)
    return page.evaluate(
        """async ([tags, include]) => {
            // Judge the page as it settles, not half-way through a fade-in. Long or
            // endless decorations (the admin's pulsing badge) are not waited for.
            await Promise.all(document.getAnimations()
                .filter((animation) => animation.effect
                    && animation.effect.getComputedTiming().endTime <= 2000)
                .map((animation) => animation.finished.catch(() => null)));
            const context = include ? {include: [include]} : document;
            const results = await axe.run(context, {runOnly: {type: "tag", values: tags}});
            return results.violations.map((violation) => ({
                rule: violation.id,
                impact: violation.impact,
                help: violation.help,
                nodes: violation.nodes.map((node) => ({
                    target: node.target.join(" "),
                    html: node.html.slice(0, 200),
                    summary: node.failureSummary,
                })),
            }));
        }""",
        [WCAG_TAGS, include],
    )


def describe_violations(found):
    """Violations per page, as an assertion message a person can act on."""
    return json.dumps(found, indent=2)


def page_width(page):
    """The document's scroll width: no wider than the viewport when the page reflows."""
    return page.evaluate("() => document.documentElement.scrollWidth")


FOCUS_STATE_JS = """() => {
    const element = document.activeElement;
    if (!element || element === document.body || element === document.documentElement) {
        return {element: null};
    }
    const style = getComputedStyle(element);
    const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
    const shadow = style.boxShadow !== "none";
    const rect = element.getBoundingClientRect();
    const inViewport = rect.bottom > 0 && rect.top < window.innerHeight && rect.width > 0;
    // Focus not obscured (WCAG 2.4.11): the sticky exit bar must not sit on top of it.
    const bar = document.querySelector(".am-exit");
    const onTop = document.elementFromPoint(
        rect.left + rect.width / 2, rect.top + rect.height / 2);
    const hiddenUnderBar = !!bar && !!onTop && bar.contains(onTop) && !bar.contains(element);
    return {
        element: element.outerHTML.slice(0, 160),
        tag: element.tagName.toLowerCase(),
        id: element.id,
        type: element.type || null,
        text: (element.innerText || element.value || "").trim().slice(0, 80),
        outline: outline,
        shadow: shadow,
        visible: (outline || shadow) && inViewport && !hiddenUnderBar,
    };
}"""


def focus_state(page):
    return page.evaluate(FOCUS_STATE_JS)


def docs_screenshots_wanted():
    """True when this run should rewrite the screenshots in docs/screenshots/."""
    return os.environ.get(SCREENSHOTS_ENV, "").strip() not in ("", "0")


def save_screenshots(page, name, directory, *, sizes=(("desktop", DESKTOP), ("phone", PHONE))):
    """Full-page PNG files of the page at each width, for docs/accessibility.md."""
    directory.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    paths = []
    # No focus ring or text cursor left over from the last step in the pictures.
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    for label, size in sizes:
        page.set_viewport_size(size)
        path = directory / f"{name}-{label}.png"
        page.screenshot(path=str(path), full_page=True, animations="disabled")
        paths.append(path)
    page.set_viewport_size(original)
    return paths


# --- Every reporter page, in every state a reporter meets ------------------------------


def submit_form_twice(page):
    """Send the open report form once behind the browser's back, then from the page.

    As when a reporter's connection drops after sending and they press the button
    again: the second send finds the first and shows the "already received" page.
    """
    form = page.locator("form.am-form")
    fields = form.evaluate("form => Object.fromEntries(Array.from(new FormData(form).entries()))")
    response = page.request.post(page.url, form=fields)
    assert response.ok, response.status
    page.get_by_role("button", name="Send report").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your report was already received")


def walk_reporter_pages(page, visit, *, adviser_reply=None):
    """Go through every reporter page and state, calling ``visit(name)`` at each.

    ``adviser_reply(what_happened, text)``, when given, answers the report in the
    admin before the reporter's last log-in, so the conversation shows a reply.
    """
    page.goto("/")
    visit("home")
    page.goto("/report/")
    visit("choose-route")
    page.goto("/support/anonymous-messaging/")
    visit("support")
    page.goto("/support/")
    visit("support-index")
    page.goto("/support/emergency-contacts/")
    visit("emergency-contacts")
    page.goto("/no-such-page/")
    visit("not-found")

    page.goto("/report/with-contact-details/")
    visit("contact-form")
    page.get_by_role("button", name="Send report").click()
    visit("contact-form-errors")
    page.get_by_label("What happened?").fill("I was left out of meetings after I complained.")
    page.get_by_label("Discrimination").check()
    page.get_by_label("Your name").fill("Sam Example")
    page.get_by_label("Email address").fill("sam@example.org")
    page.get_by_role("group", name=re.compile("How would you prefer")).get_by_label(
        "Email", exact=True
    ).check()
    send_report(page)
    visit("contact-thank-you")

    page.goto("/report/anonymous/")
    visit("form")
    page.get_by_role("button", name="Send report").click()
    visit("form-errors")
    what_happened = "Someone in my team keeps making comments about my accent."
    fill_anonymous_report(page, what_happened)
    send_report(page)
    code = read_code(page)
    visit("thank-you-code")

    page.get_by_role("link", name="Log in").click()
    visit("log-in")
    page.get_by_label("Your 16-character code").fill("AAAA-BBBB-CCCC-DDDD")
    page.get_by_role("button", name="Log in").click()
    visit("log-in-error")
    page.get_by_label("Your 16-character code").fill(code)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    visit("conversation-empty")
    page.get_by_role("button", name="Send message").click()
    visit("conversation-errors")
    send_message(page, "Is there someone I can talk to this week?")
    if adviser_reply is not None:
        log_out(page)
        adviser_reply(
            what_happened,
            "Thank you for telling us. Yes: we can meet on Thursday, or talk here if you prefer.",
        )
        log_in(page, code)
    page.get_by_text("Your report of").click()
    visit("conversation")
    log_out(page)
    visit("logged-out")

    fill_anonymous_report(page, "No code for me, thank you.", messaging=False)
    send_report(page)
    visit("thank-you-no-code")

    fill_anonymous_report(page, "Sent twice by accident.", messaging=False)
    submit_form_twice(page)
    visit("already-received")

    # The browser dropped its cookies (or the page was open for hours): the form's
    # security check fails, and the reporter is told that nothing was sent and why.
    fill_anonymous_report(page, "Sent after the cookies were cleared.", messaging=False)
    page.context.clear_cookies()
    page.get_by_role("button", name="Send report").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your form was not sent")
    visit("form-not-sent")


# --- Adviser ---------------------------------------------------------------------------


def main_menu_cases(page):
    return page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Cases")


def admin_log_in(page, username):
    """Log in to the Wagtail admin as anyone (an editor has no Cases menu)."""
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("changeme")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Main menu")).to_be_visible()


def adviser_log_in(page, username="adviser"):
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("changeme")
    page.get_by_role("button", name="Sign in").click()
    expect(main_menu_cases(page)).to_be_visible()


def adviser_open_newest_case(page, what_happened, *, visit=None):
    """From the admin menu to the case list, newest first, and into the newest case."""
    main_menu_cases(page).click()
    expect(page.get_by_role("table")).to_be_visible()
    if visit:
        visit("adviser-case-list")
    received = page.locator("th.column-created_at")
    # The column sorts oldest first on the first click, newest first on the second.
    for _ in range(3):
        if "descending" in (received.get_attribute("class") or ""):
            break
        received.get_by_role("link").click()
    expect(received).to_have_class(re.compile(r"\bdescending\b"))
    page.locator("table.listing tbody tr").first.get_by_role("link").first.click()
    expect(page.locator("#report-section")).to_contain_text(what_happened)


def adviser_reply(page, text):
    page.get_by_label("Reply to the reporter").fill(text)
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_text("Reply sent.")).to_be_visible()
    # Wagtail fades its messages in; wait until the message is fully shown.
    expect(page.locator(".messages > ul")).to_have_css("opacity", "1")
    expect(page.locator(".am-thread__message--adviser").last).to_contain_text(text)


def editor_flags_an_identity_question(page, label):
    """The demo's editor adds ``label`` to the anonymous form and saves a draft; the
    editor then shows the question flagged. Returns nothing; the page is the editor."""
    page.goto("/admin/pages/search/?q=Report+anonymously")
    page.locator('a[href*="/edit/"]', has_text="Report anonymously").first.click()
    page.get_by_role("button", name=re.compile("Add Questions", re.IGNORECASE)).click()
    page.locator('input[name$="-label"]:visible').last.fill(label)
    page.locator('select[name$="-field_type"]:visible').last.select_option("singleline")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".am-identity-questions")).to_contain_text(f"“{label}” asks for")


def save_admin_screenshot(page, name, directory):
    """A desktop PNG of a whole admin page, from the top.

    The Wagtail admin scrolls inside its own layout rather than the document, so
    a full-page screenshot would stop at the window: the window is made as tall
    as the content instead.
    """
    directory.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    page.goto(page.url.split("#")[0], wait_until="networkidle")
    height = page.evaluate(
        "() => Math.max(...Array.from(document.querySelectorAll('body, body *'),"
        " (element) => element.scrollHeight))"
    )
    page.set_viewport_size({"width": DESKTOP["width"], "height": min(height, 4000)})
    page.mouse.move(0, 0)  # no hover effect left where the last click was
    page.wait_for_timeout(300)  # let the resized layout's transitions finish
    path = directory / f"{name}-desktop.png"
    page.screenshot(path=str(path), animations="disabled")
    page.set_viewport_size(original)
    return path
