"""The demo site as ``scripts/demo`` builds it (``seed_demo``): pages, wording, users, cases.

The rest of the suite mostly builds what it needs with tests/factories.py. ``demo_site``
(tests/conftest.py) seeds the demo once for a run of tests that ask for it, in a
transaction that stays open while they run, each test in a savepoint of its own inside it
(as Django's TestCase.setUpTestData does), rolled back after the test, so the tests stay
independent of each other.
"""

import io
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from wagtail.models import Page, Site

from anon_messaging import reminders
from anon_messaging.models import Case, CaseOutcome, ReportingFooterLink
from anon_messaging.pages import ReportFormPage
from tests.admin_forms import form_data
from tests.admin_support import LIST_URL, case_url
from tests.reporter_journey import (
    MESSAGING,
    MESSAGING_LOGOUT,
    MESSAGING_SEND,
    log_in,
    submit_anonymous,
)

DEMO_PASSWORD = "changeme"  # noqa: S105 - the demo's own, printed in the README


# --- The pages the README names ----------------------------------------------------------

PAGES = [
    "/",
    "/report/",
    "/report/anonymous/",
    "/report/with-contact-details/",
    "/messaging/",
    "/support/",
    "/support/anonymous-messaging/",
    "/support/privacy/",
    "/support/emergency-contacts/",
    "/support/figures/",
]


