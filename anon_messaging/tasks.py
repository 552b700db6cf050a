"""django-q2 task entry points. Each names the module that holds its logic.

Tasks are referred to by dotted path (schedules, ``async_task``), so these
names are stable; keep the work itself in the modules by concern.
"""

from . import deadlines, notifications, reminders, retention

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
