"""No identifying metadata: a full journey leaves no address, user agent or referrer anywhere.

Reporters and an adviser go through both routes, messages, the adviser's reply
and views, failed log-ins, error pages and every scheduled task, each request
carrying distinctive REMOTE_ADDR, User-Agent, Referer and X-Forwarded-For
values. Then every log record (root logger at DEBUG, SQL with its parameters
included), every email, every row of every table (raw, and again through the
ORM so encrypted and pickled values are read decoded), every session and the
cache are searched for those values. None may appear.
"""

import ipaddress
import logging
import pickle
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.core import mail
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Site

from anon_messaging import cases, notifications, reminders, retention
from anon_messaging.models import Case, Message, ReportingSettings
from tests.factories import PASSWORD
from tests.reporter_journey import case_for_code
from tests.security_support import (
    ANONYMOUS_FORM,
    CONTACT_FORM,
    HOME,
    MESSAGING,
    MESSAGING_LOGOUT,
    MESSAGING_SEND,
    SUPPORT,
    report_form_data,
    shown_code,
    use_throttle_cache,
    wrong_code,
)

CLIENT_IP = "203.0.113.187"
FORWARDED_IP = "198.51.100.243"
PROXY_IP = "192.0.2.77"
USER_AGENT = "Mozilla/5.0 (X11) DistinctiveAgent/7.3 h5-probe-agent"
REFERRER = "https://referrer.example.org/came-from-h5-probe?q=harassment"

IDENTIFYING_HEADERS = {
    "REMOTE_ADDR": CLIENT_IP,
    "HTTP_USER_AGENT": USER_AGENT,
    "HTTP_REFERER": REFERRER,
    "HTTP_X_FORWARDED_FOR": f"{FORWARDED_IP}, {PROXY_IP}",
}


def needles():
    """Every form in which one of the values could have been written down."""
    values = {
        CLIENT_IP,
        FORWARDED_IP,
        PROXY_IP,
        "DistinctiveAgent",
        "h5-probe-agent",
        "referrer.example.org",
        "came-from-h5-probe",
    }
    for ip in (CLIENT_IP, FORWARDED_IP, PROXY_IP):
        packed = ipaddress.ip_address(ip)
        values.add(str(int(packed)))
        values.add(packed.packed.hex())
        values.add(str(ipaddress.ip_network(f"{ip}/24", strict=False).network_address)[:-2])
    return sorted(values)


def find_needles(where, text, found):
    if isinstance(text, bytes | bytearray | memoryview):
        text = bytes(text).decode("latin-1")
    text = str(text)
    for needle in needles():
        if needle in text:
            found.append((where, needle))


def run_journey(adviser_client):
    """Everything a reporter and an adviser do, with the identifying headers on every request."""
    reporter = Client(**IDENTIFYING_HEADERS)
    before = set(Case.objects.values_list("pk", flat=True))
    for path in (HOME, ANONYMOUS_FORM, CONTACT_FORM, SUPPORT, MESSAGING):
        assert reporter.get(path).status_code == 200

    # Anonymous route with messaging, anonymous without, and the contact route.
    response = reporter.post(
        ANONYMOUS_FORM, report_form_data(reporter, ANONYMOUS_FORM, "It happened at the lab.")
    )
    code = shown_code(response)
    assert code
    reporter.post(
        ANONYMOUS_FORM,
        report_form_data(reporter, ANONYMOUS_FORM, "No messaging.", messaging_opt_in="no"),
    )
    reporter.post(CONTACT_FORM, report_form_data(reporter, CONTACT_FORM, "Please call me."))
    new_cases = Case.objects.exclude(pk__in=before)
    assert new_cases.count() == 3

    # A failed log-in (counted by the throttle), then the right code and a conversation.
    assert reporter.post(MESSAGING, {"code": wrong_code()}).status_code == 200
    assert reporter.post(MESSAGING, {"code": code}).status_code == 302
    assert reporter.post(MESSAGING_SEND, {"body": "Are you there?"}).status_code == 302
    case = case_for_code(code)
    adviser = get_user_model().objects.get(username="adviser")
    cases.post_message(
        case, sender=Message.Sender.ADVISER, body="Yes, we are here.", author=adviser
    )
    assert "Yes, we are here." in reporter.get(MESSAGING).content.decode()
    assert reporter.post(MESSAGING_SEND, {"body": "Thank you."}).status_code == 302
    assert reporter.post(MESSAGING_LOGOUT).status_code == 200

    # Error pages: a request too big to read, and a form without its CSRF token.
    assert reporter.post(MESSAGING, {"code": "x" * 20_000}).status_code == 400
    strict = Client(enforce_csrf_checks=True, **IDENTIFYING_HEADERS)
    strict.get(MESSAGING)
    assert strict.post(MESSAGING, {"code": code}).status_code == 403

    # The adviser's side, in the admin.
    contact_case = new_cases.get(route=Case.Route.CONTACT)
    for name, args in [
        ("wagtailadmin_home", []),
        ("anon_messaging_case_modeladmin_index", []),
        ("anon_messaging_case_modeladmin_inspect", [case.pk]),
        ("anon_messaging_case_modeladmin_history", [case.pk]),
        ("anon_messaging_case_modeladmin_contact", [contact_case.pk]),
    ]:
        assert adviser_client.get(reverse(name, args=args)).status_code == 200, name

    # Every scheduled task, as if days had passed: alerts, reminders, retention.
    later = timezone.now() + timedelta(days=30)
    notifications.send_pending_alerts(now=later)
    reminders.scan(now=later)
    Case.objects.filter(pk=contact_case.pk).update(
        status=Case.Status.CLOSED, closed_at=timezone.now() - timedelta(days=400)
    )
    assert retention.delete_expired_cases() >= 1
    assert not Case.objects.filter(pk=contact_case.pk).exists()


