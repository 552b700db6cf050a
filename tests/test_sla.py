"""``{sla}`` in editor text: replaced with the site's response time, escaped; everything else
an editor writes renders as written, never as template code.

Since issue 13 the response time is one setting, the working days the deadlines count, and
``{sla}`` is made from it: the standard wording, or the site's wording template with the
number filled in (``ReportingSettings.response_time_wording``). These tests set the
template (or the days) where they used to set a free text."""

import html

from wagtail.models import Site

from anon_messaging.models import ReportingSettings
from anon_messaging.pages import MessagingPage, ReportFormPage, SupportPage
from tests.reporter_journey import (
    CONTACT_FORM,
    MESSAGING,
    SUPPORT,
    contact_answers,
    log_in,
    submit,
    submit_anonymous,
)

# A wording template with markup around the number; the demo promises 3 working days.
HOSTILE_SLA = '<b>{days}</b> & "days"'
ESCAPED_SLA = "&lt;b&gt;3&lt;/b&gt; &amp; &quot;days&quot;"


def set_sla(wording, days=None):
    """Store the site's wording template (and its working days), as the settings form would
    once they pass its checks."""
    site_settings = ReportingSettings.for_site(Site.objects.get(is_default_site=True))
    site_settings.response_time_wording = wording
    if days is not None:
        site_settings.response_working_days = days
    site_settings.save()


def test_support_page_shows_the_sites_response_time(reporter_site, client):
    page = client.get(SUPPORT).content.decode()
    assert "We aim to respond within 3 working days, Monday to Friday" in page
    assert "{sla}" not in page


def test_the_response_time_follows_the_setting(reporter_site, client):
    set_sla("", days=2)
    page = client.get(SUPPORT).content.decode()
    assert "We aim to respond within 2 working days," in page
    assert "3 working days" not in page
    set_sla("", days=1)
    assert "We aim to respond within 1 working day," in client.get(SUPPORT).content.decode()


def test_the_response_time_is_escaped(reporter_site, client):
    set_sla(HOSTILE_SLA)
    page = client.get(SUPPORT).content.decode()
    assert f"We aim to respond within {ESCAPED_SLA}, Monday to Friday" in page
    assert "<b>3</b>" not in page
    assert "{sla}" not in page


def test_the_placeholder_works_in_questions_intro_and_text_blocks(reporter_site, client):
    set_sla(HOSTILE_SLA)
    page = SupportPage.objects.get(slug="anonymous-messaging")
    page.intro = "<p>Intro promise: {sla}.</p>"
    page.body = [
        ("question", {"question": "Reply within {sla}?", "answer": "<p>Answer {sla}.</p>"}),
        ("text", "<p>Text block {sla}.</p>"),
    ]
    page.save_revision().publish()
    shown = client.get(SUPPORT).content.decode()
    for expected in ("Intro promise: ", "Reply within ", "Answer ", "Text block "):
        assert expected + ESCAPED_SLA in shown, expected
    assert "{sla}" not in shown
    assert "<b>3</b>" not in shown


def test_text_that_looks_like_template_code_renders_as_written(reporter_site, client, admin_user):
    page = SupportPage.objects.get(slug="anonymous-messaging")
    page.intro = "<p>Literal {{ request }} and {% debug %} and {{ page.title }} and {sla}.</p>"
    page.body = [
        (
            "question",
            {
                "question": "What is {{ request.user }} or {% now 'Y' %}?",
                "answer": "<p>{% csrf_token %} {{ settings.SECRET_KEY }}</p>",
            },
        ),
    ]
    page.save_revision().publish()
    client.force_login(admin_user)  # a logged-in user would show up if {{ request }} ran
    shown = html.unescape(client.get(SUPPORT).content.decode())
    for literal in (
        "Literal {{ request }} and {% debug %} and {{ page.title }} and 3 working days.",
        "What is {{ request.user }} or {% now 'Y' %}?",
        "{% csrf_token %} {{ settings.SECRET_KEY }}",
    ):
        assert literal in shown, literal
    assert "WSGIRequest" not in shown
    assert "tests-only-secret-key" not in shown


def test_the_placeholder_works_on_report_messaging_and_thank_you_pages(reporter_site, client):
    set_sla(HOSTILE_SLA)
    # The contact form (as the demo's) promises a reply within {sla} in its intro and thank-you
    # text (tests.factories.CONTACT_INTRO and CONTACT_THANK_YOU).
    form_page = client.get(CONTACT_FORM).content.decode()
    assert f"usually within {ESCAPED_SLA}." in form_page
    thank_you = submit(client, CONTACT_FORM, contact_answers("SLA check.")).content.decode()
    assert f"will contact you within {ESCAPED_SLA}, the way you asked." in thank_you

    _response, code = submit_anonymous(client, "Messaging SLA check.")
    log_in(client, code)
    conversation = client.get(MESSAGING).content.decode()
    assert f"We aim to respond within {ESCAPED_SLA}." in conversation
    assert "<b>3</b>" not in form_page + thank_you + conversation
    assert "{sla}" not in form_page + thank_you + conversation


def test_every_editor_field_with_the_placeholder_is_filled(reporter_site, client):
    set_sla("{days} days", days=5)
    messaging = MessagingPage.objects.get()
    messaging.intro = "<p>Messaging intro {sla}.</p>"
    messaging.login_help = "<p>Log-in help {sla}.</p>"
    messaging.save_revision().publish()
    login_page = client.get(MESSAGING).content.decode()
    assert "Messaging intro 5 days." in login_page
    assert "Log-in help 5 days." in login_page

    form = ReportFormPage.objects.get(slug="anonymous")
    form.code_text = "<p>Code text {sla}.</p>"
    form.thank_you_text = "<p>Thank you {sla}.</p>"
    form.save_revision().publish()
    response, _code = submit_anonymous(client, "Placeholder check.")
    thank_you = response.content.decode()
    assert "Code text 5 days." in thank_you
    assert "Thank you 5 days." in thank_you
