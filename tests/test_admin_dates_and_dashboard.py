"""Advisers: a new report is on the dashboard of its team, every row counted; one date
format in the admin (Wagtail's DATETIME_FORMAT); due times that cannot be misread."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from bs4 import BeautifulSoup
from django.test import Client
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format

from anon_messaging import cases
from anon_messaging.models import Case
from tests.admin_support import LIST_URL, case_url
from tests.reporter_journey import cases_from_now, submit_anonymous

LONDON = ZoneInfo("Europe/London")
WAITING = "New cases waiting in my teams, no adviser yet"


def adviser():
    client = Client()
    assert client.login(username="adviser", password="changeme")  # noqa: S106
    return client


def dashboard(client):
    html = client.get("/admin/").content.decode()
    panel = html[html.index('id="anon-messaging-cases-section"') :]
    panel = panel[: panel.index("</section>")]
    return {
        label.strip(): (int(count), url.replace("&amp;", "&"))
        for url, label, count in re.findall(
            r'<a href="([^"]+)">([^<]+)</a></th>\s*<td>(\d+)</td>', panel
        )
    }


def references(client, url):
    listing = client.get(url).content.decode()
    return set(re.findall(r"R-[0-9A-Z]{6}", listing[listing.index("result-list") :]))


def test_a_new_report_waits_on_its_teams_dashboard_and_every_row_has_a_count(demo_site):
    client = adviser()
    before = dashboard(client)
    assert len(before) == 6  # the open safeguarding concerns come first

    new_cases = cases_from_now()
    submit_anonymous(Client(), "A new report for the intake team.")
    case = new_cases.get()
    assert case.assigned_to is None and case.assigned_team.name == "Case advisers"

    after = dashboard(client)
    assert after[WAITING][0] == before[WAITING][0] + 1
    assert after["All cases you can see"][0] == before["All cases you can see"][0] + 1
    assert case.reference in references(client, after[WAITING][1])
    for label, (count, url) in after.items():
        assert len(references(client, url)) == count, label

    # Once someone takes it, it no longer waits.
    cases.assign(
        case,
        user=None,
        adviser=case.assigned_team.user_set.get(username="adviser"),
        team=case.assigned_team,
    )
    assert dashboard(client)[WAITING][0] == before[WAITING][0]


def test_the_case_view_shows_every_time_in_wagtails_one_format(demo_site):
    client = adviser()
    case = Case.objects.get(assigned_to__username="adviser")  # messages and a note
    html = client.get(case_url(case)).content.decode()
    page = BeautifulSoup(html, "html.parser")
    times = page.select("main time")
    assert len(times) >= 5  # received, each message, the note
    for element in times:
        moment = parse_datetime(element["datetime"])
        expected = date_format(timezone.localtime(moment), "DATETIME_FORMAT")
        assert element.get_text(strip=True) == expected
    # No second format anywhere: "29 November 2026, 03:39" is gone. (Wagtail's own,
    # "28 Nov 2026, 10:05 a.m.", is the one format, shown outside <time> elements too.)
    assert not re.search(
        r"\d{1,2} [A-Z][a-z]+ \d{4}, \d{2}:\d{2}\b(?! [ap]\.m\.)", page.get_text(" ")
    )


def test_reply_due_cannot_be_misread(demo_site):
    client = adviser()
    new_cases = cases_from_now()
    reporter = Client()
    submit_anonymous(reporter, "Due when?")
    case = new_cases.get()
    case.assigned_to = case.assigned_team.user_set.get(username="adviser")
    case.save()

    # Due at 17:00 on a Wednesday.
    due = datetime(2027, 3, 3, 17, 0, tzinfo=LONDON)
    Case.objects.filter(pk=case.pk).update(response_due_at=due)
    text = BeautifulSoup(client.get(case_url(case)).content, "html.parser").get_text(" ")
    assert "Reply due by 17:00 on Wednesday 3 March 2027" in re.sub(r"\s+", " ", text)

    # At midnight it belongs to the day that ends there, never "midnight" on the next.
    Case.objects.filter(pk=case.pk).update(response_due_at=datetime(2027, 3, 4, tzinfo=LONDON))
    text = BeautifulSoup(client.get(case_url(case)).content, "html.parser").get_text(" ")
    assert "Reply due by the end of Wednesday 3 March 2027" in re.sub(r"\s+", " ", text)
    assert "midnight" not in text


def test_the_waiting_filter_lists_the_teams_cases_with_no_adviser(demo_site):
    client = adviser()
    waiting = references(client, f"{LIST_URL}?assigned=waiting")
    expected = {
        case.reference
        for case in Case.objects.filter(
            assigned_to__isnull=True, assigned_team__name="Case advisers"
        )
    }
    assert waiting == expected
