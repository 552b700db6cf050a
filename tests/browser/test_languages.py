"""The demo's reporter pages in Welsh and Arabic, in a real browser with JavaScript off.

A reporter reports, keeps the code, logs in and writes in Welsh (/cy/...) and in Arabic
(/ar/...), right to left, with the code left to right inside; a code issued in one
language logs in on the messaging page of another. axe-core judges every reporter page
state in Arabic at desktop width and at 320 px; the Arabic form and conversation are
pictured for docs/translations.md (written into docs/screenshots/ only with
ANON_MESSAGING_SCREENSHOTS=1).
"""

import re

import pytest
from playwright.sync_api import expect

from .steps import (
    CODE_PATTERN,
    DOCS_SCREENSHOT_DIR,
    axe_violations,
    describe_violations,
    docs_screenshots_wanted,
    page_width,
    save_screenshots,
)

pytestmark = pytest.mark.browser

NARROW = {"width": 320, "height": 640}

WELSH = {
    "what_happened": "Beth ddigwyddodd?",
    "behaviour": "Bwlio",
    "messaging_question": "Hoffech chi ddefnyddio negeseua dienw",
    "opt_in": "Ydw, rhowch god i mi ar gyfer negeseua dienw",
    "no": "Na",
    "send_report": "Anfon adroddiad",
    "sent": "Mae eich adroddiad wedi'i anfon",
    "log_in": "Mewngofnodi",
    "code": "Eich cod 16 nod",
    "log_out": "Allgofnodi",
    "message": "Eich neges",
    "send_message": "Anfon neges",
    "message_sent": "Anfonwyd eich neges.",
    "logged_out": "Rydych wedi allgofnodi",
}
ARABIC = {
    "what_happened": "ماذا حدث؟",
    "behaviour": "تنمّر",
    "messaging_question": "هل تريد استخدام المراسلة المجهولة",
    "opt_in": "نعم، أعطني رمزًا للمراسلة المجهولة",
    "no": "لا",
    "send_report": "إرسال البلاغ",
    "sent": "أُرسل بلاغك",
    "log_in": "تسجيل الدخول",
    "code": "رمزك المكوّن من 16 حرفًا",
    "log_out": "تسجيل الخروج",
    "message": "رسالتك",
    "send_message": "إرسال الرسالة",
    "message_sent": "أُرسلت رسالتك.",
    "logged_out": "لقد سجّلت خروجك",
    "problem": "هناك مشكلة",
    "already_received": "وصلنا بلاغك من قبل",
    "not_sent": "لم يُرسَل النموذج",
}


