"""Who is told about a case, and how: the one notifier.

Three notices exist, each with a fixed subject and a body that says only that a case
needs someone, with a link to the admin's case list (never to the case, whose number
would tell cases apart): no report or message content, no reference.

* ``NEW_ACTIVITY``: a reporter wrote (a new report or message). Sent by
  ``send_pending_alerts`` once the reporter has been quiet for ``ALERT_QUIET_MINUTES``,
  so a burst gives one notice.
* ``OVERDUE_REMINDER`` and ``OVERDUE_ESCALATION``: sent by ``reminders.scan``.

Each address gets one notice of a kind per run, however many of its cases it is about
(``Notifier.send_for_cases``), and the runs claim their cases so that two task clusters,
or a restarted one, never send the same case's notice twice: one email per adviser per
burst.

Recipients (``recipients_for``): the assigned adviser, if they may see the case
(``permissions.py``: never one excluded from it); else the site's team address; else the
active members of the assigned team who may see it; for a reminder, else the managers.
An escalation goes to the managers, else the team address.

How: every backend in ``ANON_MESSAGING["NOTIFICATION_BACKENDS"]`` (dotted paths of
``BaseNotificationBackend`` subclasses; email by default) gets each notice, so a site
can add a channel without editing the app. A backend that fails raises; the caller
keeps the notice for the next run.

The admin's address comes from the ``anon_messaging_case_list_url`` hook, which the
admin adapter registers: this layer never imports the admin.
"""

import functools
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.utils import get_admin_base_url

from . import permissions, reporting_settings
from .conf import get_setting
from .models import Case, TaskLock, load_exclusions

logger = logging.getLogger(__name__)

CASE_LIST_URL_HOOK = "anon_messaging_case_list_url"
ALERTS_LOCK = "alerts"


@dataclass(frozen=True)
class Notice:
    name: str
    subject: str
    template: str
    # Filters of the admin's case list the link opens.
    list_filters: dict = field(default_factory=dict)


NEW_ACTIVITY = Notice(
    "new_activity",
    _("New activity in the reporting service"),
    "anon_messaging/admin/alert_email.txt",
)
OVERDUE_REMINDER = Notice(
    "overdue_reminder",
    _("A case needs attention"),
    "anon_messaging/email/overdue_reminder.txt",
    {"overdue": "yes"},
)
OVERDUE_ESCALATION = Notice(
    "overdue_escalation",
    _("An overdue case needs attention"),
    "anon_messaging/email/overdue_escalation.txt",
    {"overdue": "yes"},
)


# --- Who -------------------------------------------------------------------------------


def may_see_cases_memo():
    """``permissions.may_see_cases`` for a run of many notices: one query, when first asked."""

    @functools.cache
    def allowed_ids():
        return permissions.ids_of_users_who_may_see_cases()

    return lambda user: user.pk in allowed_ids()


def _team_members(case):
    team = case.assigned_team
    if team is None:
        return []
    if hasattr(team, "active_members"):  # prefetched by the reminder scan
        return team.active_members
    return get_user_model().objects.filter(groups=team, is_active=True).exclude(email="")


def recipients_for(notice, case, site_settings, may_see=permissions.may_see_cases):
    """The addresses ``notice`` about ``case`` goes to; [] if nobody can be told.

    ``may_see(user)`` is the permission policy's answer (a memo of it in a long run).
    """
    if notice is OVERDUE_ESCALATION:
        return site_settings.manager_email_list or (
            [site_settings.team_email] if site_settings.team_email else []
        )
    adviser = case.assigned_to
    # An assigned adviser sees the case when they may see cases at all and are not
    # excluded from it (permissions.may_see_case).
    excluded = permissions.excluded_user_ids(case)
    if (
        adviser is not None
        and adviser.is_active
        and adviser.email
        and permissions.may_see_case(adviser, case, may_see, excluded)
    ):
        return [adviser.email]
    if site_settings.team_email:
        return [site_settings.team_email]
    members = sorted(
        {
            user.email
            for user in _team_members(case)
            if permissions.may_see_case(user, case, may_see, excluded)
        }
    )
    if members or notice is NEW_ACTIVITY:
        return members
    return site_settings.manager_email_list


# --- How -------------------------------------------------------------------------------


class BaseNotificationBackend:
    """A channel notices go out on. Subclasses implement ``send``.

    ``send(notice, addresses, link)`` delivers one notice and returns how many
    addresses it reached; it raises if it reached none for a reason worth retrying.
    ``open`` and ``close`` bracket a run of sends (a mail connection, a session).
    """

    def open(self):
        pass

    def close(self):
        pass

    def send(self, notice, addresses, link):
        raise NotImplementedError


class EmailBackend(BaseNotificationBackend):
    """One email per address, so recipients do not learn each other's addresses."""

    def open(self):
        # Django's mail backends connect on the first send and close after it unless open.
        self.connection = get_connection()

    def close(self):
        close = getattr(self.connection, "close", None)
        if close is not None:
            close()

    def send(self, notice, addresses, link):
        from_email = get_setting("FROM_EMAIL") or settings.DEFAULT_FROM_EMAIL
        subject, body = render(notice, link)
        delivered = 0
        for address in addresses:
            message = EmailMessage(subject, body, from_email, [address])
            try:
                delivered += self.connection.send_messages([message]) or 0
            except Exception:
                # Whatever the mail backend raised: the other addresses still get theirs.
                logger.exception("Could not send a notice email.")
        if addresses and not delivered:
            raise OSError("No notice email could be sent.")
        return delivered


