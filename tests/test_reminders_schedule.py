"""The reminder schedule: made by name after migrate (never twice), run by django-q2's
scheduler, and the system checks that keep the cluster from replaying or duplicating scans."""

import ast
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_q.models import Schedule, Success
from django_q.scheduler import scheduler
from wagtail.models import Site

from anon_messaging import checks, schedules
from anon_messaging.models import Case


def reminder_schedules():
    return Schedule.objects.filter(name=schedules.OVERDUE_REMINDERS.name)


def test_migrate_twice_leaves_exactly_one_schedule(db):
    call_command("migrate", verbosity=0)
    call_command("migrate", verbosity=0)

    schedule = reminder_schedules().get()
    assert schedule.func == "anon_messaging.tasks.send_overdue_reminders"
    assert schedule.schedule_type == Schedule.MINUTES
    assert schedule.minutes == 15
    assert schedule.repeats == -1
    # Due at the scheduler's next tick, so a fresh deploy scans without waiting 15 minutes.
    assert schedule.next_run <= timezone.now()
    timeout = ast.literal_eval(schedule.kwargs)["q_options"]["timeout"]
    assert timeout < settings.Q_CLUSTER["retry"]


def test_copies_made_by_hand_are_merged_into_one(db):
    for minutes in (5, 30):
        Schedule.objects.create(
            name=schedules.OVERDUE_REMINDERS.name,
            func="anon_messaging.tasks.send_overdue_reminders",
            schedule_type=Schedule.MINUTES,
            minutes=minutes,
        )

    call_command("migrate", verbosity=0)

    assert reminder_schedules().count() == 1
    assert reminder_schedules().get().minutes == 15


def test_the_interval_follows_the_setting_on_the_next_migrate(db, settings):
    settings.ANON_MESSAGING = {**settings.ANON_MESSAGING, "REMINDER_SCAN_MINUTES": 5}
    call_command("migrate", verbosity=0)
    assert reminder_schedules().get().minutes == 5


def test_the_scheduler_runs_the_scan_once_per_interval(db):
    site = Site.objects.get(is_default_site=True)
    adviser = get_user_model().objects.create_user("adviser1", "adviser1@example.org", "pw")
    adviser.groups.add(Group.objects.get(name="Case advisers"))
    due = timezone.now() - timedelta(hours=1)
    Case.objects.create(
        route=Case.Route.ANONYMOUS,
        site=site,
        answers=[],
        awaiting_reply=True,
        awaiting_since=due - timedelta(days=3),
        response_due_at=due,
        assigned_to=adviser,
    )
    call_command("migrate", verbosity=0)
    reminder_schedules().update(next_run=timezone.now() - timedelta(seconds=1))

    # Tests run django-q2 synchronously: the task runs inside scheduler().
    scheduler()

    assert [m.to for m in mail.outbox] == [["adviser1@example.org"]]
    result = Success.objects.get(func=schedules.OVERDUE_REMINDERS.func).result
    assert result["reminders"] == 1
    next_run = reminder_schedules().get().next_run
    assert (
        timezone.now() + timedelta(minutes=14) < next_run <= timezone.now() + timedelta(minutes=15)
    )

    # Not due again until the interval has passed.
    scheduler()
    assert Success.objects.filter(func=schedules.OVERDUE_REMINDERS.func).count() == 1


# --- System checks ------------------------------------------------------------------------


def check_ids():
    return {message.id for message in checks.check_cluster_settings()}


def test_the_example_settings_pass_the_checks():
    assert check_ids() == set()


def test_catch_up_left_on_is_warned_about(settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "catch_up": True}
    assert check_ids() == {"anon_messaging.W401"}
    settings.Q_CLUSTER = {k: v for k, v in settings.Q_CLUSTER.items() if k != "catch_up"}
    assert check_ids() == {"anon_messaging.W401"}


@pytest.mark.parametrize(
    ("cluster", "app"),
    [
        ({"timeout": 120, "retry": 120}, {}),
        ({"timeout": 30, "retry": 60}, {"REMINDER_TASK_TIMEOUT": 90}),
    ],
)
def test_a_timeout_not_below_retry_is_an_error(settings, cluster, app):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, **cluster}
    settings.ANON_MESSAGING = {**settings.ANON_MESSAGING, **app}
    assert check_ids() == {"anon_messaging.E402"}


@pytest.mark.django_db  # Django 6.1's checks open the connection, as manage.py check does
def test_the_checks_run_with_manage_py_check(settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "catch_up": True}
    with pytest.raises(Exception, match="anon_messaging.W401"):
        call_command("check", fail_level="WARNING")
