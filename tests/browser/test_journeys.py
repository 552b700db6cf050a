"""Reporter and adviser journeys in a real Chromium, with and without JavaScript."""

import re
import secrets

import pytest
from playwright.sync_api import expect

from .conftest import QUICK_EXIT_URL
from .steps import (
    adviser_log_in,
    adviser_open_newest_case,
    adviser_reply,
    fill_anonymous_report,
    log_in,
    log_out,
    read_code,
    send_message,
    send_report,
)

pytestmark = pytest.mark.browser


def marker():
    """A word no other test writes, so each test finds its own case."""
    return "marker" + secrets.token_hex(4)


def paste_code_and_log_in(page):
    """Log in as a reporter does with a copied code: paste it, then press the button."""
    code_field = page.get_by_label("Your 16-character code")
    code_field.focus()
    page.keyboard.press("ControlOrMeta+V")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_anonymous_report_copied_code_messages_and_adviser_reply(open_session):
    reporter = open_session(clipboard=True).page
    story = f"Someone in my team keeps shouting at me. {marker()}"
    fill_anonymous_report(reporter, story)
    send_report(reporter)
    code = read_code(reporter)

    reporter.get_by_role("button", name="Copy code").click()
    expect(reporter.get_by_role("status")).to_have_text("Code copied")

    # Read the clipboard back the way a reporter does: paste it into the code box.
    # (Reporter pages forbid scripts from reading the clipboard; pasting is the browser's.)
    reporter.get_by_role("link", name="Log in").click()
    code_field = reporter.get_by_label("Your 16-character code")
    code_field.focus()
    reporter.keyboard.press("ControlOrMeta+V")
    expect(code_field).to_have_value(code)
    reporter.get_by_role("button", name="Log in").click()

    reporter.get_by_text("Your report of").click()
    expect(reporter.locator(".am-answers")).to_contain_text(story)
    expect(reporter.locator(".am-answers")).to_contain_text("Bullying")
    send_message(reporter, "Is there someone I can talk to this week?")
    log_out(reporter)
    # The log-out really ended the session: the messaging page asks for the code again.
    reporter.goto("/messaging/")
    expect(reporter.get_by_label("Your 16-character code")).to_be_visible()

    # The adviser, in a browser of their own, finds the new case and replies.
    adviser = open_session().page
    adviser_log_in(adviser)
    adviser_open_newest_case(adviser, story)
    expect(adviser.locator(".am-thread__message--reporter")).to_contain_text(
        "Is there someone I can talk to this week?"
    )
    reply = "Yes. We can meet on Thursday, or talk here if you prefer."
    adviser_reply(adviser, reply)

    # The reporter comes back with the same copied code and reads the reply, marked new.
    paste_code_and_log_in(reporter)
    expect(reporter.locator(".am-message--reporter")).to_contain_text(
        "Is there someone I can talk to this week?"
    )
    answer = reporter.locator(".am-message--adviser").last
    expect(answer).to_contain_text(reply)
    expect(answer).to_contain_text("New")
    expect(answer).not_to_contain_text("adviser@example.org")
    # Seen once, the reply is marked read for the adviser.
    adviser.reload()
    expect(adviser.locator(".am-thread__message--adviser").last).to_contain_text(
        "Read by the reporter"
    )
    # The code is never kept in the browser (cookies hold only a random session key).
    for cookie in reporter.context.cookies():
        assert code.replace("-", "") not in cookie["value"].upper().replace("-", "")


def test_report_with_contact_details(open_session):
    reporter = open_session().page
    reporter.goto("/report/with-contact-details/")
    reporter.get_by_label("What happened?").fill(f"My manager makes comments. {marker()}")
    reporter.get_by_label("Discrimination").check()
    reporter.get_by_label("Your name").fill("Sam Example")
    reporter.get_by_label("Email address").fill("not-an-address")
    reporter.get_by_role("group", name=re.compile("How would you prefer")).get_by_label(
        "Email", exact=True
    ).check()
    reporter.get_by_role("button", name="Send report").click()

    # A specific error, next to the field and in the summary; what was typed is kept.
    summary = reporter.locator(".am-error-summary")
    expect(summary).to_contain_text("Enter an email address in the correct format")
    expect(reporter.get_by_label("Your name")).to_have_value("Sam Example")
    expect(reporter.get_by_label("What happened?")).to_have_value(re.compile("My manager"))
    expect(reporter.get_by_label("Discrimination")).to_be_checked()

    reporter.get_by_label("Email address").fill("sam@example.org")
    reporter.get_by_role("button", name="Send report").click()
    expect(reporter.get_by_role("heading", level=1)).to_have_text("Your report has been sent")
    # The site's response promise fills the editor's {sla}; no code on this route.
    expect(reporter.locator("main")).to_contain_text("within 3 working days")
    expect(reporter.locator(".am-code")).to_have_count(0)


