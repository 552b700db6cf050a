"""When replies are due on a site's working-day calendar, what is due or overdue, and the
statutory markers (EU 2019/1937 art. 9), through the report form, the admin settings form,
the case-view include and the list columns.

Dates: 2026-06-05 is a Friday; 2026-12-23 a Wednesday; Europe/London is the example
site's zone (TIME_ZONE).
"""

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.template import Context, Template
from django.utils import timezone
from wagtail.models import Site

from anon_messaging import cases, deadlines, reminders
from anon_messaging.models import Case, ClosurePeriod, Message, ReportingSettings
from anon_messaging.wagtail_admin.columns import statutory_cell
from tests.reporter_journey import submit_anonymous

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
INCLUDE = "anon_messaging/admin/includes/case_deadlines.html"


def at(y, m, d, hh=0, mm=0, tz=LONDON):
    return datetime(y, m, d, hh, mm, tzinfo=tz)


@pytest.fixture
def site(db):
    return Site.objects.get(is_default_site=True)


@pytest.fixture
def site_settings(site):
    return ReportingSettings.for_site(site)


def make_case(site, *, received, **fields):
    """A case as create_case leaves it, received at ``received``."""
    values = {
        "route": Case.Route.ANONYMOUS,
        "site": site,
        "answers": [{"label": "What happened?", "type": "multiline", "value": "Secret text"}],
        "created_at": received,
        "awaiting_reply": True,
        "awaiting_since": received,
        "response_due_at": deadlines.response_due_at(site, received),
    }
    values.update(fields)
    return Case.objects.create(**values)


# --- The due time of a new report or message ----------------------------------------------


@pytest.mark.parametrize(
    ("change", "start", "expected"),
    [
        # One minute on Friday, Monday and Tuesday in full, Wednesday's last 23:59.
        pytest.param({}, at(2026, 6, 5, 23, 59), at(2026, 6, 10, 23, 59), id="fri-23:59"),
        pytest.param(
            {"closures": [(date(2026, 6, 8), date(2026, 6, 8))]},
            at(2026, 6, 5, 23, 59),
            at(2026, 6, 11, 23, 59),
            id="closure-day-skipped",
        ),
        # Outside working hours the clock starts at Monday's opening: three 8-hour days.
        pytest.param(
            {"working_hours_start": time(9), "working_hours_end": time(17)},
            at(2026, 6, 5, 23, 59),
            at(2026, 6, 10, 17),
            id="working-hours",
        ),
        # Wed 14 h, closed 24 Dec to 2 Jan, Mon 4 and Tue 5 Jan in full, 10 h on Wednesday.
        pytest.param(
            {"closures": [(date(2026, 12, 24), date(2027, 1, 2))]},
            at(2026, 12, 23, 10),
            at(2027, 1, 6, 10),
            id="year-end-closure",
        ),
        # Saturday 02:00 in London is Friday 21:00 in New York: 3 h Friday, Monday and
        # Tuesday, 21 h on Wednesday.
        pytest.param(
            {"time_zone": "America/New_York"},
            at(2026, 6, 6, 2),
            at(2026, 6, 10, 21, tz=NEW_YORK),
            id="site-time-zone",
        ),
        pytest.param(
            {"response_working_days": 1}, at(2026, 6, 5, 10), at(2026, 6, 8, 10), id="one-day"
        ),
        pytest.param(
            # Friday and Saturday off: the clock starts Sunday 00:00, three days in full.
            {"working_weekdays": "6,0,1,2,3"},
            at(2026, 6, 5, 10),
            at(2026, 6, 10),
            id="sunday-to-thursday",
        ),
    ],
)
def test_response_due_at_counts_working_days_of_the_site(
    site, site_settings, change, start, expected
):
    closures = change.pop("closures", [])
    for name, value in change.items():
        setattr(site_settings, name, value)
    site_settings.save()
    for first, last in closures:
        ClosurePeriod.objects.create(settings=site_settings, first_day=first, last_day=last)

    assert deadlines.response_due_at(site, start) == expected