def dump_database(found):
    """Search every row of every table, raw as stored."""
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted}")  # noqa: S608 - names from introspection
            for row in cursor.fetchall():
                for value in row:
                    find_needles(f"table {table}", value, found)


def dump_models(found):
    """Search every object through the ORM: encrypted and pickled values come decoded."""
    from django.apps import apps

    for model in apps.get_models():
        for obj in model._base_manager.all():
            for field in model._meta.concrete_fields:
                find_needles(
                    f"model {model._meta.label}.{field.name}",
                    repr(field.value_from_object(obj)),
                    found,
                )


def dump_sessions(found):
    from django.contrib.sessions.models import Session

    for session in Session.objects.all():
        find_needles("session data", repr(SessionStore().decode(session.session_data)), found)


def dump_caches(found):
    for alias in ("default", "security-tests-throttle"):
        storage = getattr(caches[alias], "_cache", {})
        for key, pickled in dict(storage).items():
            find_needles(f"cache {alias} key", key, found)
            find_needles(f"cache {alias} value", pickled, found)
            find_needles(f"cache {alias} value", repr(pickle.loads(pickled)), found)  # noqa: S301


def capture_every_logger(caplog, monkeypatch):
    """Every record of every logger at DEBUG, including loggers that do not propagate."""
    caplog.set_level(logging.DEBUG)
    for name in ["django", "django.db.backends", *logging.root.manager.loggerDict]:
        logger = logging.getLogger(name)
        monkeypatch.setattr(logger, "level", logging.DEBUG)
        if not logger.propagate:
            monkeypatch.setattr(logger, "handlers", [*logger.handlers, caplog.handler])
    logging.getLogger().manager._clear_cache()


@pytest.mark.parametrize("client_ip_header", [None, "HTTP_X_FORWARDED_FOR"])
def test_full_journey_leaves_no_identifying_metadata(
    reporter_site, site_admin, intake_adviser, settings, caplog, monkeypatch, client_ip_header
):
    use_throttle_cache(settings)
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    settings.ANON_MESSAGING = {**settings.ANON_MESSAGING, "CLIENT_IP_HEADER": client_ip_header}
    site = Site.objects.get(is_default_site=True)
    reporting = ReportingSettings.for_site(site)
    reporting.team_email = "team@example.org"
    reporting.manager_emails = "manager@example.org"
    reporting.save()
    adviser_client = Client(**IDENTIFYING_HEADERS)
    assert adviser_client.login(username="admin", password=PASSWORD)

    capture_every_logger(caplog, monkeypatch)
    # Log every SQL statement with its parameters, so whatever was written shows in the logs.
    connection.force_debug_cursor = True
    try:
        run_journey(adviser_client)
    finally:
        connection.force_debug_cursor = False

    found = []
    assert any(r.name == "django.db.backends" for r in caplog.records), "SQL was logged"
    for record in caplog.records:
        find_needles(f"log {record.name}", record.getMessage(), found)
        find_needles(f"log {record.name} record", repr(vars(record)), found)
    assert mail.outbox, "the journey sent adviser alerts"
    for message in mail.outbox:
        find_needles("email", message.message().as_string(), found)
    dump_database(found)
    dump_models(found)
    dump_sessions(found)
    dump_caches(found)
    assert found == []
