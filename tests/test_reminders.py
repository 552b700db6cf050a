"""The overdue-response scan: one reminder, then one escalation, per overdue episode, to the
right people, with nothing from the report in the email, at a constant number of queries.

Dates: 2026-06-05 is a Friday. The scan takes the time it runs at, so a test can run it
"later" without waiting.
"""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.utils import timezone
from wagtail.models import Site

from anon_messaging import audit, cases, deadlines, reminders
from anon_messaging.models import Case, Message, ReportingSettings
from tests.reporter_journey import MESSAGING_SEND, log_in, submit_anonymous

LONDON = ZoneInfo("Europe/London")
SECRET = "The secret report text"
REMINDER_SUBJECT = "A case needs attention"
OVERDUE_LIST = "/admin/anon_messaging/case/?overdue=yes"
MANAGERS = [["boss@example.org"], ["chief@example.org"]]
ESCALATION_SUBJECT = "An overdue case needs attention"


def at(y, m, d, hh=0, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=LONDON)


@pytest.fixture
def site(db):
    return Site.objects.get(is_default_site=True)


@pytest.fixture
def site_settings(site):
    site_settings = ReportingSettings.for_site(site)
    site_settings.team_email = "team@example.org"
    site_settings.manager_emails = "boss@example.org\nchief@example.org\n"
    site_settings.save()
    return site_settings


@pytest.fixture
def adviser(db):
    """A case adviser: a member of the group that may see cases (permissions.py)."""
    user = get_user_model().objects.create_user(
        "adviser1", "adviser1@example.org", "pw", first_name="Ada"
    )
    user.groups.add(Group.objects.get(name="Case advisers"))
    return user


def make_case(site, *, due, adviser=None, **fields):
    """A case awaiting a reply that is due at ``due``."""
    values = {
        "route": Case.Route.ANONYMOUS,
        "site": site,
        "answers": [{"label": "What happened?", "type": "multiline", "value": SECRET}],
        "created_at": due - timedelta(days=3),
        "awaiting_reply": True,
        "awaiting_since": due - timedelta(days=3),
        "response_due_at": due,
        "assigned_to": adviser,
    }
    values.update(fields)
    return Case.objects.create(**values)


def sent(subject=None):
    return [m for m in mail.outbox if subject is None or m.subject == subject]


def assert_reveals_nothing(email, case):
    text = email.subject + email.body
    assert SECRET not in text
    assert case.reference not in text
    assert "Ada" not in text


# --- Reminders ----------------------------------------------------------------------------


def test_an_overdue_case_gets_one_reminder_to_its_adviser(site, site_settings, adviser):
    case = make_case(site, due=at(2026, 6, 5, 9), adviser=adviser)

    result = reminders.scan(now=at(2026, 6, 5, 9, 15))

    assert result.reminders == 1
    [email] = sent()
    assert email.subject == REMINDER_SUBJECT
    assert email.to == ["adviser1@example.org"]
    assert email.from_email == settings.DEFAULT_FROM_EMAIL
    # A link to the overdue cases, never to the case: its number would tell cases apart.
    assert re.findall(r"https?://\S+", email.body) == [
        settings.WAGTAILADMIN_BASE_URL + OVERDUE_LIST
    ]
    assert_reveals_nothing(email, case)
    case.refresh_from_db()
    assert case.reminder_sent_at == at(2026, 6, 5, 9, 15)

    # Every later scan of the same episode sends nothing more.
    assert reminders.scan(now=at(2026, 6, 5, 9, 30)).reminders == 0
    assert reminders.scan(now=at(2026, 6, 5, 12)).reminders == 0
    assert len(sent()) == 1


def test_every_reminder_has_the_same_subject_and_no_reference(site, site_settings, adviser):
    first = make_case(site, due=at(2026, 6, 5, 9), adviser=adviser)
    second = make_case(site, due=at(2026, 6, 5, 9))

    reminders.scan(now=at(2026, 6, 5, 10))

    emails = sent()
    assert len(emails) == 2
    assert {e.subject for e in emails} == {REMINDER_SUBJECT}
    # Nothing tells the two apart.
    assert emails[0].body == emails[1].body
    for email in emails:
        assert_reveals_nothing(email, first)
        assert_reveals_nothing(email, second)