def assert_left_for_neutral_site(session, *, came_from):
    page = session.page
    page.wait_for_url(QUICK_EXIT_URL)
    expect(page.get_by_role("heading", name="Weather")).to_be_visible()
    assert session.external_requests == [QUICK_EXIT_URL]
    # The report page was replaced in the history: Back does not bring it up again.
    page.go_back()
    assert page.url == session.site_url + came_from


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_quick_exit_link_leaves_for_a_neutral_site(open_session, javascript):
    session = open_session(javascript=javascript, neutral_site=True)
    page = session.page
    page.goto("/")
    page.goto("/report/anonymous/")
    page.get_by_label("What happened?").fill("Something I do not want seen")
    page.get_by_role("link", name="Exit this page").click()
    if javascript:
        assert_left_for_neutral_site(session, came_from="/")
    else:
        # A plain link: it still leaves at once, though Back returns to the form.
        page.wait_for_url(QUICK_EXIT_URL)
        expect(page.get_by_role("heading", name="Weather")).to_be_visible()


def test_quick_exit_escape_three_times(open_session):
    session = open_session(neutral_site=True)
    page = session.page
    page.goto("/")
    page.goto("/report/anonymous/")
    expect(page.get_by_text("or press Escape three times")).to_be_visible()
    page.get_by_label("What happened?").fill("Something I do not want seen")
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    # Two presses are not enough: the exit would have blanked the page at once.
    assert page.evaluate("() => !document.body.hidden")
    assert page.url.endswith("/report/anonymous/")
    page.keyboard.press("Escape")
    assert_left_for_neutral_site(session, came_from="/")


def test_reporter_journey_without_javascript(open_session):
    """Tor Browser's safest level: no scripts at all. Every step still works."""
    reporter = open_session(javascript=False, clipboard=True).page

    # Errors without JavaScript: the server's summary and field errors, text kept.
    reporter.goto("/report/anonymous/")
    reporter.get_by_label("What happened?").fill("It happened in the library.")
    reporter.get_by_role("button", name="Send report").click()
    expect(reporter).to_have_title(re.compile("^Error:"))
    summary = reporter.locator(".am-error-summary")
    expect(summary).to_contain_text("Choose whether you would like to use anonymous messaging.")
    expect(reporter.get_by_label("What happened?")).to_have_value("It happened in the library.")

    story = f"It happened in the library. {marker()}"
    fill_anonymous_report(reporter, story)
    send_report(reporter)
    code = read_code(reporter)
    # The copy button needs JavaScript, so it stays hidden; the code is plain text.
    expect(reporter.get_by_role("button", name="Copy code")).to_be_hidden()
    # Copy by hand: one click selects the whole code, the browser copies it.
    reporter.locator(".am-code__value").click()
    reporter.keyboard.press("ControlOrMeta+C")

    reporter.get_by_role("link", name="Log in").click()
    # A wrong code: a clear error, and the throttle or the form never loses the page.
    reporter.get_by_label("Your 16-character code").fill("AAAA-BBBB-CCCC-DDDD")
    reporter.get_by_role("button", name="Log in").click()
    expect(reporter.locator(".am-error-summary")).to_contain_text(
        "That code did not match a report"
    )
    code_field = reporter.get_by_label("Your 16-character code")
    code_field.fill("")
    code_field.focus()
    reporter.keyboard.press("ControlOrMeta+V")
    expect(code_field).to_have_value(code)
    reporter.get_by_role("button", name="Log in").click()
    expect(reporter.get_by_role("button", name="Log out")).to_be_visible()

    # The report is in a <details> element, which opens without scripts.
    reporter.get_by_text("Your report of").click()
    expect(reporter.locator(".am-answers")).to_contain_text("It happened in the library.")

    reporter.get_by_role("button", name="Send message").click()
    expect(reporter.locator(".am-error-summary")).to_contain_text("Write a message before sending.")
    send_message(reporter, "Sent without any JavaScript.")
    log_out(reporter)

    adviser = open_session().page
    adviser_log_in(adviser)
    adviser_open_newest_case(adviser, story)
    adviser_reply(adviser, "Received, thank you. No scripts needed to read this.")

    log_in(reporter, code.lower().replace("-", " "))
    expect(reporter.locator(".am-message--reporter")).to_contain_text(
        "Sent without any JavaScript."
    )
    expect(reporter.locator(".am-message--adviser")).to_contain_text("No scripts needed")
