"""When replies are due, which cases are overdue, and the statutory markers.

Every deadline is counted on the site's working-day calendar (``working_calendar.py``),
built from its ``ReportingSettings`` and closures into a ``DeadlinePolicy``. The
policy is cached per site in Django's cache; ``signal_handlers.py`` drops it whenever
those settings or closures change and has ``refresh_response_due_times`` recount the
cases already waiting, so a closure added in December moves their deadlines.

``response_due_at`` is the one entry point for a new due time. Whether a reply is
owed at all is the models' rule (``models.reply_owed_q``); this module adds when.
"""

from __future__ import annotations

import logging
import zoneinfo
from calendar import monthrange
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import models, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from . import reporting_settings
from .conf import get_setting
from .models import Case
from .working_calendar import WorkingCalendar

logger = logging.getLogger(__name__)

# EU Directive 2019/1937, art. 9(1)(b) and (f).
ACKNOWLEDGEMENT_DAYS = 7
FEEDBACK_MONTHS = 3

_CACHE_KEY = "anon_messaging:deadlines:{}"


@dataclass(frozen=True)
class DeadlinePolicy:
    """A site's calendar and the numbers counted on it."""

    calendar: WorkingCalendar
    response_working_days: int
    escalation_after_working_days: int
    statutory_deadlines: bool
    response_working_hours: int = 0

    @property
    def tz(self):
        return self.calendar.tz

    def response_due(self, start):
        return _due(self.calendar, start, self.response_working_days, self.response_working_hours)

    def escalation_due(self, reminder_sent_at):
        return _due(self.calendar, reminder_sent_at, self.escalation_after_working_days)


def _default_calendar(tz=None):
    try:
        zone = zoneinfo.ZoneInfo(tz or settings.TIME_ZONE or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    return WorkingCalendar(tz=zone)


def _due(calendar, start, working_days, working_hours=0):
    try:
        return calendar.due(start, working_days, working_hours)
    except ValueError:
        # Closures covering years on end: a deadline on the plain calendar is better
        # than none, and far better than a failed report.
        logger.warning("No working time in the site's calendar; counting plain weekdays.")
        return _default_calendar(calendar.tz.key).due(start, working_days, working_hours)


def policy_from_settings(site_settings, closures=None):
    """Build a policy from a ``ReportingSettings`` (saved or not) and its closures."""
    if closures is None:
        closures = site_settings.closures.all() if site_settings.pk else []
    spans = [(c.first_day, c.last_day) for c in closures if c.first_day and c.last_day]
    hours = None
    if site_settings.working_hours_start and site_settings.working_hours_end:
        hours = (site_settings.working_hours_start, site_settings.working_hours_end)
    try:
        calendar = WorkingCalendar(
            tz=site_settings.time_zone,
            weekdays=site_settings.weekday_numbers,
            hours=hours,
            closures=[(first, last) for first, last in spans if first <= last],
        )
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        # Settings saved around the admin form's validation; keep deadlines working.
        logger.warning("Invalid working calendar in reporting settings; using Monday to Friday.")
        calendar = _default_calendar(site_settings.time_zone)
    return DeadlinePolicy(
        calendar=calendar,
        response_working_days=site_settings.response_working_days,
        response_working_hours=site_settings.response_working_hours or 0,
        escalation_after_working_days=site_settings.escalation_after_working_days,
        statutory_deadlines=site_settings.statutory_deadlines,
    )


def _site_id(site):
    return site if isinstance(site, int) or site is None else site.pk


def policy_for_site(site, site_settings=None):
    """The cached deadline policy of a site (a ``Site``, its id, or None for defaults).
    ``site_settings``: the site's ``ReportingSettings`` where the caller has read them
    already (a request's copy), so a policy not cached yet does not read them again."""
    site_id = _site_id(site)
    key = _CACHE_KEY.format(site_id)
    policy = cache.get(key)
    if policy is None:
        if site_settings is None:
            site_settings = reporting_settings.for_site(site_id)
        policy = policy_from_settings(site_settings)
        cache.set(key, policy, get_setting("DEADLINES_CACHE_SECONDS"))
    return policy


class PolicyLookup:
    """Every site's policy for a run over many sites (a scan), loaded once, when first asked."""

    def __init__(self):
        self._settings = None
        self._policies = {}

    def settings(self, site_id):
        """The site's ``ReportingSettings``, from the same two queries."""
        if self._settings is None:
            self._settings = reporting_settings.for_sites(with_closures=True)
        return self._settings(site_id)

    def __getitem__(self, site_id):
        if site_id not in self._policies:
            self._policies[site_id] = policy_from_settings(self.settings(site_id))
        return self._policies[site_id]


def invalidate(site_id):
    cache.delete(_CACHE_KEY.format(site_id))


def response_due_at(site, start):
    """When a reply to something received at ``start`` is due for this site."""
    return policy_for_site(site).response_due(start)


def refresh_response_due_times(site_id):
    """Recount the due times of this site's waiting cases on its current calendar.

    Cases already reminded keep theirs: that episode's reminder has gone out.
    Returns how many due times changed.
    """
    invalidate(site_id)
    policy = policy_for_site(site_id)
    with transaction.atomic():
        waiting = list(
            Case.objects.filter(site_id=site_id)
            .owing_reply()
            .filter(reminder_sent_at__isnull=True, awaiting_since__isnull=False)
            .select_for_update()
            .only("pk", "awaiting_since", "response_due_at")
        )
        changed = []
        for case in waiting:
            due = policy.response_due(case.awaiting_since)
            if due != case.response_due_at:
                case.response_due_at = due
                changed.append(case)
        Case.objects.bulk_update(changed, ["response_due_at"], batch_size=500)
    return len(changed)


# --- Saying when, so it cannot be misread ------------------------------------------------


def due_phrase(moment, tz, *, precise=True, now=None):
    """When something is due, in words that cannot be misread, in the active language.

    "by 17:00 on Wednesday 3 December" for advisers (``precise``); "by the end of
    Wednesday 2 December" for reporters, who are promised a day, and for a moment at
    midnight, which belongs to the day that ends there. The year is given when it is
    not this year. Counted in ``tz``, the site's time zone, so "the end of Wednesday"
    is the end of the site's Wednesday. The one formatter of due times: reporter pages
    and the admin both use it.
    """
    local = moment.astimezone(tz)
    at_midnight = local.hour == local.minute == local.second == local.microsecond == 0
    day = (local - timedelta(microseconds=1)).date() if at_midnight else local.date()
    this_year = (now or timezone.now()).astimezone(tz).year
    day_text = date_format(day, "l j F" if day.year == this_year else "l j F Y")
    if precise and not at_midnight:
        return gettext("by %(time)s on %(day)s") % {
            "time": date_format(local, "H:i"),
            "day": day_text,
        }
    return gettext("by the end of %(day)s") % {"day": day_text}


def due_phrase_for_site(moment, site, *, precise=True, now=None, site_settings=None):
    """``due_phrase`` in the time zone of ``site`` (a ``Site``, its id, or None);
    ``site_settings`` as for ``policy_for_site``."""
    policy = policy_for_site(site, site_settings)
    return due_phrase(moment, policy.tz, precise=precise, now=now)


# --- Which cases are due ---------------------------------------------------------------


def overdue_q(now=None):
    """A reply is owed (``Case.needs_reply``) and its due time has passed."""
    return models.Q(needs_reply=True, response_due_at__lte=now or timezone.now())


def overdue(queryset, now=None):
    """The cases of ``queryset`` that owe a reply whose due time has passed."""
    return queryset.filter(overdue_q(now))


# --- Statutory markers -----------------------------------------------------------------


def add_months(moment, months):
    """Same day of the month ``months`` later, or the month's last day if it has none."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, monthrange(year, month)[1]))


class MarkerState(models.TextChoices):
    PENDING = "pending", pgettext_lazy("deadline", "Due")
    OVERDUE = "overdue", pgettext_lazy("deadline", "Overdue")
    MET = "met", pgettext_lazy("deadline", "Met")
    LATE = "late", pgettext_lazy("deadline", "Met late")


@dataclass(frozen=True)
class StatutoryMarker:
    name: str
    label: str
    due: datetime
    done_at: datetime | None
    state: str

    @property
    def state_label(self):
        return MarkerState(self.state).label


def _marker(name, label, due, done_at, now):
    if done_at is not None:
        state = MarkerState.MET if done_at <= due else MarkerState.LATE
    else:
        state = MarkerState.OVERDUE if now > due else MarkerState.PENDING
    return StatutoryMarker(name=name, label=label, due=due, done_at=done_at, state=state)


def acknowledgement_due(received, tz):
    """When acknowledgement is due (EU 2019/1937 art. 9(1)(b)): 7 days after the report."""
    return received.astimezone(tz) + timedelta(days=ACKNOWLEDGEMENT_DAYS)


def feedback_due(received, acknowledged_at, tz):
    """When feedback is due (EU 2019/1937 art. 9(1)(f)): 3 months after the acknowledgement,
    or after the 7 days for it if none was sent."""
    start = acknowledged_at.astimezone(tz) if acknowledged_at else acknowledgement_due(received, tz)
    return add_months(start, FEEDBACK_MONTHS)


def first_reply_figures(case, when):
    """``(working days, on time)`` of a first reply sent at ``when``, for the statistics:
    the working time since the report on the site's calendar, and whether it came by the
    reply's due time (the promise the reporter was given)."""
    policy = policy_for_site(case.site_id)
    working_days = round(policy.calendar.working_days_between(case.created_at, when), 2)
    due = case.response_due_at or policy.response_due(case.created_at)
    return working_days, when <= due


def statutory_markers(case, policy=None, now=None):
    """Acknowledgement and feedback deadlines (EU 2019/1937 art. 9), or [] if switched off.

    Acknowledgement is due 7 days after the report; an adviser's first message
    acknowledges it. Feedback is due 3 months after the acknowledgement, or after
    the 7 days if none was sent, as article 9(1)(f) puts it; closing the case
    counts as giving it.
    """
    policy = policy or policy_for_site(case.site_id)
    if not policy.statutory_deadlines:
        return []
    now = now or timezone.now()
    return [
        _marker(
            "acknowledgement",
            gettext("Acknowledgement"),
            acknowledgement_due(case.created_at, policy.tz),
            case.acknowledged_at,
            now,
        ),
        _marker(
            "feedback",
            gettext("Feedback"),
            feedback_due(case.created_at, case.acknowledged_at, policy.tz),
            case.closed_at,
            now,
        ),
    ]


# --- What the case view shows ----------------------------------------------------------


class ResponseState(models.TextChoices):
    CLOSED = "closed", _("Closed")
    WAITING_FOR_REPORTER = "waiting", _("Waiting for the reporter")
    ANSWERED = "answered", _("Replied")
    AWAITING = "awaiting", _("Awaiting a response")
    OVERDUE = "overdue", _("Response overdue")


@dataclass(frozen=True)
class CaseDeadlines:
    state: str
    awaiting_since: datetime | None
    due_at: datetime | None
    reminder_sent_at: datetime | None
    escalation_sent_at: datetime | None
    escalation_due_at: datetime | None
    statutory: tuple

    @property
    def state_label(self):
        return ResponseState(self.state).label

    @property
    def is_overdue(self):
        return self.state == ResponseState.OVERDUE


def case_deadlines(case, now=None):
    """Everything about a case's deadlines that the case view shows."""
    now = now or timezone.now()
    policy = policy_for_site(case.site_id)
    if case.status == Case.Status.CLOSED:
        state = ResponseState.CLOSED
    elif case.status == Case.Status.WAITING:
        state = ResponseState.WAITING_FOR_REPORTER
    elif not case.awaiting_reply:
        state = ResponseState.ANSWERED
    elif case.is_overdue(now):
        state = ResponseState.OVERDUE
    else:
        state = ResponseState.AWAITING
    awaiting = state in (ResponseState.AWAITING, ResponseState.OVERDUE)
    escalation_due_at = None
    if awaiting and case.reminder_sent_at and not case.escalation_sent_at:
        escalation_due_at = policy.escalation_due(case.reminder_sent_at)
    return CaseDeadlines(
        state=state,
        awaiting_since=case.awaiting_since if awaiting else None,
        due_at=case.response_due_at if awaiting else None,
        reminder_sent_at=case.reminder_sent_at if awaiting else None,
        escalation_sent_at=case.escalation_sent_at if awaiting else None,
        escalation_due_at=escalation_due_at,
        statutory=tuple(statutory_markers(case, policy, now)),
    )
