"""A site's own page classes built on the app's public mixins work like the app's pages.

docs/install.md (section 9) promises that a site whose pages must all inherit from its
own base class can build its report form, messaging and support pages from
``ReportFormMixin``, ``MessagingPageMixin`` and ``SupportPageMixin``, with a question
model of its own. tests/testapp does exactly that (``SiteReportFormPage``,
``SiteMessagingPage``, ``SiteSupportPage`` on an abstract ``SiteBasePage``); here a
report, a code log-in and messages go through those classes over HTTP, and their
responses carry the reporter headers.
"""

import pytest
from django.test import Client

from anon_messaging import cases
from anon_messaging.models import Case, ContactDetails, Message
from anon_messaging.pages import MessagingPage, ReportFormField, ReportFormPage, SupportPage
from anon_messaging.security import NO_STORE, REPORTER_HEADERS
from tests import factories
from tests.reporter_journey import (
    ANONYMOUS_FORM,
    CONTACT_FORM,
    MESSAGING,
    MESSAGING_LOGOUT,
    MESSAGING_SEND,
    SUPPORT,
    case_for_code,
    contact_answers,
    log_in,
    submit,
    submit_anonymous,
)
from tests.testapp.models import (
    SiteBasePage,
    SiteMessagingPage,
    SiteReportFormPage,
    SiteReportQuestion,
    SiteSupportPage,
)

SITE_CLASSES = {
    ANONYMOUS_FORM: SiteReportFormPage,
    CONTACT_FORM: SiteReportFormPage,
    MESSAGING: SiteMessagingPage,
    SUPPORT: SiteSupportPage,
}


@pytest.fixture
def site_pages(db):
    """The reporter pages at the usual addresses, every one of them a site class."""
    home = factories.home_page()
    hub = factories.support_page(home, slug="report", page_class=SiteSupportPage)
    messaging = factories.messaging_page(
        home, page_class=SiteMessagingPage, conversation_help=factories.CONVERSATION_HELP
    )
    site_form = {"page_class": SiteReportFormPage, "field_class": SiteReportQuestion}
    anonymous = factories.report_form_page(
        hub, messaging_page=messaging, strapline="Our own field", **site_form
    )
    contact = factories.report_form_page(
        hub,
        slug="with-contact-details",
        route=Case.Route.CONTACT,
        messaging_page=messaging,
        thank_you_text=factories.CONTACT_THANK_YOU,
        **site_form,
    )
    support = factories.support_page(home, page_class=SiteSupportPage)
    faq = factories.support_page(
        support,
        slug="anonymous-messaging",
        page_class=SiteSupportPage,
        body=factories.questions_block(factories.SUPPORT_QUESTIONS),
    )
    factories.reporting_settings(response_working_days=4)
    return {"anonymous": anonymous, "contact": contact, "messaging": messaging, "faq": faq}


def test_the_site_classes_serve_the_pages_and_the_apps_own_classes_are_not_there(
    site_pages, client
):
    for path, page_class in SITE_CLASSES.items():
        response = client.get(path)
        assert response.status_code == 200, path
        page = response.context["page"]
        assert type(page) is page_class, path
        assert isinstance(page, SiteBasePage), path
    for app_class in (ReportFormPage, MessagingPage, SupportPage):
        assert not app_class.objects.exists()
    assert not ReportFormField.objects.exists()
    assert SiteReportQuestion.objects.filter(page=site_pages["anonymous"]).count() == len(
        factories.QUESTIONS
    )


def test_an_anonymous_report_through_the_sites_form(site_pages, client):
    form = client.get(ANONYMOUS_FORM)
    assert "messaging_opt_in" in form.context["form"].fields
    assert "what_happened" in form.context["form"].fields  # a question of the site's own model

    response, code = submit_anonymous(client, "Reported through the site's own form.")

    assert code is not None
    html = response.content.decode()
    assert "We have received and stored your report." in html
    # The Log in button beside the code leads to the site's messaging page, set on the form.
    assert f'href="{MESSAGING}"' in html
    case = Case.objects.get()
    assert case.route == Case.Route.ANONYMOUS and case.messaging_enabled
    assert case.form_page_id == site_pages["anonymous"].pk
    assert case.form_title == site_pages["anonymous"].title
    assert {
        "label": "What happened?",
        "type": "multiline",
        "value": "Reported through the site's own form.",
    } in case.answers
    assert case_for_code(code) == case


