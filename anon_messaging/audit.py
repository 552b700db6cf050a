"""What advisers do to a case, in Wagtail's audit log.

Entries go to ``CaseLogEntry`` and show on the case's history page. Their data
holds statuses, outcome names and who was assigned: never the reporter's code,
any address, or the text of a report, message or note.
"""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.log_actions import LogFormatter

from .models import Case, CaseLogEntry

OPENED = "anon_messaging.case.opened"
REPLIED = "anon_messaging.case.replied"
NOTE_ADDED = "anon_messaging.case.note_added"
STATUS_CHANGED = "anon_messaging.case.status_changed"
ASSIGNED = "anon_messaging.case.assigned"
CONTACT_DETAILS_VIEWED = "anon_messaging.case.contact_details_viewed"
RESPONDED_ELSEWHERE = "anon_messaging.case.responded_elsewhere"


def _status_label(value):
    try:
        return Case.Status(value).label
    except ValueError:
        return value


class StatusChangedFormatter(LogFormatter):
    label = _("Change case status")

    def format_message(self, log_entry):
        data = log_entry.data or {}
        message = gettext("Status changed from “%(old)s” to “%(new)s”") % {
            "old": _status_label(data.get("from")),
            "new": _status_label(data.get("to")),
        }
        if data.get("outcomes"):
            message += gettext(", with outcomes: %(outcomes)s") % {
                "outcomes": ", ".join(data["outcomes"])
            }
        if data.get("automatic"):
            message += gettext(" (on opening the case)")
        return message


class AssignedFormatter(LogFormatter):
    label = _("Assign case")

    def format_message(self, log_entry):
        data = log_entry.data or {}
        adviser = (data.get("adviser") or {}).get("name")
        team = (data.get("team") or {}).get("name")
        if adviser and team:
            return gettext("Assigned to %(adviser)s, team %(team)s") % {
                "adviser": adviser,
                "team": team,
            }
        if adviser:
            return gettext("Assigned to %(adviser)s") % {"adviser": adviser}
        if team:
            return gettext("Assigned to team %(team)s") % {"team": team}
        return gettext("Unassigned")


def register_case_log_actions(actions):
    """For the ``register_log_actions`` hook."""
    actions.register_model(Case, CaseLogEntry)
    actions.register_action(OPENED, _("Open case"), _("Opened the case"))
    actions.register_action(REPLIED, _("Reply to reporter"), _("Replied to the reporter"))
    actions.register_action(NOTE_ADDED, _("Add internal note"), _("Added an internal note"))
    actions.register_action(
        CONTACT_DETAILS_VIEWED, _("View contact details"), _("Viewed the contact details")
    )
    actions.register_action(
        RESPONDED_ELSEWHERE,
        _("Record a response outside messaging"),
        _("Recorded a response made outside anonymous messaging"),
    )
    actions.register_action(STATUS_CHANGED)(StatusChangedFormatter)
    actions.register_action(ASSIGNED)(AssignedFormatter)
