"""Report form pages: the two routes, validation that keeps what was typed, the snapshot of
answers, resubmission, and atomic storage when the database fails."""

import time
from unittest import mock

import pytest
from django.core import mail, signing
from django.db import DatabaseError
from wagtail.contrib.forms.models import FormSubmission

from anon_messaging import forms
from anon_messaging.models import Case, ContactDetails
from anon_messaging.pages import ReportFormField, ReportFormPage
from tests.reporter_journey import (
    ANONYMOUS_FORM,
    CONTACT_FORM,
    MESSAGING,
    anonymous_answers,
    cases_from_now,
    contact_answers,
    fresh_token,
    log_in,
    shown_code,
    submit,
    submit_anonymous,
)


@pytest.fixture
def new_cases(reporter_site):
    """The cases this test makes."""
    return cases_from_now()


def field_names(response):
    return set(response.context["form"].fields)


# --- The anonymous route ---------------------------------------------------------------------


def test_anonymous_form_asks_nothing_identifying(new_cases, client):
    response = client.get(ANONYMOUS_FORM)
    names = field_names(response)
    assert not names & {"reporter_name", "reporter_email", "reporter_phone", "preferred_contact"}
    html = response.content.decode()
    for autocomplete in ('autocomplete="name"', 'autocomplete="email"', 'autocomplete="tel"'):
        assert autocomplete not in html
    assert 'type="email"' not in html and 'type="tel"' not in html
    assert "messaging_opt_in" in names
    assert "Would you like to use anonymous messaging?" in html


def test_anonymous_report_with_messaging_stores_a_case_and_shows_a_code(new_cases, client):
    response, code = submit_anonymous(client, "Someone took my things.")
    assert code is not None
    case = new_cases.get()
    assert case.route == Case.Route.ANONYMOUS
    assert case.status == Case.Status.NEW
    assert case.messaging_enabled
    assert case.reference.startswith("R-") and len(case.reference) == 8
    assert not ContactDetails.objects.filter(case__in=new_cases).exists()
    assert not FormSubmission.objects.exists()
    html = response.content.decode()
    assert "We have received and stored your report." in html
    # The log-in button beside the code leads to the messaging page, with nothing in the URL.
    assert f'href="{MESSAGING}"' in html


def test_anonymous_report_without_messaging_gets_no_code(new_cases, client):
    response, code = submit_anonymous(client, "I only want you to know.", opt_in=False)
    assert code is None
    assert "Your anonymous messaging code" not in response.content.decode()
    case = new_cases.get()
    assert not case.messaging_enabled
    assert case.selector_digest is None and case.code_hash is None
    assert not ContactDetails.objects.filter(case__in=new_cases).exists()


