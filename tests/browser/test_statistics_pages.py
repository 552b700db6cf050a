"""The admin's Statistics area in a real browser, as the demo's manager: each chart (SVG
drawn on the server) is a named image over its captioned table, and axe-core finds no
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
    expect(page.get_by_text("hidden", exact=True).first).to_be_visible()
    found = axe_violations(page)
    assert not found, describe_violations(found)
    # By month (twelve columns), at 1280 and at 1200 px: each chart at the size it is drawn,
    # so its labels keep their size; its table under it, starting where the chart does; a
    # table too wide for the window scrolls inside its own box, never widening the page.
    for width in (1280, 1200):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto("/admin/reporting-statistics/?by=month")
        for name in ("Reports by route", "Reports by category"):
            chart = page.get_by_role("img", name=f"{name}, over the year")
            drawn = float(chart.get_attribute("width"))
            box = chart.bounding_box()
            assert box["width"] >= drawn - 1, (width, name, box, drawn)
            table = page.get_by_role("table", name=name).bounding_box()
            assert table["y"] >= box["y"] + box["height"] and abs(table["x"] - box["x"]) < 1
        assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_the_demos_published_figures_read_well_at_any_width(open_session):
    page = open_session().page
    page.goto("/support/figures/")
    expect(page.get_by_role("heading", name="Reports in figures", level=1)).to_be_visible()
    expect(page.get_by_role("table", name="Reports by route")).to_be_visible()
    expect(page.get_by_role("img", name="Reports received, by period")).to_be_visible()
    found = axe_violations(page)
    assert not found, describe_violations(found)
    page.set_viewport_size({"width": 320, "height": 640})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    found = axe_violations(page)
    assert not found, describe_violations(found)
