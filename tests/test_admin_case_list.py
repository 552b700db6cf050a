"""The case list: columns, filters, search, default order, export, and a constant query count."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_q.models import Schedule

from anon_messaging import cases, schedules, tasks
from anon_messaging.models import Case, Message
from tests.admin_support import LIST_URL
from tests.factories import make_case

# The cast of the permission matrix and its cases (tests/admin_fixtures.py).
pytest_plugins = ["tests.admin_fixtures"]

REFERENCE = re.compile(r"R-[0-9A-Z]{6}")


def listed(response):
    """References in the order the list shows them."""
    assert response.status_code == 200
    html = response.content.decode()
    if '<table class="listing' not in html:
        assert "no cases matching" in html
        return []
    table = html[html.index('<table class="listing') :]
    seen = []
    for reference in REFERENCE.findall(table):
        if reference not in seen:
            seen.append(reference)
    return seen


def set_times(case, *, received, awaiting_since=None, due=None, **fields):
    Case.objects.filter(pk=case.pk).update(
        created_at=received,
        awaiting_since=awaiting_since,
        response_due_at=due,
        **fields,
    )
    case.refresh_from_db()
    return case


@pytest.fixture
def varied(cast):
    """Cases in states the filters tell apart; two are vera's, three her team's."""
    now = timezone.now()
    c = {}
    c["overdue_old"], _ = make_case(team=cast.advisers)
    set_times(
        c["overdue_old"],
        received=now - timedelta(days=10),
        awaiting_since=now - timedelta(days=10),
        due=now - timedelta(days=5),
    )
    c["awaiting_recent"], _ = make_case(adviser=cast.view_all, team=cast.advisers)
    set_times(
        c["awaiting_recent"],
        received=now - timedelta(days=1),
        awaiting_since=now - timedelta(hours=1),
        due=now + timedelta(days=2),
        status=Case.Status.OPEN,
    )
    c["answered"], _ = make_case(adviser=cast.view_all)
    set_times(
        c["answered"],
        received=now - timedelta(days=20),
        awaiting_reply=False,
        status=Case.Status.OPEN,
    )
    c["waiting"], _ = make_case(team=cast.team)
    set_times(
        c["waiting"],
        received=now - timedelta(days=30),
        awaiting_since=now - timedelta(days=30),
        due=now - timedelta(days=25),
        status=Case.Status.WAITING,
    )
    c["closed"], _ = make_case()
    set_times(c["closed"], received=now - timedelta(days=40), status=Case.Status.CLOSED)
    c["contact"], _ = make_case(route=Case.Route.CONTACT, team=cast.advisers)
    set_times(
        c["contact"],
        received=now - timedelta(days=3),
        awaiting_since=now - timedelta(days=3),
        due=now + timedelta(days=1),
    )
    return {name: case.reference for name, case in c.items()}


def test_default_order_puts_cases_awaiting_a_reply_first_oldest_first(client, cast, varied):
    client.force_login(cast.superuser)
    order = listed(client.get(LIST_URL))
    awaiting = [varied["overdue_old"], varied["contact"], varied["awaiting_recent"]]
    assert order[:3] == awaiting
    # Then the rest, oldest first: the closed case, the waiting one, the answered one.
    assert order[3:] == [varied["closed"], varied["waiting"], varied["answered"]]


def test_columns_show_route_status_assignment_dates_and_flags(client, cast, varied):
    client.force_login(cast.superuser)
    html = client.get(LIST_URL).content.decode()
    html = html[html.index('<table class="listing') :]
    headers = re.findall(r'<th scope="col"[^>]*>(.*?)</th>', html, re.S)
    header_text = [re.sub(r"<[^>]+>|\s+", " ", h).strip() for h in headers]
    assert header_text == [
        "Reference",
        "Route",
        "Status",
        "Assigned to",
        "Received",
        "Last reporter message",
        "Awaiting reply",
        "Overdue",
    ]
    start = html.rindex("<tr", 0, html.index(varied["overdue_old"]))
    row_html = html[start : html.index("</tr>", start)]
    assert "Anonymous" in row_html and "New" in row_html
    assert "team Case advisers" in row_html
    assert ">Awaiting<" in row_html and ">Overdue<" in row_html


FILTERS = [
    ({"status": "closed"}, {"closed"}),
    ({"status": "waiting"}, {"waiting"}),
    ({"status": "active"}, {"overdue_old", "awaiting_recent", "answered", "waiting", "contact"}),
    ({"assigned": "me"}, {"awaiting_recent", "answered"}),
    ({"assigned": "team"}, {"overdue_old", "awaiting_recent", "contact"}),
    ({"assigned": "unassigned"}, {"overdue_old", "waiting", "closed", "contact"}),
    ({"awaiting": "yes"}, {"overdue_old", "awaiting_recent", "contact"}),
    ({"overdue": "yes"}, {"overdue_old"}),
    ({"route": "contact"}, {"contact"}),
    ({"route": "anonymous", "overdue": "yes"}, {"overdue_old"}),
]


@pytest.mark.parametrize(("params", "expected"), FILTERS)
def test_filters(client, cast, varied, params, expected):
    # vera sees every case, is in the Case advisers team and has two cases of her own.
    client.force_login(cast.view_all)
    assert set(listed(client.get(LIST_URL, params))) == {varied[name] for name in expected}


def test_search_finds_a_case_by_reference_and_not_by_report_text(client, cast):
    wanted, _ = make_case(team=cast.advisers, what_happened="The word marmalade is here.")
    other, _ = make_case(team=cast.advisers)
    client.force_login(cast.superuser)
    assert listed(client.get(LIST_URL, {"q": wanted.reference})) == [wanted.reference]
    assert listed(client.get(LIST_URL, {"q": wanted.reference.lower()})) == [wanted.reference]
    assert listed(client.get(LIST_URL, {"q": "marmalade"})) == []
    assert other.reference not in listed(client.get(LIST_URL, {"q": wanted.reference}))


@pytest.mark.parametrize(
    "params",
    [
        {"assigned_to__password__startswith": "md5"},
        {"code_hash__startswith": "$argon2"},
        {"answers__contains": "x"},
        {"nonsense": "1"},
        {"status": "bogus", "assigned": "bogus", "overdue": "maybe"},
        {"o": "99.-x", "p": "abc"},
    ],
)
def test_other_query_parameters_are_ignored_not_used_as_lookups(client, cast, varied, params):
    client.force_login(cast.superuser)
    assert set(listed(client.get(LIST_URL, params))) == set(varied.values())


def test_export_has_the_list_columns_and_no_report_content(client, cast):
    case, _ = make_case(team=cast.advisers, what_happened="Secret report words.")
    cases.post_message(case, sender=Message.Sender.REPORTER, body="Secret message words.")
    client.force_login(cast.superuser)
    response = client.get(LIST_URL, {"export": "csv"})
    assert response.status_code == 200
    content = b"".join(response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(content)))
    assert rows[0] == [
        "Reference",
        "Route",
        "Status",
        "Assigned To",
        "Received",
        "Last Reporter Message",
        "Awaiting Reply",
        "Overdue",
    ]
    assert rows[1][:3] == [case.reference, "Anonymous", "New"]
    assert "Secret" not in content


# --- Query count --------------------------------------------------------------------------


def bulk_cases(count, cast):
    """``count`` cases spread over advisers, teams, routes and states, with messages."""
    now = timezone.now()
    advisers = [cast.assigned, cast.unassigned, None]
    teams = [cast.advisers, cast.team, None]
    made = Case.objects.bulk_create(
        [
            Case(
                route=Case.Route.CONTACT if i % 3 == 0 else Case.Route.ANONYMOUS,
                status=list(Case.Status.values)[i % 4],
                answers=[{"label": "What happened?", "type": "multiline", "value": f"Text {i}"}],
                created_at=now - timedelta(days=i),
                awaiting_reply=i % 4 != 2,
                awaiting_since=now - timedelta(days=i) if i % 4 != 2 else None,
                response_due_at=now - timedelta(days=i - 3),
                last_reporter_message_at=now - timedelta(hours=i),
                assigned_to=advisers[i % 3],
                assigned_team=teams[(i // 3) % 3],
            )
            for i in range(count)
        ]
    )
    Message.objects.bulk_create(
        [Message(case=case, sender=Message.Sender.REPORTER, body="Hello.") for case in made]
    )
    return made


def count_queries(client, params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST_URL, params)
    assert response.status_code == 200
    return len(queries), len(listed(response))


# The page's queries: session, user, permissions, counts, the rows, the sidebar.
MAX_LIST_QUERIES = 20


@pytest.mark.parametrize(
    "params", [{}, {"assigned": "team", "status": "active"}, {"overdue": "yes", "q": "R-"}]
)
@pytest.mark.parametrize("who", ["superuser", "assigned", "team_member"])
def test_the_list_costs_the_same_queries_for_10_and_100_rows(
    client, cast, django_assert_max_num_queries, params, who
):

    user = getattr(cast, who)
    if who == "superuser":
        user.groups.add(cast.advisers)  # so "my teams" finds cases for them too
    client.force_login(user)
    client.get(LIST_URL)  # warm caches that are not per-page work (content types, icons)

    bulk_cases(10, cast)
    with django_assert_max_num_queries(MAX_LIST_QUERIES):
        small, small_rows = count_queries(client, params)
    bulk_cases(90, cast)
    with django_assert_max_num_queries(MAX_LIST_QUERIES):
        large, large_rows = count_queries(client, params)
    assert 0 < small_rows < large_rows
    assert large == small
    print(f"\n{who} {params}: {small} queries for {small_rows} rows, {large} for {large_rows}")


def test_a_full_page_shows_100_rows(client, cast):
    bulk_cases(120, cast)
    client.force_login(cast.superuser)
    assert len(listed(client.get(LIST_URL))) == 100


def test_the_list_counts_once_and_no_further_than_a_thousand(client, cast):
    """Counting every visible case grew the list's time with the number of cases: the
    filtered cases are counted once, up to 1,000; past that the list says so."""
    bulk_cases(1_005, cast)
    client.force_login(cast.superuser)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST_URL)
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1
    assert "LIMIT 1001" in counts[0].upper()
    html = response.content.decode()
    assert "more than 1,000 out of more than 1,000" in html
    assert len(listed(response)) == 100
    # Past the first pages as well: page 11 holds cases 1,001 onwards.
    assert len(listed(client.get(LIST_URL, {"p": 11}))) >= 1

    filtered = client.get(LIST_URL, {"route": "contact"})
    assert "out of more than 1,000" in filtered.content.decode()


def test_the_list_builds_its_filters_once(client, cast):
    """The view built the filtered cases twice, once in modeladmin's dispatch and once for
    the page, so the category filter read its choices twice on every view."""
    bulk_cases(10, cast)
    client.force_login(cast.assigned)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST_URL, {"status": "active"})
    assert response.status_code == 200
    category_reads = [q["sql"] for q in queries if 'FROM "anon_messaging_casecategory"' in q["sql"]]
    assert len(category_reads) == 1
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 2  # the filtered cases, and all of them for "x out of y"


def test_the_daily_statistics_let_sqlite_read_an_advisers_list_in_the_lists_order(client, cast):
    """Without statistics SQLite read an adviser's own and team cases through the
    assignment indexes and sorted all of them, so the page grew with the cases (1.9 times
    from 100 to 100,000). The daily task gathers them; the list then walks its order index
    and stops at a full page. PostgreSQL gathers its own, so the task leaves it alone."""
    bulk_cases(600, cast)
    client.force_login(cast.assigned)

    assert tasks.refresh_query_statistics() == {"refreshed": connection.vendor == "sqlite"}
    assert Schedule.objects.filter(
        name=schedules.QUERY_STATISTICS.name, func="anon_messaging.tasks.refresh_query_statistics"
    ).exists()

    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST_URL)
    assert len(listed(response)) == 100
    if connection.vendor == "sqlite":
        (rows_query,) = [q["sql"] for q in queries if q["sql"].rstrip().endswith("LIMIT 100")]
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + rows_query)
            plan = " ".join(str(step[-1]) for step in cursor.fetchall())
        assert "am_case_queue" in plan
        assert "TEMP B-TREE" not in plan  # no sort of every visible case
