"""The django-q2 schedules the app runs: one table, made by name after every migrate.

``create_schedules`` is connected to ``post_migrate`` (``AppConfig.ready``), never run
at import time. Each schedule is created or updated by name, so a redeploy changes
its interval and never adds a copy; ``next_run`` is now, so the first run comes at
the scheduler's next tick rather than one interval after a deploy. The functions are
``tasks.py``'s entry points, named by dotted path.
"""

from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone

from .conf import get_setting


@dataclass(frozen=True)
class ScheduleSpec:
    name: str
    func: str
    schedule_type: str
    # Minutes between runs, for schedule_type "I" (minutes); read from settings at migrate.
    minutes_setting: str | None = None
    # Seconds the cluster lets one run take, below Q_CLUSTER["retry"] (checks.py says so).
    timeout_setting: str | None = None


# django_q.models.Schedule.MINUTES is "I", HOURLY "H" and DAILY "D"; spelled here so the
# table needs no model import.
MINUTES, HOURLY, DAILY = "I", "H", "D"

OVERDUE_REMINDERS = ScheduleSpec(
    "anon_messaging: overdue-response reminders",
    "anon_messaging.tasks.send_overdue_reminders",
    MINUTES,
    minutes_setting="REMINDER_SCAN_MINUTES",
    timeout_setting="REMINDER_TASK_TIMEOUT",
)
ADVISER_ALERTS = ScheduleSpec(
    "anon_messaging: adviser alerts",
    "anon_messaging.tasks.send_adviser_alerts",
    MINUTES,
    minutes_setting="ALERT_SCAN_MINUTES",
)
RETENTION = ScheduleSpec(
    "anon_messaging: delete closed cases after retention",
    "anon_messaging.tasks.delete_expired_cases",
    DAILY,
)
CLEAR_SESSIONS = ScheduleSpec(
    "anon_messaging: clear expired sessions",
    "anon_messaging.tasks.clear_expired_sessions",
    HOURLY,
)
ATTACHMENT_ORPHANS = ScheduleSpec(
    "anon_messaging: delete orphaned attachment files",
    "anon_messaging.tasks.delete_orphaned_attachments",
    HOURLY,
)
QUERY_STATISTICS = ScheduleSpec(
    "anon_messaging: refresh the query planner's statistics",
    "anon_messaging.tasks.refresh_query_statistics",
    DAILY,
)
SCHEDULES = (
    OVERDUE_REMINDERS,
    ADVISER_ALERTS,
    RETENTION,
    CLEAR_SESSIONS,
    ATTACHMENT_ORPHANS,
    QUERY_STATISTICS,
)


def ensure_schedule(spec, using=DEFAULT_DB_ALIAS):
    """Create or update one schedule by name; None if django_q is not migrated yet."""
    from django_q.models import Schedule

    if Schedule._meta.db_table not in connections[using].introspection.table_names():
        return None
    fields = {
        "func": spec.func,
        "args": None,
        "kwargs": None,
        "repeats": -1,
        "schedule_type": spec.schedule_type,
        "next_run": timezone.now(),
    }
    if spec.minutes_setting:
        fields["minutes"] = get_setting(spec.minutes_setting)
    if spec.timeout_setting:
        # The cluster stops a stuck run before the broker would hand it out again.
        fields["kwargs"] = repr({"q_options": {"timeout": get_setting(spec.timeout_setting)}})
    schedules = Schedule.objects.using(using)
    with transaction.atomic(using=using):
        # Schedule has no unique name; remove copies an older deploy may have left.
        for extra in list(schedules.filter(name=spec.name).order_by("pk"))[1:]:
            extra.delete()
        schedule, _created = schedules.update_or_create(name=spec.name, defaults=fields)
    return schedule


def create_schedules(sender=None, using=DEFAULT_DB_ALIAS, **kwargs):
    """``post_migrate`` receiver: every schedule in the table."""
    return [ensure_schedule(spec, using) for spec in SCHEDULES]
