"""The case view: the report, opening, replying (seen by the reporter), internal notes,
status and outcomes, assignment, contact details, and errors that keep what was typed."""

import re
from unittest import mock

import pytest
from django.db import DatabaseError
from django.test import Client

from anon_messaging import cases
from anon_messaging.models import Case, CaseOutcome, InternalNote, Message
from tests.admin_support import LIST_URL, case_url
from tests.factories import make_case
from tests.reporter_journey import MESSAGING, MESSAGING_SEND, log_in, submit_anonymous

# The cast of the permission matrix and its cases (tests/admin_fixtures.py).
pytest_plugins = ["tests.admin_fixtures"]


def page_text(response):
    return re.sub(r"\s+", " ", response.content.decode())


def textarea_value(response, name):
    match = re.search(
        rf'<textarea name="{name}"[^>]*>(.*?)</textarea>', response.content.decode(), re.S
    )
    return match.group(1).strip() if match else None


@pytest.fixture
def adviser_client(cast):
    client = Client()
    client.force_login(cast.assigned)
    return client


# --- The journey: a reporter's new case, an adviser's reply, the reporter reads it ---------


def test_an_intake_adviser_finds_a_new_report_replies_and_the_reporter_reads_the_reply(
    reporter_site, cast
):
    reporter = Client()
    _response, code = submit_anonymous(reporter, "Someone keeps taking my things from the lab.")
    case = Case.objects.order_by("-pk").first()
    assert case.status == Case.Status.NEW

    # New cases go to the intake team (Case advisers), so bob, a plain adviser, finds it.
    adviser = Client()
    adviser.force_login(cast.unassigned)
    assert case.reference in adviser.get(LIST_URL, {"assigned": "team"}).content.decode()
    opened = adviser.get(case_url(case))
    assert "Someone keeps taking my things from the lab." in page_text(opened)
    case.refresh_from_db()
    assert case.status == Case.Status.OPEN

    sent = adviser.post(
        case_url(case), {"action": "reply", "reply-body": "Thank you. We can help with that."}
    )
    assert sent.status_code == 302
    assert sent["Location"] == case_url(case) + "#conversation-section"

    log_in(reporter, code)
    conversation = page_text(reporter.get(MESSAGING))
    assert "Thank you. We can help with that." in conversation
    assert ">New<" in conversation.replace(" ", "")  # marked new until seen
    assert "Your message was sent" not in conversation
    # ...and the next load no longer marks it new; the adviser sees it was read.
    assert ">New<" not in page_text(reporter.get(MESSAGING)).replace(" ", "")
    assert "Read by the reporter" in page_text(adviser.get(case_url(case)))


def test_opening_a_case_marks_the_reporters_messages_read_and_moves_new_to_open(
    reporter_site, cast
):
    reporter = Client()
    _response, code = submit_anonymous(reporter, "First report text.")
    case = Case.objects.order_by("-pk").first()
    log_in(reporter, code)
    reporter.post(MESSAGING_SEND, {"body": "A follow-up from the reporter."})
    assert "Not read yet" in page_text(reporter.get(MESSAGING))

    adviser = Client()
    adviser.force_login(cast.assigned)
    page = page_text(adviser.get(case_url(case)))
    assert "New" in page  # the reporter's unread message is flagged for the adviser
    message = Message.objects.get(case=case, sender=Message.Sender.REPORTER)
    assert message.read_by_adviser_at is not None
    case.refresh_from_db()
    assert case.status == Case.Status.OPEN
    assert "Read by an adviser" in page_text(reporter.get(MESSAGING))


# --- Reply ---------------------------------------------------------------------------------


def test_a_reply_whose_adviser_account_was_deleted_still_shows(adviser_client, assigned_case):
    cases.post_message(
        assigned_case, sender=Message.Sender.ADVISER, body="Written before they left.", author=None
    )
    response = adviser_client.get(case_url(assigned_case))
    assert response.status_code == 200
    assert "Written before they left." in page_text(response)
    assert "(account removed)" in page_text(response)


