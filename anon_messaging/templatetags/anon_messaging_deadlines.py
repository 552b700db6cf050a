"""Template tags for a case's deadlines in the admin.

``anon_messaging/admin/includes/case_deadlines.html`` loads these, so any case
view shows deadlines by including that template with ``case`` in its context.
"""

from django import template

from .. import deadlines, reminders

register = template.Library()

HISTORY_LIMIT = 20


@register.simple_tag
def case_deadlines(case):
    """Due time, reminders and statutory markers of a case (``deadlines.CaseDeadlines``)."""
    return deadlines.case_deadlines(case)


@register.simple_tag
def due_phrase(moment, case):
    """``moment`` as a due time that cannot be misread ("by 17:00 on Wednesday 3
    December"), in the site's time zone of ``case`` (``deadlines.due_phrase``)."""
    if moment is None:
        return ""
    return deadlines.due_phrase_for_site(moment, case.site_id)


@register.simple_tag
def case_reminder_history(case):
    """The latest reminders and escalations sent for a case, newest first."""
    return [
        {"when": entry.timestamp, "label": entry.message}
        for entry in reminders.history(case)[:HISTORY_LIMIT]
    ]