def test_a_report_with_contact_details_through_the_sites_form(site_pages, client):
    response = submit(client, CONTACT_FORM, contact_answers("Please call me back."))

    assert response.status_code == 200
    assert "will contact you within 4 working days, the way you asked." in (
        response.content.decode()
    )
    case = Case.objects.get()
    assert case.route == Case.Route.CONTACT and not case.messaging_enabled
    assert case.form_page_id == site_pages["contact"].pk
    assert ContactDetails.objects.get(case=case).email == "alex@example.org"


def test_code_log_in_messages_and_log_out_through_the_sites_messaging_page(site_pages, client):
    _response, code = submit_anonymous(client, "Report to talk about.")
    case = Case.objects.get()

    response = log_in(client, code)
    assert response.status_code == 302
    assert response["Location"] == MESSAGING
    conversation = client.get(MESSAGING)
    assert type(conversation.context["page"]) is SiteMessagingPage
    assert conversation.context["case"] == case
    html = conversation.content.decode()
    assert "Report to talk about." in html
    assert "We aim to respond within 4 working days." in html

    sent = client.post(MESSAGING_SEND, {"body": "A message through the site's page."})
    assert sent.status_code == 302
    assert [m.body for m in Message.objects.filter(case=case)] == [
        "A message through the site's page."
    ]
    cases.post_message(case, sender=Message.Sender.ADVISER, body="A reply from an adviser.")
    html = client.get(MESSAGING).content.decode()
    assert "Your message was sent." in html
    assert "A reply from an adviser." in html

    assert "You have logged out" in client.post(MESSAGING_LOGOUT).content.decode()
    assert "A reply from an adviser." not in client.get(MESSAGING).content.decode()
    # A wrong code gets the same answer as on the app's own page.
    wrong = log_in(Client(), "0000-0000-0000-0000")
    assert wrong.status_code == 200
    assert "That code did not match a report." in wrong.content.decode()


def test_the_sites_support_page_fills_in_the_response_time(site_pages, client):
    html = client.get(SUPPORT).content.decode()
    assert "We aim to respond within 4 working days, Monday to Friday" in html
    assert "{sla}" not in html


def assert_reporter_headers(name, response):
    for header, value in REPORTER_HEADERS.items():
        assert response[header] == value, (name, header)
    assert response["Referrer-Policy"] == "no-referrer", name
    assert response["Cache-Control"] == NO_STORE, name


def test_the_reporter_headers_apply_to_the_site_classes(site_pages):
    reporter = Client()
    responses = [
        ("anonymous form", reporter.get(ANONYMOUS_FORM)),
        ("contact form", reporter.get(CONTACT_FORM)),
        ("support page", reporter.get(SUPPORT)),
        ("log-in page", reporter.get(MESSAGING)),
    ]
    thank_you, code = submit_anonymous(reporter, "Headers check.")
    responses.append(("thank-you page", thank_you))
    responses.append(("wrong code", log_in(Client(), "0000-0000-0000-0000")))
    responses.append(("log-in", log_in(reporter, code)))
    responses.append(("conversation", reporter.get(MESSAGING)))
    responses.append(("message with errors", reporter.post(MESSAGING_SEND, {"body": ""})))
    responses.append(("logged out", reporter.post(MESSAGING_LOGOUT)))
    for name, response in responses:
        assert response.status_code in (200, 302), name
        assert_reporter_headers(name, response)


def test_editors_can_add_a_site_report_form_with_its_questions_and_own_panels(
    site_pages, site_admin
):
    editor = Client()
    editor.force_login(site_admin)
    hub = site_pages["anonymous"].get_parent()
    response = editor.get(f"/admin/pages/add/testapp/sitereportformpage/{hub.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    for field in ("reporting_route", "messaging_page", "strapline", "form_fields-TOTAL_FORMS"):
        assert f'name="{field}"' in html, field
    edit = editor.get(f"/admin/pages/{site_pages['anonymous'].pk}/edit/")
    assert edit.status_code == 200
    assert 'value="Our own field"' in edit.content.decode()