def test_a_report_sent_through_the_form_is_due_after_a_closure(reporter_site, client):
    site_settings = ReportingSettings.for_site(Site.objects.get(is_default_site=True))
    today = timezone.localdate()
    closed_until = today + timedelta(days=20)
    ClosurePeriod.objects.create(
        settings=site_settings, first_day=today, last_day=closed_until, label="Winter closure"
    )

    submit_anonymous(client, "It happened on the stairs.")

    case = Case.objects.latest("pk")
    assert case.awaiting_reply
    due = case.response_due_at.astimezone(LONDON).date()
    # Three working days after the closure: at least the third day after it ends.
    assert due >= closed_until + timedelta(days=3)
    assert case.response_due_at == deadlines.policy_for_site(case.site).calendar.due(
        case.created_at, site_settings.response_working_days
    )


def test_a_site_without_settings_uses_the_defaults_and_creates_nothing(db):
    other = Site.objects.create(hostname="other.example", root_page_id=1)
    due = deadlines.response_due_at(other, at(2026, 6, 5, 23, 59))
    assert due == at(2026, 6, 10, 23, 59)
    assert not ReportingSettings.objects.filter(site=other).exists()
    assert deadlines.response_due_at(None, at(2026, 6, 5, 23, 59)) == due


def test_broken_settings_fall_back_to_monday_to_friday_and_the_report_is_stored(
    reporter_site, client
):
    # Saved around the admin form's validation, for example by a data migration.
    ReportingSettings.objects.update(time_zone="Mars/Olympus_Mons", working_weekdays="")

    response, _code = submit_anonymous(client, "Still stored.")

    assert response.status_code == 200
    case = Case.objects.latest("pk")
    assert case.response_due_at > case.created_at
    assert case.response_due_at.astimezone(UTC).weekday() < 5


def test_closures_covering_every_working_day_still_give_a_deadline(site, site_settings):
    ClosurePeriod.objects.create(
        settings=site_settings, first_day=date(2026, 1, 1), last_day=date(2040, 12, 31)
    )
    # Counted without closures rather than failing the report.
    assert deadlines.response_due_at(site, at(2026, 6, 5, 23, 59)) == at(2026, 6, 10, 23, 59)


# --- The cached calendar follows every change --------------------------------------------


def test_the_calendar_is_cached_per_site(site, site_settings, django_assert_num_queries):
    deadlines.response_due_at(site, at(2026, 6, 5, 10))
    with django_assert_num_queries(0):
        assert deadlines.response_due_at(site, at(2026, 6, 5, 10)) == at(2026, 6, 10, 10)


def test_saving_settings_or_closures_drops_the_cached_calendar(site, site_settings):
    start = at(2026, 6, 5, 10)
    assert deadlines.response_due_at(site, start) == at(2026, 6, 10, 10)

    site_settings.response_working_days = 2
    site_settings.save()
    assert deadlines.response_due_at(site, start) == at(2026, 6, 9, 10)

    closure = ClosurePeriod.objects.create(
        settings=site_settings, first_day=date(2026, 6, 8), last_day=date(2026, 6, 8)
    )
    assert deadlines.response_due_at(site, start) == at(2026, 6, 10, 10)

    closure.last_day = date(2026, 6, 9)
    closure.save()
    assert deadlines.response_due_at(site, start) == at(2026, 6, 11, 10)

    closure.delete()
    assert deadlines.response_due_at(site, start) == at(2026, 6, 9, 10)


def admin_form_data(form):
    """The POST a browser sends for an unchanged Wagtail edit form, formsets included."""
    data = {}

    def add(bound_form):
        for name in bound_form.fields:
            value = bound_form[name].value()
            key = bound_form.add_prefix(name)
            if value is True:
                data[key] = "on"
            elif value is None or value is False:
                continue
            else:
                data[key] = value
        return data

    add(form)
    for formset in form.formsets.values():
        add(formset.management_form)
        for child in formset.forms:
            add(child)
    return data