def test_anonymous_form_needs_an_answer_to_the_messaging_question(new_cases, client):
    data = anonymous_answers("Typed before the error.")
    del data["messaging_opt_in"]
    response = submit(client, ANONYMOUS_FORM, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Choose whether you would like to use anonymous messaging." in html
    assert "Typed before the error." in html
    assert not new_cases.exists()


def test_an_answer_over_the_length_limit_is_refused_and_kept(new_cases, client, settings):
    settings.ANON_MESSAGING = {**settings.ANON_MESSAGING, "ANSWER_MAX_LENGTH": 40}
    long_answer = "A" * 41
    response = submit(client, ANONYMOUS_FORM, anonymous_answers(long_answer))
    html = response.content.decode()
    assert "This is 41 characters long; the limit is 40 characters." in html
    assert long_answer in html
    assert not new_cases.exists()


def test_a_single_line_answer_is_never_cut_off_by_the_browser(new_cases, client):
    # Wagtail gives single-line questions max_length 255; a maxlength attribute would
    # make the browser drop pasted text silently, so the server says what to shorten.
    form_html = client.get(ANONYMOUS_FORM).content.decode()
    assert 'name="where_did_it_happen"' in form_html
    assert "maxlength" not in form_html
    place = "B" * 300
    response = submit(client, ANONYMOUS_FORM, anonymous_answers("Kept.", where_did_it_happen=place))
    html = response.content.decode()
    assert "This is 300 characters long; the limit is 255 characters." in html
    assert place in html
    assert not new_cases.exists()


# --- The route with contact details ----------------------------------------------------------


def test_contact_form_asks_for_contact_details_and_offers_no_code(new_cases, client):
    names = field_names(client.get(CONTACT_FORM))
    assert {"reporter_name", "reporter_email", "reporter_phone", "preferred_contact"} <= names
    assert "messaging_opt_in" not in names


def test_contact_details_are_stored_apart_from_the_answers(new_cases, client):
    response = submit(client, CONTACT_FORM, contact_answers("My manager shouts at me."))
    assert response.status_code == 200
    assert shown_code(response) is None
    case = new_cases.get()
    assert case.route == Case.Route.CONTACT
    assert not case.messaging_enabled and case.code_hash is None
    contact = ContactDetails.objects.get(case=case)
    assert (contact.name, contact.email, contact.phone, contact.preferred_method) == (
        "Alex Example",
        "alex@example.org",
        "+44 20 7946 0000",
        "email",
    )
    stored_answers = repr(case.answers)
    for identifying in ("Alex Example", "alex@example.org", "7946"):
        assert identifying not in stored_answers
    assert "My manager shouts at me." in stored_answers


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        (
            {"reporter_email": "", "reporter_phone": ""},
            "reporter_email",
            "Give an email address or a phone number.",
        ),
        (
            {"reporter_email": "alex-at-example.org"},
            "reporter_email",
            "Enter an email address in the correct format, like name@example.com.",
        ),
        (
            {"reporter_email": "", "preferred_contact": "email"},
            "reporter_email",
            "Give an email address, as you prefer email.",
        ),
        (
            {"reporter_phone": "", "preferred_contact": "phone"},
            "reporter_phone",
            "Give a phone number, as you prefer a phone call.",
        ),
        (
            {"reporter_phone": "call me maybe"},
            "reporter_phone",
            "Enter a phone number using digits, spaces and an optional + at the start.",
        ),
        ({"reporter_name": ""}, "reporter_name", "Enter your name."),
        (
            {"preferred_contact": ""},
            "preferred_contact",
            "Choose how you would prefer us to contact you.",
        ),
    ],
)
def test_contact_details_are_validated_with_specific_errors(
    new_cases, client, changes, field, error
):
    data = contact_answers("Typed text that must survive.", **changes)
    response = submit(client, CONTACT_FORM, data)
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [error]
    html = response.content.decode()
    assert error in html
    assert "Typed text that must survive." in html
    for typed in (data["reporter_name"], data["reporter_email"], data["reporter_phone"]):
        if typed:
            assert f'value="{typed}"' in html
    assert not new_cases.exists()
    assert not ContactDetails.objects.filter(case__in=new_cases).exists()


# --- Resubmission ----------------------------------------------------------------------------


def test_sending_the_same_form_twice_stores_one_case_and_shows_no_code_again(new_cases, client):
    token = fresh_token(client, ANONYMOUS_FORM)
    data = anonymous_answers("Sent twice by a double click.")
    first = submit(client, ANONYMOUS_FORM, data, token=token)
    code = shown_code(first)
    assert code is not None

    for _again in range(2):  # a reload, then the back button and send once more
        again = submit(client, ANONYMOUS_FORM, data, token=token)
        assert again.status_code == 200
        html = again.content.decode()
        assert "Your report was already received" in html
        assert shown_code(again) is None
        assert code not in html
        assert "a messaging code is only ever shown once" in html
    assert new_cases.count() == 1


def test_resubmitting_a_contact_form_stores_its_details_once(new_cases, client):
    token = fresh_token(client, CONTACT_FORM)
    data = contact_answers("Contact route, sent twice.")
    submit(client, CONTACT_FORM, data, token=token)
    again = submit(client, CONTACT_FORM, data, token=token)
    html = again.content.decode()
    assert "Your report was already received" in html
    # Someone who left contact details never had a code: no word of codes or messaging.
    assert "code" not in html.split("<main", 1)[1].split("</main>", 1)[0].lower()
    assert "Log in to anonymous messaging" not in html
    assert new_cases.count() == 1
    assert ContactDetails.objects.filter(case__in=new_cases).count() == 1


def test_a_form_corrected_after_an_error_is_stored_once(new_cases, client):
    token = fresh_token(client, ANONYMOUS_FORM)
    missing = anonymous_answers("")
    assert submit(client, ANONYMOUS_FORM, missing, token=token).context["form"].errors
    corrected = submit(client, ANONYMOUS_FORM, anonymous_answers("Now filled in."), token=token)
    assert shown_code(corrected) is not None
    assert new_cases.count() == 1


@pytest.mark.parametrize(
    "token",
    ["", "short", "x" * 200, "<script>", "a b c d e f g h i j k l", "A" * 32 + ":1:forged"],
)
def test_a_missing_forged_or_mangled_token_is_refused_and_the_answers_kept(
    new_cases, client, token
):
    """Only a form this site rendered can be sent (a script cannot mint reports with codes
    without fetching the form each time); the reporter is told plainly and loses nothing."""
    response = submit(client, ANONYMOUS_FORM, anonymous_answers("Token was mangled."), token=token)
    assert response.status_code == 200
    assert shown_code(response) is None
    assert not new_cases.exists()
    html = response.content.decode()
    assert "did not come from this site" in html
    assert "Token was mangled." in html
    # The page carries a fresh token, so sending again stores the report once.
    fresh = response.context["form"]["submission_token"].value()
    assert fresh != token
    again = submit(client, ANONYMOUS_FORM, anonymous_answers("Token was mangled."), token=fresh)
    assert shown_code(again) is not None
    case = new_cases.get()
    assert case.submission_token and case.submission_token not in (token, fresh)


