"""Addresses of the advisers' area: the one URL helper.

Everything outside the adapter (the dashboard, templates through the view context,
the notifier through the ``anon_messaging_case_list_url`` hook, tests) asks here;
only ``modeladmin.py`` knows how the addresses are made.
"""

from django.utils.http import urlencode

from .modeladmin import ATTACHMENT_ACTION, CASE_FILE_ACTION, RECORD_REPORT_ACTION, case_action_url


def case_list_url(**filters):
    """The case list, with the list's own filters (``status``, ``assigned``, ``overdue``...)."""
    url = case_action_url("index")
    return f"{url}?{urlencode(filters)}" if filters else url


def case_url(case):
    """The case view of ``case`` (a ``Case`` or its id)."""
    return case_action_url("inspect", getattr(case, "pk", case))


def case_history_url(case):
    return case_action_url("history", getattr(case, "pk", case))


def contact_details_url(case):
    return case_action_url("contact", getattr(case, "pk", case))


def attachment_url(attachment):
    """Where an adviser opens ``attachment`` (each opening is recorded)."""
    return case_action_url(ATTACHMENT_ACTION, attachment.case_id, attachment.number)


def case_file_url(case):
    """Where an adviser chooses what a case file holds and downloads it."""
    return case_action_url(CASE_FILE_ACTION, getattr(case, "pk", case))


def record_report_url():
    """Where an adviser records a report taken in person, by phone or on paper."""
    return case_action_url(RECORD_REPORT_ACTION)