@pytest.fixture
def admin_client(client, site):
    user = get_user_model().objects.create_superuser("boss", "boss@example.org", "pw")
    client.force_login(user)
    return client


def test_a_closure_added_in_the_admin_moves_waiting_cases(
    site, site_settings, admin_client, django_capture_on_commit_callbacks
):
    now = timezone.now()
    waiting = make_case(site, received=now)
    reminded = make_case(site, received=now, reminder_sent_at=now)
    closed = make_case(site, received=now, status=Case.Status.CLOSED)
    before = {c.pk: c.response_due_at for c in (waiting, reminded, closed)}
    url = f"/admin/settings/anon_messaging/reportingsettings/{site.pk}/"
    data = admin_form_data(admin_client.get(url).context["form"])
    today = timezone.localdate()
    data.update(
        {
            "closures-TOTAL_FORMS": "1",
            "closures-0-first_day": today.isoformat(),
            "closures-0-last_day": (today + timedelta(days=30)).isoformat(),
            "closures-0-label": "Winter closure",
            "closures-0-ORDER": "1",
        }
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["form"].errors
    assert ClosurePeriod.objects.filter(settings=site_settings).count() == 1
    for case in (waiting, reminded, closed):
        case.refresh_from_db()
    assert waiting.response_due_at > now + timedelta(days=30)
    assert waiting.response_due_at == deadlines.policy_for_site(site).calendar.due(
        waiting.awaiting_since, 3
    )
    # That episode's reminder has gone out; a closed case owes nothing.
    assert reminded.response_due_at == before[reminded.pk]
    assert closed.response_due_at == before[closed.pk]


# --- What is awaiting a response, and what is overdue --------------------------------------


def test_awaiting_and_overdue(site):
    now = timezone.now()
    fresh = make_case(site, received=now)
    late = make_case(site, received=now - timedelta(days=10))
    answered = make_case(site, received=now - timedelta(days=10))
    cases.post_message(answered, sender=Message.Sender.ADVISER, body="Hello")
    waiting = make_case(site, received=now - timedelta(days=10), status=Case.Status.WAITING)
    closed = make_case(site, received=now - timedelta(days=10), status=Case.Status.CLOSED)

    queryset = Case.objects.all()
    assert set(queryset.owing_reply()) == {fresh, late}
    assert set(deadlines.overdue(queryset, now)) == {late}
    flags = {c.pk: (c.needs_reply, c in deadlines.overdue(queryset, now)) for c in queryset}
    assert flags == {
        fresh.pk: (True, False),
        late.pk: (True, True),
        answered.pk: (False, False),
        waiting.pk: (False, False),
        closed.pk: (False, False),
    }
    for case in (fresh, late, answered, waiting, closed):
        case.refresh_from_db()
        assert case.reply_owed == flags[case.pk][0]
        assert case.is_overdue(now) == flags[case.pk][1]


def test_a_reporter_message_after_a_reply_starts_a_new_episode(site):
    received = timezone.now() - timedelta(days=10)
    case = make_case(site, received=received, reminder_sent_at=received)
    cases.post_message(case, sender=Message.Sender.ADVISER, body="We are looking into it.")
    case.refresh_from_db()
    assert not case.awaiting_reply and case.response_due_at is None

    message = cases.post_message(case, sender=Message.Sender.REPORTER, body="Any news?")

    case.refresh_from_db()
    assert case.awaiting_reply
    assert case.awaiting_since == message.created_at
    assert case.reminder_sent_at is None
    assert case.response_due_at == deadlines.response_due_at(site, message.created_at)


# --- Statutory markers ------------------------------------------------------------------


@pytest.fixture
def statutory(site_settings):
    site_settings.statutory_deadlines = True
    site_settings.save()
    return site_settings


def markers(case, now):
    return {m.name: m for m in deadlines.statutory_markers(case, now=now)}


def test_statutory_markers_are_off_unless_the_site_switches_them_on(site):
    case = make_case(site, received=at(2026, 6, 5, 10))
    assert deadlines.statutory_markers(case, now=at(2026, 6, 20)) == []


def test_acknowledgement_is_due_seven_days_after_the_report(site, statutory):
    case = make_case(site, received=at(2026, 6, 5, 10))

    pending = markers(case, now=at(2026, 6, 12, 9))
    assert pending["acknowledgement"].due == at(2026, 6, 12, 10)
    assert pending["acknowledgement"].state == "pending"
    # Without an acknowledgement, three months from the end of the seven days.
    assert pending["feedback"].due == at(2026, 9, 12, 10)
    assert markers(case, now=at(2026, 6, 12, 11))["acknowledgement"].state == "overdue"

    case.acknowledged_at = at(2026, 6, 8, 15)
    found = markers(case, now=at(2026, 6, 20))
    assert found["acknowledgement"].state == "met"
    assert found["feedback"].due == at(2026, 9, 8, 15)

    case.acknowledged_at = at(2026, 6, 13, 9)
    assert markers(case, now=at(2026, 6, 20))["acknowledgement"].state == "late"


def test_feedback_is_due_three_months_after_acknowledgement_at_the_months_end(site, statutory):
    case = make_case(site, received=at(2026, 11, 20, 10), acknowledged_at=at(2026, 11, 30, 12))
    assert markers(case, now=at(2027, 1, 1))["feedback"].due == at(2027, 2, 28, 12)
    assert markers(case, now=at(2027, 3, 1))["feedback"].state == "overdue"

    case.status, case.closed_at = Case.Status.CLOSED, at(2027, 2, 1)
    assert markers(case, now=at(2027, 3, 1))["feedback"].state == "met"


def test_the_first_adviser_reply_acknowledges_the_report(site, statutory):
    case = make_case(site, received=timezone.now())
    cases.post_message(case, sender=Message.Sender.ADVISER, body="Thank you for telling us.")
    case.refresh_from_db()
    assert markers(case, now=timezone.now())["acknowledgement"].state == "met"


@pytest.mark.parametrize(
    ("moment", "months", "expected"),
    [
        (at(2026, 1, 31, 9), 1, at(2026, 2, 28, 9)),
        (at(2028, 1, 31, 9), 1, at(2028, 2, 29, 9)),
        (at(2026, 11, 15, 9), 3, at(2027, 2, 15, 9)),
        (at(2026, 8, 31, 9), 3, at(2026, 11, 30, 9)),
    ],
)
def test_add_months(moment, months, expected):
    assert deadlines.add_months(moment, months) == expected


# --- The case-view include and the list columns -------------------------------------------


def render_include(case):
    return Template(f'{{% include "{INCLUDE}" %}}').render(Context({"case": case}))


def text_of(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_include_shows_due_time_reminder_escalation_and_statutory_markers(site, statutory):
    now = timezone.now()
    case = make_case(site, received=now - timedelta(days=20))
    Case.objects.filter(pk=case.pk).update(response_due_at=now - timedelta(days=14))
    reminders.scan(now=now - timedelta(days=13))  # no one to remind yet: no address
    statutory.team_email = "team@example.org"
    statutory.save()
    reminders.scan(now=now - timedelta(days=13))
    case.refresh_from_db()

    page = text_of(render_include(case))

    assert "Response overdue" in page
    assert "Reply due" in page
    assert "Reminder Sent" in page
    assert "Goes out" in page  # the escalation, with its time
    assert "Statutory deadlines" in page
    assert "Acknowledgement" in page and "Feedback" in page
    assert "Overdue reminder sent to the adviser or team" in page
    assert "Secret text" not in page

    reminders.scan(now=now)
    case.refresh_from_db()
    page = text_of(render_include(case))
    assert "Escalation to managers Sent" in page
    assert "Overdue case escalated to managers" in page


def test_the_include_for_a_case_that_owes_nothing(site):
    case = make_case(site, received=timezone.now())
    cases.post_message(case, sender=Message.Sender.ADVISER, body="Hello")
    case.refresh_from_db()
    page = text_of(render_include(case))
    assert "Replied" in page
    assert "Reply due" not in page
    assert "Statutory deadlines" not in page


def test_list_columns(site, statutory):
    now = timezone.now()
    late = make_case(site, received=now - timedelta(days=10))
    fresh = make_case(site, received=now)

    assert "Acknowledgement" in statutory_cell(late)
    assert "Overdue" in statutory_cell(late)
    assert "Acknowledgement" in statutory_cell(fresh)
    assert "Overdue" not in statutory_cell(fresh)


def test_the_admin_case_view_and_history_show_reminders_and_escalations(
    site, statutory, admin_client
):
    now = timezone.now()
    statutory.team_email = "team@example.org"
    statutory.save()
    case = make_case(site, received=now - timedelta(days=20))
    Case.objects.filter(pk=case.pk).update(response_due_at=now - timedelta(days=14))
    reminders.scan(now=now - timedelta(days=13))
    reminders.scan(now=now)

    response = admin_client.get(f"/admin/anon_messaging/case/inspect/{case.pk}/")

    assert response.status_code == 200
    page = text_of(response.content.decode())
    assert "Response overdue" in page
    assert "Reminder Sent" in page
    assert "Escalation to managers Sent" in page
    assert "Statutory deadlines" in page
    assert "Overdue reminder sent to the adviser or team" in page
    assert "Overdue case escalated to managers" in page

    history = admin_client.get(f"/admin/anon_messaging/case/history/{case.pk}/")
    assert history.status_code == 200
    history_text = text_of(history.content.decode())
    assert "Overdue reminder sent to the adviser or team" in history_text
    assert "Overdue case escalated to managers" in history_text


def test_due_times_are_recounted_even_when_the_task_broker_is_down(
    site, site_settings, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    from django_q.conf import Conf

    # A Redis broker nobody listens on: queueing the recount fails for real.
    monkeypatch.setattr(Conf, "SYNC", False)
    monkeypatch.setattr(Conf, "ORM", None)
    monkeypatch.setattr(Conf, "DJANGO_REDIS", None)
    monkeypatch.setattr(Conf, "REDIS", "redis://127.0.0.1:1/0")
    received = at(2026, 6, 5, 10)
    case = make_case(site, received=received)
    assert case.response_due_at == at(2026, 6, 10, 10)

    with django_capture_on_commit_callbacks(execute=True):
        ClosurePeriod.objects.create(
            settings=site_settings, first_day=date(2026, 6, 8), last_day=date(2026, 6, 12)
        )

    case.refresh_from_db()
    assert case.response_due_at == at(2026, 6, 17, 10)
    assert "recounting now" in caplog.text


def test_the_case_list_shows_the_next_statutory_deadline_at_a_constant_query_cost(
    site, statutory, client, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    admin = get_user_model().objects.create_superuser("lister", "lister@example.org", "x")
    client.force_login(admin)
    received = timezone.now() - timedelta(days=2)
    make_case(site, received=received)
    client.get("/admin/anon_messaging/case/")  # warm per-process caches

    def list_page():
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/admin/anon_messaging/case/")
        assert response.status_code == 200
        return response.content.decode(), len(queries)

    html, few = list_page()
    assert "statutory deadline" in html.lower()
    # A due time that cannot be misread (issue 13; it was "6 Dec 2026, 3:39 a.m."):
    # "by 15:39 on Sunday 6 December", in the site's time zone.
    due = (received + timedelta(days=7)).astimezone(LONDON)
    year = "" if due.year == timezone.now().astimezone(LONDON).year else f" {due.year}"
    expected = f"Acknowledgement by {due:%H:%M} on {due:%A} {due.day} {due:%B}{year}"
    assert expected in re.sub(r"\s+", " ", html)
    for offset in range(40):
        make_case(site, received=received - timedelta(hours=offset))
    _html, many = list_page()
    assert many == few
