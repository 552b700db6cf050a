"""Case files: a case as a PDF, for a formal process or a subject access request.

``make_case_file`` renders ``templates/anon_messaging/admin/case_file.html`` with
WeasyPrint: the report, the conversation, the attachments listed (images embedded when
asked), optionally the internal notes and the history. Text is shown as stored, so
redactions show as gaps (``redaction.py``). Every page's margin says who made the file
and when, and each file made is recorded in the case history. Contact details are
never in it: they stay behind their own permission, in the case view.

The caller has checked that the user may see the case (``permissions.py``). WeasyPrint
fetches nothing: images are embedded as ``data:`` addresses and any other address is
refused, so a file cannot reach the network or the server's disk.
"""

import base64

from django.template.loader import render_to_string
from django.utils import timezone, translation

from . import attachments, audit

TEMPLATE = "anon_messaging/admin/case_file.html"


class CaseFileOptions:
    """What a case file holds beyond the report, the conversation and the attachment list."""

    def __init__(self, *, images=False, notes=False, history=False):
        self.images, self.notes, self.history = bool(images), bool(notes), bool(history)

    def as_data(self):
        return {"images": self.images, "notes": self.notes, "history": self.history}


def person_name(user):
    return user.get_full_name().strip() or user.get_username()


def _data_only_fetcher():
    """A WeasyPrint URL fetcher that reads ``data:`` addresses and refuses every other."""
    try:
        from weasyprint.urls import URLFetcher  # WeasyPrint 68 and later
    except ImportError:  # pragma: no cover - older WeasyPrint: a function
        from weasyprint import default_url_fetcher

        def fetch(url, *args, **kwargs):
            if not url.startswith("data:"):
                raise ValueError("A case file fetches nothing but its own images.")
            return default_url_fetcher(url, *args, **kwargs)

        return fetch
    return URLFetcher(allowed_protocols=("data",))


def _image_data_uri(attachment):
    try:
        content = attachments.read_for_case_file(attachment)
    except attachments.attachment_storage.UnreadableAttachment:
        return None
    encoded = base64.b64encode(content).decode("ascii")
    return f"data:{attachment.content_type};base64,{encoded}"


def context_for(case, *, user, options, now=None):
    """What the template shows. Overridable through the template alone."""
    now = now or timezone.now()
    conversation = list(case.messages.select_related("author"))
    files_by_message = {}
    for attachment in case.attachments.select_related("case").order_by("number"):
        if options.images and attachment.is_image and not attachment.is_redacted:
            attachment.embedded = _image_data_uri(attachment)
        files_by_message.setdefault(attachment.message_id, []).append(attachment)
    for message in conversation:
        message.shown_attachments = files_by_message.get(message.pk, [])
    return {
        "case": case,
        "conversation": conversation,
        "report_attachments": files_by_message.get(None, []),
        "notes": list(case.notes.select_related("author")) if options.notes else None,
        "history": list(audit.history(case)) if options.history else None,
        "options": options,
        "made_by": person_name(user),
        "made_at": now,
        "exclusions": list(case.exclusions.select_related("user")),
    }


def make_case_file(case, *, user, options):
    """The case file of ``case`` as PDF bytes; the download is recorded in its history."""
    from weasyprint import HTML  # loads Pango: only when a file is made

    html = render_to_string(TEMPLATE, context_for(case, user=user, options=options))
    pdf = HTML(string=html, url_fetcher=_data_only_fetcher(), base_url=None).write_pdf()
    audit.record(case, audit.CASE_FILE_DOWNLOADED, user=user, data=options.as_data())
    return pdf


def file_name(case):
    """The name the file downloads under: the reference only."""
    with translation.override(None):
        return f"{case.reference}-case-file.pdf"
