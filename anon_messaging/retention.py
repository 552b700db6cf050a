"""Deleting closed cases once their site's retention period has passed.

A scheduled django-q2 task (``tasks.delete_expired_cases``, daily) deletes each
closed case ``ReportingSettings.retention_days`` after ``closed_at``, with its
messages, internal notes and contact details (they cascade). Before a case goes,
one audit line is written on it: the case existed and was deleted, with the
retention period applied, and no report content. Case log entries have no
database constraint on the case, so that line outlives it.

Open cases are never deleted, however old; a case reopened while the task runs
is left alone, because each batch re-checks the status under a row lock.
"""

from datetime import timedelta

from django.db import DEFAULT_DB_ALIAS, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.log_actions import log

from .models import Case, ReportingSettings

DELETED_ACTION = "anon_messaging.case.deleted_after_retention"
SCHEDULE_NAME = "anon_messaging: delete closed cases after retention"
SCHEDULE_FUNC = "anon_messaging.tasks.delete_expired_cases"
_BATCH_SIZE = 200


def default_retention_days():
    return ReportingSettings._meta.get_field("retention_days").get_default()


def retention_days_by_site():
    """``{site_id: days}`` for every site that has closed cases; None for cases without a site."""
    site_ids = set(
        Case.objects.filter(status=Case.Status.CLOSED, closed_at__isnull=False)
        .values_list("site_id", flat=True)
        .distinct()
    )
    configured = dict(
        ReportingSettings.objects.filter(site_id__in=site_ids - {None}).values_list(
            "site_id", "retention_days"
        )
    )
    return {site_id: configured.get(site_id, default_retention_days()) for site_id in site_ids}


def delete_expired_cases(now=None):
    """Delete every closed case past its site's retention period. Returns the count."""
    now = now or timezone.now()
    deleted = 0
    for site_id, days in retention_days_by_site().items():
        expired = Case.objects.filter(
            site_id=site_id,
            status=Case.Status.CLOSED,
            closed_at__lt=now - timedelta(days=days),
        )
        while True:
            with transaction.atomic():
                # Lock and re-read the batch, so a case reopened meanwhile is not deleted.
                batch = list(
                    expired.select_for_update().order_by("pk").only("pk", "reference")[:_BATCH_SIZE]
                )
                for case in batch:
                    log(case, DELETED_ACTION, data={"retention_days": days})
                Case.objects.filter(pk__in=[case.pk for case in batch]).delete()
            deleted += len(batch)
            if len(batch) < _BATCH_SIZE:
                break
    return deleted


def register_log_actions(actions):
    """For the ``register_log_actions`` hook."""
    actions.register_action(
        DELETED_ACTION,
        _("Delete after the retention period"),
        _("Deleted with its messages, notes and contact details after the retention period"),
    )


def ensure_schedule(using=DEFAULT_DB_ALIAS):
    """The daily retention schedule, created or updated by name after migrate."""
    from django_q.models import Schedule

    from .tasks import ensure_schedule

    return ensure_schedule(SCHEDULE_NAME, SCHEDULE_FUNC, using=using, schedule_type=Schedule.DAILY)