def test_a_note_whose_adviser_account_was_deleted_still_shows(adviser_client, assigned_case):
    InternalNote.objects.create(case=assigned_case, author=None, body="Noted before they left.")
    response = adviser_client.get(case_url(assigned_case))
    assert response.status_code == 200
    assert "Noted before they left." in page_text(response)


def test_an_empty_reply_is_refused_with_a_clear_error(adviser_client, assigned_case):
    response = adviser_client.post(case_url(assigned_case), {"action": "reply", "reply-body": " "})
    assert response.status_code == 200
    assert "Write a reply before sending." in page_text(response)
    assert "<title>Error:" in response.content.decode()
    assert not Message.objects.filter(case=assigned_case).exists()


def test_a_too_long_reply_keeps_the_typed_text(adviser_client, assigned_case, settings):
    settings.ANON_MESSAGING = {**settings.ANON_MESSAGING, "MESSAGE_MAX_LENGTH": 20}
    typed = "This reply is far longer than twenty characters."
    response = adviser_client.post(
        case_url(assigned_case), {"action": "reply", "reply-body": typed}
    )
    assert response.status_code == 200
    assert "the limit is 20 characters" in page_text(response)
    assert textarea_value(response, "reply-body") == typed
    assert not Message.objects.filter(case=assigned_case).exists()


def test_a_reply_the_database_cannot_store_keeps_the_text_and_stores_nothing(
    adviser_client, assigned_case
):
    with mock.patch.object(Message.objects, "create", side_effect=DatabaseError("locked")):
        response = adviser_client.post(
            case_url(assigned_case), {"action": "reply", "reply-body": "Kept text."}
        )
    assert response.status_code == 200
    assert "could not be saved just now" in page_text(response)
    assert textarea_value(response, "reply-body") == "Kept text."
    assert not Message.objects.filter(case=assigned_case).exists()
    assert not assigned_case.__class__.objects.get(pk=assigned_case.pk).last_adviser_message_at


def test_no_reply_to_a_reporter_who_has_no_messaging(adviser_client, cast):
    case, _code = make_case(adviser=cast.assigned, opt_in=False)
    page = adviser_client.get(case_url(case))
    assert 'name="reply-body"' not in page.content.decode()
    assert "cannot read replies" in page_text(page)
    response = adviser_client.post(case_url(case), {"action": "reply", "reply-body": "Hello?"})
    assert "so they cannot read replies here" in page_text(response)
    assert textarea_value(response, "reply-body") == "Hello?"
    assert not Message.objects.filter(case=case).exists()


def test_a_reply_from_a_page_opened_before_the_case_was_closed_is_refused(
    adviser_client, assigned_case
):
    Case.objects.filter(pk=assigned_case.pk).update(status=Case.Status.CLOSED)
    response = adviser_client.post(
        case_url(assigned_case), {"action": "reply", "reply-body": "Too late."}
    )
    assert "This case is closed. Reopen it to reply." in page_text(response)
    assert textarea_value(response, "reply-body") == "Too late."
    assert not Message.objects.filter(case=assigned_case).exists()


def test_a_reply_ends_the_wait_for_a_response(adviser_client, assigned_case):
    assert assigned_case.awaiting_reply
    adviser_client.post(case_url(assigned_case), {"action": "reply", "reply-body": "Hello."})
    assigned_case.refresh_from_db()
    assert not assigned_case.awaiting_reply
    assert assigned_case.acknowledged_at is not None
    message = Message.objects.get(case=assigned_case)
    assert message.sender == Message.Sender.ADVISER and message.author_id is not None


# --- Internal notes ------------------------------------------------------------------------


def test_notes_are_shown_apart_to_advisers_and_never_to_the_reporter(reporter_site, cast):
    reporter = Client()
    _response, code = submit_anonymous(reporter, "Report for the notes test.")
    case = Case.objects.order_by("-pk").first()
    adviser = Client()
    adviser.force_login(cast.unassigned)
    adviser.post(case_url(case), {"action": "note", "note-body": "Only-for-advisers remark."})
    adviser.post(case_url(case), {"action": "reply", "reply-body": "A visible reply."})
    assert InternalNote.objects.filter(case=case).count() == 1

    page = adviser.get(case_url(case)).content.decode()
    notes_panel = page[page.index('id="notes-section"') :]
    assert "Only-for-advisers remark." in notes_panel
    assert "Advisers only. Notes are never shown to the reporter." in notes_panel
    conversation = page[page.index('id="conversation-section"') : page.index('id="notes-section"')]
    assert "Only-for-advisers remark." not in conversation

    log_in(reporter, code)
    reporter_page = page_text(reporter.get(MESSAGING))
    assert "A visible reply." in reporter_page
    assert "Only-for-advisers remark." not in reporter_page