def test_nothing_is_sent_before_the_due_time_or_when_nothing_is_owed(site, site_settings, adviser):
    due = at(2026, 6, 5, 9)
    make_case(site, due=due, adviser=adviser)
    make_case(site, due=due, adviser=adviser, status=Case.Status.CLOSED)
    make_case(site, due=due, adviser=adviser, status=Case.Status.WAITING)
    answered = make_case(site, due=due, adviser=adviser)
    cases.post_message(answered, sender=Message.Sender.ADVISER, body="Hello")

    assert reminders.scan(now=due - timedelta(seconds=1)).reminders == 0
    assert reminders.scan(now=due + timedelta(days=30)).reminders == 1
    assert len(sent()) == 1


def test_nobody_who_may_not_see_the_case_is_told_about_it(site, site_settings):
    """The notifier asks the permission policy: a team without the advisers' permissions
    sees no case, so its members are not told and the managers are."""
    site_settings.team_email = ""
    site_settings.save()
    visitors = Group.objects.create(name="Visitors")
    guest = get_user_model().objects.create_user("guest", "guest@example.org", "pw")
    guest.groups.add(visitors)
    due = at(2026, 6, 5, 9)
    make_case(site, due=due, assigned_to=guest, assigned_team=visitors)
    reminders.scan(now=due)
    assert [e.to for e in sent()] == MANAGERS


def test_without_an_adviser_the_team_address_then_the_team_then_the_managers(
    site, site_settings, adviser
):
    team = Group.objects.create(name="Night team")
    team.permissions.set(Group.objects.get(name="Case advisers").permissions.all())
    adviser.groups.add(team)
    get_user_model().objects.create_user("second", "second@example.org", "pw").groups.add(team)
    get_user_model().objects.create_user("gone", "gone@example.org", "pw", is_active=False)
    due = at(2026, 6, 5, 9)
    make_case(site, due=due, assigned_team=team)
    reminders.scan(now=due)
    assert [e.to for e in sent()] == [["team@example.org"]]

    site_settings.team_email = ""
    site_settings.save()
    mail.outbox.clear()
    make_case(site, due=due, assigned_team=team)
    reminders.scan(now=due)
    # One email per address, so members do not learn each other's addresses.
    assert [e.to for e in sent()] == [["adviser1@example.org"], ["second@example.org"]]

    mail.outbox.clear()
    make_case(site, due=due)
    reminders.scan(now=due)
    assert [e.to for e in sent()] == MANAGERS


def test_an_inactive_adviser_or_one_without_email_falls_back_to_the_team(
    site, site_settings, adviser
):
    adviser.is_active = False
    adviser.save()
    no_email = get_user_model().objects.create_user("quiet", "", "pw")
    due = at(2026, 6, 5, 9)
    make_case(site, due=due, adviser=adviser)
    make_case(site, due=due, adviser=no_email)

    result = reminders.scan(now=due)

    # Both cases fall back to the team address, which gets one reminder for the two: one
    # email per address per scan (issue 13; it used to get one per case).
    assert result.reminders == 2
    assert [e.to for e in sent()] == [["team@example.org"]]


def test_a_case_nobody_can_be_told_about_waits_until_an_address_is_set(site, caplog):
    case = make_case(site, due=at(2026, 6, 5, 9))

    result = reminders.scan(now=at(2026, 6, 5, 10))

    assert (result.reminders, result.unaddressed) == (0, 1)
    assert "no one to alert" in caplog.text
    case.refresh_from_db()
    assert case.reminder_sent_at is None
    site_settings = ReportingSettings.for_site(site)
    site_settings.team_email = "team@example.org"
    site_settings.save()
    assert reminders.scan(now=at(2026, 6, 5, 11)).reminders == 1


