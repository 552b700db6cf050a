"""The admin's Statistics area in a real browser, as the demo's manager: each chart (SVG
drawn on the server) is a named image beside its captioned table, and axe-core finds no
WCAG violation."""

import pytest
from playwright.sync_api import expect

from .steps import admin_log_in, axe_violations, describe_violations

pytestmark = pytest.mark.browser


def test_the_manager_reads_the_statistics_and_axe_finds_no_violation(open_session):
    page = open_session().page
    admin_log_in(page, "manager")
    page.goto("/admin/reporting-statistics/?by=term")
    expect(page.get_by_role("heading", name="Reports received", exact=True)).to_be_visible()
    # Each figure's chart is an image with a name, and its table has a caption.
    expect(page.get_by_role("img", name="Reports by route, over the year")).to_be_visible()
    expect(page.get_by_role("table", name="Reports by route")).to_be_visible()
    # The demo's handful of cases: every count hidden, in words.
    expect(page.get_by_text("fewer than 5").first).to_be_visible()
    chart = page.get_by_role("img", name="Reports by route, over the year").bounding_box()
    table = page.get_by_role("table", name="Reports by route").bounding_box()
    assert table["x"] >= chart["x"] + chart["width"] - 1  # beside it at 1280 px
    found = axe_violations(page)
    assert not found, describe_violations(found)
