"""After real reports and log-ins, nothing stored, logged, sent to the database or set in a
cookie holds a reporter's code (only its argon2id hash and its selector HMAC), and nothing
holds the reporter's address, browser or referrer."""

import hashlib
import logging
from unittest import mock

import pytest
from argon2 import PasswordHasher
from django.apps import apps
from django.contrib.sessions.models import Session
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.log import AdminEmailHandler

from anon_messaging import cases, codes
from anon_messaging.models import Case, ContactDetails
from tests.reporter_journey import (
    ANONYMOUS_FORM,
    CONTACT_FORM,
    MESSAGING,
    MESSAGING_LOGOUT,
    MESSAGING_SEND,
    anonymous_answers,
    cases_from_now,
    contact_answers,
    log_in,
    shown_code,
    submit,
    submit_anonymous,
)

# What a browser gives away with every request; none of it may be kept.
ADDRESS = "203.0.113.77"
USER_AGENT = "Mozilla/5.0 (X11; Distinctive-Agent-4f9c) Firefox/140.0"
REFERRER = "https://referrer.example/came-from-7d2e"
BROWSER = {"REMOTE_ADDR": ADDRESS, "HTTP_USER_AGENT": USER_AGENT, "HTTP_REFERER": REFERRER}


@pytest.fixture
def new_cases(reporter_site):
    """The cases this test makes."""
    return cases_from_now()


def forms_of(code):
    """Every way a code could be written down: the search looks for each of them."""
    grouped = codes.format_code(code)
    forms = {
        grouped,
        code,
        grouped.lower(),
        code.lower(),
        " ".join(grouped.split("-")),
        code[codes.SELECTOR_LENGTH :],  # the 10-symbol verifier part
        code[: codes.SELECTOR_LENGTH],  # the 6-symbol selector part
    }
    forms |= {part.lower() for part in forms}
    return forms


def as_text(value):
    if isinstance(value, memoryview):
        value = value.tobytes()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace") + " " + value.hex()
    return str(value)


def every_table_as_text():
    """Each table's rows as text: raw, as the database holds them, and through every model."""
    tables = connection.introspection.table_names()
    dump = {}
    with connection.cursor() as cursor:
        for table in tables:
            # Names come from the database's own catalogue, quoted by the backend.
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            dump[f"raw {table}"] = "\n".join(
                " | ".join(as_text(value) for value in row) for row in cursor.fetchall()
            )
    for model in apps.get_models(include_auto_created=True):
        if model._meta.db_table not in tables or model._meta.proxy:
            continue
        # Through the model, encrypted fields are decrypted: the code must not be in them either.
        dump[f"model {model._meta.label}"] = "\n".join(
            repr(row) for row in model._base_manager.values_list()
        )
    return dump


def found_in(texts, secrets_):
    return sorted(
        (where, secret) for where, text in texts.items() for secret in secrets_ if secret in text
    )


@pytest.fixture
def journey(new_cases, client, caplog):
    """Reports on both routes, with and without messaging; log-ins, messages and log-outs.

    Returns the codes shown, the text of every response cookie, the SQL sent to the
    database, and the log lines written along the way.
    """
    caplog.set_level(logging.DEBUG)
    cookies = []
    shown = []

    def keep_cookies(response):
        cookies.append(response.cookies.output())
        return response

    with CaptureQueriesContext(connection) as queries:
        for text, opt_in in (("First report.", True), ("Second report.", True), ("Third.", False)):
            reporter = type(client)(**BROWSER)
            response = keep_cookies(
                submit(reporter, ANONYMOUS_FORM, anonymous_answers(text, opt_in=opt_in))
            )
            if opt_in:
                shown.append(shown_code(response))
        keep_cookies(
            submit(type(client)(**BROWSER), CONTACT_FORM, contact_answers("Contact report."))
        )

        for code, typed in ((shown[0], shown[0]), (shown[1], f" {shown[1].lower()} ")):
            reporter = type(client)(**BROWSER)
            keep_cookies(log_in(reporter, "AAAA-AAAA-AAAA-AAAA"))  # a typo first
            keep_cookies(log_in(reporter, typed))
            keep_cookies(reporter.get(MESSAGING))
            keep_cookies(reporter.post(MESSAGING_SEND, {"body": f"Hello from {code[:2]}."}))
            keep_cookies(reporter.get(MESSAGING))
            keep_cookies(reporter.post(MESSAGING_LOGOUT))
        still_in = type(client)(**BROWSER)
        keep_cookies(log_in(still_in, shown[0]))  # a session left open in the table

    assert all(shown) and len(shown) == 2
    return {
        "codes": [codes.normalise_code(code) for code in shown],
        "cookies": cookies,
        "sql": [query["sql"] for query in queries.captured_queries],
        "log": caplog.text,
        "cases": new_cases,
    }


