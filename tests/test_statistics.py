"""The admin's Statistics area, its CSV, and the public statistics page.

Who may see it (a dedicated permission; 404 for anyone else, as for a case), what it
counts, that no count from 1 to the threshold ever reaches a browser (the table, the
SVG, the CSV), a constant number of queries, and publishing figures without access to
any case.
"""

import csv
import io
import re
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anon_messaging import cases, statistics
from anon_messaging.models import Case, CaseCategory, LocationType
from anon_messaging.pages import StatisticsPage
from tests.admin_forms import form_data
from tests.admin_support import LIST_URL, case_url
from tests.factories import default_site, make_case, make_user, reporting_settings

pytest_plugins = ["tests.admin_fixtures"]

URL = "/admin/reporting-statistics/"
NUMBER = re.compile(r"^\d+$")


@pytest.fixture
def manager(db):
    return make_user("manager", permissions=["access_admin", "view_statistics"])


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def add_cases(count, *, route=Case.Route.ANONYMOUS, opt_in=False, **fields):
    made = []
    for _ in range(count):
        case, _code = make_case(route=route, site=default_site(), opt_in=opt_in)
        made.append(case)
    if fields:
        Case.objects.filter(pk__in=[case.pk for case in made]).update(**fields)
    return made


def shown_cells(html):
    """Every table cell and every SVG label the page shows, as text."""
    page = BeautifulSoup(html, "html.parser")
    cells = [cell.get_text(strip=True) for cell in page.select(".am-statistics table td")]
    labels = [text.get_text(strip=True) for text in page.select(".am-statistics svg text")]
    return cells, labels, page


def assert_nothing_small(texts, threshold):
    for text in texts:
        if NUMBER.match(text):
            assert not 1 <= int(text) <= threshold, text


# --- Who may see it -------------------------------------------------------------------------


def test_an_adviser_without_the_permission_gets_404(cast):
    for user in (cast.assigned, cast.view_all, cast.editor):
        assert logged_in(user).get(URL).status_code == 404
        assert logged_in(user).get(URL + "?format=csv").status_code == 404


def test_the_manager_sees_the_figures_and_no_case(manager, cast, assigned_case):
    client = logged_in(manager)
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Reports received" in html
    assert assigned_case.reference not in html
    # No case, by list or by address.
    assert client.get(LIST_URL).status_code != 200
    assert client.get(case_url(assigned_case)).status_code == 404
    # The menu offers Statistics to the manager, not Cases.
    home = client.get("/admin/").content.decode()
    assert URL in home and LIST_URL not in home


def test_a_superuser_sees_the_statistics_in_the_menu(cast):
    assert URL in logged_in(cast.superuser).get("/admin/").content.decode()
    assert URL not in logged_in(cast.assigned).get("/admin/").content.decode()


# --- What it shows --------------------------------------------------------------------------


def test_large_counts_are_shown_and_small_ones_never(manager):
    add_cases(12)
    add_cases(2, route=Case.Route.CONTACT)
    html = logged_in(manager).get(URL + "?by=term").content.decode()
    cells, labels, page = shown_cells(html)
    assert_nothing_small(cells + labels, 4)
    assert "hidden" in cells
    route = page.find(id="figure-route").find_parent("section")
    rows = {
        row.th.get_text(strip=True): [td.get_text(strip=True) for td in row.find_all("td")]
        for row in route.select("tbody tr")
    }
    # 2 contact reports hidden; the 12 anonymous ones and the 14 in all would give them
    # away by subtraction, so they are hidden too, with the same word: a 12 is never
    # called "fewer than 5", and the two kinds of hidden count cannot be told apart.
    assert rows["With contact details"][-1] == "hidden"
    assert rows["Anonymous"][-1] == "hidden"
    assert "fewer than" not in html
    # Reports received: 14 in the term, shown, and in the table of every one-per-case figure.
    received = page.find(id="figure-received").find_parent("section")
    assert [td.get_text(strip=True) for td in received.select("tbody td")][-1] == "14"
    # No bar is drawn for a hidden count: its length would give it away.
    for bar in route.select("svg g"):
        if "hidden" in bar.get_text():
            assert bar.find("rect") is None


