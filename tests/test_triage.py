"""Triage: advisers record categories, a location type, a risk level and a safeguarding
flag (audited); a form's category question categorises new cases; the case list filters
by them and the dashboard puts open safeguarding concerns first."""

import re

import pytest
from django.test import Client

from anon_messaging import audit
from anon_messaging.models import Case, CaseCategory, CaseLogEntry, LocationType
from anon_messaging.pages import ReportFormPage
from tests.admin_forms import form_data, page_edit_url
from tests.admin_support import LIST_URL, case_url
from tests.factories import make_case
from tests.reporter_journey import cases_from_now, submit_anonymous

pytest_plugins = ["tests.admin_fixtures"]


@pytest.fixture
def lists(db):
    return {
        "bullying": CaseCategory.objects.create(name="Bullying", sort_order=1),
        "hate": CaseCategory.objects.create(name="Hate", sort_order=2),
        "retired": CaseCategory.objects.create(name="Old kind", active=False),
        "online": LocationType.objects.create(name="Online"),
    }


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def post_triage(client, case, **fields):
    data = {"action": "triage"}
    data.update({f"triage-{name}": value for name, value in fields.items()})
    return client.post(case_url(case), data)


def test_an_adviser_records_the_triage_and_the_history_says_what_changed(
    cast, assigned_case, lists
):
    client = logged_in(cast.assigned)
    response = post_triage(
        client,
        assigned_case,
        categories=[lists["bullying"].pk, lists["hate"].pk],
        location_type=lists["online"].pk,
        risk_level="high",
        safeguarding_concern="on",
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#triage-section")

    assigned_case.refresh_from_db()
    assert set(assigned_case.categories.all()) == {lists["bullying"], lists["hate"]}
    assert assigned_case.location_type == lists["online"]
    assert assigned_case.risk_level == "high"
    assert assigned_case.safeguarding_concern is True

    entry = CaseLogEntry.objects.get(case=assigned_case, action=audit.TRIAGE_CHANGED)
    assert entry.user == cast.assigned
    assert entry.data["to"]["categories"] == ["Bullying", "Hate"]
    assert "Case A text." not in str(entry.data)
    history = client.get(case_url(assigned_case, "history")).content.decode()
    assert "Triage changed" in history and "safeguarding concern raised" in history

    page = client.get(case_url(assigned_case)).content.decode()
    assert "Safeguarding concern" in page and "Risk: High" in page


def test_saving_the_same_triage_again_says_nothing_changed(cast, assigned_case, lists):
    client = logged_in(cast.assigned)
    post_triage(client, assigned_case, risk_level="low")
    response = post_triage(client, assigned_case, risk_level="low")
    assert response.status_code == 200
    assert "Nothing was changed: the triage is as it was." in response.content.decode()
    assert CaseLogEntry.objects.filter(action=audit.TRIAGE_CHANGED).count() == 1


def test_a_retired_category_is_not_offered_unless_the_case_has_it(cast, assigned_case, lists):
    client = logged_in(cast.assigned)
    response = post_triage(client, assigned_case, categories=[lists["retired"].pk])
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not assigned_case.categories.exists()
    assigned_case.categories.add(lists["retired"])  # recorded before it was retired
    assert "Old kind" in client.get(case_url(assigned_case)).content.decode()


def test_an_adviser_who_cannot_see_the_case_cannot_triage_it(cast, assigned_case, lists):
    response = post_triage(logged_in(cast.unassigned), assigned_case, risk_level="high")
    assert response.status_code == 404
    assigned_case.refresh_from_db()
    assert assigned_case.risk_level == ""


def listed(client, **filters):
    html = client.get(LIST_URL, filters).content.decode()
    table = html[html.index("result-list") :] if "result-list" in html else ""
    return set(re.findall(r"R-[0-9A-Z]{6}", table))


def test_the_case_list_filters_by_category_risk_and_safeguarding(cast, lists):
    flagged, _ = make_case(adviser=cast.assigned)
    bullying, _ = make_case(adviser=cast.assigned)
    plain, _ = make_case(adviser=cast.assigned)
    Case.objects.filter(pk=flagged.pk).update(safeguarding_concern=True, risk_level="high")
    bullying.categories.add(lists["bullying"])
    client = logged_in(cast.assigned)

    assert listed(client, safeguarding="yes") == {flagged.reference}
    assert listed(client, risk="high") == {flagged.reference}
    assert listed(client, risk="none") == {bullying.reference, plain.reference}
    assert listed(client, category=lists["bullying"].pk) == {bullying.reference}
    assert listed(client) == {flagged.reference, bullying.reference, plain.reference}


def test_the_dashboard_shows_open_safeguarding_concerns_first(cast):
    flagged, _ = make_case(adviser=cast.assigned)
    closed, _ = make_case(adviser=cast.assigned)
    Case.objects.filter(pk=flagged.pk).update(safeguarding_concern=True)
    Case.objects.filter(pk=closed.pk).update(safeguarding_concern=True, status="closed")
    html = logged_in(cast.assigned).get("/admin/").content.decode()
    panel = html[html.index('id="anon-messaging-cases-section"') :]
    rows = re.findall(r'<a href="([^"]+)">([^<]+)</a></th>\s*<td>(\d+)</td>', panel)
    url, label, count = rows[0]
    assert label.strip() == "Open safeguarding concerns I can see"
    assert count == "1"
    assert listed(
        logged_in(cast.assigned),
        **dict(pair.split("=") for pair in url.replace("&amp;", "&").split("?")[1].split("&")),
    ) == {flagged.reference}


# --- The category question ---------------------------------------------------------------


def test_a_new_report_arrives_categorised_from_the_category_question(reporter_site, lists):
    form = ReportFormPage.objects.get(slug="anonymous")
    form.category_question = "What kind of behaviour was it?"
    form.save()
    new_cases = cases_from_now()
    # The reporter ticks "Bullying" and "Hate" (tests/reporter_journey.py).
    submit_anonymous(Client(), "It happened in the lab.")
    case = new_cases.get()
    assert set(case.categories.all()) == {lists["bullying"], lists["hate"]}


def test_a_category_listing_an_option_in_its_form_options_gets_it(reporter_site, lists):
    form = ReportFormPage.objects.get(slug="anonymous")
    form.category_question = "What kind of behaviour was it?"
    CaseCategory.objects.filter(pk=lists["hate"].pk).update(form_options="Hate crime\nAbuse")
    answers = [
        {"label": "What kind of behaviour was it?", "type": "checkboxes", "value": ["abuse"]},
    ]
    assert form.categories_for(answers) == [lists["hate"]]
    # Another question's answers, and an option meaning no category, give none.
    assert form.categories_for([{"label": "Other", "value": ["Hate"]}]) == []
    assert form.categories_for([{**answers[0], "value": ["Not sure"]}]) == []


def test_without_a_category_question_a_report_has_no_category(reporter_site, lists):
    new_cases = cases_from_now()
    submit_anonymous(Client(), "No category question on this form.")
    assert not new_cases.get().categories.exists()


def test_the_editor_may_only_name_a_choice_question_of_the_form(reporter_site, site_admin, lists):
    page = ReportFormPage.objects.get(slug="anonymous")
    client = logged_in(site_admin)
    data = form_data(client.get(page_edit_url(page)))

    response = client.post(page_edit_url(page), {**data, "category_question": "What happened?"})
    assert response.status_code == 200
    assert "must be one whose answers are options" in response.content.decode()

    response = client.post(page_edit_url(page), {**data, "category_question": "No such question"})
    assert "Give the question exactly as it is written on this form." in (response.content.decode())

    response = client.post(
        page_edit_url(page), {**data, "category_question": "What kind of behaviour was it?"}
    )
    assert response.status_code == 302
    saved = ReportFormPage.objects.get(pk=page.pk).get_latest_revision_as_object()
    assert saved.category_question == ("What kind of behaviour was it?")


def test_a_category_recorded_on_a_case_cannot_be_deleted(cast, assigned_case, lists):
    client = logged_in(cast.superuser)
    assigned_case.categories.add(lists["bullying"])
    url = f"/admin/anon_messaging/casecategory/delete/{lists['bullying'].pk}/"
    response = client.post(url, follow=True)
    assert "is recorded on cases, so it cannot be deleted" in response.content.decode()
    assert CaseCategory.objects.filter(pk=lists["bullying"].pk).exists()
    unused = f"/admin/anon_messaging/casecategory/delete/{lists['hate'].pk}/"
    assert client.post(unused).status_code == 302
    assert not CaseCategory.objects.filter(pk=lists["hate"].pk).exists()
    # Advisers do not edit the lists.
    assert logged_in(cast.assigned).get("/admin/anon_messaging/casecategory/").status_code != 200
