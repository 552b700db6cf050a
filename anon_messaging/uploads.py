"""Receiving files: in memory only, and never more than the limits allow.

Django writes an upload larger than ``FILE_UPLOAD_MAX_MEMORY_SIZE`` (2.5 MB) to a
temporary file while the request lasts: for a reporter, a plaintext copy of the
original, metadata and all, on the server's disk, left behind if the process is
killed. ``AttachmentUploadHandler``, first in ``FILE_UPLOAD_HANDLERS``, keeps the
files sent to reporter pages and to the advisers' case view in memory instead, and
stops keeping a file's bytes once it is over the size allowed (its true size is
still counted, so the form can say how large it was) or once more files came than
are allowed. Other admin requests (Wagtail's images and documents) get Django's own
handlers. A system check (anon_messaging.W510) says when the handler is missing.
"""

import io

from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopFutureHandlers

from . import error_reports, reporting_settings
from .conf import get_setting

HANDLER_PATH = "anon_messaging.uploads.AttachmentUploadHandler"
_CASE_VIEW_PREFIX = "anon_messaging_case_modeladmin_"


def receives_attachments(request):
    """Reporter pages (any page outside the admin) and the advisers' case view."""
    if request is None:
        return False
    if not error_reports.is_admin_request(request):
        return True
    match = getattr(request, "resolver_match", None)
    return bool(match and (match.url_name or "").startswith(_CASE_VIEW_PREFIX))


def limits_for(request):
    """``(files, bytes per file)`` this request may send: the site's, within the ceilings."""
    ceiling = (
        get_setting("ATTACHMENT_MAX_FILES"),
        get_setting("ATTACHMENT_MAX_FILE_MB") * 1024 * 1024,
    )
    if error_reports.is_admin_request(request):
        return ceiling  # the case's own site is not known yet; the form applies it
    try:
        return reporting_settings.for_request(request).file_limits
    except Exception:  # no site or no database: the ceilings still bound memory
        return ceiling


class AttachmentUploadHandler(FileUploadHandler):
    """Keeps attachments in memory, at most one byte past the size allowed each."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.active = receives_attachments(self.request)
        if self.active:
            self.max_files, self.max_bytes = limits_for(self.request)
            self.files_seen = 0

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        if self.active:
            self.files_seen += 1
            self.buffer = io.BytesIO()
            self.received = 0
            # This handler keeps the file; no other handler writes it to disk.
            raise StopFutureHandlers()

    def receive_data_chunk(self, raw_data, start):
        if not self.active:
            return raw_data
        self.received += len(raw_data)
        room = self.max_bytes + 1 - self.buffer.tell()
        if room > 0 and self.files_seen <= self.max_files:
            self.buffer.write(raw_data[:room])
        return None

    def file_complete(self, file_size):
        if not self.active:
            return None
        self.buffer.seek(0)
        # ``size`` is what was sent, even where only the start of it was kept: the form
        # refuses a file over the limit by its size, naming how large it was.
        return InMemoryUploadedFile(
            file=self.buffer,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=self.received,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )
