"""Retention: closed cases past their site's period are deleted, with everything they hold.

Younger closed cases, open cases (however old) and reopened ones stay. An audit
line says each deleted case existed and was deleted, and holds no content. The
daily schedule is made by name after migrate and run by django-q2's scheduler.
"""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_q.models import Schedule
from django_q.scheduler import scheduler
from wagtail.models import Page, Site

from anon_messaging import audit, cases, retention, schedules
from anon_messaging.models import (
    Case,
    CaseLogEntry,
    ContactDetails,
    InternalNote,
    Message,
    ReportingSettings,
)
from tests.security_support import MESSAGING, log_in, random_text

DAY = timedelta(days=1)


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def sites(reporter_site, intake_adviser):
    """The main site keeps closed cases 30 days; a second site keeps them the default 365."""
    main = Site.objects.get(is_default_site=True)
    main_settings = ReportingSettings.for_site(main)
    main_settings.retention_days = 30
    main_settings.save()
    other = Site.objects.create(
        hostname="other.example.org", root_page=Page.objects.get(depth=1), site_name="Other"
    )
    return main, other


def make_case(site, *, status, closed_days_ago=None, contact=False, marker=None):
    """A case with a message each way, a note and (optionally) contact details."""
    marker = marker or random_text()
    case, code = cases.create_case(
        route=Case.Route.CONTACT if contact else Case.Route.ANONYMOUS,
        answers=[{"label": "What happened?", "type": "multiline", "value": f"answer {marker}"}],
        site=site,
        form_page=None,
        submission_token=None,
        opt_in=not contact,
        contact={
            "name": f"name {marker}",
            "email": "person@example.org",
            "phone": "",
            "preferred_method": "email",
        }
        if contact
        else None,
    )
    adviser = get_user_model().objects.get(username="adviser")
    cases.post_message(case, sender=Message.Sender.REPORTER, body=f"message {marker}")
    cases.post_message(case, sender=Message.Sender.ADVISER, body=f"reply {marker}", author=adviser)
    InternalNote.objects.create(case=case, author=adviser, body=f"note {marker}")
    closed_at = timezone.now() - closed_days_ago * DAY if closed_days_ago is not None else None
    Case.objects.filter(pk=case.pk).update(status=status, closed_at=closed_at)
    case.refresh_from_db()
    return case, code, marker


def related_counts(case_pk):
    return (
        Message.objects.filter(case_id=case_pk).count(),
        InternalNote.objects.filter(case_id=case_pk).count(),
        ContactDetails.objects.filter(case_id=case_pk).count(),
    )


def test_expired_closed_cases_are_deleted_with_everything_they_hold(sites):
    main, other = sites
    expired, _code, marker = make_case(main, status=Case.Status.CLOSED, closed_days_ago=31)
    expired_contact, _, contact_marker = make_case(
        main, status=Case.Status.CLOSED, closed_days_ago=45, contact=True
    )
    assert related_counts(expired_contact.pk) == (2, 1, 1)
    younger, _, _ = make_case(main, status=Case.Status.CLOSED, closed_days_ago=29)
    old_open, _, _ = make_case(main, status=Case.Status.OPEN)
    Case.objects.filter(pk=old_open.pk).update(created_at=timezone.now() - 2000 * DAY)
    reopened, _, _ = make_case(main, status=Case.Status.OPEN, closed_days_ago=200)
    waiting, _, _ = make_case(main, status=Case.Status.WAITING, closed_days_ago=200)
    other_kept, _, _ = make_case(other, status=Case.Status.CLOSED, closed_days_ago=100)
    other_expired, _, _ = make_case(other, status=Case.Status.CLOSED, closed_days_ago=400)
    siteless, _, _ = make_case(None, status=Case.Status.CLOSED, closed_days_ago=366)

    assert retention.delete_expired_cases() == 4

    deleted = [expired, expired_contact, other_expired, siteless]
    for case in deleted:
        assert not Case.objects.filter(pk=case.pk).exists()
        assert related_counts(case.pk) == (0, 0, 0)
    for case in (younger, old_open, reopened, waiting, other_kept):
        assert Case.objects.filter(pk=case.pk).exists()
        assert related_counts(case.pk)[:2] == (2, 1)

    # One audit line per deleted case says it existed and was deleted; nothing else is in it.
    for case in deleted:
        line = CaseLogEntry.objects.get(case_id=case.pk, action=audit.DELETED_AFTER_RETENTION)
        assert line.user is None
        assert line.label == case.reference
        text = f"{line.label} {line.data}"
        for secret in (marker, contact_marker, "person@example.org"):
            assert secret not in text
    days = {
        entry.case_id: entry.data["retention_days"]
        for entry in CaseLogEntry.objects.filter(action=audit.DELETED_AFTER_RETENTION)
    }
    assert days == {expired.pk: 30, expired_contact.pk: 30, other_expired.pk: 365, siteless.pk: 365}
    # Shown in the admin's history wording.
    line = CaseLogEntry.objects.filter(action=audit.DELETED_AFTER_RETENTION).first()
    assert "retention period" in str(line.message)

    # Running again deletes nothing more.
    assert retention.delete_expired_cases() == 0


def test_a_reporter_logged_in_to_a_deleted_case_is_simply_logged_out(sites):
    main, _other = sites
    case, code, marker = make_case(main, status=Case.Status.CLOSED, closed_days_ago=60)
    reporter = Client()
    log_in(reporter, code)
    assert f"reply {marker}" in reporter.get(MESSAGING).content.decode()

    retention.delete_expired_cases()

    response = reporter.get(MESSAGING)
    assert response.status_code == 200
    assert f"reply {marker}" not in response.content.decode()
    assert response.context["form"].fields.keys() == {"code"}
    assert reporter.post(MESSAGING, {"code": code}).status_code == 200  # the code opens nothing


def test_the_daily_schedule_is_made_once_and_run_by_the_scheduler(sites):
    main, _other = sites
    expired, _, _ = make_case(main, status=Case.Status.CLOSED, closed_days_ago=31)
    kept, _, _ = make_case(main, status=Case.Status.CLOSED, closed_days_ago=1)

    call_command("migrate", verbosity=0)
    call_command("migrate", verbosity=0)
    schedule = Schedule.objects.get(name=schedules.RETENTION.name)
    assert schedule.func == "anon_messaging.tasks.delete_expired_cases"
    assert schedule.schedule_type == Schedule.DAILY
    assert schedule.repeats == -1

    Schedule.objects.filter(pk=schedule.pk).update(next_run=timezone.now() - timedelta(seconds=1))
    # Tests run django-q2 synchronously: the task runs inside scheduler().
    scheduler()

    assert not Case.objects.filter(pk=expired.pk).exists()
    assert Case.objects.filter(pk=kept.pk).exists()
    assert Schedule.objects.get(pk=schedule.pk).next_run > timezone.now() + timedelta(hours=23)
