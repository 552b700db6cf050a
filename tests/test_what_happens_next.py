"""What happens next: the thank-you page and the conversation say when a reply can be
expected, as a day from the site's working calendar, and what happens meanwhile."""

import re
from datetime import datetime, time, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from anon_messaging import cases
from anon_messaging.models import Case, ClosurePeriod, Message, ReportingSettings
from tests.reporter_journey import (
    CONTACT_FORM,
    MESSAGING,
    MESSAGING_SEND,
    cases_from_now,
    contact_answers,
    log_in,
    submit,
    submit_anonymous,
)

LONDON = ZoneInfo("Europe/London")


def day_text(day):
    year = "" if day.year == timezone.now().astimezone(LONDON).year else f" {day.year}"
    return f"{day:%A} {day.day} {day:%B}{year}"


def text(response):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


@pytest.fixture
def friday(demo_site):
    """A report sent on a Friday at 10:00 with the Monday after it a closure day: three
    working days are Tuesday, Wednesday and Thursday, so a reply is due on Thursday."""
    today = timezone.now().astimezone(LONDON).date()
    day = today + timedelta(days=(4 - today.weekday()) % 7 + 7)
    sent = datetime.combine(day, time(10), tzinfo=LONDON)
    settings = ReportingSettings.objects.get()
    ClosurePeriod.objects.create(
        settings=settings,
        first_day=day + timedelta(days=3),
        last_day=day + timedelta(days=3),
        label="Bank holiday",
    )
    with mock.patch("anon_messaging.cases.reporter_time", return_value=sent):
        yield sent


def test_the_thank_you_page_gives_the_day_from_the_working_calendar(friday):
    thursday = friday.date() + timedelta(days=6)
    response, code = submit_anonymous(Client(), "When will I hear?")
    page = text(response)
    assert "What happens next" in page
    assert f"You can expect a reply by the end of {day_text(thursday)}." in page
    assert "Their reply will be waiting when you log in with your code" in page
    assert code


def test_the_contact_route_is_told_when_an_adviser_will_get_in_touch(friday):
    thursday = friday.date() + timedelta(days=6)
    page = text(submit(Client(), CONTACT_FORM, contact_answers("Please call me.")))
    assert (
        f"A case adviser will get in touch the way you asked by the end of {day_text(thursday)}."
        in page
    )


def test_without_messaging_no_reply_is_promised(friday):
    response, code = submit_anonymous(Client(), "Just so you know.", opt_in=False)
    page = text(response)
    assert code is None
    assert "You can expect a reply" not in page
    assert "we cannot reply to you" in page


def test_reporters_are_promised_a_day_even_where_the_office_keeps_hours(friday):
    settings = ReportingSettings.objects.get()
    settings.working_hours_start, settings.working_hours_end = time(9), time(17)
    settings.save()
    # Friday 10:00 + 3 working days of 8 hours, Monday closed: Thursday 10:00.
    thursday = friday.date() + timedelta(days=6)
    new_cases = cases_from_now()
    response, _code = submit_anonymous(Client(), "Office hours.")
    assert new_cases.get().response_due_at == datetime.combine(thursday, time(10), tzinfo=LONDON)
    assert f"by the end of {day_text(thursday)}." in text(response)
    assert "10:00" not in text(response)


def test_the_conversation_shows_the_expected_day_while_a_reply_is_owed_once(demo_site):
    client = Client()
    new_cases = cases_from_now()
    _response, code = submit_anonymous(client, "A conversation.")
    case = new_cases.get()
    log_in(client, code)
    due_day = (case.response_due_at.astimezone(LONDON) - timedelta(microseconds=1)).date()
    expected = f"You can expect a reply by the end of {day_text(due_day)}."

    page = text(client.get(MESSAGING))
    assert page.count(expected) == 1
    assert page.count("You can expect a reply") == 1

    cases.reply(case, author=None, body="We have read your report.")
    assert "You can expect a reply" not in text(client.get(MESSAGING))

    assert client.post(MESSAGING_SEND, {"body": "Thank you, one more thing."}).status_code == 302
    case.refresh_from_db()
    assert case.reply_owed
    assert text(client.get(MESSAGING)).count("You can expect a reply by the end of") == 1


def test_a_late_reply_is_owned_up_to(demo_site):
    client = Client()
    new_cases = cases_from_now()
    _response, code = submit_anonymous(client, "Waiting a long time.")
    case = new_cases.get()
    Case.objects.filter(pk=case.pk).update(response_due_at=timezone.now() - timedelta(days=2))
    log_in(client, code)
    page = text(client.get(MESSAGING))
    assert "We aimed to reply by the end of" in page
    assert "we are sorry it is taking longer" in page
    assert "You can expect a reply" not in page
    assert not Message.objects.filter(case=case).exists()


def test_the_editors_preview_of_the_thank_you_page_shows_what_happens_next(demo_site):
    """The page editor's "Thank-you page" preview, as an editor checks their wording."""
    from django.urls import reverse

    from tests.admin_forms import anonymous_form_page, form_data, page_edit_url

    editor = Client()
    assert editor.login(username="editor", password="changeme")  # noqa: S106
    page = anonymous_form_page()
    preview = reverse("wagtailadmin_pages:preview_on_edit", args=[page.pk])
    response = editor.post(preview, form_data(editor.get(page_edit_url(page))))
    assert response.json()["is_valid"]
    shown = text(editor.get(preview, {"mode": "landing"}))
    assert "What happens next" in shown
    assert "You can expect a reply by the end of" in shown
    assert "0000-0000-0000-0000" in shown


def test_a_response_time_in_hours_tells_the_reporter_the_time_the_clock_counts(friday):
    settings = ReportingSettings.objects.get()
    settings.working_hours_start, settings.working_hours_end = time(9), time(17)
    settings.response_working_days, settings.response_working_hours = 0, 3
    settings.save()
    sunday = friday + timedelta(days=2)
    tuesday = friday.date() + timedelta(days=4)  # Monday is the closure day
    new_cases = cases_from_now()
    with mock.patch("anon_messaging.cases.reporter_time", return_value=sunday):
        client = Client()
        response, code = submit_anonymous(client, "Three hours, please.")
    case = new_cases.get()
    assert case.response_due_at == datetime.combine(tuesday, time(12), tzinfo=LONDON)
    promised = f"You can expect a reply by 12:00 on {day_text(tuesday)}."
    assert promised in text(response)
    log_in(client, code)
    assert text(client.get(MESSAGING)).count(promised) == 1
