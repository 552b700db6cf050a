"""Overdue-response reminders and escalations, sent by a scheduled django-q2 task.

Each overdue episode (from a new report or reporter message to the adviser's
reply) gets at most one reminder, to the assigned adviser or the team address,
and later at most one escalation, to the managers. That holds when several
clusters run the scan at the same moment: each scan claims its cases in one
transaction (``SELECT ... FOR UPDATE SKIP LOCKED``, then a conditional
``UPDATE ... WHERE reminder_sent_at IS NULL``) before it sends anything. On
SQLite the write lock taken by ``transaction_mode: IMMEDIATE`` serialises the
claims instead.

Emails have a fixed subject and carry no report content, no reference and no
reporter detail: only that a case needs attention and a link to the admin's list
of overdue cases (not to the case, whose number would tell cases apart).

The scan costs the same few queries however many cases there are.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core import checks
from django.core.mail import EmailMessage, get_connection
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from wagtail.admin.utils import get_admin_base_url
from wagtail.log_actions import registry as log_registry

from . import deadlines
from .conf import get_setting
from .models import Case, CaseLogEntry, ReportingSettings

logger = logging.getLogger(__name__)

SCHEDULE_NAME = "anon_messaging: overdue-response reminders"
SCHEDULE_FUNC = "anon_messaging.tasks.send_overdue_reminders"

REMINDER_ACTION = "anon_messaging.reminder_sent"
ESCALATION_ACTION = "anon_messaging.escalation_sent"

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


class _SiteSettings:
    """Every site's reporting settings and calendar, loaded once per scan (two queries)."""

    def __init__(self):
        self._loaded = None
        self._defaults = None

    def _load(self):
        if self._loaded is None:
            self._loaded = {
                s.site_id: (s, deadlines.policy_from_settings(s))
                for s in ReportingSettings.objects.prefetch_related("closures")
            }
        return self._loaded

    def __getitem__(self, site_id):
        found = self._load().get(site_id)
        if found is None:
            if self._defaults is None:
                defaults = ReportingSettings()
                self._defaults = (defaults, deadlines.policy_from_settings(defaults, []))
            found = self._defaults
        return found


def _adviser_email(case):
    adviser = case.assigned_to
    if adviser is not None and adviser.is_active and adviser.email:
        return adviser.email
    return None


def _team_member_emails(case):
    # Prefetched by _claim for every candidate at once, as ``active_members``.
    if case.assigned_team is None:
        return []
    return sorted({member.email for member in case.assigned_team.active_members})


def reminder_recipients(case, site_settings):
    """The assigned adviser; else the team address; else the team's members; else managers.

    The same order as the new-activity alerts (notifications.py), with the managers last
    so that an overdue case always reaches someone who can act.
    """
    adviser = _adviser_email(case)
    if adviser:
        return [adviser]
    if site_settings.team_email:
        return [site_settings.team_email]
    return _team_member_emails(case) or site_settings.manager_email_list


def escalation_recipients(case, site_settings):
    """The managers, else the team address."""
    return site_settings.manager_email_list or (
        [site_settings.team_email] if site_settings.team_email else []
    )


def overdue_list_url():
    """An absolute link to the admin's list of overdue cases, or to the admin's dashboard.

    Never a link to the case itself: its number in the address would tell cases apart.
    """
    try:
        path = reverse("anon_messaging_case_modeladmin_index")
        path += "?" + urlencode({"overdue": "yes"})
    except NoReverseMatch:
        path = reverse("wagtailadmin_home")
    return (get_admin_base_url() or "").rstrip("/") + path


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
        # Longest overdue first. Ordering by the due time (not the model's -created_at) lets
        # the database read only the cases awaiting a reply from the am_case_reply_due index
        # instead of walking every case.
        .order_by("response_due_at", "pk")
    )
    if features.has_select_for_update_skip_locked:
        # Cases another scan holds are skipped, not waited for: it is sending their emails.
        of = ("self",) if features.has_select_for_update_of else ()
        queryset = queryset.select_for_update(skip_locked=True, of=of)
    with transaction.atomic():
        chosen = []
        for case in queryset:
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


def _send(claimed, subject, template, field, now, action):
    """Email each claimed case's recipients; release the claims of cases nobody got.

    One email per address, so recipients do not learn each other's addresses. Every
    email is the same: the subject, and a link to the overdue cases in the admin.
    """
    if not claimed:
        return 0, 0
    from_email = get_setting("FROM_EMAIL") or settings.DEFAULT_FROM_EMAIL
    with translation.override(settings.LANGUAGE_CODE):
        subject = str(subject)
        body = render_to_string(template, {"url": overdue_list_url()})
    sent, failed = [], []
    connection = get_connection()
    try:
        connection.open()
    except Exception:
        logger.exception("Could not reach the mail server; the next scan tries again.")
        claimed, failed = [], [case.pk for case, _recipients in claimed]
    for case, recipients in claimed:
        delivered = 0
        for address in recipients:
            email = EmailMessage(subject, body, from_email, [address])
            try:
                delivered += connection.send_messages([email]) or 0
            except Exception:
                logger.exception("Could not send an overdue-case email.")
        if delivered:
            sent.append(case)
        else:
            failed.append(case.pk)
    connection.close()
    if failed:
        # Nobody got these: put them back for the next scan.
        Case.objects.filter(pk__in=failed, **{field: now}).update(**{field: None})
    _log(sent, action, now)
    return len(sent), len(failed)