def test_each_site_has_its_own_figures(manager):
    from wagtail.models import Site

    other = Site.objects.create(hostname="other.example", site_name="Other campus", root_page_id=1)
    add_cases(7)
    for _ in range(9):
        make_case(site=other)
    client = logged_in(manager)

    def received(query):
        html = client.get(URL + query).content.decode()
        page = BeautifulSoup(html, "html.parser")
        section = page.find(id="figure-received").find_parent("section")
        return [td.get_text(strip=True) for td in section.select("tbody td")][-1], page

    # The default site's figures first, with every site to choose from.
    total, page = received("?by=term")
    assert total == "7"
    assert [option.get_text(strip=True) for option in page.select("select[name=site] option")] == [
        str(default_site()),
        "Other campus",
    ]
    total, page = received(f"?by=term&site={other.pk}")
    assert total == "9"
    # The CSV link keeps the chosen site, and the CSV holds its figures.
    csv_link = page.find("a", string=re.compile("CSV"))["href"]
    assert f"site={other.pk}" in csv_link
    download = client.get(csv_link)
    rows = list(csv.reader(io.StringIO(download.content.decode())))
    assert any(row[:1] == ["Reports received"] and row[-1] == "9" for row in rows), rows
    # The page's heading and the file's name say which site the figures are for.
    assert "other-campus" in download["Content-Disposition"]
    assert "Other campus:" in page.find("header").get_text(" ", strip=True)
    # A site that does not exist, or a mangled choice, shows the default site's figures.
    for mangled in ("99999", "abc"):
        assert received(f"?by=term&site={mangled}")[0] == "7"


def test_the_wording_follows_the_sites_threshold(manager):
    reporting_settings(default_site(), statistics_threshold=2)
    add_cases(3)
    add_cases(1, route=Case.Route.CONTACT)
    html = logged_in(manager).get(URL).content.decode()
    cells, labels, _page = shown_cells(html)
    assert "hidden" in cells
    # The legend says which counts are small: from 1 to the site's threshold.
    assert "Every count from 1 to 2, which could single someone out" in html
    assert "from 1 to 4" not in html
    assert_nothing_small(cells + labels, 2)


def test_the_csv_holds_exactly_what_the_page_shows(manager):
    add_cases(9)
    add_cases(6, route=Case.Route.CONTACT)
    CaseCategory.objects.create(name='=HYPERLINK("http://x")')
    client = logged_in(manager)
    html = client.get(URL + "?by=month").content.decode()
    response = client.get(URL + "?by=month&format=csv")
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    values = [cell for row in rows for cell in row[1:]]
    assert_nothing_small(values, 4)
    # A category's name is never run as a formula by a spreadsheet.
    assert any(row and row[0].startswith("'=HYPERLINK") for row in rows)
    # The route table, cell for cell, as the page shows it.
    _cells, _labels, page = shown_cells(html)
    section = page.find(id="figure-route").find_parent("section")
    on_page = [
        [row.th.get_text(strip=True)] + [td.get_text(strip=True) for td in row.find_all("td")]
        for row in section.select("tbody tr, tfoot tr")
    ]
    start = rows.index(["Reports by route"])
    assert rows[start + 2 : start + 2 + len(on_page)] == on_page


def test_first_replies_are_counted_in_working_days_and_against_the_promise(manager, cast):
    received = add_cases(6, opt_in=True)
    for case in received:
        cases.reply(case, author=cast.superuser, body="Thank you for telling us.")
    case = Case.objects.get(pk=received[0].pk)
    assert case.first_reply_on_time is True
    assert case.first_reply_working_days is not None and case.first_reply_working_days <= 1
    assert case.feedback_due_at is not None
    report = statistics.build_report(default_site().pk)
    summaries = {summary.label: summary.text for summary in report.summaries}
    assert summaries["First replies within the promised time"] == "100%"
    assert summaries["Median time to a first reply"].endswith("working days")


def test_a_median_of_few_replies_is_not_shown(manager, cast):
    for case in add_cases(3, opt_in=True):
        cases.reply(case, author=cast.superuser, body="Thank you.")
    report = statistics.build_report(default_site().pk)
    summaries = {summary.label: summary.text for summary in report.summaries}
    assert summaries["Median time to a first reply"].startswith("not shown")
    assert summaries["First replies within the promised time"].startswith("not shown")


