"""The case's history in Wagtail's audit log: every opening, reply, note, status change,
assignment and contact-details view, shown on the history page, never with the
reporter's code, an address, or the text of a report, message or note."""

import json
import re

import pytest
from django.core import serializers
from django.test import Client

from anon_messaging import audit
from anon_messaging.models import Case, CaseLogEntry, CaseOutcome
from tests.admin_support import case_url
from tests.factories import make_case
from tests.reporter_journey import MESSAGING_SEND, log_in, submit_anonymous

# The cast of the permission matrix and its cases (tests/admin_fixtures.py).
pytest_plugins = ["tests.admin_fixtures"]


REPORT_TEXT = "Report-text-that-must-not-be-logged"
REPLY_TEXT = "Reply-text-that-must-not-be-logged"
NOTE_TEXT = "Note-text-that-must-not-be-logged"
REPORTER_TEXT = "Reporter-message-that-must-not-be-logged"


@pytest.fixture
def worked_case(reporter_site, cast):
    """A case from the reporter journey that an adviser then works through."""
    outcome = CaseOutcome.objects.create(name="Advice given")
    reporter = Client(REMOTE_ADDR="203.0.113.77")
    _response, code = submit_anonymous(reporter, REPORT_TEXT)
    log_in(reporter, code)
    reporter.post(MESSAGING_SEND, {"body": REPORTER_TEXT})
    case = Case.objects.order_by("-pk").first()
    contact_case, _ = make_case(route=Case.Route.CONTACT, adviser=cast.unassigned)

    adviser = Client(REMOTE_ADDR="198.51.100.9")
    adviser.force_login(cast.unassigned)
    adviser.get(case_url(case))
    adviser.post(case_url(case), {"action": "reply", "reply-body": REPLY_TEXT})
    adviser.get(case_url(case))  # back after the reply: not a new opening
    adviser.post(case_url(case), {"action": "note", "note-body": NOTE_TEXT})
    adviser.post(
        case_url(case),
        {"action": "assign", "assign-adviser": cast.unassigned.pk, "assign-team": cast.advisers.pk},
    )
    adviser.post(
        case_url(case),
        {"action": "status", "status-status": "closed", "status-outcomes": [outcome.pk]},
    )
    adviser.get(case_url(contact_case, "contact"))
    adviser.get(case_url(contact_case, "contact"))
    return {"case": case, "contact_case": contact_case, "code": code, "adviser": adviser}


def actions(case):
    return list(
        CaseLogEntry.objects.filter(case=case)
        .order_by("timestamp", "pk")
        .values_list("action", flat=True)
    )


def test_each_adviser_action_is_logged_once_by_the_adviser(worked_case, cast):
    assert actions(worked_case["case"]) == [
        audit.OPENED,
        audit.STATUS_CHANGED,  # new -> open on opening
        audit.REPLIED,
        audit.NOTE_ADDED,
        audit.ASSIGNED,
        audit.STATUS_CHANGED,
    ]
    assert set(
        CaseLogEntry.objects.filter(case=worked_case["case"]).values_list("user", flat=True)
    ) == {cast.unassigned.pk}
    assert actions(worked_case["contact_case"]) == [
        audit.CONTACT_DETAILS_VIEWED,
        audit.CONTACT_DETAILS_VIEWED,
    ]


def test_the_audit_trail_holds_no_code_address_or_text(worked_case):
    dump = serializers.serialize("json", CaseLogEntry.objects.all())
    code_symbols = re.sub(r"[^0-9A-Z]", "", worked_case["code"])
    for secret in (
        REPORT_TEXT,
        REPLY_TEXT,
        NOTE_TEXT,
        REPORTER_TEXT,
        "203.0.113.77",
        "198.51.100.9",
    ):
        assert secret not in dump
    assert worked_case["code"] not in dump and code_symbols not in dump
    assert "rowan@example.net" not in dump and "Rowan" not in dump
    # What it does hold: statuses, outcome names and who was assigned.
    closing = CaseLogEntry.objects.filter(
        case=worked_case["case"], action=audit.STATUS_CHANGED
    ).latest("timestamp", "pk")
    assert closing.data == {"from": "open", "to": "closed", "outcomes": ["Advice given"]}
    json.dumps(closing.data)


def test_the_history_page_shows_the_case_history(worked_case):
    response = worked_case["adviser"].get(case_url(worked_case["case"], "history"))
    assert response.status_code == 200
    text = re.sub(r"\s+", " ", response.content.decode())
    for line in [
        "Opened the case",
        "Status changed from “New” to “Open” (on opening the case)",
        "Replied to the reporter",
        "Added an internal note",
        "Assigned to Bob, team Case advisers",
        "Status changed from “Open” to “Closed”, with outcomes: Advice given",
    ]:
        assert line in text, line
    contact_history = worked_case["adviser"].get(case_url(worked_case["contact_case"], "history"))
    assert contact_history.content.decode().count("Viewed the contact details") == 2


def test_every_opening_is_logged_but_not_the_page_after_an_action(cast):
    case, _ = make_case(adviser=cast.assigned)
    adviser = Client()
    adviser.force_login(cast.assigned)
    adviser.get(case_url(case))
    adviser.get(case_url(case))
    adviser.post(case_url(case), {"action": "note", "note-body": "x"})
    adviser.get(case_url(case))
    adviser.get(case_url(case))
    assert actions(case).count(audit.OPENED) == 3


def test_unassigning_is_logged_and_reads_as_such(cast):
    case, _ = make_case(adviser=cast.assigned)
    adviser = Client()
    adviser.force_login(cast.superuser)
    adviser.post(case_url(case), {"action": "assign", "assign-adviser": "", "assign-team": ""})
    entry = CaseLogEntry.objects.get(case=case, action=audit.ASSIGNED)
    assert entry.data == {"adviser": None, "team": None}
    assert entry.message == "Unassigned"
