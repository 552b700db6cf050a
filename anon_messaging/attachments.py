"""Opening attachments, saying what cleaning removed, and sweeping orphaned files.

Storing a report or a message with its files is ``cases.py``'s (files first, then
the rows in one transaction); cleaning is ``file_cleaning.py``'s; the encrypted
content is ``attachment_storage.py``'s. Deleting a row deletes its file after the
transaction commits (``signal_handlers.attachment_deleted``), and ``sweep_orphans``
removes the files a crash left without a row.
"""

import logging
from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import attachment_storage, audit, file_cleaning
from .conf import get_setting
from .models import Attachment

logger = logging.getLogger(__name__)

# What a removed code means, in the words the reporter and advisers read.
REMOVED_WORDS = {
    file_cleaning.LOCATION: _("location"),
    file_cleaning.CAMERA: _("camera details and serial number"),
    file_cleaning.TIMES: _("the times the photo was taken and edited"),
    file_cleaning.OTHER_PHOTO_DETAILS: _("other photo details"),
    file_cleaning.XMP: _("XMP metadata"),
    file_cleaning.IPTC: _("IPTC details (captions, credits)"),
    file_cleaning.COMMENTS: _("comments and text hidden in the file"),
    file_cleaning.THUMBNAILS: _("thumbnails and preview pictures"),
    file_cleaning.COLOUR_PROFILE: _("colour profile"),
    file_cleaning.DOCUMENT_INFO: _("document details (author, title, software, dates)"),
    file_cleaning.COMMENT_AUTHORS: _("names and times on comments"),
    file_cleaning.EMBEDDED_PHOTO_DETAILS: _("photo details in pictures inside the document"),
    file_cleaning.EDITING_DATA: _("editing software data"),
    file_cleaning.EMBEDDED_FILES: _("files embedded in the document"),
    file_cleaning.JAVASCRIPT: _("scripts"),
    file_cleaning.ACTIONS: _("actions that run when it is opened"),
    file_cleaning.FILE_NAME: _("the file's name"),
}


def removed_words(codes):
    """The removed codes as words, in the order cleaning lists them."""
    return [str(REMOVED_WORDS[code]) for code in codes if code in REMOVED_WORDS]


def find(case, number):
    """The attachment ``number`` of ``case``, or None (also when it was redacted)."""
    return (
        Attachment.objects.select_related("case")
        .filter(case=case, number=number, storage_key__isnull=False)
        .first()
    )


def open_for_adviser(attachment, *, user):
    """The decrypted content, a chunk at a time; the opening goes in the case history.

    The caller has checked that ``user`` may see the case. The history line names the
    attachment by its number, never by any name.
    """
    chunks = _chunks(attachment)
    audit.record(
        attachment.case,
        audit.ATTACHMENT_OPENED,
        user=user,
        data={"attachment": attachment.number, "kind": attachment.kind},
    )
    return chunks


def open_for_reporter(attachment):
    """The decrypted content for the reporter of the case (not recorded: the history
    must not show when a reporter was active beyond what they sent)."""
    return _chunks(attachment)


def read_for_case_file(attachment):
    """The whole decrypted content, to embed an image in a case file (whose download is
    recorded once, in ``case_files``)."""
    return b"".join(_chunks(attachment))


def _chunks(attachment):
    """The content as an iterator whose first chunk is already read, so that a missing
    or unreadable file is found before a response starts."""
    chunks = attachment_storage.open_chunks(attachment.storage_key)
    try:
        first = next(chunks, b"")
    except attachment_storage.UnreadableAttachment:
        logger.error(
            "Attachment %s of case %s could not be read.", attachment.pk, attachment.case_id
        )
        raise

    def all_chunks():
        yield first
        yield from chunks

    return all_chunks()


def sweep_orphans(now=None):
    """Delete stored files that no attachment row names and that are older than
    ``ATTACHMENT_ORPHAN_SECONDS`` (a file is written just before its row is). Returns
    the count."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=get_setting("ATTACHMENT_ORPHAN_SECONDS"))
    keys = attachment_storage.stored_keys()
    deleted = 0
    for start in range(0, len(keys), 500):
        batch = keys[start : start + 500]
        known = set(
            Attachment.objects.filter(storage_key__in=batch).values_list("storage_key", flat=True)
        )
        for key in batch:
            if key in known:
                continue
            try:
                if attachment_storage.modified_at(key) > cutoff:
                    continue
                attachment_storage.delete(key)
            except OSError:
                logger.warning("An orphaned attachment file could not be deleted; will retry.")
                continue
            deleted += 1
    return deleted