def test_statutory_figures_only_where_the_site_tracks_them(manager):
    add_cases(8)
    html = logged_in(manager).get(URL).content.decode()
    assert "Acknowledged within 7 days (statutory)" not in html
    reporting_settings(default_site(), statutory_deadlines=True)
    html = logged_in(manager).get(URL).content.decode()
    assert "Acknowledged within 7 days (statutory)" in html


def test_the_academic_year_starts_in_the_sites_month(manager):
    site_settings = reporting_settings(default_site(), academic_year_start_month=1)
    tz = timezone.get_current_timezone()
    year = statistics.current_academic_year(site_settings.academic_year_start_month, tz)
    assert year.start.month == 1 and year.label == str(timezone.now().year)
    report = statistics.build_report(default_site().pk, granularity=statistics.BY_TERM)
    assert report.figure("received").columns[0].startswith("Term 1 (January to April)")


def test_the_view_makes_the_same_number_of_queries_for_more_cases(manager):
    client = logged_in(manager)
    add_cases(3)
    client.get(URL)  # warm: sessions, settings
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL).status_code == 200
    add_cases(25, route=Case.Route.CONTACT)
    cases_with_categories = add_cases(5)
    category = CaseCategory.objects.create(name="Bullying")
    location = LocationType.objects.create(name="Online")
    for case in cases_with_categories:
        case.categories.add(category)
    Case.objects.filter(pk__in=[c.pk for c in cases_with_categories]).update(location_type=location)
    with CaptureQueriesContext(connection) as many:
        assert client.get(URL).status_code == 200
    assert len(many) == len(few)
    # Counting only: no query reads a case's answers.
    assert not any("answers" in query["sql"] for query in many.captured_queries)


# --- Random case sets (property-based) -------------------------------------------------------

CASE = st.fixed_dictionaries(
    {
        "route": st.sampled_from(Case.Route.values),
        "status": st.sampled_from(Case.Status.values),
        "days_ago": st.integers(0, 300),
        "messaging": st.booleans(),
        "category": st.sampled_from([None, 0, 1, 2]),
        "location": st.sampled_from([None, 0, 1]),
    }
)


@pytest.mark.django_db
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(CASE, max_size=40), st.integers(2, 6), st.sampled_from(["month", "term"]))
def test_random_case_sets_never_show_a_small_count(manager, specs, threshold, granularity):
    with transaction.atomic():
        site = default_site()
        reporting_settings(site, statistics_threshold=threshold, statutory_deadlines=True)
        categories = [CaseCategory.objects.create(name=f"Kind {n}") for n in range(3)]
        locations = [LocationType.objects.create(name=f"Place {n}") for n in range(2)]
        now = timezone.now()
        rows = []
        for n, spec in enumerate(specs):
            rows.append(
                Case(
                    reference=f"R-T{n:05d}",
                    route=spec["route"],
                    status=spec["status"],
                    site=site,
                    created_at=now - timedelta(days=spec["days_ago"]),
                    messaging_enabled=spec["messaging"],
                    location_type=locations[spec["location"]]
                    if spec["location"] is not None
                    else None,
                )
            )
        made = Case.objects.bulk_create(rows)
        for case, spec in zip(made, specs, strict=True):
            if spec["category"] is not None:
                case.categories.add(categories[spec["category"]])
        client = logged_in(manager)
        html = client.get(f"{URL}?by={granularity}").content.decode()
        cells, labels, _page = shown_cells(html)
        assert_nothing_small(cells + labels, threshold)
        rows_csv = list(
            csv.reader(
                io.StringIO(client.get(f"{URL}?by={granularity}&format=csv").content.decode())
            )
        )
        assert_nothing_small([cell for row in rows_csv for cell in row[1:]], threshold)
        # The report itself carries no hidden value anywhere.
        report = statistics.build_report(site.pk, granularity=granularity)
        # Each case counts once in each one-per-case table: its totals are the reports
        # received (the link that keeps suppression consistent across tables).
        received = report.figure("received").table.cells[0]
        for key in ("route", "location", "status", "first_reply", "acknowledgement", "feedback"):
            totals = report.figure(key).table.cells[-1]
            for shown, expected in zip(totals, received, strict=True):
                assert shown.suppressed == expected.suppressed
                assert shown.value == expected.value
        for figure in report.figures:
            for row in figure.table.cells:
                for cell in row:
                    assert cell.value is None if cell.suppressed else cell.value is not None
                    if not cell.suppressed:
                        assert not 1 <= cell.value <= threshold
        # Every number the term view shows is a sum of numbers the month view shows (a
        # term is shown only when its four months are), and every number the term view
        # hides is hidden in the month view too, or one of its months is: comparing the
        # two views works out nothing either hides. (A new user saw a year's total hidden
        # by term and shown by month.) Within each view, tests/test_disclosure.py.
        by_month = statistics.build_report(site.pk, granularity=statistics.BY_MONTH)
        by_term = statistics.build_report(site.pk, granularity=statistics.BY_TERM)
        for months, terms in zip(by_month.figures, by_term.figures, strict=True):
            for month_row, term_row in zip(months.table.cells, terms.table.cells, strict=True):
                assert term_row[-1] == month_row[-1]
                for term, term_cell in enumerate(term_row[:-1]):
                    parts = month_row[term * 4 : term * 4 + 4]
                    if not term_cell.suppressed:
                        assert not any(part.suppressed for part in parts)
                        assert term_cell.value == sum(part.value for part in parts)
                    else:
                        assert any(part.suppressed for part in parts) or not any(
                            part.value for part in parts
                        )
        transaction.set_rollback(True)