def test_an_empty_note_is_refused(adviser_client, assigned_case):
    response = adviser_client.post(case_url(assigned_case), {"action": "note", "note-body": ""})
    assert "Write a note before saving." in page_text(response)
    assert not InternalNote.objects.exists()


# --- Status and outcomes -------------------------------------------------------------------


@pytest.fixture
def outcomes(db):
    return [
        CaseOutcome.objects.create(name="Advice given", sort_order=1),
        CaseOutcome.objects.create(name="Referred", sort_order=2),
        CaseOutcome.objects.create(name="Retired outcome", active=False),
    ]


def close(client, case, outcome_pks):
    return client.post(
        case_url(case),
        {"action": "status", "status-status": "closed", "status-outcomes": outcome_pks},
    )


def test_closing_needs_at_least_one_outcome(adviser_client, assigned_case, outcomes):
    response = close(adviser_client, assigned_case, [])
    assert "Choose at least one outcome to close the case." in page_text(response)
    assigned_case.refresh_from_db()
    assert assigned_case.status != Case.Status.CLOSED


def test_inactive_outcomes_are_not_offered(adviser_client, assigned_case, outcomes):
    page = page_text(adviser_client.get(case_url(assigned_case)))
    assert "Advice given" in page and "Retired outcome" not in page
    response = close(adviser_client, assigned_case, [outcomes[2].pk])
    assert "Select a valid choice" in page_text(response)


def test_close_with_outcomes_then_reopen(reporter_site, cast, outcomes):
    reporter = Client()
    _response, code = submit_anonymous(reporter, "Report to close.")
    case = Case.objects.order_by("-pk").first()
    adviser = Client()
    adviser.force_login(cast.unassigned)

    assert close(adviser, case, [outcomes[0].pk, outcomes[1].pk]).status_code == 302
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED and case.closed_at is not None
    assert set(case.outcomes.values_list("name", flat=True)) == {"Advice given", "Referred"}
    page = page_text(adviser.get(case_url(case)))
    assert "Outcomes: Advice given, Referred" in page
    assert 'name="reply-body"' not in page and "Reopen case" in page

    log_in(reporter, code)
    assert "This case is closed" in page_text(reporter.get(MESSAGING))

    reopened = adviser.post(case_url(case), {"action": "status", "status-status": "open"})
    assert reopened.status_code == 302
    case.refresh_from_db()
    assert case.status == Case.Status.OPEN and case.closed_at is None
    assert not case.outcomes.exists()


def test_waiting_for_the_reporter_and_outcomes_only_when_closing(
    adviser_client, assigned_case, outcomes
):
    response = adviser_client.post(
        case_url(assigned_case),
        {"action": "status", "status-status": "waiting", "status-outcomes": [outcomes[0].pk]},
    )
    assert "Outcomes are recorded only when closing" in page_text(response)
    adviser_client.post(case_url(assigned_case), {"action": "status", "status-status": "waiting"})
    assigned_case.refresh_from_db()
    assert assigned_case.status == Case.Status.WAITING
    # A reporter's message brings a waiting case back to open (cases.post_message).
    cases.post_message(assigned_case, sender=Message.Sender.REPORTER, body="Back again.")
    assigned_case.refresh_from_db()
    assert assigned_case.status == Case.Status.OPEN


def test_nobody_sets_a_case_back_to_new(adviser_client, assigned_case):
    adviser_client.get(case_url(assigned_case))
    response = adviser_client.post(
        case_url(assigned_case), {"action": "status", "status-status": "new"}
    )
    assert "Select a valid choice" in page_text(response)


