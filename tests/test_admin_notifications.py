"""Alert emails to advisers: sent by a django-q2 task, never during the reporter's request,
one per case per burst of messages, with nothing from the case in them."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_q.models import Schedule
from django_q.scheduler import scheduler
from wagtail.models import Site

from anon_messaging import cases, notifications, schedules
from anon_messaging.models import Case, Message, ReportingSettings
from tests.factories import make_case, make_user
from tests.reporter_journey import MESSAGING_SEND, log_in, submit_anonymous

# The cast of the permission matrix and its cases (tests/admin_fixtures.py).
pytest_plugins = ["tests.admin_fixtures"]

ADMIN_LIST = "http://127.0.0.1:8000/admin/anon_messaging/case/"


def later(minutes=10):
    return timezone.now() + timedelta(minutes=minutes)


def alerts():
    return [m for m in mail.outbox if m.subject == str(notifications.NEW_ACTIVITY.subject)]


@pytest.fixture
def quiet_now(settings):
    """No quiet period, so the scheduled run sends at once."""
    settings.ANON_MESSAGING = {**settings.ANON_MESSAGING, "ALERT_QUIET_MINUTES": 0}


def run_scheduled_tasks():
    """What the cluster's scheduler does when the schedules are due (tasks run inline)."""
    Schedule.objects.update(next_run=timezone.now() - timedelta(seconds=1))
    scheduler()


# --- Through the reporter's pages and the django-q2 schedule --------------------------------


def test_a_new_report_alerts_the_intake_team_from_the_scheduled_task_not_the_request(
    reporter_site, intake_adviser, quiet_now
):

    reporter = Client()
    submit_anonymous(reporter, "Details of what happened.")
    case = Case.objects.order_by("-pk").first()
    assert mail.outbox == []  # the reporter's request sent nothing
    assert case.adviser_alert_pending

    run_scheduled_tasks()
    sent = alerts()
    # No team address on the site: each member of the intake team, one email each.
    assert [m.to for m in sent] == [["adviser@example.org"]]
    case.refresh_from_db()
    assert not case.adviser_alert_pending

    run_scheduled_tasks()
    assert len(alerts()) == 1  # nothing new, nothing sent


def test_a_burst_of_reporter_messages_gives_one_email(reporter_site, cast):
    reporter = Client()
    _response, code = submit_anonymous(reporter, "First report.")
    case = Case.objects.order_by("-pk").first()
    Case.objects.filter(pk=case.pk).update(assigned_to=cast.assigned)
    assert notifications.send_pending_alerts(now=later())["sent"] == 1

    log_in(reporter, code)
    for text in ("One more thing.", "And another.", "Sorry, one last thing."):
        assert reporter.post(MESSAGING_SEND, {"body": text}).status_code == 302
    assert len(alerts()) == 1
    # Still in the burst: the reporter wrote a moment ago.
    assert notifications.send_pending_alerts()["sent"] == 0
    assert notifications.send_pending_alerts(now=later())["sent"] == 1
    assert notifications.send_pending_alerts(now=later(20))["sent"] == 0
    assert [m.to for m in alerts()] == [["alice@example.org"], ["alice@example.org"]]


def test_the_email_says_only_that_there_is_activity(reporter_site, intake_adviser, cast):
    reporter = Client()
    _response, code = submit_anonymous(reporter, "Very specific incident words.")
    case = Case.objects.order_by("-pk").first()
    log_in(reporter, code)
    reporter.post(MESSAGING_SEND, {"body": "Very specific message words."})
    notifications.send_pending_alerts(now=later())
    sent = alerts()
    assert len(sent) == 4  # the intake team: adviser, alice, bob and vera, one email each
    for email in sent:
        assert email.subject == "New activity in the reporting service"
        assert len(email.to) == 1 and not email.cc and not email.bcc
        text = email.subject + email.body
        for leak in (case.reference, "Very specific", code, f"/{case.pk}/", "inspect"):
            assert leak not in text
        assert ADMIN_LIST in email.body
        assert not email.attachments and not getattr(email, "alternatives", None)


# --- Who is told ---------------------------------------------------------------------------


def test_the_assigned_adviser_is_told(cast):
    case, _ = make_case(adviser=cast.assigned, team=cast.team)
    notifications.send_pending_alerts(now=later())
    assert [m.to for m in alerts()] == [["alice@example.org"]]


