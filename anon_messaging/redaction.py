"""Redaction marks: how a redacted passage is stored and shown.

A redacted passage is replaced in the stored text by one ``GAP`` character (from
Unicode's private use area, which no keyboard types); the original is not kept
anywhere. Pages show each gap as a marked "[redacted]" (``show_gaps``). Text that
people send is stored without the character (``without_gaps``), so nobody can fake a
redaction. Who redacted what and why is in the case history (``audit.REDACTED``); the
redacting itself is ``cases.redact_text``'s.
"""

from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

GAP = "\ue000"


def without_gaps(text):
    """``text`` as sent, with any gap character taken out (nobody can fake a redaction)."""
    return text.replace(GAP, "") if isinstance(text, str) else text


def redact(text, passage):
    """``(new text, how many times passage was found)``: every occurrence replaced by a gap.

    Line endings are compared as ``\\n``, so a passage copied from a page still matches.
    """
    if not isinstance(text, str) or not passage:
        return text, 0
    text_n, passage_n = text.replace("\r\n", "\n"), passage.replace("\r\n", "\n").strip()
    if not passage_n:
        return text, 0
    count = text_n.count(passage_n)
    if not count:
        return text, 0
    return text_n.replace(passage_n, GAP), count


def show_gaps(html):
    """Already-escaped HTML with each gap shown as a marked "[redacted]"."""
    html = conditional_escape(html)
    if GAP not in html:
        return html
    mark = format_html('<mark class="am-redacted">{}</mark>', gettext("[redacted]"))
    return mark_safe(str(html).replace(GAP, str(mark)))  # noqa: S308 - escaped above


def as_plain_text(text):
    """``text`` with each gap written as "[redacted]", for plain-text output."""
    return text.replace(GAP, gettext("[redacted]")) if isinstance(text, str) else text
