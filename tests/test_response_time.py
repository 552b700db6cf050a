"""One promise, one clock: the response time is set once, in the Reporting settings, by an
editor through Wagtail's own settings form, and both what reporters read and when replies
fall due follow it. A wording may change only the words around the number."""

from datetime import datetime
from importlib import import_module
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import serializers
from django.test import Client
from wagtail.models import Site

from anon_messaging import deadlines
from anon_messaging.models import Case, ReportingSettings
from tests import databases
from tests.admin_forms import form_data, form_read_once
from tests.reporter_journey import (
    MESSAGING,
    SUPPORT,
    cases_from_now,
    log_in,
    submit_anonymous,
)

LONDON = ZoneInfo("Europe/London")
PROMISE = "We aim to respond within {}, Monday to Friday"


def settings_url():
    return f"/admin/settings/anon_messaging/reportingsettings/{Site.objects.get().pk}/"


@pytest.fixture
def editor(demo_site):
    """The demo's editor: Wagtail's Editors group, and the permission for the setting."""
    client = Client()
    assert client.login(username="editor", password="changeme")  # noqa: S106
    return client


def settings_form(client):
    """The settings form as it stands: what the browser would send unchanged."""
    response = client.get(settings_url())
    assert response.status_code == 200
    return form_data(response)


@pytest.fixture
def settings_form_once(request):
    """``settings_form`` for the variations of a parametrised test: each starts from the
    same demo and makes its own change to the form it reads, so the form is read once;
    another reader or settings that differ in any row the form edits are read again."""

    def read(client):
        current = site_settings()
        rows = [current, *current.wordings.all(), *current.footer_links.all()]
        rows += current.closures.all()
        state = (
            request.node.originalname,
            client.session[SESSION_KEY],
            serializers.serialize("json", rows),
        )
        return form_read_once(client, settings_url(), state)

    return read


def save_settings(client, form=None, **changes):
    """Send the settings form with ``changes`` made. ``form``: the form as ``client``
    already read it (``settings_form``), when nothing has been saved since (a refused save
    changes nothing), rather than reading it again."""
    data = dict(form) if form is not None else settings_form(client)
    data.update({key: str(value) for key, value in changes.items()})
    return client.post(settings_url(), data)


def site_settings():
    return ReportingSettings.objects.get()


def field_errors(response, name):
    return response.context["form"].errors.get(name, [])


def test_the_demo_editor_reaches_the_setting_through_wagtails_permission(editor):
    home = editor.get("/admin/").content.decode()
    assert "/admin/settings/anon_messaging/reportingsettings/" in home
    html = editor.get(settings_url()).content.decode()
    assert "Response time" in html and 'name="response_working_days"' in html
    # The demo's links: three in each of its languages.
    assert ReportingSettings.objects.get().footer_links.count() == 9


def test_the_promise_and_the_clock_move_together(editor):
    assert PROMISE.format("3 working days") in Client().get(SUPPORT).content.decode()

    response = save_settings(editor, response_working_days=2)

    assert response.status_code == 302
    assert site_settings().response_working_days == 2
    page = Client().get(SUPPORT).content.decode()
    assert PROMISE.format("2 working days") in page
    assert "3 working days" not in page
    # The clock: a new report's reply is due two working days later on the same calendar.
    new_cases = cases_from_now()
    submit_anonymous(Client(), "Counted on the new promise.")
    case = new_cases.get()
    policy = deadlines.policy_for_site(case.site_id)
    assert case.response_due_at == policy.calendar.due(case.created_at, 2)
    assert case.response_due_at != policy.calendar.due(case.created_at, 3)


@pytest.mark.parametrize(
    ("wording", "error"),
    [
        ("2 working days", "cannot give a time of its own (“2”)"),
        ("{days} working days (2 weeks at most)", "cannot give a time of its own (“2”)"),
        ("three working days", "cannot give a time of its own (“three”)"),
        ("{days} working days, about a week", "cannot give a time of its own (“week”)"),
        ("a few working days", "Write {days} where the number of working days goes."),
        ("{sla}", "remove “{sla}”"),
        ("{days} working days and {hours} hours", "no extra working hours, so remove {hours}"),
    ],
)
def test_a_wording_that_gives_another_number_is_refused_and_nothing_changes(
    editor, settings_form_once, wording, error
):
    response = save_settings(
        editor, settings_form_once(editor), response_time_wording=wording, response_working_days=3
    )

    assert response.status_code == 200
    assert any(error in message for message in field_errors(response, "response_time_wording"))
    assert wording.replace('"', "&quot;") in response.content.decode()  # kept as typed
    assert site_settings().response_time_wording == ""
    assert PROMISE.format("3 working days") in Client().get(SUPPORT).content.decode()


def test_an_editor_rewords_the_promise_around_the_number(editor):
    response = save_settings(
        editor, response_time_wording="{days} working days of the office", response_working_days=4
    )
    assert response.status_code == 302
    page = Client().get(SUPPORT).content.decode()
    assert "We aim to respond within 4 working days of the office, Monday" in page


def test_changing_the_number_keeps_the_wording_honest(editor):
    assert save_settings(editor, response_time_wording="{days} working days").status_code == 302
    # Now hours only: the wording must drop {days}, or the number of days would read 0.
    response = save_settings(
        editor,
        response_working_days=0,
        response_working_hours=4,
        response_time_wording="{days} working days",
    )
    assert response.status_code == 200
    assert field_errors(response, "response_time_wording")
    assert site_settings().response_working_days == 3


