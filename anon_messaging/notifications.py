"""Alert emails to advisers when a reporter writes: a new case or a new message.

``cases.py`` sets ``Case.adviser_alert_pending`` in the same transaction that
stores the report or message; nothing is sent from the reporter's request. A
scheduled django-q2 task (every ALERT_SCAN_MINUTES) sends one email per case
once the reporter has been quiet for ALERT_QUIET_MINUTES, so a burst of messages
gives one email. Each case is claimed with a conditional UPDATE before sending,
so two clusters never both send it; a failed send puts the flag back and the next
run tries again. A mail failure never touches the stored message.

The email has a fixed subject and says only that there is activity, with a link
to the admin's case list: no report or message content, no reference, and no
link to the case itself.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from wagtail.admin.utils import get_admin_base_url

from .conf import get_setting
from .models import Case, ReportingSettings

logger = logging.getLogger(__name__)

SCHEDULE_NAME = "anon_messaging: adviser alerts"
SCHEDULE_FUNC = "anon_messaging.tasks.send_adviser_alerts"
SUBJECT = _("New activity in the reporting service")
TEMPLATE = "anon_messaging/admin/alert_email.txt"


def alert_recipients(case, site_settings):
    """The assigned adviser; else the site's team address; else the members of the team."""
    adviser = case.assigned_to
    if adviser is not None and adviser.is_active and adviser.email:
        return [adviser.email]
    if site_settings.team_email:
        return [site_settings.team_email]
    if case.assigned_team_id is not None:
        members = (
            get_user_model()
            .objects.filter(groups=case.assigned_team_id, is_active=True)
            .exclude(email="")
            .values_list("email", flat=True)
        )
        return sorted(set(members))
    return []


def _settled_q(cutoff):
    """The reporter has written nothing since ``cutoff``: the burst is over."""
    return Q(last_reporter_message_at__lte=cutoff) | Q(
        last_reporter_message_at__isnull=True, created_at__lte=cutoff
    )


def _site_settings(site_ids):
    found = {s.site_id: s for s in ReportingSettings.objects.filter(site_id__in=site_ids)}
    defaults = ReportingSettings()
    return lambda site_id: found.get(site_id, defaults)


def _admin_url():
    return (get_admin_base_url() or "").rstrip("/") + reverse(
        "anon_messaging_case_modeladmin_index"
    )


def send_pending_alerts(now=None):
    """Send the alerts that are due. Returns counts; safe to run from several clusters."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=get_setting("ALERT_QUIET_MINUTES"))
    due = Q(adviser_alert_pending=True) & _settled_q(cutoff)
    candidates = list(
        Case.objects.filter(due)
        .select_related("assigned_to")
        .only("pk", "site_id", "assigned_team_id", "assigned_to")
    )
    counts = {"sent": 0, "failed": 0, "unaddressed": 0}
    if not candidates:
        return counts
    settings_for = _site_settings({case.site_id for case in candidates})
    with translation.override(settings.LANGUAGE_CODE):
        body = render_to_string(TEMPLATE, {"url": _admin_url()})
        subject = str(SUBJECT)
    from_email = get_setting("FROM_EMAIL") or settings.DEFAULT_FROM_EMAIL
    connection = get_connection()
    for case in candidates:
        # The claim: only one run clears the flag, and not if the reporter wrote again.
        if not Case.objects.filter(Q(pk=case.pk) & due).update(adviser_alert_pending=False):
            continue
        recipients = alert_recipients(case, settings_for(case.site_id))
        if not recipients:
            counts["unaddressed"] += 1
            continue
        try:
            # One email per address, so recipients do not learn each other's addresses.
            connection.send_messages(
                [EmailMessage(subject, body, from_email, [address]) for address in recipients]
            )
        except Exception:
            # Whatever the mail backend raised: keep the alert for the next run.
            logger.exception("Could not send an adviser alert; the next run tries again.")
            Case.objects.filter(pk=case.pk).update(adviser_alert_pending=True)
            counts["failed"] += 1
        else:
            counts["sent"] += 1
    if counts["unaddressed"]:
        logger.warning(
            "%d cases had activity but no one to alert: assign them or set a team email "
            "address in the reporting settings.",
            counts["unaddressed"],
        )
    return counts


# --- Schedule ------------------------------------------------------------------------


def ensure_schedule(using=DEFAULT_DB_ALIAS):
    """The alert schedule, created or updated by name after migrate."""
    from django_q.models import Schedule

    from .tasks import ensure_schedule

    return ensure_schedule(
        SCHEDULE_NAME,
        SCHEDULE_FUNC,
        using=using,
        schedule_type=Schedule.MINUTES,
        minutes=get_setting("ALERT_SCAN_MINUTES"),
    )