def test_no_table_holds_a_code_in_any_form(journey):
    dump = every_table_as_text()
    assert any("Case" in where for where in dump)  # the dump reached the app's own tables
    assert "First report." in dump["model anon_messaging.Case"]
    secrets_ = set().union(*(forms_of(code) for code in journey["codes"]))
    assert found_in(dump, secrets_) == []


def test_a_case_holds_only_the_argon2id_hash_and_the_selector_hmac(journey):
    with_messaging = journey["cases"].filter(messaging_enabled=True)
    assert with_messaging.count() == 2
    hashes = dict(with_messaging.values_list("selector_digest", "code_hash"))
    for code in journey["codes"]:
        digest = codes.selector_digest(code)
        assert digest in hashes
        # "<format version>$" and the hex HMAC of the selector.
        version, hexdigest = digest.split("$")
        assert int(version) == codes.CURRENT_VERSION
        assert len(hexdigest) == 64 and set(hexdigest) <= set("0123456789abcdef")
        # Keyed: a plain hash of a 30-bit selector could be reversed by trying them all.
        assert hexdigest != hashlib.sha256(code[: codes.SELECTOR_LENGTH].encode()).hexdigest()
        stored = hashes[digest]
        assert stored.startswith("$argon2id$")
        assert PasswordHasher().verify(stored, code)
    without = journey["cases"].filter(messaging_enabled=False)
    assert list(without.values_list("selector_digest", "code_hash")) == [(None, None)] * 2


def test_sessions_hold_no_code(journey):
    sessions = Session.objects.all()
    assert sessions.exists()
    secrets_ = set().union(*(forms_of(code) for code in journey["codes"]))
    for session in sessions:
        texts = {"stored": session.session_data, "decoded": repr(session.get_decoded())}
        assert found_in(texts, secrets_) == []


def test_cookies_hold_no_code(journey):
    assert any("sessionid=" in cookie for cookie in journey["cookies"])
    secrets_ = set().union(*(forms_of(code) for code in journey["codes"]))
    assert found_in(dict(enumerate(journey["cookies"])), secrets_) == []


def test_no_query_sent_to_the_database_holds_a_code(journey):
    assert journey["sql"]
    secrets_ = set().union(*(forms_of(code) for code in journey["codes"]))
    assert found_in(dict(enumerate(journey["sql"])), secrets_) == []


def test_no_log_line_or_email_holds_a_code(journey):
    secrets_ = set().union(*(forms_of(code) for code in journey["codes"]))
    texts = {"log": journey["log"]}
    for number, message in enumerate(mail.outbox):
        texts[f"email {number}"] = f"{message.subject}\n{message.body}\n{message.alternatives}"
    assert found_in(texts, secrets_) == []


def test_nothing_stored_or_logged_holds_the_address_browser_or_referrer(journey):
    identifying = {ADDRESS, USER_AGENT, "Distinctive-Agent-4f9c", REFERRER, "came-from-7d2e"}
    texts = every_table_as_text()
    texts["log"] = journey["log"]
    texts.update({f"sql {n}": sql for n, sql in enumerate(journey["sql"])})
    assert found_in(texts, identifying) == []