def test_a_token_older_than_a_day_is_refused(new_cases, client, monkeypatch):
    token = fresh_token(client, ANONYMOUS_FORM)
    later = time.time() + forms.SUBMISSION_TOKEN_MAX_AGE + 60
    monkeypatch.setattr(signing.time, "time", lambda: later)
    response = submit(client, ANONYMOUS_FORM, anonymous_answers("Left open."), token=token)
    assert "was open for more than a day" in response.content.decode()
    assert not new_cases.exists()


# --- The snapshot of answers -----------------------------------------------------------------


def test_editing_the_form_later_changes_nothing_in_a_submitted_report(new_cases, client):
    _response, code = submit_anonymous(client, "What I saw on Tuesday.")
    case = new_cases.get()
    stored_before = case.answers
    assert {"label": "Where did it happen?", "type": "singleline", "value": "The library"} in (
        stored_before
    )

    reporter = type(client)()
    log_in(reporter, code)
    seen_before = reporter.get(MESSAGING).content.decode()
    for shown in ("What kind of behaviour was it?", "Bullying, Hate", "Where did it happen?"):
        assert shown in seen_before

    page = ReportFormPage.objects.get(slug="anonymous")
    fields = {field.label: field for field in page.form_fields.all()}
    renamed = fields["What happened?"]
    renamed.label = "Describe the incident"
    renamed.save()
    kinds = fields["What kind of behaviour was it?"]
    kinds.choices = "Rudeness\nOther"
    kinds.save()
    fields["Where did it happen?"].delete()
    page.title = "A renamed form"
    page.save_revision().publish()
    page.unpublish()

    case.refresh_from_db()
    assert case.answers == stored_before
    assert case.form_title == "Report anonymously"
    seen_after = reporter.get(MESSAGING).content.decode()
    for shown in (
        "What happened?",
        "What I saw on Tuesday.",
        "Bullying, Hate",
        "Where did it happen?",
        "The library",
    ):
        assert shown in seen_after
    assert "Describe the incident" not in seen_after
    assert "Rudeness" not in seen_after
    assert ReportFormField.objects.filter(page=page).count() == len(fields) - 1


# --- Atomic storage --------------------------------------------------------------------------


def assert_nothing_stored_and_answers_kept(new_cases, response, typed):
    assert response.status_code == 200
    html = response.content.decode()
    assert "We could not save your report just now, so nothing was stored." in html
    assert typed in html
    assert shown_code(response) is None
    assert "Your anonymous messaging code" not in html
    assert not new_cases.exists()
    assert not ContactDetails.objects.filter(case__in=new_cases).exists()


def test_a_failed_write_of_the_contact_details_stores_nothing(new_cases, client):
    data = contact_answers("Kept after the failure.")
    with mock.patch.object(
        ContactDetails.objects, "create", side_effect=DatabaseError("disk full")
    ) as failing:
        response = submit(client, CONTACT_FORM, data)
    assert failing.called
    assert_nothing_stored_and_answers_kept(new_cases, response, "Kept after the failure.")
    assert 'value="alex@example.org"' in response.content.decode()
    # Sending again once the database is back stores the report.
    again = client.post(
        CONTACT_FORM,
        {**data, "submission_token": response.context["form"]["submission_token"].value()},
    )
    assert "We have received and stored your report." in again.content.decode()
    assert ContactDetails.objects.filter(case__in=new_cases).count() == 1


def test_a_failed_write_of_an_anonymous_case_shows_no_code(new_cases, client):
    with mock.patch.object(Case, "save", side_effect=DatabaseError("connection lost")) as failing:
        response = submit(client, ANONYMOUS_FORM, anonymous_answers("Nothing lost here."))
    assert failing.called
    assert_nothing_stored_and_answers_kept(new_cases, response, "Nothing lost here.")


def test_reports_send_no_email_with_their_content(new_cases, client):
    _response, code = submit_anonymous(client, "Content that stays in the database.")
    submit(client, CONTACT_FORM, contact_answers("Nor this."))
    for message in mail.outbox:
        text = f"{message.subject}\n{message.body}\n{getattr(message, 'alternatives', '')}"
        for secret in ("Content that stays", "Nor this", "alex@example.org", code):
            assert secret not in text
        for case in new_cases.all():
            assert case.reference not in text