@pytest.mark.parametrize("path", PAGES)
def test_demo_pages_named_in_the_issue_are_served(demo_site, client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert b'href="/static/anon_messaging/anon_messaging.css"' in response.content


def test_seed_demo_is_idempotent(demo_site):
    before = Page.objects.count()
    call_command("seed_demo", stdout=io.StringIO())
    assert Page.objects.count() == before
    # Two forms in each of the demo's languages.
    for language in ("en-gb", "cy", "ar"):
        assert ReportFormPage.objects.filter(locale__language_code=language).count() == 2


def test_the_demos_support_page_shows_its_response_time(demo_site, client):
    page = client.get("/support/anonymous-messaging/").content.decode()
    assert "We aim to respond within 3 working days, Monday to Friday" in page
    assert "{sla}" not in page


# --- The demo users and cases the README's walk-through uses -------------------------------


def test_the_demo_adviser_has_a_populated_case_list(demo_site):
    client = Client()
    assert client.login(username="adviser", password=DEMO_PASSWORD)
    listing = client.get(LIST_URL)
    assert listing.status_code == 200
    references = set(re.findall(r"R-[0-9A-Z]{6}", listing.content.decode()))
    statuses = set(Case.objects.values_list("status", flat=True))
    assert len(references) >= 5
    assert {"new", "open", "closed"} <= statuses
    mine = Case.objects.get(assigned_to__username="adviser")
    assert mine.messages.count() >= 3 and mine.notes.count() == 1
    assert CaseOutcome.objects.exists()


def test_the_second_demo_adviser_shares_the_team_but_is_kept_from_one_case(demo_site):
    """adviser2, in the same team as adviser, is excluded from the ongoing demo case."""
    first, second = Client(), Client()
    assert first.login(username="adviser", password=DEMO_PASSWORD)
    assert second.login(username="adviser2", password=DEMO_PASSWORD)
    excluded = Case.objects.get(exclusions__user__username="adviser2")
    shared = Case.objects.exclude(pk=excluded.pk).filter(status="new").first()
    assert first.get(case_url(excluded)).status_code == 200
    assert second.get(case_url(excluded)).status_code == 404
    assert second.get(case_url(shared)).status_code == 200
    assert excluded.reference not in second.get(LIST_URL).content.decode()


def column_sort_link(listing, heading):
    """The address the case list's column heading links to, to sort by that column."""
    for cell in re.findall(r'<th scope="col"[^>]*>.*?</th>', listing, re.S):
        link = re.search(r'<a href="([^"]+)"[^>]*>\s*' + heading + r"\s*</a>", cell)
        if link:
            return LIST_URL + link.group(1).replace("&amp;", "&")
    raise AssertionError(f"No {heading} column to sort by")


def test_the_readmes_first_walk_through(demo_site):
    """README, "A first walk through it", steps 1 to 4, as a reporter and the demo adviser."""
    # 1. An anonymous report, yes to messaging: the code is shown once.
    reporter = Client()
    _response, code = submit_anonymous(reporter, "Walk-through: what happened to me.")
    assert code is not None
    # 2. Log in with the code, read the report, send a message, log out.
    assert log_in(reporter, code).status_code == 302
    assert "Walk-through: what happened to me." in reporter.get(MESSAGING).content.decode()
    assert (
        reporter.post(MESSAGING_SEND, {"body": "Walk-through: are you there?"}).status_code == 302
    )
    assert "You have logged out" in reporter.post(MESSAGING_LOGOUT).content.decode()

    # 3. The demo adviser finds the new report at the top when the list is sorted by
    # Received (newest first), opens it, replies and adds an internal note.
    case = Case.objects.latest("created_at")
    adviser = Client()
    assert adviser.login(username="adviser", password=DEMO_PASSWORD)
    listing = adviser.get(LIST_URL).content.decode()
    # A first click on the heading sorts oldest first, a second newest first.
    oldest_first = adviser.get(column_sort_link(listing, "Received")).content.decode()
    assert re.findall(r"R-[0-9A-Z]{6}", oldest_first)[-1] == case.reference
    newest_first = adviser.get(column_sort_link(oldest_first, "Received")).content.decode()
    assert re.findall(r"R-[0-9A-Z]{6}", newest_first)[0] == case.reference
    opened = adviser.get(case_url(case)).content.decode()
    assert "Walk-through: what happened to me." in opened
    assert "Walk-through: are you there?" in opened
    reply = {"action": "reply", "reply-body": "Walk-through: we are here to help."}
    assert adviser.post(case_url(case), reply).status_code == 302
    note = {"action": "note", "note-body": "Walk-through: advisers only."}
    assert adviser.post(case_url(case), note).status_code == 302

    # 4. The reporter logs in again: the reply is there, marked new; the note is not.
    assert log_in(reporter, code).status_code == 302
    conversation = re.sub(r"\s+", " ", reporter.get(MESSAGING).content.decode())
    assert "Walk-through: we are here to help." in conversation
    assert ">New<" in conversation.replace(" ", "")
    assert "Walk-through: advisers only." not in conversation


def sent(subject):
    return [m.to for m in mail.outbox if m.subject == subject]


def test_each_test_starts_from_the_demo_as_seeded(demo_site):
    """The savepoints hold: the walk-through's report and the scan's reminders are gone."""
    assert not Case.objects.exclude(submission_token__startswith="demo-").exists()
    overdue = Case.objects.get(submission_token="demo-overdue-reminder")
    assert overdue.reminder_sent_at is None and overdue.escalation_sent_at is None


def test_a_test_that_does_not_ask_for_the_demo_never_sees_it(db):
    """The demo's transaction is rolled back before the first test after those that share
    it (tests/conftest.py sorts this one after them)."""
    assert not Case.objects.exists()
    assert not Page.objects.filter(slug="anonymous-messaging").exists()


REMINDER_SUBJECT = "A case needs attention"
ESCALATION_SUBJECT = "An overdue case needs attention"


def test_the_demos_first_scan_sends_a_reminder_and_an_escalation_once_restarts_or_not(
    demo_site,
):
    """The demo's overdue cases give one reminder and one escalation on its first start;
    restarting it (seed_demo again, the scan again) sends neither again (issue 13: a
    restart used to re-arm them, and every restart emailed the same people again)."""

    def first_scan():
        mail.outbox.clear()
        reminders.scan()
        return (
            sent(REMINDER_SUBJECT),
            sent(ESCALATION_SUBJECT),
        )

    reminded, escalated = first_scan()
    assert ["admin@example.org"] in reminded
    assert escalated == [["manager@example.org"]]
    # One reminder per address, however many of its cases are overdue.
    assert len(reminded) == len({tuple(to) for to in reminded})
    assert first_scan() == ([], [])

    # scripts/demo runs seed_demo at every start.
    call_command("seed_demo", stdout=io.StringIO())
    assert first_scan() == ([], [])


def test_the_demos_pages_in_three_languages_share_one_list_of_outcomes_and_categories(
    demo_site,
):
    """Setting up the Welsh and Arabic pages adds no second list (a new user found the
    outcomes twice, once in Welsh, splitting the statistics by language)."""
    from anon_messaging.models import CaseCategory, LocationType
    from anon_messaging.site_setup import DEFAULT_OUTCOMES

    names = set(CaseOutcome.objects.values_list("name", flat=True))
    assert names == {str(name) for name in DEFAULT_OUTCOMES}
    for model in (CaseCategory, LocationType):
        listed = list(model.objects.values_list("name", flat=True))
        assert len(listed) == len(set(listed))
        assert all(name.isascii() for name in listed), listed


def demo_frame(client, path):
    """The site's name in the header and the footer, and the footer's links, of a page."""
    html = client.get(path).content.decode()
    header = re.search(r'<a class="am-header__home" href="[^"]*">(.*?)</a>', html).group(1)
    footer = re.search(r'<p class="am-footer__site">(.*?)</p>', html).group(1)
    links = re.search(r'<ul class="am-footer__links">(.*?)</ul>', html, re.S).group(1)
    link = re.compile(
        r'<a href="([^"]*)"(?: hreflang="([^"]*)")?>([^<]*)</a>'
        r'(?: <span lang="([^"]*)" dir="ltr">\(([^)]*)\)</span>)?'
    )
    found = []
    for url, hreflang, label, span_lang, language_name in link.findall(links):
        # A link to a page in another language says so, in that language and in words.
        assert hreflang == span_lang
        found.append((label, url, language_name) if hreflang else (label, url))
    return header, footer, found


def test_the_demos_home_pages_give_the_emergency_number_in_every_language(demo_site, client):
    """The app's own words can only say "call the emergency services"; the demo's home
    pages, in English, Welsh and Arabic, give the number, as a frightened reader needs."""
    for path in ("/", "/cy/", "/ar/"):
        html = client.get(path).content.decode()
        assert "999 (" in html and "112)" in html, path


def test_the_demos_pages_name_the_site_and_label_the_footer_in_their_language(demo_site, client):
    """A new user found the Welsh and Arabic pages framed in English."""
    assert demo_frame(client, "/report/anonymous/") == (
        "Report and Support (demo)",
        "Report and Support (demo)",
        [
            ("Privacy notice", "/support/privacy/"),
            ("Support services", "/support/"),
            ("Emergency contacts", "/support/emergency-contacts/"),
        ],
    )
    # The privacy notice and the emergency contacts are in English only, so the links
    # lead to the English pages, and say so before the reader follows them.
    assert demo_frame(client, "/cy/report/anonymous/") == (
        "Adrodd a Chymorth (demo)",
        "Adrodd a Chymorth (demo)",
        [
            ("Hysbysiad preifatrwydd", "/support/privacy/", "English"),
            ("Gwasanaethau cymorth", "/cy/support/"),
            ("Cysylltiadau brys", "/support/emergency-contacts/", "English"),
        ],
    )
    assert demo_frame(client, "/ar/messaging/") == (
        "الإبلاغ والدعم (تجريبي)",
        "الإبلاغ والدعم (تجريبي)",
        [
            ("إشعار الخصوصية", "/support/privacy/", "English"),
            ("خدمات الدعم", "/ar/support/"),
            ("جهات الاتصال في حالات الطوارئ", "/support/emergency-contacts/", "English"),
        ],
    )
    # Seeded again, the demo adds no second set of links.
    call_command("seed_demo", stdout=io.StringIO())
    assert ReportingFooterLink.objects.count() == 9


def test_the_demo_editor_words_the_site_name_of_a_language(demo_site):
    editor = Client()
    assert editor.login(username="editor", password=DEMO_PASSWORD)
    url = f"/admin/settings/anon_messaging/reportingsettings/{Site.objects.get().pk}/"
    data = form_data(editor.get(url))
    welsh = next(name for name, value in data.items() if value == "Adrodd a Chymorth (demo)")
    assert welsh.endswith("-site_name")
    data[welsh] = "Adrodd a Chymorth"
    assert editor.post(url, data).status_code == 302
    header, _footer, _links = demo_frame(Client(), "/cy/support/")
    assert header == "Adrodd a Chymorth"
    # Left blank, the language shows the site's own name.
    data = form_data(editor.get(url))
    welsh = next(name for name, value in data.items() if value == "Adrodd a Chymorth")
    data[welsh] = ""
    assert editor.post(url, data).status_code == 302
    assert demo_frame(Client(), "/cy/support/")[0] == "Report and Support (demo)"