def render(notice, link):
    """The notice's subject and body, in the site's language."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(notice.subject), render_to_string(notice.template, {"url": link})


def case_list_link(filters=None):
    """An absolute link to the admin's case list (with ``filters``), from the adapter."""
    for hook in hooks.get_hooks(CASE_LIST_URL_HOOK):
        path = hook(**(filters or {}))
        if path:
            return (get_admin_base_url() or "").rstrip("/") + path
    return (get_admin_base_url() or "").rstrip("/") + "/"


class Notifier:
    """Sends notices through every configured backend; use it as a context manager."""

    def __init__(self):
        self.backends = [import_string(path)() for path in get_setting("NOTIFICATION_BACKENDS")]
        self._links = {}

    def __enter__(self):
        for backend in self.backends:
            backend.open()
        return self

    def __exit__(self, *exc_info):
        for backend in self.backends:
            try:
                backend.close()
            except Exception:
                logger.exception("Could not close a notification backend.")

    def send_for_cases(self, notice, recipients_by_case):
        """One ``notice`` to each address, however many of its cases it is about.

        ``recipients_by_case`` is ``[(case, addresses)]``. Returns the ids of the cases
        whose notice reached at least one of their addresses.
        """
        cases_by_address = {}
        for case, addresses in recipients_by_case:
            for address in addresses:
                cases_by_address.setdefault(address, set()).add(case.pk)
        reached = set()
        for address, case_ids in sorted(cases_by_address.items()):
            if self.send(notice, [address]):
                reached |= case_ids
        return reached

    def send(self, notice, addresses):
        """Deliver ``notice``; True if at least one backend reached someone."""
        if notice.name not in self._links:
            self._links[notice.name] = case_list_link(notice.list_filters)
        reached = False
        for backend in self.backends:
            try:
                reached = bool(backend.send(notice, addresses, self._links[notice.name])) or reached
            except Exception:
                logger.exception("A notification backend could not send a notice.")
        return reached


# --- New-activity alerts ----------------------------------------------------------------


def _settled_q(cutoff):
    """The reporter has written nothing since ``cutoff``: the burst is over."""
    return Q(last_reporter_message_at__lte=cutoff) | Q(
        last_reporter_message_at__isnull=True, created_at__lte=cutoff
    )


def send_pending_alerts(now=None):
    """Send the new-activity notices that are due. Safe to run from several clusters.

    ``cases.py`` sets ``Case.adviser_alert_pending`` in the transaction that stores the
    report or message. A run claims the cases that are due in one transaction, holding
    the alerts' ``TaskLock``, so a second run at the same moment (another cluster, a
    restarted one) waits and then finds nothing left: the cases are never split between
    two runs that would each email the same adviser. Each case is claimed with a
    conditional UPDATE, which misses it if the reporter wrote again meanwhile. Each
    address then gets one notice, however many of its cases had activity. A case none of
    whose notices went out gets its flag back for the next run.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=get_setting("ALERT_QUIET_MINUTES"))
    due = Q(adviser_alert_pending=True) & _settled_q(cutoff)
    counts = {"sent": 0, "failed": 0, "unaddressed": 0}
    candidates = _claim_alerts(due)
    if not candidates:
        return counts
    settings_for = reporting_settings.for_sites({case.site_id for case in candidates})
    may_see = may_see_cases_memo()
    addressed = []
    for case in candidates:
        addresses = recipients_for(NEW_ACTIVITY, case, settings_for(case.site_id), may_see)
        if addresses:
            addressed.append((case, addresses))
        else:
            counts["unaddressed"] += 1
    with Notifier() as notifier:
        reached = notifier.send_for_cases(NEW_ACTIVITY, addressed)
    missed = {case.pk for case, _addresses in addressed} - reached
    if missed:
        Case.objects.filter(pk__in=missed).update(adviser_alert_pending=True)
    counts["sent"], counts["failed"] = len(reached), len(missed)
    if counts["unaddressed"]:
        logger.warning(
            "%d cases had activity but no one to alert: assign them or set a team email "
            "address in the reporting settings.",
            counts["unaddressed"],
        )
    return counts


def _claim_alerts(due):
    """The cases whose alert is due, claimed by this run."""
    candidates = (
        Case.objects.filter(due)
        .select_related("assigned_to", "assigned_team")
        .only("pk", "site_id", "assigned_team", "assigned_to")
        .with_exclusion_flag()
        .order_by("pk")
    )
    claimed = []
    with transaction.atomic():
        TaskLock.hold(ALERTS_LOCK)
        for case in candidates:
            # Only this run clears the flag, and not if the reporter wrote again.
            if Case.objects.filter(Q(pk=case.pk) & due).update(adviser_alert_pending=False):
                claimed.append(case)
    return load_exclusions(claimed)
