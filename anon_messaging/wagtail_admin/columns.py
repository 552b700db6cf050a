"""Cells of the case list that need more than a field's value."""

from django.utils.html import format_html
from django.utils.translation import gettext

from ..deadlines import MarkerState, due_phrase_for_site, statutory_markers


def statutory_cell(case):
    """The next statutory deadline still open, if the case's site shows them; else "".

    "Acknowledgement by 17:00 on Wednesday 3 December": ``deadlines.due_phrase``, the one
    formatter of due times."""
    for marker in statutory_markers(case):
        if marker.done_at is None:
            text = gettext("%(marker)s %(due)s") % {
                "marker": marker.label,
                "due": due_phrase_for_site(marker.due, case.site_id),
            }
            if marker.state == MarkerState.OVERDUE:
                return format_html(
                    '<span class="w-status w-status--label">{}</span> {}',
                    marker.state_label,
                    text,
                )
            return text
    return ""
