"""django-q2 task entry points, named by dotted path in ``schedules.SCHEDULES`` and by
``async_task``: keep these names stable. Each only calls the module that holds the work.
"""

from django.core.management import call_command

from . import attachments, deadlines, notifications, query_statistics, reminders, retention


def send_overdue_reminders():
    """The scheduled scan: one reminder, then one escalation, per overdue episode."""
    return reminders.scan().as_dict()


def refresh_response_due_times(site_id):
    """Recount waiting cases' due times after a site's calendar or closures change."""
    return deadlines.refresh_response_due_times(site_id)


def send_adviser_alerts():
    """The scheduled alert run: one notice per case with new reporter activity."""
    return notifications.send_pending_alerts()


def delete_expired_cases():
    """The daily run: delete closed cases past their site's retention period."""
    return {"deleted": retention.delete_expired_cases()}


def clear_expired_sessions():
    """Hourly: Django's ``clearsessions``, so an ended reporter session's row, which maps
    a session to a case, does not stay in the table (sessions.py)."""
    call_command("clearsessions")
    return {"cleared": True}


def delete_orphaned_attachments():
    """Hourly: files a crash left in the attachment storage without their row."""
    return {"deleted": attachments.sweep_orphans()}


def refresh_query_statistics():
    """Daily: the query planner's statistics, on databases that do not keep their own."""
    return {"refreshed": query_statistics.refresh()}
