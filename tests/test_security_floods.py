"""Security round 2: the penetration test's floods, sent in parallel as the tester sent them.

Each test starts its requests together (a barrier), from threads with a client each,
against the demo's pages, and counts what the server actually did: argon2
verifications (counted inside argon2-cffi), codes issued, emails sent. The memory
test serves the example site in a process of its own, with the production argon2
cost, and reads that process's peak memory.
"""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests
from argon2 import PasswordHasher
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.signals import got_request_exception
from django.db import connection
from django.test import Client
from django.test.client import ClientHandler
from django.utils import timezone

from anon_messaging import cases, codes, tasks, throttle
from anon_messaging.models import Case, Message
from anon_messaging.sessions import SESSION_CASE_KEY
from tests import databases
from tests.reporter_journey import (
    ANONYMOUS_FORM,
    MESSAGING,
    MESSAGING_SEND,
    WRONG_CODE_ERROR,
    anonymous_answers,
    fresh_token,
    submit_anonymous,
)
from tests.served_site import served_example_site

TOO_MANY = "Too many attempts."
BUSY = "The service is busy just now"
CODE_LIMIT = "We cannot give out another messaging code from your connection just now."

transactional = databases.committing()


@pytest.fixture(autouse=True)
def still_clock(monkeypatch):
    """The throttle's clock stands still mid-window: these tests are about requests that
    arrive together, and a run that crossed a window's end would be judged by the sliding
    estimate's share of the last window instead."""
    monkeypatch.setattr(throttle, "_now", lambda: 1_700_000_010.0)


@pytest.fixture
def demo(committed_demo):
    """The demo, committed: the requests below run in threads of their own."""


class Verifications:
    """Every argon2 verification, and the most that ran at the same moment."""

    def __init__(self):
        self.lock = threading.Lock()
        self.count = 0
        self.running = 0
        self.most_at_once = 0


@pytest.fixture
def verifications(monkeypatch):
    seen = Verifications()
    original = PasswordHasher.verify

    def counting_verify(self, hash, password):
        with seen.lock:
            seen.count += 1
            seen.running += 1
            seen.most_at_once = max(seen.most_at_once, seen.running)
        try:
            return original(self, hash, password)
        finally:
            with seen.lock:
                seen.running -= 1

    monkeypatch.setattr(PasswordHasher, "verify", counting_verify)
    return seen


class FloodClient(Client):
    """Django's test client for requests sent from many threads at once.

    Each request goes through the same handler, middleware and view as with ``Client`` and
    gets the same response. Left out are two things the test client does besides, which
    these tests never read and which, under threads, cost about half of a flood's time:

    - recording the templates a response rendered: ``Client`` connects a receiver of
      ``template_rendered`` that copies each template's context, and every request's
      receiver hears every thread's templates, so with 32 requests at once each context was
      copied 32 times (``response.context`` and ``.templates`` are not set here);
    - loading the middleware for each new client: the requests share one handler, loaded
      once for the test (``flood_handler``), as a server's threads share theirs.
    """

    shared_handler = None

    def __init__(self, **defaults):
        super().__init__(**defaults)
        self.handler = self.shared_handler

    def request(self, **request):
        environ = self._base_environ(**request)
        # An exception in the view is raised here, as Client raises it.
        exception_uid = f"request-exception-{id(request)}"
        got_request_exception.connect(self.store_exc_info, dispatch_uid=exception_uid)
        try:
            response = self.handler(environ)
        finally:
            got_request_exception.disconnect(dispatch_uid=exception_uid)
        self.check_exception(response)
        response.client = self
        response.request = request
        if response.cookies:
            self.cookies.update(response.cookies)
        return response


@pytest.fixture(autouse=True)
def flood_handler(monkeypatch):
    """One handler for the test's FloodClients, its middleware loaded before any thread
    starts (threads loading it at once would each fill the same lists)."""
    handler = ClientHandler(enforce_csrf_checks=False)
    handler.load_middleware()
    monkeypatch.setattr(FloodClient, "shared_handler", handler)


