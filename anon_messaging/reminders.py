"""Overdue-response reminders and escalations, sent by a scheduled django-q2 task.

Each overdue episode (from a new report or reporter message to the adviser's
reply) gets at most one reminder, to the assigned adviser or the team address,
and later at most one escalation, to the managers; and each address gets one
reminder (and one escalation) per scan, however many of its cases are overdue. That
holds when several clusters run the scan at the same moment: each scan claims its
cases in one transaction holding the reminders' ``TaskLock`` (so two scans take turns
and never split the overdue cases between them, each emailing the same adviser),
with ``SELECT ... FOR UPDATE SKIP LOCKED`` (a case an adviser or the alerts hold is
left for the next scan, never waited for) and a conditional ``UPDATE ... WHERE
reminder_sent_at IS NULL``, before it sends anything. On SQLite the write lock taken by
``transaction_mode: IMMEDIATE`` serialises the claims instead.

Emails have a fixed subject and carry no report content, no reference and no
reporter detail: only that a case needs attention and a link to the admin's list
of overdue cases (not to the case, whose number would tell cases apart).

The scan costs the same few queries however many cases there are.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Prefetch
from django.utils import timezone

from . import audit, deadlines, notifications
from .models import Case, TaskLock, load_exclusions

logger = logging.getLogger(__name__)

REMINDERS_LOCK = "reminders"

# Fields the scan reads; the encrypted report and messages are never loaded.
_CASE_FIELDS = (
    "reference",
    "site_id",
    "status",
    "awaiting_reply",
    "response_due_at",
    "reminder_sent_at",
    "escalation_sent_at",
    "assigned_to",
    "assigned_to__email",
    "assigned_to__is_active",
    "assigned_team",
    "assigned_team__name",
)


@dataclass
class ScanResult:
    reminders: int = 0
    escalations: int = 0
    # Overdue cases nobody could be told about: no adviser, team or manager address.
    unaddressed: int = 0
    # Sends that failed; their claims were released so the next scan tries again.
    failed: int = 0

    def as_dict(self):
        return {
            "reminders": self.reminders,
            "escalations": self.escalations,
            "unaddressed": self.unaddressed,
            "failed": self.failed,
        }


def _claim(candidates, field, now, pick):
    """Lock the candidate cases, keep those ``pick`` accepts, mark them in one UPDATE.

    ``pick(case)`` returns the recipients, or an empty list to leave the case for a
    later scan. Returns ``[(case, recipients)]`` for the cases this scan now owns.
    """
    features = connections[DEFAULT_DB_ALIAS].features
    active_members = Prefetch(
        "assigned_team__user_set",
        queryset=get_user_model().objects.filter(is_active=True).exclude(email="").only("email"),
        to_attr="active_members",
    )
    queryset = (
        candidates.filter(**{f"{field}__isnull": True})
        .select_related("assigned_to", "assigned_team")
        .prefetch_related(active_members)
        .only(*_CASE_FIELDS)
        .with_exclusion_flag()
        # Longest overdue first. Ordering by the due time (not the model's -created_at) lets
        # the database read only the cases awaiting a reply from the am_case_reply_due index
        # instead of walking every case.
        .order_by("response_due_at", "pk")
    )
    if features.has_select_for_update_skip_locked:
        # A case someone else holds (an adviser's action, the alerts' claim) is skipped,
        # not waited for, so the scan never waits on rows while holding others.
        of = ("self",) if features.has_select_for_update_of else ()
        queryset = queryset.select_for_update(skip_locked=True, of=of)
    with transaction.atomic():
        # Another scan's claim finishes first; then its cases are no longer candidates.
        TaskLock.hold(REMINDERS_LOCK)
        chosen = []
        for case in load_exclusions(list(queryset)):
            recipients = pick(case)
            if recipients:
                chosen.append((case, recipients))
        if not chosen:
            return []
        pks = [case.pk for case, _ in chosen]
        marked = Case.objects.filter(pk__in=pks, **{f"{field}__isnull": True}).update(
            **{field: now}
        )
        if marked != len(chosen):
            # Another scan got to some of these first: only possible on a database without
            # row locks. Claim nothing this time rather than risk a second email; the next
            # scan takes whatever is still unclaimed.
            transaction.set_rollback(True)
            return []
    return chosen


def _send(claimed, notice, field, now, action):
    """Send the claimed cases' notice, one to each address; release the claims of cases
    nobody got."""
    if not claimed:
        return 0, 0
    try:
        with notifications.Notifier() as notifier:
            reached = notifier.send_for_cases(notice, claimed)
    except Exception:
        logger.exception("Could not reach the notification channel; the next scan tries again.")
        reached = set()
    sent = [case for case, _recipients in claimed if case.pk in reached]
    failed = [case for case, _recipients in claimed if case.pk not in reached]
    if failed:
        # Nobody got these: put them back for the next scan.
        Case.objects.filter(pk__in=[c.pk for c in failed], **{field: now}).update(**{field: None})
    audit.record_many(sent, action, now)
    return len(sent), len(failed)


def scan(now=None):
    """Send the reminders and escalations that are due. Safe to run from several clusters."""
    now = now or timezone.now()
    sites = deadlines.PolicyLookup()
    may_see = notifications.may_see_cases_memo()
    result = ScanResult()
    unaddressed = set()

    def pick(notice):
        def chosen_recipients(case):
            escalation = notice is notifications.OVERDUE_ESCALATION
            if escalation and sites[case.site_id].escalation_due(case.reminder_sent_at) > now:
                return []
            recipients = notifications.recipients_for(
                notice, case, sites.settings(case.site_id), may_see
            )
            if not recipients:
                unaddressed.add(case.pk)
            return recipients

        return chosen_recipients

    overdue = deadlines.overdue(Case.objects.all(), now)
    claimed = _claim(overdue, "reminder_sent_at", now, pick(notifications.OVERDUE_REMINDER))
    result.reminders, failed = _send(
        claimed, notifications.OVERDUE_REMINDER, "reminder_sent_at", now, audit.REMINDER_SENT
    )
    result.failed += failed

    # Reminders sent before this scan: a case reminded just now is not escalated with it.
    reminded = overdue.filter(reminder_sent_at__lt=now)
    claimed = _claim(reminded, "escalation_sent_at", now, pick(notifications.OVERDUE_ESCALATION))
    result.escalations, failed = _send(
        claimed,
        notifications.OVERDUE_ESCALATION,
        "escalation_sent_at",
        now,
        audit.ESCALATION_SENT,
    )
    result.failed += failed
    result.unaddressed = len(unaddressed)
    if unaddressed:
        logger.warning(
            "%d overdue cases have no one to alert: set a team email address or managers "
            "in the reporting settings.",
            len(unaddressed),
        )
    return result


def history(case):
    """The reminders and escalations sent for a case, newest first."""
    return audit.history(case, actions=[audit.REMINDER_SENT, audit.ESCALATION_SENT])