class BrokenMailServer(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise ConnectionRefusedError("mail server down")


def test_a_failed_send_is_tried_again_at_the_next_scan(site, site_settings, adviser, settings):
    case = make_case(site, due=at(2026, 6, 5, 9), adviser=adviser)
    settings.EMAIL_BACKEND = f"{__name__}.BrokenMailServer"

    result = reminders.scan(now=at(2026, 6, 5, 9, 15))

    assert (result.reminders, result.failed) == (0, 1)
    case.refresh_from_db()
    assert case.reminder_sent_at is None

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert reminders.scan(now=at(2026, 6, 5, 9, 30)).reminders == 1
    assert len(sent()) == 1


# --- Escalations ------------------------------------------------------------------------


def test_one_escalation_to_the_managers_after_the_further_working_days(
    site, site_settings, adviser
):
    # Reminded on Friday 10:00; two further working days end on Tuesday 10:00.
    case = make_case(site, due=at(2026, 6, 5, 9), adviser=adviser)
    reminders.scan(now=at(2026, 6, 5, 10))
    assert len(sent(REMINDER_SUBJECT)) == 1

    assert reminders.scan(now=at(2026, 6, 8, 23)).escalations == 0
    assert reminders.scan(now=at(2026, 6, 9, 9, 59)).escalations == 0
    result = reminders.scan(now=at(2026, 6, 9, 10))

    assert result.escalations == 1
    escalations = sent(ESCALATION_SUBJECT)
    assert [e.to for e in escalations] == MANAGERS
    for email in escalations:
        assert_reveals_nothing(email, case)
    assert reminders.scan(now=at(2026, 6, 20)).escalations == 0
    assert len(sent()) == 3
    case.refresh_from_db()
    assert case.escalation_sent_at == at(2026, 6, 9, 10)


def test_escalation_follows_the_site_setting_and_never_comes_with_the_reminder(
    site, site_settings, adviser
):
    site_settings.escalation_after_working_days = 0
    site_settings.save()
    make_case(site, due=at(2026, 6, 5, 9), adviser=adviser)

    first = reminders.scan(now=at(2026, 6, 5, 10))
    assert (first.reminders, first.escalations) == (1, 0)
    second = reminders.scan(now=at(2026, 6, 5, 10, 15))
    assert (second.reminders, second.escalations) == (0, 1)


def test_no_escalation_once_the_adviser_replies(site, site_settings, adviser):
    case = make_case(site, due=at(2026, 6, 5, 9), adviser=adviser)
    reminders.scan(now=at(2026, 6, 5, 10))
    cases.post_message(case, sender=Message.Sender.ADVISER, body="Sorry for the wait.")

    assert reminders.scan(now=at(2026, 7, 1)).escalations == 0
    assert sent(ESCALATION_SUBJECT) == []


def test_the_case_history_records_each_reminder_and_escalation(site, site_settings, adviser):
    case = make_case(site, due=at(2026, 6, 5, 9), adviser=adviser)
    reminders.scan(now=at(2026, 6, 5, 10))
    reminders.scan(now=at(2026, 6, 10, 10))

    entries = list(reminders.history(case))

    assert [(e.action, e.timestamp) for e in entries] == [
        (audit.ESCALATION_SENT, at(2026, 6, 10, 10)),
        (audit.REMINDER_SENT, at(2026, 6, 5, 10)),
    ]
    assert all(e.user_id is None and not e.data for e in entries)


# --- Episodes, end to end through the reporter's pages ------------------------------------


def test_a_reply_ends_the_episode_and_the_next_reporter_message_starts_a_new_one(
    reporter_site, client, site_settings
):
    _response, code = submit_anonymous(client, SECRET)
    case = Case.objects.latest("pk")
    # Only this reporter's case, so every email below is about it.
    Case.objects.exclude(pk=case.pk).delete()
    # The report came in three weeks ago and nobody has answered.
    weeks_ago = timezone.now() - timedelta(days=21)
    Case.objects.filter(pk=case.pk).update(
        created_at=weeks_ago,
        awaiting_since=weeks_ago,
        response_due_at=deadlines.response_due_at(case.site, weeks_ago),
    )

    assert reminders.scan().reminders == 1
    assert reminders.scan().reminders == 0

    # The adviser replies: this episode is over, so no escalation follows.
    cases.post_message(case, sender=Message.Sender.ADVISER, body="We have read your report.")
    assert reminders.scan(now=timezone.now() + timedelta(days=30)).escalations == 0

    # The reporter writes again: a new episode with its own due time and reminder.
    assert log_in(client, code).status_code == 302
    response = client.post(MESSAGING_SEND, {"body": "Thank you. Another thing happened."})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.awaiting_reply and case.reminder_sent_at is None
    message = case.messages.filter(sender=Message.Sender.REPORTER).get()
    assert case.response_due_at == deadlines.response_due_at(case.site, message.created_at)

    # A second message in the same episode changes nothing.
    client.post(MESSAGING_SEND, {"body": "And one more detail."})
    case.refresh_from_db()
    assert case.awaiting_since == message.created_at

    assert reminders.scan(now=case.response_due_at - timedelta(minutes=1)).reminders == 0
    assert reminders.scan(now=case.response_due_at).reminders == 1
    assert reminders.scan(now=case.response_due_at + timedelta(days=30)).escalations == 1
    assert [e.subject for e in sent()] == [REMINDER_SUBJECT] * 2 + [ESCALATION_SUBJECT] * 2
    for email in sent():
        text = email.subject + email.body
        assert code not in text and code.replace("-", "") not in text
        assert "Another thing happened" not in text
        assert_reveals_nothing(email, case)


# --- The management command, for cron -----------------------------------------------------


def test_the_management_command_runs_the_scan_once(site, site_settings, adviser, capsys):
    make_case(site, due=timezone.now() - timedelta(hours=1), adviser=adviser)

    call_command("anon_messaging_check_overdue")
    call_command("anon_messaging_check_overdue")

    out = capsys.readouterr().out
    assert "Reminders sent: 1. Escalations sent: 0." in out
    assert "Reminders sent: 0. Escalations sent: 0." in out
    assert len(sent()) == 1


def test_the_management_command_says_when_nobody_can_be_alerted(site, capsys):
    make_case(site, due=timezone.now() - timedelta(hours=1))
    call_command("anon_messaging_check_overdue")
    assert "1 overdue cases have no one to alert" in capsys.readouterr().err


# --- Cost ---------------------------------------------------------------------------------


# Measured: 15 queries on SQLite and PostgreSQL whether 10 or 200 cases are due, plus one
# the first time a process looks up the case content type. (13 before issue 13: each of
# the two claims now also takes the reminders' TaskLock, one query each.)
SCAN_QUERY_BUDGET = 16


@pytest.mark.parametrize("count", [10, 200])
def test_the_scan_costs_the_same_queries_however_many_cases(
    site, site_settings, adviser, count, django_assert_max_num_queries
):
    # Without a team address, some reminders go to a team's members (a prefetch), the
    # others to the managers.
    site_settings.team_email = ""
    site_settings.save()
    team = Group.objects.create(name="Day team")
    adviser.groups.add(team)
    due = at(2026, 6, 5, 9)
    reminded_at = at(2026, 6, 1, 9)
    cases_due = [
        Case(
            route=Case.Route.ANONYMOUS,
            site=site,
            answers=[],
            created_at=due - timedelta(days=5),
            awaiting_reply=True,
            awaiting_since=due - timedelta(days=5),
            response_due_at=due,
            assigned_to=adviser if i % 2 else None,
            assigned_team=team if i % 4 == 0 else None,
            # Half were reminded days ago and are due an escalation now.
            reminder_sent_at=reminded_at if i % 2 else None,
        )
        for i in range(count)
    ]
    Case.objects.bulk_create(cases_due)

    with django_assert_max_num_queries(SCAN_QUERY_BUDGET):
        result = reminders.scan(now=at(2026, 6, 5, 10))

    assert (result.reminders, result.escalations) == (count // 2, count // 2)
    # One email per address per scan, however many cases (issue 13): the team's member
    # once, each manager once for the reminders and once for the escalations.
    to_team = 1 if range(0, count, 4) else 0
    assert len(sent(REMINDER_SUBJECT)) == to_team + len(MANAGERS)
    assert len(sent(ESCALATION_SUBJECT)) == len(MANAGERS)