def all_at_once(requests_to_send, workers=32):
    """Run the callables ``workers`` at a time, each batch released together by a barrier.

    Each thread holds a database connection of its own, so threads are bounded: PostgreSQL
    allows 100 connections, and 160 at once would fail for want of one, not the throttle.
    """
    parties = min(workers, len(requests_to_send))
    # One barrier per batch, sized to it: the last, smaller batch is released together too,
    # as soon as it is all there (one barrier for all made it wait out its timeout).
    barriers = [
        threading.Barrier(min(parties, len(requests_to_send) - start))
        for start in range(0, len(requests_to_send), parties)
    ]

    def run(numbered):
        number, send = numbered
        # The pool starts its work in order, so a batch's threads all come to its barrier
        # once the batch before has been released.
        barriers[number // parties].wait(timeout=60)
        try:
            return send()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=parties) as pool:
        return list(pool.map(run, enumerate(requests_to_send)))


def log_in_from(address, code):
    def send():
        response = FloodClient().post(MESSAGING, {"code": code}, REMOTE_ADDR=address)
        return response.status_code, response.content.decode(), response.get("Retry-After")

    return send


def wrong_code():
    return codes.generate_code()


def outcome(result):
    status, html, _retry = result
    if status == 302:
        return "in"
    if status == 429 and TOO_MANY in html:
        return "refused"
    if status == 503 and BUSY in html:
        return "busy"
    if status == 200 and WRONG_CODE_ERROR in html:
        return "verified"
    return f"unexpected {status}"


@transactional
def test_160_log_ins_at_once_from_one_address_get_at_most_the_address_cap(demo, verifications):
    results = all_at_once([log_in_from("192.0.2.160", wrong_code()) for _ in range(160)])
    outcomes = [outcome(result) for result in results]
    # The pentest saw all 160 verified; the address's cap is 20 a minute.
    assert verifications.count <= 20
    assert outcomes.count("verified") == verifications.count
    # The rest refused unverified; under load some may find the argon2 slots busy instead.
    assert outcomes.count("refused") + outcomes.count("busy") == 160 - verifications.count
    assert outcomes.count("refused") >= 140
    assert all(int(retry) >= 1 for status, _html, retry in results if status == 429)


@transactional
def test_120_random_codes_at_once_from_24_addresses_get_at_most_the_ceiling(demo, verifications):
    sends = [log_in_from(f"198.51.100.{i % 24}", wrong_code()) for i in range(120)]
    outcomes = [outcome(result) for result in all_at_once(sends)]
    # Codes that match no case: at most 60 verified a minute, whoever sends them.
    assert verifications.count <= 60
    assert outcomes.count("verified") == verifications.count
    assert outcomes.count("refused") + outcomes.count("busy") == 120 - verifications.count
    assert outcomes.count("refused") >= 60


@transactional
def test_guessing_against_ones_own_cases_neither_exceeds_the_caps_nor_locks_a_reporter_out(
    demo, verifications, settings
):
    # The attacker makes cases with codes of their own (capped: see the next test) and
    # guesses against their selectors from one address, all at once.
    owned = [submit_anonymous(Client(REMOTE_ADDR="203.0.113.5"), "Mine.")[1] for _ in range(8)]
    reporter = Client(REMOTE_ADDR="203.0.113.200")
    _response, reporter_code = submit_anonymous(reporter, "The real report.")
    verifications.count = 0

    def same_selector(code):
        plain = code.replace("-", "")
        return plain[: codes.SELECTOR_LENGTH] + wrong_code()[codes.SELECTOR_LENGTH :]

    sends = [log_in_from("203.0.113.5", same_selector(owned[i % 8])) for i in range(219)]
    outcomes = [outcome(result) for result in all_at_once(sends)]
    assert verifications.count <= 20
    assert "in" not in outcomes

    # Straight after, the reporter with the right code, from their own address, gets in.
    status, _html, _retry = log_in_from("203.0.113.200", reporter_code)()
    assert status == 302


