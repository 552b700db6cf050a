"""The app's lines in Wagtail's audit log: the one helper that writes them.

A case's entries go to ``CaseLogEntry`` and show on the case's history page. Their data
holds statuses, outcome names and who was assigned: never the reporter's code, any
address, or the text of a report, message or note. A report form page's confirmation of
a question that asks who the reporter is (``form_rules.py``) goes to the page's own
history. Every action's name, its label in the admin and its formatter are here.
"""

import uuid

from django.contrib.contenttypes.models import ContentType
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from wagtail.log_actions import LogFormatter, log
from wagtail.log_actions import registry as log_registry

from .models import Case, CaseLogEntry

OPENED = "anon_messaging.case.opened"
REPLIED = "anon_messaging.case.replied"
NOTE_ADDED = "anon_messaging.case.note_added"
STATUS_CHANGED = "anon_messaging.case.status_changed"
ASSIGNED = "anon_messaging.case.assigned"
CONTACT_DETAILS_VIEWED = "anon_messaging.case.contact_details_viewed"
RESPONDED_ELSEWHERE = "anon_messaging.case.responded_elsewhere"
REMINDER_SENT = "anon_messaging.reminder_sent"
ESCALATION_SENT = "anon_messaging.escalation_sent"
DELETED_AFTER_RETENTION = "anon_messaging.case.deleted_after_retention"
IDENTITY_QUESTIONS_CONFIRMED = "anon_messaging.form.identity_questions_confirmed"
ATTACHMENT_OPENED = "anon_messaging.case.attachment_opened"
TRIAGE_CHANGED = "anon_messaging.case.triage_changed"
ADVISER_EXCLUDED = "anon_messaging.case.adviser_excluded"
EXCLUSION_REMOVED = "anon_messaging.case.exclusion_removed"
REPORT_RECORDED = "anon_messaging.case.report_recorded"
CONTACT_SHARED_LATER = "anon_messaging.case.contact_shared_later"
REDACTED = "anon_messaging.case.redacted"
CASE_FILE_DOWNLOADED = "anon_messaging.case.case_file_downloaded"


def record(instance, action, *, user=None, data=None, revision=None):
    """Write one line in the history of ``instance`` (a case, or a page), in the caller's
    transaction."""
    extra = {"revision": revision} if revision is not None else {}
    return log(instance, action, user=user, data=data or {}, **extra)


def record_many(cases, action, when):
    """The same line, without a user or data, for many cases in one INSERT ... SELECT.

    ``bulk_create`` would split the rows into batches on SQLite, so a scheduled
    task's cost would grow with the number of cases.
    """
    if not cases:
        return
    connection = connections[DEFAULT_DB_ALIAS]
    quote = connection.ops.quote_name
    values = {
        "content_type": ContentType.objects.get_for_model(Case).pk,
        "action": action,
        "data": {},
        "timestamp": when,
        "uuid": uuid.uuid4(),
        "user": None,
        "revision": None,
    }
    # The case's own columns fill these two; every other field gets a value or its default.
    from_case = {"case": Case._meta.pk.column, "label": Case._meta.get_field("reference").column}
    columns, selected, params = [], [], []
    for field in CaseLogEntry._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(quote(field.column))
        if field.name in from_case:
            selected.append(quote(from_case[field.name]))
        else:
            value = values[field.name] if field.name in values else field.get_default()
            selected.append("%s")
            params.append(field.get_db_prep_save(value, connection))
    pks = [case.pk for case in cases]
    # Only quoted names from the models' metadata go into the text; values are parameters.
    sql = "INSERT INTO {} ({}) SELECT {} FROM {} WHERE {} IN ({})".format(  # noqa: S608
        quote(CaseLogEntry._meta.db_table),
        ", ".join(columns),
        ", ".join(selected),
        quote(Case._meta.db_table),
        quote(Case._meta.pk.column),
        ", ".join(["%s"] * len(pks)),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *pks])


def history(instance, actions=None):
    """The audit lines of ``instance`` (a case, or a page), newest first; only ``actions``
    if given."""
    entries = log_registry.get_logs_for_instance(instance)
    if actions is not None:
        entries = entries.filter(action__in=actions)
    return entries.order_by("-timestamp", "-pk")


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


class IdentityQuestionsConfirmedFormatter(LogFormatter):
    label = _("Confirm questions that ask who the reporter is")

    def format_message(self, log_entry):
        data = log_entry.data or {}
        return gettext(
            "Confirmed that this anonymous form may ask %(questions)s. Reason: %(reason)s"
        ) % {
            "questions": ", ".join(f"“{label}”" for label in data.get("questions", [])),
            "reason": data.get("reason", ""),
        }


class AttachmentOpenedFormatter(LogFormatter):
    label = _("Open an attachment")

    def format_message(self, log_entry):
        data = log_entry.data or {}
        return gettext("Opened attachment %(number)s") % {"number": data.get("attachment", "?")}