def _log(cases, action, now):
    """Record the sends in each case's admin history, in one INSERT ... SELECT.

    ``bulk_create`` would split the rows into batches on SQLite, so the scan's
    cost would grow with the number of cases.
    """
    if not cases:
        return
    connection = connections[DEFAULT_DB_ALIAS]
    quote = connection.ops.quote_name
    values = {
        "content_type": ContentType.objects.get_for_model(Case).pk,
        "action": action,
        "data": {},
        "timestamp": now,
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


def scan(now=None):
    """Send the reminders and escalations that are due. Safe to run from several clusters."""
    now = now or timezone.now()
    sites = _SiteSettings()
    result = ScanResult()
    unaddressed = set()

    def pick_reminder(case):
        recipients = reminder_recipients(case, sites[case.site_id][0])
        if not recipients:
            unaddressed.add(case.pk)
        return recipients

    def pick_escalation(case):
        site_settings, policy = sites[case.site_id]
        if policy.escalation_due(case.reminder_sent_at) > now:
            return []
        recipients = escalation_recipients(case, site_settings)
        if not recipients:
            unaddressed.add(case.pk)
        return recipients

    overdue = deadlines.overdue(Case.objects.all(), now)
    claimed = _claim(overdue, "reminder_sent_at", now, pick_reminder)
    result.reminders, failed = _send(
        claimed,
        _("A case needs attention"),
        "anon_messaging/email/overdue_reminder.txt",
        "reminder_sent_at",
        now,
        REMINDER_ACTION,
    )
    result.failed += failed

    # Reminders sent before this scan: a case reminded just now is not escalated with it.
    reminded = overdue.filter(reminder_sent_at__lt=now)
    claimed = _claim(reminded, "escalation_sent_at", now, pick_escalation)
    result.escalations, failed = _send(
        claimed,
        _("An overdue case needs attention"),
        "anon_messaging/email/overdue_escalation.txt",
        "escalation_sent_at",
        now,
        ESCALATION_ACTION,
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
    return (
        log_registry.get_logs_for_instance(case)
        .filter(action__in=[REMINDER_ACTION, ESCALATION_ACTION])
        .order_by("-timestamp", "-pk")
    )


ACTION_LABELS = {
    REMINDER_ACTION: _("Overdue reminder sent to the adviser or team"),
    ESCALATION_ACTION: _("Overdue case escalated to managers"),
}


def register_log_actions(actions):
    """For the ``register_log_actions`` hook: names these entries in the admin's history."""
    actions.register_action(
        REMINDER_ACTION, _("Send overdue reminder"), ACTION_LABELS[REMINDER_ACTION]
    )
    actions.register_action(
        ESCALATION_ACTION, _("Escalate overdue case"), ACTION_LABELS[ESCALATION_ACTION]
    )


# --- Schedule ------------------------------------------------------------------------


def ensure_schedule(using=DEFAULT_DB_ALIAS):
    """The reminder schedule, created or updated by name after every migrate, so a
    redeploy updates the interval and runs the scan soon after."""
    from django_q.models import Schedule

    from .tasks import ensure_schedule

    return ensure_schedule(
        SCHEDULE_NAME,
        SCHEDULE_FUNC,
        using=using,
        # The cluster stops a stuck scan before the broker would hand it out again.
        kwargs=repr({"q_options": {"timeout": get_setting("REMINDER_TASK_TIMEOUT")}}),
        schedule_type=Schedule.MINUTES,
        minutes=get_setting("REMINDER_SCAN_MINUTES"),
    )


def check_cluster_settings(app_configs=None, **kwargs):
    """Warn about django-q2 settings that would replay or duplicate reminders."""
    errors = []
    cluster = getattr(settings, "Q_CLUSTER", {})
    if cluster.get("catch_up", True):
        errors.append(
            checks.Warning(
                "Q_CLUSTER['catch_up'] is not False.",
                hint="Set it to False so a cluster that was down does not replay every "
                "missed reminder scan at start.",
                id="anon_messaging.W401",
            )
        )
    retry = cluster.get("retry", 60)
    for name, timeout in (
        ("Q_CLUSTER['timeout']", cluster.get("timeout")),
        ("ANON_MESSAGING['REMINDER_TASK_TIMEOUT']", get_setting("REMINDER_TASK_TIMEOUT")),
    ):
        # None is no timeout; another type is reported by anon_messaging.E002.
        if isinstance(timeout, int | float) and timeout >= retry:
            errors.append(
                checks.Error(
                    f"{name} ({timeout}) is not below Q_CLUSTER['retry'] ({retry}).",
                    hint="A task still running when 'retry' passes is handed to another "
                    "worker. Keep the timeout below it.",
                    id="anon_messaging.E402",
                )
            )
    return errors


__all__ = [
    "ESCALATION_ACTION",
    "REMINDER_ACTION",
    "SCHEDULE_NAME",
    "ScanResult",
    "check_cluster_settings",
    "ensure_schedule",
    "history",
    "scan",
]
