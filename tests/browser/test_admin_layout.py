"""The advisers' case list at a laptop's 1366 x 768, sidebar open: every column in sight,
none under the filter panel, nothing to scroll sideways."""

import pytest
from playwright.sync_api import expect

from .steps import (
    DOCS_SCREENSHOT_DIR,
    adviser_log_in,
    axe_violations,
    describe_violations,
    docs_screenshots_wanted,
    main_menu_cases,
)

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 768}

LAYOUT_JS = """() => {
    const box = (element) => {
        const r = element.getBoundingClientRect();
        return {left: r.left, right: r.right, top: r.top, bottom: r.bottom};
    };
    const filters = document.querySelector(".changelist-filter");
    const covered = (element) => {
        // What is drawn at the middle of the element: the element itself (or inside it),
        // never the filter panel laid over it.
        const r = element.getBoundingClientRect();
        const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        return !top || !(element === top || element.contains(top));
    };
    const headings = Array.from(document.querySelectorAll("table.listing thead th"));
    const cells = Array.from(document.querySelectorAll("table.listing tbody tr:first-child td"));
    const list = document.querySelector(".result-list");
    return {
        filters: filters && box(filters),
        headings: headings.map((th) => ({
            text: th.innerText.trim(), box: box(th), covered: covered(th)})),
        cells: cells.map((td) => ({name: td.className, box: box(td), covered: covered(td)})),
        viewport: window.innerWidth,
        pageScrollWidth: document.documentElement.scrollWidth,
        listScrolls: list.scrollWidth > list.clientWidth + 1,
    };
}"""


def test_the_case_list_at_1366_by_768_hides_no_column_behind_the_filters(open_session):
    page = open_session(width=LAPTOP["width"], height=LAPTOP["height"]).page
    adviser_log_in(page)
    main_menu_cases(page).click()
    expect(page.get_by_role("table")).to_be_visible()
    expect(page.get_by_role("heading", name="By status")).to_be_visible()
    page.wait_for_load_state("networkidle")

    layout = page.evaluate(LAYOUT_JS)

    texts = [heading["text"] for heading in layout["headings"]]
    assert texts[-1] == "Overdue", texts
    filters = layout["filters"]
    for heading in layout["headings"] + layout["cells"]:
        name = heading.get("text") or heading.get("name")
        assert not heading["covered"], f"{name} is covered"
        assert heading["box"]["right"] <= filters["left"], (name, heading["box"], filters)
        assert heading["box"]["right"] <= layout["viewport"], name
    assert filters["right"] <= layout["viewport"]
    assert layout["pageScrollWidth"] <= layout["viewport"]
    assert not layout["listScrolls"]
    found = axe_violations(page)
    assert not found, describe_violations(found)
    if docs_screenshots_wanted():
        page.screenshot(path=str(DOCS_SCREENSHOT_DIR / "adviser-case-list-1366.png"))