# --- The public statistics page -------------------------------------------------------------


def test_an_editor_without_case_access_publishes_a_statistics_page(reporter_site, cast):
    add_cases(11)
    add_cases(1, route=Case.Route.CONTACT)
    publisher = make_user("pat", groups=["Moderators"])  # publishes pages; sees no case
    client = logged_in(publisher)
    assert client.get(LIST_URL).status_code != 200
    add_url = f"/admin/pages/add/anon_messaging/statisticspage/{reporter_site.home.pk}/"
    data = form_data(client.get(add_url))
    data.update(
        {
            "title": "Reports this year",
            "slug": "statistics",
            "granularity": "term",
            "tables": ["route", "received"],
            "action-publish": "1",
        }
    )
    response = client.post(add_url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    page = StatisticsPage.objects.get(slug="statistics")
    assert page.live and page.tables == "received,route"

    public = Client().get("/statistics/")
    assert public.status_code == 200
    html = public.content.decode()
    cells, labels, soup = shown_cells(html)
    assert_nothing_small(cells + labels, 4)
    assert "hidden" in cells and "12" in cells
    assert soup.find(id="figure-category") is None  # only the chosen tables
    for case in Case.objects.all():
        assert case.reference not in html


def test_the_public_page_is_cached(reporter_site):
    add_cases(10)
    page = StatisticsPage(title="Figures", slug="figures")
    reporter_site.home.add_child(instance=page)
    client = Client()
    assert "10" in shown_cells(client.get("/figures/").content.decode())[0]
    add_cases(10)
    with CaptureQueriesContext(connection) as queries:
        html = client.get("/figures/").content.decode()
    assert "10" in shown_cells(html)[0]  # the cached figures, until they expire
    assert not any('"anon_messaging_case"' in q["sql"] for q in queries.captured_queries)


def test_a_mangled_choice_shows_the_current_year_and_never_fails(manager):
    add_cases(5)
    client = logged_in(manager)
    for query in ("?year=abc&by=week", "?year=1900", "?by=term&year=99999999999", "?format=pdf"):
        response = client.get(URL + query)
        assert response.status_code == 200, query
        assert "Reports received" in response.content.decode()


def test_the_demos_manager_sees_the_statistics_and_its_adviser_does_not(demo_site):
    manager_client, adviser_client = Client(), Client()
    assert manager_client.login(username="manager", password="changeme")  # noqa: S106
    assert adviser_client.login(username="adviser", password="changeme")  # noqa: S106
    html = manager_client.get(URL).content.decode()
    assert "Reports by category" in html
    assert adviser_client.get(URL).status_code == 404
    assert manager_client.get(LIST_URL).status_code != 200
    for case in Case.objects.all():
        assert case.reference not in html
        assert manager_client.get(case_url(case)).status_code == 404
    # The demo's forms file reports by the behaviour question: its seeded cases too.
    harassment = Case.objects.get(categories__name="Harassment or stalking")
    assert "late at night" in harassment.answers[0]["value"]
