"""Specific errors on the report forms: each names its question, the GOV.UK way; editors may
word their own per question (in the page editor); the summary links to each field."""

import re

import pytest
from bs4 import BeautifulSoup
from django.test import Client

from anon_messaging.pages import ReportFormField
from tests.admin_forms import anonymous_form_page, form_data, page_edit_url
from tests.reporter_journey import (
    ANONYMOUS_FORM,
    CONTACT_FORM,
    anonymous_answers,
    cases_from_now,
    fresh_token,
    submit,
)


def summary(response):
    """The error summary's entries: (text, the id it links to or None)."""
    soup = BeautifulSoup(response.content.decode(), "html.parser")
    box = soup.select_one(".am-error-summary")
    assert box is not None, "no error summary"
    entries = []
    for item in box.select("li"):
        link = item.find("a")
        entries.append((item.get_text(" ", strip=True), link["href"][1:] if link else None))
    return entries, soup


def test_an_empty_form_names_each_question_and_links_to_it(demo_site):
    client = Client()
    new_cases = cases_from_now()
    response = client.post(
        ANONYMOUS_FORM, {"submission_token": fresh_token(client, ANONYMOUS_FORM)}
    )

    assert response.status_code == 200
    entries, soup = summary(response)
    assert [text for text, _target in entries] == [
        "Enter what happened.",
        "Select what kind of behaviour it was.",
        "Choose whether you would like to use anonymous messaging.",
    ]
    assert "This field is required." not in response.content.decode()
    for text, target in entries:
        field = soup.find(id=target)
        assert field is not None and field.name in ("input", "textarea"), target
        # The same message beside the field.
        beside = soup.find(id=re.sub(r"_0$", "", target) + "_error")
        assert beside is not None and text in beside.get_text(" ", strip=True)
    assert not new_cases.exists()


def test_a_question_without_its_own_message_is_named_in_the_default_one(demo_site):
    page = anonymous_form_page()
    ReportFormField.objects.create(
        page=page, sort_order=6, label="Who saw it?", field_type="singleline", required=True
    )
    ReportFormField.objects.create(
        page=page,
        sort_order=7,
        label="Which campus?",
        field_type="radio",
        required=True,
        choices="North\nSouth",
    )
    ReportFormField.objects.create(
        page=page, sort_order=8, label="When exactly?", field_type="date", required=False
    )
    client = Client()
    response = submit(client, ANONYMOUS_FORM, anonymous_answers("Kept.", when_exactly="31/02/2026"))

    texts = [text for text, _target in summary(response)[0]]
    assert "Enter your answer to “Who saw it?”." in texts
    assert "Select an answer to “Which campus?”." in texts
    assert any(text.startswith("“When exactly?” must be a real date, like ") for text in texts)
    assert "Kept." in response.content.decode()


def test_an_answer_too_long_says_which_question(demo_site, settings):
    settings.ANON_MESSAGING = {**settings.ANON_MESSAGING, "ANSWER_MAX_LENGTH": 40}
    response = submit(Client(), ANONYMOUS_FORM, anonymous_answers("A" * 41))
    texts = [text for text, _target in summary(response)[0]]
    assert any(
        text.startswith("“What happened?” is too long. This is 41 characters long")
        for text in texts
    )


def test_an_editor_words_a_questions_message_in_the_page_editor(demo_site):
    admin = Client()
    assert admin.login(username="admin", password="changeme")  # noqa: S106
    page = anonymous_form_page()
    data = form_data(admin.get(page_edit_url(page)))
    where = next(key for key, value in data.items() if value == "Where did it happen?")
    index = where.split("-")[1]
    data[f"form_fields-{index}-required"] = "on"
    data[f"form_fields-{index}-error_message"] = "Enter where it happened, or “I don't know”."
    data["action-publish"] = "1"
    assert admin.post(page_edit_url(page), data).status_code == 302

    response = submit(Client(), ANONYMOUS_FORM, anonymous_answers("Kept.", where_did_it_happen=""))
    texts = [text for text, _target in summary(response)[0]]
    assert "Enter where it happened, or “I don't know”." in texts


@pytest.mark.parametrize("url", [ANONYMOUS_FORM, CONTACT_FORM])
def test_no_two_errors_in_a_summary_read_the_same(demo_site, url):
    client = Client()
    response = client.post(url, {"submission_token": fresh_token(client, url)})
    texts = [text for text, _target in summary(response)[0]]
    assert len(texts) == len(set(texts)) >= 3
    assert all(target for _text, target in summary(response)[0])