def test_without_an_adviser_the_team_address_is_told(cast):
    site = Site.objects.get(is_default_site=True)
    ReportingSettings.objects.update_or_create(
        site=site, defaults={"team_email": "casework@example.org"}
    )
    case, _ = make_case(team=cast.team)
    Case.objects.filter(pk=case.pk).update(site=site)
    notifications.send_pending_alerts(now=later())
    assert [m.to for m in alerts()] == [["casework@example.org"]]


def test_without_a_team_address_each_team_member_gets_their_own_email(cast):
    extra = make_user("tom", groups=["Harassment team"])
    make_user("gone", groups=["Harassment team"], is_active=False)
    make_case(team=cast.team)
    notifications.send_pending_alerts(now=later())
    assert sorted(m.to for m in alerts()) == [["tess@example.org"], [extra.email]]


def test_an_inactive_adviser_is_not_told_their_team_is(cast):
    cast.assigned.is_active = False
    cast.assigned.save()
    make_case(adviser=cast.assigned, team=cast.team)
    notifications.send_pending_alerts(now=later())
    assert [m.to for m in alerts()] == [["tess@example.org"]]


def test_activity_nobody_can_be_told_about_is_reported_in_the_log(cast, caplog):
    case, _ = make_case()
    result = notifications.send_pending_alerts(now=later())
    assert result == {"sent": 0, "failed": 0, "unaddressed": 1}
    assert "no one to alert" in caplog.text
    assert case.reference not in caplog.text


# --- Failures and concurrency --------------------------------------------------------------


class FailingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("mail server down")


def test_a_mail_failure_loses_nothing_and_the_next_run_sends(reporter_site, cast, settings):
    reporter = Client()
    _response, code = submit_anonymous(reporter, "Report during an outage.")
    case = Case.objects.order_by("-pk").first()
    Case.objects.filter(pk=case.pk).update(assigned_to=cast.assigned)

    settings.EMAIL_BACKEND = "tests.test_admin_notifications.FailingBackend"
    log_in(reporter, code)
    assert reporter.post(MESSAGING_SEND, {"body": "Sent while mail is down."}).status_code == 302
    assert "Sent while mail is down." in [m.body for m in Message.objects.filter(case=case)]
    assert notifications.send_pending_alerts(now=later())["failed"] == 1
    case.refresh_from_db()
    assert case.adviser_alert_pending

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notifications.send_pending_alerts(now=later())["sent"] == 1
    assert [m.to for m in alerts()] == [["alice@example.org"]]


def test_a_case_is_sent_by_one_run_only(cast):
    case, _ = make_case(adviser=cast.assigned)
    original_update = type(Case.objects.all()).update

    # Another run clears the flag between this run's read and its claim.
    def update_after_rival(queryset, **kwargs):
        if kwargs == {"adviser_alert_pending": False}:
            original_update(Case.objects.filter(pk=case.pk), adviser_alert_pending=False)
        return original_update(queryset, **kwargs)

    from unittest import mock

    with mock.patch.object(type(Case.objects.all()), "update", update_after_rival):
        assert notifications.send_pending_alerts(now=later())["sent"] == 0
    assert alerts() == []


def test_a_message_during_the_run_keeps_the_case_for_the_next_one(cast):
    case, _ = make_case(adviser=cast.assigned)
    now = later()
    # The reporter writes again after the run read the candidates: the claim must miss.
    cases.post_message(case, sender=Message.Sender.REPORTER, body="x")
    Case.objects.filter(pk=case.pk).update(last_reporter_message_at=now)
    assert notifications.send_pending_alerts(now=now)["sent"] == 0
    case.refresh_from_db()
    assert case.adviser_alert_pending


# --- The schedule ----------------------------------------------------------------------------


def test_the_schedule_is_created_once_after_migrate(db):
    call_command("migrate", verbosity=0)
    call_command("migrate", verbosity=0)
    found = Schedule.objects.filter(name=schedules.ADVISER_ALERTS.name)
    assert found.count() == 1
    schedule = found.get()
    assert schedule.func == "anon_messaging.tasks.send_adviser_alerts"
    assert schedule.schedule_type == Schedule.MINUTES and schedule.repeats == -1