def test_a_response_outside_messaging_ends_the_wait(adviser_client, cast):
    case, _code = make_case(route=Case.Route.CONTACT, adviser=cast.assigned)
    assert "Record a response made outside messaging" in page_text(
        adviser_client.get(case_url(case))
    )
    assert adviser_client.post(case_url(case), {"action": "responded"}).status_code == 302
    case.refresh_from_db()
    assert not case.awaiting_reply and case.acknowledged_at is not None


# --- Assignment ------------------------------------------------------------------------------


def test_assign_to_an_adviser_and_a_team(adviser_client, cast, assigned_case):
    response = adviser_client.post(
        case_url(assigned_case),
        {"action": "assign", "assign-adviser": cast.unassigned.pk, "assign-team": cast.advisers.pk},
    )
    assigned_case.refresh_from_db()
    assert assigned_case.assigned_to == cast.unassigned
    assert assigned_case.assigned_team == cast.advisers
    # alice is in Case advisers, so she still sees it.
    assert response["Location"].startswith(case_url(assigned_case))
    bob = Client()
    bob.force_login(cast.unassigned)
    assert bob.get(case_url(assigned_case)).status_code == 200


def test_assigning_a_case_away_sends_the_adviser_back_to_the_list(
    adviser_client, cast, assigned_case
):
    response = adviser_client.post(
        case_url(assigned_case),
        {"action": "assign", "assign-adviser": "", "assign-team": cast.team.pk},
    )
    assert response.status_code == 302 and response["Location"] == LIST_URL
    assert adviser_client.get(case_url(assigned_case)).status_code == 404


def test_only_people_and_teams_who_may_see_cases_are_offered(adviser_client, cast, assigned_case):
    page = adviser_client.get(case_url(assigned_case)).content.decode()
    adviser_select = page[
        page.index('name="assign-adviser"') : page.index(
            "</select>", page.index('name="assign-adviser"')
        )
    ]
    assert "Bob (bob)" in adviser_select and "Eddie" not in adviser_select
    response = adviser_client.post(
        case_url(assigned_case), {"action": "assign", "assign-adviser": cast.editor.pk}
    )
    assert "Select a valid choice" in page_text(response)
    editors = cast.editor.groups.get()
    response = adviser_client.post(
        case_url(assigned_case), {"action": "assign", "assign-team": editors.pk}
    )
    assert "Select a valid choice" in page_text(response)
    assigned_case.refresh_from_db()
    assert assigned_case.assigned_to == cast.assigned


def test_assigning_the_same_way_again_says_so(adviser_client, cast, assigned_case):
    response = adviser_client.post(
        case_url(assigned_case),
        {"action": "assign", "assign-adviser": cast.assigned.pk, "assign-team": cast.team.pk},
    )
    assert "already assigned that way" in page_text(response)


def test_an_unknown_action_changes_nothing(adviser_client, assigned_case):
    response = adviser_client.post(case_url(assigned_case), {"action": "delete"})
    assert response.status_code == 302
    assert Case.objects.filter(pk=assigned_case.pk).exists()


# --- Contact details ---------------------------------------------------------------------


def test_contact_details_are_shown_on_their_own_page_only_for_the_contact_route(
    adviser_client, cast
):

    case, _code = make_case(route=Case.Route.CONTACT, adviser=cast.assigned)
    case_page = page_text(adviser_client.get(case_url(case)))
    assert "rowan@example.net" not in case_page  # not on the case page itself
    assert "Show contact details" in case_page
    details = page_text(adviser_client.get(case_url(case, "contact")))
    assert "Rowan Reporter" in details and "rowan@example.net" in details
    assert "+44 20 7946 0001" in details and "Email" in details


def test_the_reply_form_is_labelled_and_protected_against_csrf(cast, assigned_case):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.assigned)
    page = client.get(case_url(assigned_case)).content.decode()
    assert '<label class="w-field__label" for="id_reply-body"' in page
    assert '<label class="w-field__label" for="id_note-body"' in page
    assert page.count('name="csrfmiddlewaretoken"') >= 4
    refused = client.post(case_url(assigned_case), {"action": "reply", "reply-body": "No token."})
    assert refused.status_code == 403
    assert not Message.objects.filter(case=assigned_case).exists()
