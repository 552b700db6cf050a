"""``manage.py anon_messaging_setup`` on a new Wagtail site: the pages at the demo's paths,
outcomes, settings and the advisers' group, made once and never changed after; then a
report with a code, a log-in, a message and the adviser's case list, as a new site's
first users would have them."""

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.test import Client
from wagtail.models import Page, Site

from anon_messaging import permissions
from anon_messaging.models import Case, CaseCategory, CaseOutcome, LocationType, ReportingSettings
from anon_messaging.pages import MessagingPage, ReportFormPage, SupportPage
from tests.admin_support import LIST_URL
from tests.reporter_journey import (
    ANONYMOUS_FORM,
    CONTACT_FORM,
    MESSAGING,
    MESSAGING_SEND,
    SUPPORT,
    log_in,
    submit_anonymous,
)

PATHS = [
    "/report/",
    ANONYMOUS_FORM,
    CONTACT_FORM,
    MESSAGING,
    "/support/",
    SUPPORT,
]


def set_up(*args):
    out = io.StringIO()
    call_command("anon_messaging_setup", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def new_site(db):
    """Wagtail's own first site, as a new project has it: a root page and nothing else."""
    site = Site.objects.get(is_default_site=True)
    assert not site.root_page.get_children().exists()
    return site


def test_it_makes_the_pages_at_the_demos_paths_and_says_so(new_site, client):
    output = set_up()
    for path in PATHS:
        assert client.get(path).status_code == 200, path
        assert re.search(rf"^Created\s+page\s+{re.escape(path)}$", output, re.MULTILINE), path
    assert isinstance(
        Page.objects.get(url_path__endswith="/report/anonymous/").specific, ReportFormPage
    )
    assert "10 made, 1 already there" in output  # the group came with the migrations


def test_it_makes_the_outcomes_the_settings_and_the_advisers_group(new_site):
    Group.objects.filter(name=permissions.ADVISERS_GROUP).delete()
    output = set_up()
    assert CaseOutcome.objects.count() == 4
    assert ReportingSettings.objects.filter(site=new_site).exists()
    group = Group.objects.get(name=permissions.ADVISERS_GROUP)
    granted = set(group.permissions.values_list("content_type__app_label", "codename"))
    assert granted == set(permissions.ADVISER_PERMISSIONS)
    assert re.search(r"^Created\s+group\s+Case advisers$", output, re.MULTILINE)
    assert re.search(r"^Created\s+reporting settings\s+", output, re.MULTILINE)


def test_running_it_again_makes_nothing_and_changes_nothing(new_site):
    set_up()
    form = ReportFormPage.objects.get(slug="anonymous")
    form.title = "Tell us, anonymously"
    form.save_revision().publish()
    CaseOutcome.objects.filter(name="Resolved informally").delete()
    pages = Page.objects.count()

    output = set_up()

    assert Page.objects.count() == pages
    assert ReportFormPage.objects.get(slug="anonymous").title == "Tell us, anonymously"
    assert not CaseOutcome.objects.filter(name="Resolved informally").exists()
    assert "0 made, 11 already there" in output
    assert not re.search(r"^Created", output, re.MULTILINE)


def test_a_page_of_another_kind_at_an_address_is_left_alone(new_site):
    new_site.root_page.add_child(instance=SupportPage(title="Our messaging", slug="messaging"))
    output = set_up()
    assert "a support page, not a messaging page: left as it is" in output
    assert not MessagingPage.objects.exists()
    assert SupportPage.objects.get(slug="messaging").title == "Our messaging"
    # The forms still work; their "Log in" button has no messaging page to lead to.
    assert ReportFormPage.objects.get(slug="anonymous").messaging_page is None


def test_the_pages_can_go_below_another_page(new_site, client):
    new_site.root_page.add_child(instance=SupportPage(title="Help", slug="help"))
    set_up("--parent", "/help/")
    assert client.get("/help/report/anonymous/").status_code == 200
    assert client.get("/help/support/anonymous-messaging/").status_code == 200
    # Links between the pages follow them wherever they are.
    report_page = client.get("/help/report/").content.decode()
    assert 'href="/help/report/anonymous/"' in report_page
    assert 'href="/help/messaging/"' in report_page


def test_the_parent_may_be_given_by_id(new_site):
    help_page = new_site.root_page.add_child(instance=SupportPage(title="Help", slug="help"))
    set_up("--parent", str(help_page.pk))
    assert ReportFormPage.objects.get(slug="anonymous").get_parent().get_parent().pk == help_page.pk


@pytest.mark.parametrize(
    ("parent", "message"),
    [("/nowhere/", "No page at /nowhere/"), ("999999", "No page has the id 999999.")],
)
def test_a_parent_that_does_not_exist_is_refused(new_site, parent, message):
    with pytest.raises(CommandError, match=re.escape(message)):
        set_up("--parent", parent)
    assert not ReportFormPage.objects.exists()


def test_a_parent_that_takes_no_such_pages_is_refused_with_nothing_made(new_site):
    set_up()
    form = ReportFormPage.objects.get(slug="anonymous")
    with pytest.raises(CommandError, match="cannot go below “Report anonymously”"):
        set_up("--parent", str(form.pk))
    assert ReportFormPage.objects.count() == 2


def test_a_new_sites_first_report_log_in_message_and_case_list(new_site, client):
    set_up()
    support = client.get(SUPPORT).content.decode()
    assert "We aim to respond within 3 working days, Monday to Friday" in support
    assert "{sla}" not in support

    landing, code = submit_anonymous(client, "It happened in the library.")
    assert code is not None, landing.content
    assert log_in(client, code).status_code == 302
    sent = client.post(MESSAGING_SEND, {"body": "Can you tell me what happens next?"})
    assert sent.status_code == 302
    conversation = client.get(MESSAGING).content.decode()
    assert "Can you tell me what happens next?" in conversation

    adviser = get_user_model().objects.create_user("adviser", password="a-long-passphrase")
    adviser.groups.add(Group.objects.get(name=permissions.ADVISERS_GROUP))
    client.logout()
    client.force_login(adviser)
    case_list = client.get(LIST_URL)
    assert case_list.status_code == 200
    # The new case went to the advisers' group, so its member sees it.
    assert "It happened in the library." not in case_list.content.decode()  # no report text
    assert len(case_list.context["object_list"]) == 1


def test_the_pages_answer_with_never_saved_settings(new_site, client):
    """The defaults alone, before anyone saves the site's reporting settings."""
    set_up()
    ReportingSettings.objects.all().delete()
    for path in PATHS:
        response = client.get(path)
        assert response.status_code == 200, path
        assert "{sla}" not in response.content.decode(), path
    assert "3 working days" in client.get(SUPPORT).content.decode()


def test_a_new_sites_reports_arrive_categorised(new_site):
    set_up()
    assert CaseCategory.objects.filter(name="Harassment or stalking").exists()
    assert not CaseCategory.objects.filter(name="Not sure").exists()
    assert LocationType.objects.filter(name="Online or by phone").exists()
    form = ReportFormPage.objects.get(slug="anonymous")
    assert form.category_question == "What kind of behaviour was it?"
    newest = Case.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    # The reporter ticks "Bullying" and "Hate" (tests/reporter_journey.py).
    submit_anonymous(Client(), "It happened after the seminar.")
    case = Case.objects.get(pk__gt=newest)
    assert sorted(category.name for category in case.categories.all()) == ["Bullying", "Hate"]
