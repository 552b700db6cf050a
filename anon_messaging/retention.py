"""Deleting closed cases once their site's retention period has passed.

A scheduled django-q2 task (``tasks.delete_expired_cases``, daily) deletes each
closed case ``ReportingSettings.retention_days`` after ``closed_at``, with its
messages, internal notes, contact details and attachments (they cascade; each
attachment's stored file is deleted when the transaction commits). Before a case
goes, one audit line is written on it: the case existed and was deleted, with the
retention period applied and how many attachments it had, and no report content
or file name. Case log entries have no
database constraint on the case, so that line outlives it.

Open cases are never deleted, however old; a case reopened while the task runs
is left alone, because each batch re-checks the status under a row lock.
"""

from datetime import timedelta

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from . import audit, reporting_settings
from .models import Attachment, Case

_BATCH_SIZE = 200


def retention_days_by_site():
    """``{site_id: days}`` for every site that has closed cases; None for cases without a site."""
    site_ids = set(
        Case.objects.filter(status=Case.Status.CLOSED, closed_at__isnull=False)
        .values_list("site_id", flat=True)
        .distinct()
    )
    settings_for = reporting_settings.for_sites(site_ids - {None})
    return {site_id: settings_for(site_id).retention_days for site_id in site_ids}


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
                files = dict(
                    Attachment.objects.filter(case__in=[case.pk for case in batch])
                    .values_list("case")
                    .annotate(count=Count("pk"))
                )
                for case in batch:
                    data = {"retention_days": days, "attachments": files.get(case.pk, 0)}
                    audit.record(case, audit.DELETED_AFTER_RETENTION, data=data)
                # Attachments' files are deleted once this commits (signal_handlers.py).
                Case.objects.filter(pk__in=[case.pk for case in batch]).delete()
            deleted += len(batch)
            if len(batch) < _BATCH_SIZE:
                break
    return deleted