def report(page, prefix, words, what_happened, *, messaging=True):
    """Send the anonymous form at /<prefix>/report/anonymous/; the code shown, if any."""
    page.goto(f"/{prefix}/report/anonymous/")
    page.get_by_label(words["what_happened"]).fill(what_happened)
    page.get_by_label(words["behaviour"]).check()
    choose_messaging(page, words, messaging)
    page.get_by_role("button", name=words["send_report"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(words["sent"])
    if not messaging:
        return None
    match = CODE_PATTERN.search(page.locator(".am-code").inner_text())
    assert match, page.locator(".am-code").inner_text()
    return match.group()


def choose_messaging(page, words, messaging):
    group = page.get_by_role("group", name=re.compile(words["messaging_question"]))
    group.get_by_label(words["opt_in"] if messaging else words["no"], exact=True).check()


def log_in(page, words, code):
    page.get_by_label(words["code"]).fill(code)
    page.get_by_role("button", name=words["log_in"]).click()
    expect(page.get_by_role("button", name=words["log_out"])).to_be_visible()


def send_message(page, words, text):
    page.get_by_label(words["message"]).fill(text)
    page.get_by_role("button", name=words["send_message"]).click()
    expect(page.get_by_text(words["message_sent"])).to_be_visible()
    expect(page.locator(".am-message--reporter").last).to_contain_text(text)


def direction_of(page, selector):
    return page.locator(selector).first.evaluate("(e) => getComputedStyle(e).direction")


def test_a_welsh_reporter_reports_and_talks_in_welsh_without_javascript(open_session):
    page = open_session(javascript=False).page
    code = report(page, "cy", WELSH, "Dywedodd rhywun bethau cas wrthyf yn y llyfrgell.")
    expect(page.locator("html")).to_have_attribute("lang", "cy")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    page.get_by_role("link", name=WELSH["log_in"]).click()
    assert page.url.endswith("/cy/messaging/")
    log_in(page, WELSH, code)
    page.get_by_text("Eich adroddiad ar").click()  # the report, folded away at first
    expect(page.get_by_text("Beth ddigwyddodd?")).to_be_visible()
    # The conversation help, and the day a reply is due, in Welsh.
    expect(page.get_by_text("Mae cynghorydd yn darllen pob neges a anfonwch yma.")).to_be_visible()
    expect(page.get_by_text("Gallwch ddisgwyl ateb erbyn diwedd")).to_be_visible()
    send_message(page, WELSH, "Oes rhywun y gallaf siarad ag ef yr wythnos hon?")
    page.get_by_role("button", name=WELSH["log_out"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(WELSH["logged_out"])


def test_an_arabic_reporter_reads_right_to_left_with_the_code_left_to_right(open_session):
    page = open_session(javascript=False).page
    page.goto("/ar/report/anonymous/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    assert direction_of(page, ".am-page") == "rtl"
    # The exit bar keeps its button at the end of the line: on the left in Arabic.
    exit_button = page.locator(".am-exit__button").bounding_box()
    assert exit_button["x"] < page.viewport_size["width"] / 2
    # The error summary and the fields in error, marked on the right.
    page.get_by_role("button", name=ARABIC["send_report"]).click()
    expect(page.get_by_role("heading", name=ARABIC["problem"])).to_be_visible()
    field = page.locator(".am-field--error").first
    expect(field).to_have_css("border-right-width", "5px")
    expect(field).to_have_css("border-left-width", "0px")

    code = report(page, "ar", ARABIC, "قال لي أحدهم كلامًا جارحًا في المكتبة.")
    assert direction_of(page, ".am-code__value") == "ltr"
    page.get_by_role("link", name=ARABIC["log_in"]).click()
    assert page.url.endswith("/ar/messaging/")
    assert direction_of(page, 'input[name="code"]') == "ltr"
    log_in(page, ARABIC, code)
    send_message(page, ARABIC, "هل يمكنني التحدث إلى أحد هذا الأسبوع؟")
    # The reporter's own messages are set in from the start of the line: the right.
    # (Checked with Playwright's waiting assertions: the page may still be laying out.)
    message = page.locator(".am-message--reporter").last
    expect(message).to_have_css("margin-left", "0px")
    expect(message).not_to_have_css("margin-right", "0px")


def test_a_code_from_an_arabic_form_logs_in_on_the_english_messaging_page(open_session):
    page = open_session(javascript=False).page
    code = report(page, "ar", ARABIC, "بلاغ بالعربية.")
    page.goto("/messaging/")
    log_in(page, {**ARABIC, "code": "Your 16-character code", "log_in": "Log in",
                  "log_out": "Log out"}, code)  # fmt: skip
    expect(page.locator("html")).to_have_attribute("lang", "en-gb")
    page.get_by_text("Your report of").click()
    expect(page.get_by_text("بلاغ بالعربية.")).to_be_visible()
    expect(page.get_by_text("ماذا حدث؟")).to_be_visible()  # the question as it was asked
    # The page offers its other languages, each named in itself.
    languages = page.get_by_role("navigation", name="Languages")
    expect(languages.get_by_role("link", name="Cymraeg")).to_have_attribute("lang", "cy")
    languages.get_by_role("link", name="العربيّة").click()
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    expect(page.get_by_role("button", name=ARABIC["log_out"])).to_be_visible()


def walk_arabic_pages(page, visit):
    """Every reporter page state in Arabic, calling ``visit(name)`` at each."""
    for name, url in (
        ("home", "/ar/"),
        ("choose-route", "/ar/report/"),
        ("support-index", "/ar/support/"),
        ("support", "/ar/support/anonymous-messaging/"),
        ("not-found", "/ar/no-such-page/"),
    ):
        page.goto(url)
        visit(name)

    page.goto("/ar/report/with-contact-details/")
    visit("contact-form")
    page.get_by_role("button", name=ARABIC["send_report"]).click()
    visit("contact-form-errors")
    page.get_by_label(ARABIC["what_happened"]).fill("استُبعدت من الاجتماعات بعد أن اشتكيت.")
    page.get_by_label("تمييز").check()
    page.get_by_label("اسمك").fill("سامي")
    page.get_by_label("عنوان البريد الإلكتروني").fill("sami@example.org")
    page.get_by_role("group", name=re.compile("كيف تفضّل")).get_by_label(
        "البريد الإلكتروني", exact=True
    ).check()
    page.get_by_role("button", name=ARABIC["send_report"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(ARABIC["sent"])
    visit("contact-thank-you")

    page.goto("/ar/report/anonymous/")
    visit("form")
    page.get_by_role("button", name=ARABIC["send_report"]).click()
    visit("form-errors")
    code = report(page, "ar", ARABIC, "يعلّق شخص في فريقي على لهجتي باستمرار.")
    visit("thank-you-code")
    page.get_by_role("link", name=ARABIC["log_in"]).click()
    visit("log-in")
    page.get_by_label(ARABIC["code"]).fill("AAAA-BBBB-CCCC-DDDD")
    page.get_by_role("button", name=ARABIC["log_in"]).click()
    visit("log-in-error")
    log_in(page, ARABIC, code)
    visit("conversation-empty")
    page.get_by_role("button", name=ARABIC["send_message"]).click()
    visit("conversation-errors")
    send_message(page, ARABIC, "هل يمكنني التحدث إلى أحد هذا الأسبوع؟")
    visit("conversation")
    page.get_by_role("button", name=ARABIC["log_out"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(ARABIC["logged_out"])
    visit("logged-out")

    report(page, "ar", ARABIC, "لا أريد رمزًا، شكرًا.", messaging=False)
    visit("thank-you-no-code")

    page.goto("/ar/report/anonymous/")
    page.get_by_label(ARABIC["what_happened"]).fill("أُرسل مرتين بالخطأ.")
    page.get_by_label(ARABIC["behaviour"]).check()
    choose_messaging(page, ARABIC, False)
    form = page.locator("form.am-form")
    fields = form.evaluate("form => Object.fromEntries(Array.from(new FormData(form).entries()))")
    assert page.request.post(page.url, form=fields).ok
    page.get_by_role("button", name=ARABIC["send_report"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(ARABIC["already_received"])
    visit("already-received")

    page.goto("/ar/report/anonymous/")
    page.get_by_label(ARABIC["what_happened"]).fill("أُرسل بعد مسح ملفات تعريف الارتباط.")
    page.get_by_label(ARABIC["behaviour"]).check()
    choose_messaging(page, ARABIC, False)
    page.context.clear_cookies()
    page.get_by_role("button", name=ARABIC["send_report"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(ARABIC["not_sent"])
    visit("form-not-sent")


@pytest.fixture
def screenshot_dir(tmp_path_factory):
    """docs/screenshots/ when the run is asked to rewrite them (ANON_MESSAGING_SCREENSHOTS=1),
    otherwise a temporary directory: the pictures are taken and checked either way."""
    if docs_screenshots_wanted():
        return DOCS_SCREENSHOT_DIR
    return tmp_path_factory.mktemp("screenshots")


def test_every_arabic_reporter_page_passes_axe_and_reflows(open_session, screenshot_dir):
    # axe-core runs in the page, so this walk has JavaScript on; the journeys above have it off.
    page = open_session().page
    found = {}
    pictured = []

    def visit(name):
        page.wait_for_load_state()
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        violations = axe_violations(page)
        size = page.viewport_size
        page.set_viewport_size(NARROW)
        width = page_width(page)
        narrow_violations = axe_violations(page)
        page.set_viewport_size(size)
        if violations or narrow_violations or width > NARROW["width"]:
            found[name] = {"axe": violations, "axe_at_320": narrow_violations, "width": width}
        if name in ("form", "conversation"):
            # From the top, so the sticky exit bar sits where a reader first sees it.
            page.evaluate("() => window.scrollTo(0, 0)")
            pictured.extend(save_screenshots(page, f"ar-{name}", screenshot_dir))
        visited.append(name)

    visited = []
    walk_arabic_pages(page, visit)
    assert len(visited) == 20
    assert not found, describe_violations(found)
    assert [path.name for path in pictured] == [
        "ar-form-desktop.png",
        "ar-form-phone.png",
        "ar-conversation-desktop.png",
        "ar-conversation-phone.png",
    ]
    for path in pictured:
        assert path.stat().st_size > 10_000, path
