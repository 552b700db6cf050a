import pytest

PAGES = [
    "/",
    "/report/",
    "/report/anonymous/",
    "/report/with-contact-details/",
    "/messaging/",
    "/support/",
    "/support/anonymous-messaging/",
    "/support/privacy/",
    "/support/emergency-contacts/",
]


@pytest.mark.parametrize("path", PAGES)
def test_demo_pages_named_in_the_issue_are_served(demo_site, client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert b'href="/static/anon_messaging/anon_messaging.css"' in response.content


def test_seed_demo_is_idempotent(demo_site):
    from django.core.management import call_command
    from wagtail.models import Page

    from anon_messaging.pages import ReportFormPage

    before = Page.objects.count()
    call_command("seed_demo")
    assert Page.objects.count() == before
    assert ReportFormPage.objects.count() == 2
