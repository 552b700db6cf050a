"""What reporters and advisers do, as browser steps, and the checks the tests share."""

import json
import re
from pathlib import Path

from playwright.sync_api import expect

CODE_PATTERN = re.compile(r"[0-9A-Z]{4}(?:-[0-9A-Z]{4}){3}")
AXE_SOURCE = (Path(__file__).parent / "axe.min.js").read_text()
# WCAG 2.0, 2.1 and 2.2 at levels A and AA: the standard for public-sector sites.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
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


def axe_violations(page):
    """Run axe-core on the page as it is now; return its WCAG A/AA violations, readably."""
    page.evaluate(AXE_SOURCE)
    return page.evaluate(
        """async (tags) => {
            const results = await axe.run(document, {runOnly: {type: "tag", values: tags}});
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
        WCAG_TAGS,
    )


def describe_violations(found):
    """Violations per page, as an assertion message a person can act on."""
    return json.dumps(found, indent=2)


def horizontal_overflow(page):
    """How many CSS pixels the page is wider than its viewport (0 when it reflows)."""
    return page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


FOCUS_STATE_JS = """() => {
    const element = document.activeElement;
    if (!element || element === document.body || element === document.documentElement) {
        return {element: null};
    }
    const style = getComputedStyle(element);
    const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
    const shadow = style.boxShadow !== "none";
    const rect = element.getBoundingClientRect();
    // Focus not obscured (WCAG 2.4.11): the sticky exit bar must not cover the element.
    const bar = document.querySelector(".am-exit");
    const barBottom = bar ? bar.getBoundingClientRect().bottom : 0;
    const hiddenUnderBar = bar && !bar.contains(element) && rect.bottom <= barBottom;
    const inViewport = rect.bottom > 0 && rect.top < window.innerHeight && rect.width > 0;
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


def save_screenshots(page, name, *, full_page=True):
    """PNG files of the page at desktop and phone widths, for docs/accessibility.md."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    paths = []
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        path = SCREENSHOT_DIR / f"{name}-{label}.png"
        page.screenshot(path=str(path), full_page=full_page, animations="disabled")
        paths.append(path)
    page.set_viewport_size(original)
    return paths
