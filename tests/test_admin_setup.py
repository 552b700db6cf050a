"""The admin around the cases: the dashboard panel, the "Case advisers" group the migration
creates, Wagtail's Forms menu and the outcomes list. The demo's data: tests/test_demo.py."""

import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from anon_messaging.models import Case, CaseOutcome
from anon_messaging.pages import ReportFormPage
from tests.admin_support import LIST_URL
from tests.factories import make_case

# The cast of the permission matrix and its cases (tests/admin_fixtures.py).
pytest_plugins = ["tests.admin_fixtures"]


HOME = "/admin/"


def text(response):
    return re.sub(r"\s+", " ", response.content.decode())


# --- Dashboard ------------------------------------------------------------------------------


def panel_rows(response):
    html = response.content.decode()
    start = html.index('id="anon-messaging-cases-section"')
    panel = html[start : html.index("</section>", start)]
    return {
        label.strip(): (int(count), url.replace("&amp;", "&"))
        for url, label, count in re.findall(
            r'<a href="([^"]+)">([^<]+)</a></th>\s*<td>(\d+)</td>', panel
        )
    }


def test_the_dashboard_counts_waiting_team_cases_mine_replies_owed_overdue_and_all(client, cast):
    """Every row has a count and a link to the list of just those cases. (Issue 13 added
    the team's new cases with no adviser, which appeared in no row, and the count of all
    cases.)"""
    now = timezone.now()
    mine_awaiting, _ = make_case(adviser=cast.assigned)
    Case.objects.filter(pk=mine_awaiting.pk).update(safeguarding_concern=True)
    mine_answered, _ = make_case(adviser=cast.assigned)
    Case.objects.filter(pk=mine_answered.pk).update(awaiting_reply=False, status="open")
    mine_closed, _ = make_case(adviser=cast.assigned)
    Case.objects.filter(pk=mine_closed.pk).update(status="closed")
    team_overdue, _ = make_case(team=cast.advisers)
    Case.objects.filter(pk=team_overdue.pk).update(response_due_at=now - timedelta(hours=1))
    hidden_overdue, _ = make_case(team=cast.team)
    Case.objects.filter(pk=hidden_overdue.pk).update(response_due_at=now - timedelta(hours=1))

    client.force_login(cast.assigned)
    rows = panel_rows(client.get(HOME))
    assert rows == {
        "Open safeguarding concerns I can see": (
            1,
            f"{LIST_URL}?safeguarding=yes&status=active",
        ),
        "New cases waiting in my teams, no adviser yet": (
            1,
            f"{LIST_URL}?assigned=waiting&status=active",
        ),
        "My open cases": (2, f"{LIST_URL}?assigned=me&status=active"),
        "Awaiting my reply": (1, f"{LIST_URL}?assigned=me&awaiting=yes"),
        "Overdue cases I can see": (1, f"{LIST_URL}?overdue=yes"),
        "All cases you can see": (4, LIST_URL),
    }
    # Each link leads to the list showing just those cases.
    for count, url in rows.values():
        listing = client.get(url).content.decode()
        listed = set(re.findall(r"R-[0-9A-Z]{6}", listing[listing.index("result-list") :]))
        assert len(listed) == count, url


def test_no_dashboard_panel_for_editors(client, cast):
    client.force_login(cast.editor)
    response = client.get(HOME)
    assert response.status_code == 200
    assert "anon-messaging-cases" not in response.content.decode()


# --- The group the migration creates ---------------------------------------------------------


def test_the_migration_creates_the_case_advisers_group(db):
    group = Group.objects.get(name="Case advisers")
    permissions = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
    ours = {p for p in permissions if p.startswith(("anon_messaging.", "wagtailadmin."))}
    assert ours == {
        "wagtailadmin.access_admin",
        "anon_messaging.view_case",
        "anon_messaging.change_case",
        "anon_messaging.view_contact_details",
        "anon_messaging.view_message",
        "anon_messaging.add_message",
        "anon_messaging.view_internalnote",
        "anon_messaging.add_internalnote",
        "anon_messaging.record_report",
    }


def test_the_migration_keeps_an_existing_group_and_adds_what_is_missing(db):
    from importlib import import_module

    from django.apps import apps
    from django.db import connection

    migration = import_module("anon_messaging.migrations.0003_case_advisers_group")
    group = Group.objects.get(name="Case advisers")
    group.permissions.clear()
    extra = Group.objects.get(name="Editors").permissions.first()
    group.permissions.add(extra)
    # The function reads only the schema editor's connection.
    migration.create_case_advisers_group(apps, SimpleNamespace(connection=connection))
    assert group.permissions.filter(content_type__app_label="anon_messaging").count() == 7
    assert group.permissions.filter(codename="access_admin").exists()
    assert group.permissions.filter(pk=extra.pk).exists()


def test_group_editing_offers_the_case_permissions(client, cast):
    client.force_login(cast.superuser)
    page = text(client.get(reverse("wagtailusers_groups:add")))
    for label in ["Can see every case, assigned or not", "Can see a reporter's contact details"]:
        assert label in page.replace("&#x27;", "'")


# --- Wagtail's Forms menu ----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["superuser", "editor"])
def test_report_forms_are_not_listed_under_forms(client, cast, reporter_site, who):
    client.force_login(getattr(cast, who))
    response = client.get(reverse("wagtailforms:index"))
    assert response.status_code in (200, 302)
    assert ReportFormPage.objects.count() == 2
    for page in ReportFormPage.objects.all():
        assert page.title not in text(response)
        submissions = client.get(reverse("wagtailforms:list_submissions", args=[page.pk]))
        assert submissions.status_code in (302, 403, 404)


# --- Outcomes ------------------------------------------------------------------------------------


def test_an_outcome_recorded_on_cases_cannot_be_deleted(client, cast):
    used = CaseOutcome.objects.create(name="Used")
    unused = CaseOutcome.objects.create(name="Unused")
    case, _ = make_case()
    case.outcomes.add(used)
    client.force_login(cast.superuser)
    delete_used = f"/admin/anon_messaging/caseoutcome/delete/{used.pk}/"
    assert "cannot be deleted" in text(client.get(delete_used))
    client.post(delete_used)
    assert CaseOutcome.objects.filter(pk=used.pk).exists()
    client.post(f"/admin/anon_messaging/caseoutcome/delete/{unused.pk}/")
    assert not CaseOutcome.objects.filter(pk=unused.pk).exists()


def test_the_outcomes_list_is_under_settings_for_administrators(client, cast):
    client.force_login(cast.superuser)
    assert "/admin/anon_messaging/caseoutcome/" in client.get(HOME).content.decode()
    client.force_login(cast.assigned)
    home = client.get(HOME).content.decode()
    assert "/admin/anon_messaging/caseoutcome/" not in home
    assert LIST_URL in home
