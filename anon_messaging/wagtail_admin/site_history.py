"""Wagtail's "Site history" report with the cases' log model beside Wagtail's own two.

The report unions one query per registered log model, one ``union()`` at a time, so a
third model (``CaseLogEntry``) nests a combined query inside another. From Django 6.1 a
combined query takes its first model's default ordering (every log model has one), and
SQLite refuses an ``ORDER BY`` inside a compound statement: the report failed for every
user ("ORDER BY not allowed in subqueries of compound statements"). Which model comes
first is the iteration order of Wagtail's registry, a set, so it changes from process to
process, and ``CaseLogEntryManager.viewable_by_user`` cannot prevent it on its own.

``install()`` wraps the report's ``get_filtered_queryset`` to drop the ordering of the
nested combined queries; the report orders the whole union itself, so nothing changes
in what it shows or in which order. Called once from ``AppConfig.ready``.
"""

from functools import wraps

_INSTALLED_MARK = "_anon_messaging_unordered_unions"


def clear_nested_ordering(query):
    """Remove the ordering of every combined query nested in ``query`` (not its own)."""
    for part in query.combined_queries:
        if part.combinator:
            part.clear_ordering(force=True, clear_default=True)
        clear_nested_ordering(part)


def install():
    """Make the site history report's union valid on every supported Django."""
    from wagtail.admin.views.reports.audit_logging import LogEntriesView

    original = getattr(LogEntriesView, "get_filtered_queryset", None)
    if original is None or getattr(original, _INSTALLED_MARK, False):
        return

    @wraps(original)
    def get_filtered_queryset(self):
        queryset = original(self)
        if queryset is not None:
            clear_nested_ordering(queryset.query)
        return queryset

    setattr(get_filtered_queryset, _INSTALLED_MARK, True)
    LogEntriesView.get_filtered_queryset = get_filtered_queryset
