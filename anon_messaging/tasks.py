"""django-q2 task entry points. Each names the module that holds its logic.

Tasks are referred to by dotted path (schedules, ``async_task``), so these
names are stable; keep the work itself in the modules by concern.
"""

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone

from . import deadlines, notifications, reminders, retention

# --- Schedules -------------------------------------------------------------------------


def ensure_schedule(name, func, *, using=DEFAULT_DB_ALIAS, **fields):
    """Create or update a django-q2 schedule by name, so a redeploy never adds a copy.

    Called after migrate, never at import time. ``next_run`` is now, so the first run
    comes at the scheduler's next tick rather than one interval after a deploy.
    """
    from django_q.models import Schedule

    if Schedule._meta.db_table not in connections[using].introspection.table_names():
        return None  # django_q not migrated yet on this database
    schedules = Schedule.objects.using(using)
    defaults = {"func": func, "args": None, "kwargs": None, "repeats": -1}
    defaults.update(next_run=timezone.now(), **fields)
    with transaction.atomic(using=using):
        # schedule() has no unique name; remove copies an older deploy may have left.
        for extra in list(schedules.filter(name=name).order_by("pk"))[1:]:
            extra.delete()
        schedule, _created = schedules.update_or_create(name=name, defaults=defaults)
    return schedule


def create_schedules(sender, using=DEFAULT_DB_ALIAS, **kwargs):
    """post_migrate: the reminder scan, the adviser alerts and the retention run."""
    reminders.ensure_schedule(using)
    notifications.ensure_schedule(using)
    retention.ensure_schedule(using)


# --- Overdue-response reminders (reminders.py, deadlines.py) ---------------------------


def send_overdue_reminders():
    """The scheduled scan: one reminder, then one escalation, per overdue episode."""
    return reminders.scan().as_dict()


def refresh_response_due_times(site_id):
    """Recount waiting cases' due times after a site's calendar or closures change."""
    return deadlines.refresh_response_due_times(site_id)


# --- End of overdue-response reminders -------------------------------------------------


# --- Adviser alerts (notifications.py) -------------------------------------------------


def send_adviser_alerts():
    """The scheduled alert run: one email per case with new reporter activity."""
    return notifications.send_pending_alerts()


# --- End of adviser alerts -------------------------------------------------------------


# --- Retention (retention.py) ----------------------------------------------------------


def delete_expired_cases():
    """The daily run: delete closed cases past their site's retention period."""
    return {"deleted": retention.delete_expired_cases()}


# --- End of retention ------------------------------------------------------------------