class TriageChangedFormatter(LogFormatter):
    label = _("Change triage")

    def format_message(self, log_entry):
        data = log_entry.data or {}
        before, after = data.get("from") or {}, data.get("to") or {}
        parts = []
        if before.get("categories") != after.get("categories"):
            parts.append(
                gettext("categories: %(categories)s")
                % {"categories": ", ".join(after.get("categories") or []) or gettext("none")}
            )
        if before.get("location_type") != after.get("location_type"):
            parts.append(
                gettext("location type: %(location)s")
                % {"location": after.get("location_type") or gettext("none")}
            )
        if before.get("risk_level") != after.get("risk_level"):
            parts.append(
                gettext("risk level: %(risk)s") % {"risk": _risk_label(after.get("risk_level"))}
            )
        if before.get("safeguarding_concern") != after.get("safeguarding_concern"):
            parts.append(
                gettext("safeguarding concern raised")
                if after.get("safeguarding_concern")
                else gettext("safeguarding concern cleared")
            )
        return gettext("Triage changed: %(changes)s") % {"changes": "; ".join(parts)}


def _risk_label(value):
    try:
        return Case.RiskLevel(value or "").label
    except ValueError:
        return value


class DeletedAfterRetentionFormatter(LogFormatter):
    label = _("Delete after the retention period")

    def format_message(self, log_entry):
        count = (log_entry.data or {}).get("attachments") or 0
        if not count:
            return gettext(
                "Deleted with its messages, notes and contact details after the retention period"
            )
        return ngettext(
            "Deleted with its messages, notes, contact details and %(count)d attachment "
            "after the retention period",
            "Deleted with its messages, notes, contact details and %(count)d attachments "
            "after the retention period",
            count,
        ) % {"count": count}


class AdviserExcludedFormatter(LogFormatter):
    label = _("Exclude an adviser")

    def format_message(self, log_entry):
        data = log_entry.data or {}
        name = (data.get("adviser") or {}).get("name", "?")
        if data.get("by_reporter"):
            return gettext("%(name)s excluded from the case: named by the reporter on the form") % {
                "name": name
            }
        return gettext("%(name)s excluded from the case. Reason: %(reason)s") % {
            "name": name,
            "reason": data.get("reason", ""),
        }


class ExclusionRemovedFormatter(LogFormatter):
    label = _("Remove an adviser's exclusion")

    def format_message(self, log_entry):
        name = ((log_entry.data or {}).get("adviser") or {}).get("name", "?")
        return gettext("%(name)s may see the case again") % {"name": name}


class ReportRecordedFormatter(LogFormatter):
    label = _("Record a report taken by an adviser")

    def format_message(self, log_entry):
        data = log_entry.data or {}
        try:
            received = Case.Received(data.get("received")).label
        except ValueError:
            received = data.get("received", "")
        message = gettext("Recorded the report: %(received)s") % {"received": received}
        if data.get("code_issued"):
            message += gettext(", with a messaging code handed to the reporter")
        return message


class RedactedFormatter(LogFormatter):
    label = _("Redact")

    def format_message(self, log_entry):
        data = log_entry.data or {}
        item = data.get("item")
        if item == "attachment":
            where = gettext("attachment %(number)s (its content deleted)") % {
                "number": data.get("attachment", "?")
            }
        elif item == "answer":
            where = gettext("the answer to “%(question)s”") % {"question": data.get("question", "")}
        elif item == "message":
            where = gettext("a message")
        else:
            where = gettext("an internal note")
        return gettext("Redacted %(where)s. Reason: %(reason)s") % {
            "where": where,
            "reason": data.get("reason", ""),
        }


class CaseFileDownloadedFormatter(LogFormatter):
    label = _("Download the case file")

    def format_message(self, log_entry):
        data = log_entry.data or {}
        parts = [gettext("the report, conversation and attachments' list")]
        if data.get("images"):
            parts.append(gettext("images"))
        if data.get("notes"):
            parts.append(gettext("internal notes"))
        if data.get("history"):
            parts.append(gettext("history"))
        return gettext("Downloaded the case file with %(parts)s") % {"parts": ", ".join(parts)}


def register_case_log_actions(actions):
    """For the ``register_log_actions`` hook: the cases' actions and the report forms'."""
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
    actions.register_action(
        REMINDER_SENT,
        _("Send overdue reminder"),
        _("Overdue reminder sent to the adviser or team"),
    )
    actions.register_action(
        ESCALATION_SENT, _("Escalate overdue case"), _("Overdue case escalated to managers")
    )
    actions.register_action(IDENTITY_QUESTIONS_CONFIRMED)(IdentityQuestionsConfirmedFormatter)
    actions.register_action(DELETED_AFTER_RETENTION)(DeletedAfterRetentionFormatter)
    actions.register_action(ATTACHMENT_OPENED)(AttachmentOpenedFormatter)
    actions.register_action(TRIAGE_CHANGED)(TriageChangedFormatter)
    actions.register_action(ADVISER_EXCLUDED)(AdviserExcludedFormatter)
    actions.register_action(EXCLUSION_REMOVED)(ExclusionRemovedFormatter)
    actions.register_action(REPORT_RECORDED)(ReportRecordedFormatter)
    actions.register_action(
        CONTACT_SHARED_LATER,
        _("Share contact details later"),
        _("The reporter shared their contact details"),
    )
    actions.register_action(REDACTED)(RedactedFormatter)
    actions.register_action(CASE_FILE_DOWNLOADED)(CaseFileDownloadedFormatter)
