"""Formal case work in a real browser, with axe-core at each new state: a reporter shares
contact details later, an administrator excludes an adviser,
redacts a passage and downloads the case file, and an adviser records a report taken by
phone and hands over a code that works at /messaging/."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.steps import (
    CODE_PATTERN,
    admin_log_in,
    adviser_log_in,
    adviser_open_newest_case,
    axe_violations,
    describe_violations,
    log_in,
    make_anonymous_report,
)

pytestmark = pytest.mark.browser

SECRET = "Quentin Browsername"


def test_contact_details_later_exclusion_redaction_and_case_file(open_session):
    found = {}
    what_happened = f"{SECRET} took my laptop during the browser walk."
    # axe-core runs in the page, so the reporter's browser has JavaScript; the pages need
    # none (the Django client tests post the same forms).
    reporter = open_session().page
    code = make_anonymous_report(reporter, what_happened)
    log_in(reporter, code)

    # The reporter shares contact details later, after the warning.
    reporter.get_by_role("link", name="Share your contact details").click()
    expect(reporter.get_by_role("heading", name="This cannot be undone")).to_be_visible()
    found["share-contact"] = axe_violations(reporter)
    reporter.get_by_label("Your name").fill("Casey Browser")
    reporter.get_by_label("Email address").fill("casey@example.org")
    reporter.get_by_role("group", name=re.compile("prefer us to contact")).get_by_label(
        "Email"
    ).check()
    reporter.get_by_role("button", name="Share my contact details").click()
    expect(reporter.get_by_role("alert")).to_contain_text("Tick the box to confirm")
    expect(reporter.get_by_label("Your name")).to_have_value("Casey Browser")
    found["share-contact-errors"] = axe_violations(reporter)
    reporter.get_by_label(re.compile("this cannot be undone")).check()
    reporter.get_by_role("button", name="Share my contact details").click()
    expect(reporter.get_by_text("Your contact details were shared")).to_be_visible()

    # The administrator sees "shared later", excludes adviser2, redacts the name.
    admin = open_session(check_console=False).page
    admin_log_in(admin, "admin")
    adviser_open_newest_case(admin, what_happened)
    expect(admin.locator("#contact-section")).to_contain_text("Shared later")
    admin.get_by_label("Adviser to exclude").select_option(label="adviser2")
    admin.locator("#id_exclude-reason").fill("Shares an office with the reporter's manager")
    admin.get_by_role("button", name="Exclude from this case").click()
    expect(admin.get_by_text("adviser2 can no longer see this case.")).to_be_visible()
    admin.locator("#id_redact-item").select_option(label="Report: What happened?")
    admin.locator("#id_redact-passage").fill(SECRET)
    admin.locator("#id_redact-reason").fill("Names a third party")
    admin.get_by_role("button", name="Redact the text").click()
    expect(admin.get_by_text("Redacted. The original text is no longer stored.")).to_be_visible()
    expect(admin.locator("#report-section .am-redacted")).to_have_text("[redacted]")
    expect(admin.locator("#report-section")).not_to_contain_text(SECRET)
    expect(admin.locator(".messages > ul")).to_have_css("opacity", "1")
    found["admin-case-with-exclusion-and-redaction"] = axe_violations(admin)

    admin.get_by_role("link", name="Download case file").click()
    expect(admin.get_by_role("button", name="Download case file (PDF)")).to_be_visible()
    found["case-file-options"] = axe_violations(admin)
    admin.get_by_label("Include the case history").check()
    with admin.expect_download() as download:
        admin.get_by_role("button", name="Download case file (PDF)").click()
    assert download.value.suggested_filename.endswith("-case-file.pdf")
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"

    # The reporter sees the same gap; adviser2 cannot open the case.
    reporter.reload()
    expect(reporter.locator(".am-report .am-redacted")).to_have_count(1)
    assert SECRET not in reporter.content()
    found["conversation-with-redaction"] = axe_violations(reporter)
    case_url = admin.url.split("#")[0].split("?")[0].replace("/case_file/", "/inspect/")
    excluded = open_session(check_console=False).page
    adviser_log_in(excluded, "adviser2")
    response = excluded.goto(case_url)
    assert response.status == 404

    assert not any(found.values()), describe_violations(found)


def test_an_adviser_records_a_phone_report_and_the_code_works(open_session):
    found = {}
    adviser = open_session(check_console=False).page
    adviser_log_in(adviser)
    adviser.goto("/admin/anon_messaging/case/")
    adviser.get_by_role("link", name="Record a report").click()
    found["record-report-start"] = axe_violations(adviser)
    adviser.get_by_label("Form whose questions to fill in").select_option(
        label="Report anonymously"
    )
    adviser.get_by_label("Anonymous", exact=True).check()
    adviser.get_by_label("By phone, recorded by an adviser").check()
    adviser.get_by_role("button", name="Continue").click()
    adviser.get_by_label("What happened?").fill("Told by phone during the browser walk.")
    adviser.get_by_label("Bullying").check()
    adviser.get_by_label("Give the reporter a messaging code").check()
    found["record-report-questions"] = axe_violations(adviser)
    adviser.get_by_role("button", name="Record the report").click()
    expect(adviser.get_by_role("heading", name="The reporter's messaging code")).to_be_visible()
    found["record-report-code"] = axe_violations(adviser)
    code = CODE_PATTERN.search(adviser.locator("#messaging-code").inner_text()).group()

    reporter = open_session().page
    log_in(reporter, code)
    expect(reporter.locator(".am-report")).to_contain_text("Told by phone during the browser walk.")
    assert not any(found.values()), describe_violations(found)
