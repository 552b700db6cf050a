"""Cells of the case list that need more than a field's value."""

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext

from ..deadlines import MarkerState, statutory_markers


def _short(moment):
    return date_format(moment.astimezone(timezone.get_current_timezone()), "SHORT_DATETIME_FORMAT")


def statutory_cell(case):
    """The next statutory deadline still open, if the case's site shows them; else ""."""
    for marker in statutory_markers(case):
        if marker.done_at is None:
            text = gettext("%(marker)s by %(date)s") % {
                "marker": marker.label,
                "date": _short(marker.due),
            }
            if marker.state == MarkerState.OVERDUE:
                return format_html(
                    '<span class="w-status w-status--label">{}</span> {}',
                    marker.state_label,
                    text,
                )
            return text
    return ""