def test_anonymous_cases_have_no_contact_details(journey):
    anonymous = journey["cases"].filter(route=Case.Route.ANONYMOUS)
    assert anonymous.count() == 3
    assert not ContactDetails.objects.filter(case__in=anonymous).exists()
    contact = ContactDetails.objects.get(case__in=journey["cases"])
    assert contact.case.route == Case.Route.CONTACT


# --- Error reports ---------------------------------------------------------------------------


@pytest.fixture
def error_reports(settings):
    """Django emails a report of every server error to ADMINS, request data included."""
    settings.ADMINS = [("Operations", "ops@example.org")]
    mail.outbox.clear()
    return mail.outbox


def error_report_texts(outbox):
    return {f"email {n}": f"{m.subject}\n{m.body}\n{m.alternatives}" for n, m in enumerate(outbox)}


def test_an_error_report_from_a_log_in_holds_no_code(reporter_site, client, error_reports):
    _response, code = submit_anonymous(client, "Report before the failure.")
    failing = type(client)(raise_request_exception=False, **BROWSER)
    with mock.patch.object(codes, "verify_code", side_effect=RuntimeError("hasher broke")):
        response = log_in(failing, f" {code.lower()} ")
    assert response.status_code == 500
    texts = error_report_texts(error_reports)
    assert any("hasher broke" in text for text in texts.values()), "the failure was reported"
    assert found_in(texts, forms_of(codes.normalise_code(code))) == []
    assert found_in(texts, {ADDRESS, USER_AGENT, REFERRER}) == []


def test_an_error_report_from_a_report_form_holds_no_answers(reporter_site, client, error_reports):
    failing = type(client)(raise_request_exception=False, **BROWSER)
    with mock.patch.object(cases, "create_case", side_effect=RuntimeError("storage broke")):
        response = submit(
            failing, ANONYMOUS_FORM, anonymous_answers("Words only the reporter wrote.")
        )
    assert response.status_code == 500
    texts = error_report_texts(error_reports)
    assert any("storage broke" in text for text in texts.values())
    assert found_in(texts, {"Words only the reporter wrote.", ADDRESS, USER_AGENT, REFERRER}) == []


def test_an_error_report_from_a_conversation_holds_no_session_key(
    reporter_site, client, error_reports, settings
):
    _response, code = submit_anonymous(client, "Logged-in report.")
    reporter = type(client)(raise_request_exception=False, **BROWSER)
    assert log_in(reporter, code).status_code == 302
    session_key = reporter.cookies[settings.SESSION_COOKIE_NAME].value
    with mock.patch.object(cases, "post_message", side_effect=RuntimeError("queue broke")):
        response = reporter.post(MESSAGING_SEND, {"body": "A message only I wrote."})
    assert response.status_code == 500
    texts = error_report_texts(error_reports)
    assert any("queue broke" in text for text in texts.values())
    assert "/messaging/send/" in "".join(texts.values())  # the path is kept for whoever fixes it
    secrets_ = {session_key, "A message only I wrote.", ADDRESS, USER_AGENT, REFERRER}
    assert found_in(texts, secrets_) == []


def test_html_error_reports_hold_no_local_variables(reporter_site, client, settings):
    settings.ADMINS = [("Operations", "ops@example.org")]
    _response, code = submit_anonymous(client, "HTML report check.")
    failing = type(client)(raise_request_exception=False)
    html_handler = AdminEmailHandler(include_html=True)
    logger = logging.getLogger("django.request")
    logger.addHandler(html_handler)
    mail.outbox.clear()
    try:
        with mock.patch.object(codes, "verify_code", side_effect=RuntimeError("hasher broke")):
            log_in(failing, code)
    finally:
        logger.removeHandler(html_handler)
    html_reports = [content for message in mail.outbox for content, _type in message.alternatives]
    assert html_reports and "hasher broke" in html_reports[0]
    assert found_in(dict(enumerate(html_reports)), forms_of(codes.normalise_code(code))) == []