@transactional
def test_reports_with_codes_are_capped_per_address_with_a_kind_message(demo):
    attacker = Client(REMOTE_ADDR="203.0.113.40")
    with_codes_before = Case.objects.filter(messaging_enabled=True).count()
    issued, refused = 0, 0
    for number in range(40):
        response, code = submit_anonymous(attacker, f"Report {number}.")
        if code:
            issued += 1
        else:
            html = response.content.decode()
            assert CODE_LIMIT in html
            assert f"Report {number}." in html  # the answers are kept
            refused += 1
    assert issued == 10 and refused == 30
    assert Case.objects.filter(messaging_enabled=True).count() == with_codes_before + 10

    # Without a code the report still goes through, and another address still gets codes.
    token = fresh_token(attacker, ANONYMOUS_FORM)
    response = attacker.post(
        ANONYMOUS_FORM, {**anonymous_answers("No code.", opt_in=False), "submission_token": token}
    )
    assert "We have received and stored your report." in response.content.decode()
    assert submit_anonymous(Client(REMOTE_ADDR="203.0.113.41"), "Someone else.")[1]


@transactional
def test_forty_reports_at_once_without_submission_tokens_store_nothing(demo):
    client = FloodClient(REMOTE_ADDR="203.0.113.42")
    client.get(ANONYMOUS_FORM)  # one CSRF token for all, as the tester reused one
    before = Case.objects.count()

    def post():
        response = client.post(ANONYMOUS_FORM, anonymous_answers("Scripted."))
        return response.status_code, response.content.decode()

    results = all_at_once([post for _ in range(40)])
    assert all(status == 200 and "did not come from this site" in html for status, html in results)
    assert Case.objects.count() == before


@transactional
def test_a_burst_of_reports_gives_each_adviser_one_email(demo):
    mail.outbox.clear()
    tasks.send_adviser_alerts()  # the seeded cases' alerts, out of the way
    mail.outbox.clear()
    for number in range(6):
        submit_anonymous(Client(REMOTE_ADDR=f"203.0.113.{60 + number}"), f"Burst {number}.")
    Case.objects.update(created_at=timezone.now() - timedelta(minutes=10))
    tasks.send_adviser_alerts()
    recipients = [tuple(email.to) for email in mail.outbox]
    assert recipients, "the intake team is told"
    assert len(recipients) == len(set(recipients)), "one email per address per burst"
    assert not Case.objects.filter(adviser_alert_pending=True).exists()


