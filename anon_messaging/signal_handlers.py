"""Signal receivers, connected once by ``AppConfig.ready``.

A deleted attachment's stored file is deleted when the deletion commits.

When a site's reporting settings or closures change, its cached deadline policy is
dropped and the cases already waiting get their due times recounted, by a django-q2
task (``tasks.refresh_response_due_times``) or, when the broker cannot take it,
here and now: the settings are saved by then, and the editor must not see an error.
"""

import logging

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from . import attachment_storage, deadlines
from .models import Attachment, ClosurePeriod, ReportingSettings

logger = logging.getLogger(__name__)

RECOUNT_TASK = "anon_messaging.tasks.refresh_response_due_times"


def settings_changed(site_id):
    deadlines.invalidate(site_id)

    def after_commit():
        from django_q.tasks import async_task  # django_q's tasks module loads its models

        deadlines.invalidate(site_id)
        try:
            async_task(RECOUNT_TASK, site_id)
        except Exception:
            # The broker is unreachable: recount here rather than leave stale due times.
            logger.exception("Could not queue the due-time recount; recounting now.")
            deadlines.refresh_response_due_times(site_id)

    transaction.on_commit(after_commit, robust=True)


def reporting_settings_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        settings_changed(instance.site_id)


def closure_changed(sender, instance, raw=False, **kwargs):
    if raw:
        return
    site_id = (
        ReportingSettings.objects.filter(pk=instance.settings_id)
        .values_list("site_id", flat=True)
        .first()
    )
    if site_id is not None:
        settings_changed(site_id)


def attachment_deleted(sender, instance, **kwargs):
    """Delete an attachment's stored file once the row's deletion is committed, whatever
    deleted it (retention, a case deleted by hand, a cascade). A rollback keeps both; a
    crash before this runs leaves an orphan file, which ``attachments.sweep_orphans``
    removes."""
    key = instance.storage_key
    if key is None:  # redacted: its content was deleted then
        return

    def delete_file():
        try:
            attachment_storage.delete(key)
        except OSError:
            logger.warning("An attachment's file could not be deleted; the sweep will retry.")

    transaction.on_commit(delete_file, robust=True)


def register_signal_handlers():
    post_delete.connect(
        attachment_deleted, sender=Attachment, dispatch_uid="anon_messaging.attachment_deleted"
    )
    for signal in (post_save, post_delete):
        signal.connect(
            reporting_settings_changed,
            sender=ReportingSettings,
            dispatch_uid=f"anon_messaging.settings_changed.{signal is post_save}",
        )
        signal.connect(
            closure_changed,
            sender=ClosurePeriod,
            dispatch_uid=f"anon_messaging.closure_changed.{signal is post_save}",
        )