def test_working_hours_on_top_of_the_days(editor):
    response = save_settings(
        editor,
        working_hours_start="09:00",
        working_hours_end="17:00",
        response_working_days=1,
        response_working_hours=4,
    )
    assert response.status_code == 302
    page = Client().get(SUPPORT).content.decode()
    assert PROMISE.format("1 working day and 4 working hours") in page
    # Monday 10:00 + 1 working day (8 hours) + 4 working hours = Tuesday 14:00.
    monday = datetime(2026, 6, 1, 10, tzinfo=LONDON)
    assert deadlines.response_due_at(Site.objects.get(), monday) == datetime(
        2026, 6, 2, 14, tzinfo=LONDON
    )

    form = settings_form(editor)
    too_many = save_settings(editor, form, response_working_hours=8)
    assert too_many.status_code == 200
    assert "A working day has 8 working hours" in str(
        field_errors(too_many, "response_working_hours")
    )

    nothing = save_settings(editor, form, response_working_days=0, response_working_hours=0)
    assert nothing.status_code == 200
    assert field_errors(nothing, "response_working_days")


def test_the_conversation_promises_once_and_gives_the_date(demo_site):
    """No messages yet: the page says once when a reply can be expected, as a date; the
    demo's conversation help no longer repeats the promise in other words beside it."""
    client = Client()
    _response, code = submit_anonymous(client, "Counting promises.")
    log_in(client, code)
    page = client.get(MESSAGING).content.decode()
    assert "We aim to respond within" not in page
    assert page.count("You can expect a reply by the end of") == 1


# --- The migration from the free-text sla_text ----------------------------------------------


@pytest.mark.parametrize(
    ("sla_text", "days", "template"),
    [
        ("3 working days", 3, ""),  # the standard wording
        ("1 working day", 1, ""),
        ("2 working days", 3, ""),  # disagreed with the clock: the clock's number wins
        ("three working days", 3, ""),
        ("3 working days, Monday to Friday", 3, "{days} working days, Monday to Friday"),
        ("within 5 days (3 if urgent)", 5, ""),
        ("", 3, ""),
    ],
)
def test_the_migration_keeps_an_old_wording_only_around_the_clocks_own_number(
    sla_text, days, template
):
    migration = import_module("anon_messaging.migrations.0007_one_response_time")
    assert migration.wording_template(sla_text, days) == template


@databases.committing()
def test_the_migration_moves_stored_settings():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    before = [("anon_messaging", "0006_messaging_help_without_code_length")]
    after = [("anon_messaging", "0007_one_response_time")]
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    old_settings = old_apps.get_model("anon_messaging", "ReportingSettings")
    site_model = old_apps.get_model("wagtailcore", "Site")
    old_settings.objects.create(
        site_id=site_model.objects.get().pk,
        sla_text="3 working days, Monday to Friday",
        response_working_days=3,
    )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    new_apps = executor.loader.project_state(after).apps
    row = new_apps.get_model("anon_messaging", "ReportingSettings").objects.get()
    assert row.response_time_wording == "{days} working days, Monday to Friday"
    assert row.response_working_days == 3
    # Back to the latest state for the tests that follow.
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_changing_the_promise_recounts_the_due_times_of_waiting_cases(
    editor, django_capture_on_commit_callbacks
):
    waiting = Case.objects.owing_reply().filter(reminder_sent_at__isnull=True)
    assert waiting.exists()

    # The recount runs once the settings are committed (signal_handlers.py).
    with django_capture_on_commit_callbacks(execute=True):
        assert save_settings(editor, response_working_days=5).status_code == 302

    policy = deadlines.policy_for_site(site_settings().site_id)
    for case in waiting.all():
        assert case.response_due_at == policy.calendar.due(case.awaiting_since, 5)


# --- Settings an editor could get wrong without noticing -------------------------------------


def test_manager_addresses_that_are_not_email_addresses_are_named_and_kept(editor):
    before = site_settings().manager_emails
    form = settings_form(editor)
    response = save_settings(editor, form, manager_emails="head@example.org\nnot an email\n")
    assert response.status_code == 200
    (error,) = field_errors(response, "manager_emails")
    assert error == "“not an email” is not an email address. Put one email address on each line."
    assert "not an email" in response.content.decode()  # the typed text is kept
    assert site_settings().manager_emails == before

    assert (
        save_settings(
            editor, form, manager_emails="head@example.org\n\ndean@example.org"
        ).status_code
        == 302
    )
    assert site_settings().manager_email_list == ["head@example.org", "dean@example.org"]


@pytest.mark.parametrize("days", [0, 29])
def test_closed_cases_cannot_be_set_to_be_deleted_at_once(editor, settings_form_once, days):
    form = settings_form_once(editor)
    response = save_settings(editor, form, retention_days=days)
    assert response.status_code == 200
    (error,) = field_errors(response, "retention_days")
    assert error.startswith("Keep closed cases for at least 30 days")
    assert site_settings().retention_days == 365
    assert save_settings(editor, form, retention_days=30).status_code == 302
    assert site_settings().retention_days == 30