@transactional
def test_argon2_work_in_a_process_is_bounded_and_the_rest_are_told_to_come_back(
    demo, verifications, settings, monkeypatch
):
    settings.ANON_MESSAGING = {
        **settings.ANON_MESSAGING,
        "ARGON2_MAX_CONCURRENT": 1,
        "ARGON2_BUSY_WAIT_SECONDS": 0,
    }
    original = PasswordHasher.verify  # the counting one

    def slow_verify(self, hash, password):
        time.sleep(0.3)  # a verification that takes a while, as under load
        return original(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", slow_verify)
    sends = [log_in_from(f"192.0.2.{i}", wrong_code()) for i in range(8)]
    results = all_at_once(sends)
    outcomes = [outcome(result) for result in results]
    assert verifications.most_at_once == 1
    assert "busy" in outcomes
    assert set(outcomes) <= {"verified", "busy"}
    for (status, html, retry), result in zip(results, outcomes, strict=True):
        if result == "busy":
            assert status == 503 and int(retry) >= 1
            assert 'name="code"' in html  # the log-in form again, to try once more


@transactional
def test_busy_slots_never_run_more_argon2_at_once_than_the_bound(demo, verifications, settings):
    settings.ANON_MESSAGING = {
        **settings.ANON_MESSAGING,
        "ARGON2_MAX_CONCURRENT": 2,
        "ARGON2_BUSY_WAIT_SECONDS": 5,
    }
    all_at_once([log_in_from(f"192.0.2.{100 + i}", wrong_code()) for i in range(12)])
    assert 1 <= verifications.most_at_once <= 2
    assert verifications.count == 12


# --- Traces a reporter leaves ---------------------------------------------------------------


@transactional
def test_times_a_reporter_sets_are_stored_to_the_minute(demo):
    reporter = Client()
    _response, code = submit_anonymous(reporter, "Minutes only.")
    reporter.post(MESSAGING, {"code": code})
    reporter.post(MESSAGING_SEND, {"body": "A message."})
    case = Case.objects.get(pk=reporter.session[SESSION_CASE_KEY])
    stamps = [case.created_at, case.last_reporter_message_at, case.awaiting_since]
    cases.reply(case, author=get_user_model().objects.get(username="adviser"), body="Reply.")
    reporter.get(MESSAGING)  # reads the reply
    stamps += [m.created_at for m in Message.objects.filter(case=case)]
    stamps += [m.read_by_reporter_at for m in Message.objects.filter(case=case, sender="adviser")]
    assert all(stamp is not None for stamp in stamps)
    assert all(stamp.second == 0 and stamp.microsecond == 0 for stamp in stamps)


@transactional
def test_a_reporter_session_row_ends_with_the_idle_time_and_is_cleared(demo, settings):
    reporter = Client()
    _response, code = submit_anonymous(reporter, "Session row.")
    reporter.post(MESSAGING, {"code": code})
    row = Session.objects.get(session_key=reporter.session.session_key)
    idle = settings.ANON_MESSAGING.get("SESSION_IDLE_SECONDS", 30 * 60)
    assert row.expire_date <= timezone.now() + timedelta(seconds=idle + 5)
    # The browser cookie still ends with the browser session.
    assert not reporter.cookies[settings.SESSION_COOKIE_NAME]["max-age"]

    Session.objects.filter(pk=row.pk).update(expire_date=timezone.now() - timedelta(seconds=1))
    tasks.clear_expired_sessions()
    assert not Session.objects.filter(pk=row.pk).exists()


# --- Memory under a flood, on a served site with the production argon2 cost -------------------


def test_a_worker_under_50_simultaneous_log_ins_stays_within_its_bound(
    tmp_path, tmp_path_factory
):
    bound = 2  # ARGON2_MAX_CONCURRENT's default
    with served_example_site(
        tmp_path,
        databases.shared_dir(tmp_path_factory),
        "flood",
        {"TEST_PRODUCTION_ARGON2": "1", "TEST_CLIENT_IP_HEADER": "HTTP_X_FORWARDED_FOR"},
    ) as server:
        page = requests.get(server.url + MESSAGING, timeout=30)
        token = page.text.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
        cookies = page.cookies.get_dict()

        def attempt(address):
            def send():
                # A connection the server drops is tried again, as a browser would, so all
                # 50 reach the server (its listen queue, tests/served_site.py, is long
                # enough that none should be).
                for _try in range(20):
                    try:
                        response = requests.post(
                            server.url + MESSAGING,
                            data={"code": wrong_code(), "csrfmiddlewaretoken": token},
                            cookies=cookies,
                            headers={"X-Forwarded-For": address},
                            timeout=120,
                            allow_redirects=False,
                        )
                    except requests.ConnectionError:
                        time.sleep(0.1)
                        continue
                    return response.status_code
                return None

            return send

        attempt("10.9.9.1")()  # warm up: the dummy hash, imports, the first verification
        idle = server.peak_memory_kib()
        statuses = all_at_once([attempt(f"10.9.8.{i}") for i in range(50)])
        peak = server.peak_memory_kib()

    assert 500 not in statuses
    assert set(statuses) <= {200, 429, 503}
    assert statuses.count(200) >= bound
    # The pentest saw 215 MB become 7.65 GB; now at most the bound × 70 MiB more.
    assert peak - idle <= bound * 70 * 1024, f"peak grew by {(peak - idle) // 1024} MiB"
