"""Code guessing through the real log-in page: nothing gets in, reporters still do.

Attackers send 10,000 wrong codes from one address, from 10,000 addresses and
from 1,000 addresses taking turns. None succeeds, few are even verified, and a
reporter with the right code logs in straight after, from another address or
from the attacker's own (an onion service sees everyone as one address).

Time is simulated by replacing ``throttle._now``; nothing sleeps. A request
through the page costs tens of milliseconds here, so each attempt is first put
to the throttle exactly as the page puts it (same address, same bucket): every
attempt it allows, the first it refuses after each allowed one and every 100th
refusal besides go through the page over HTTP; the rest are counted as refused
by the throttle's answer alone. That is sound because the HTTP samples show the
page answers 429 with no argon2 verification whenever the throttle refuses, and
the verification counter (wrapping argon2-cffi itself) equals the number of
attempts the page verified.
"""

import math

import pytest
from django.test import Client

from anon_messaging import cases, codes, throttle
from anon_messaging.login import SESSION_CASE_KEY
from anon_messaging.models import Case
from tests.security_support import (
    MESSAGING,
    TOO_MANY,
    WRONG_CODE,
    Clock,
    address,
    code_with_selector_of,
    count_argon2_verifications,
    use_throttle_cache,
    wrong_code,
)

ATTEMPTS = 10_000
SAMPLE_EVERY = 100


@pytest.fixture
def throttle_cache(settings):
    cache = use_throttle_cache(settings)
    yield cache
    cache.clear()


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(throttle, "_now", fake)
    return fake


@pytest.fixture
def verifications(monkeypatch):
    return count_argon2_verifications(monkeypatch)


@pytest.fixture
def victim(reporter_site):
    """A reporter's case with messaging, and its code (known only to the test)."""
    case, code = cases.create_case(
        route=Case.Route.ANONYMOUS,
        answers=[{"label": "What happened?", "type": "multiline", "value": "Victim's report"}],
        site=None,
        form_page=None,
        submission_token=None,
        opt_in=True,
    )
    return case, code


class Attack:
    """Tallies of one attack, checked against what the page and argon2 saw."""

    def __init__(self, rf, verifications, target=throttle.NO_CASE):
        self.rf = rf
        self.verifications = verifications
        self.target = target
        self.client = Client()
        self.allowed = self.refused_by_page = self.refused_by_throttle = self.successes = 0
        self.refusals_since_allowed = 0

    def attempt(self, ip, make_code):
        """One attempt from ``ip``. ``make_code()`` gives the code typed, made only for an
        attempt that goes through the page: most never do, and the throttle's answer does
        not depend on the code."""
        probe = self.rf.generic("POST", MESSAGING, REMOTE_ADDR=ip)
        decision = throttle.check_login(probe, self.target)
        if decision.allowed:
            # A peek only: give the reservation back, so the page's own attempt takes it.
            throttle.release(probe, self.target)
        sample = decision.allowed or self.refusals_since_allowed % SAMPLE_EVERY == 0
        if not decision.allowed:
            self.refusals_since_allowed += 1
        else:
            self.refusals_since_allowed = 0
        if not sample:
            self.refused_by_throttle += 1
            return
        before = len(self.verifications)
        response = self.client.post(MESSAGING, {"code": make_code()}, REMOTE_ADDR=ip)
        verified = len(self.verifications) - before
        if response.status_code == 302 or SESSION_CASE_KEY in self.client.session:
            self.successes += 1
        elif decision.allowed:
            assert response.status_code == 200
            assert WRONG_CODE in response.content.decode()
            assert verified == 1, "one argon2 verification per attempt"
            self.allowed += 1
        else:
            assert response.status_code == 429
            assert TOO_MANY in response.content.decode()
            assert int(response["Retry-After"]) >= 1
            assert verified == 0, "a refused attempt costs no verification"
            self.refused_by_page += 1

    @property
    def total(self):
        return self.allowed + self.refused_by_page + self.refused_by_throttle


def assert_reporter_gets_in(code, ip):
    reporter = Client()
    response = reporter.post(MESSAGING, {"code": codes.format_code(code)}, REMOTE_ADDR=ip)
    assert response.status_code == 302
    assert reporter.get(MESSAGING).context["case"] is not None


def test_ten_thousand_wrong_codes_from_one_client(throttle_cache, clock, verifications, victim, rf):
    case, code = victim
    attack = Attack(rf, verifications)
    attacker_ip = "127.0.0.1"  # as an onion service sees every visitor
    for _ in range(ATTEMPTS):
        attack.attempt(attacker_ip, lambda: wrong_code(avoid_selectors={code[:6]}))
        clock.advance(1.0)  # one guess a second for almost three hours

    assert attack.successes == 0
    assert attack.total == ATTEMPTS
    # Five free, then 1, 2, 4 ... 60 s apart up to the 20th failure, then one per 5-minute
    # lock-out: at most 20 + 10,000 / 300.
    assert attack.allowed <= 20 + math.ceil(ATTEMPTS / 300)
    assert len(verifications) == attack.allowed
    assert attack.refused_by_page >= 30

    # A right code still works, from another address and from the attacker's own.
    assert_reporter_gets_in(code, "198.51.100.20")
    assert_reporter_gets_in(code, attacker_ip)


@pytest.mark.parametrize(
    ("addresses", "step"),
    [
        pytest.param(ATTEMPTS, 0.01, id="10000-distinct-addresses"),
        pytest.param(1_000, 0.01, id="1000-addresses-taking-turns"),
    ],
)
def test_ten_thousand_wrong_codes_from_many_clients(
    throttle_cache, clock, verifications, victim, rf, settings, addresses, step
):
    case, code = victim
    attack = Attack(rf, verifications)
    started = clock.now
    for index in range(ATTEMPTS):
        attack.attempt(address(index % addresses), lambda: wrong_code(avoid_selectors={code[:6]}))
        clock.advance(step)
    duration = clock.now - started

    assert attack.successes == 0
    assert attack.total == ATTEMPTS
    # The ceiling on codes that match no case: at most 60 a minute whoever sends them.
    config = throttle._config()
    ceiling = config["no_case_max_verifications"] * (duration / config["verification_window"] + 1)
    assert attack.allowed <= ceiling
    assert len(verifications) == attack.allowed
    assert attack.refused_by_throttle + attack.refused_by_page >= ATTEMPTS - ceiling

    # During the attack's last second, a reporter with the right code gets straight in.
    assert_reporter_gets_in(code, "198.51.100.21")
    assert_reporter_gets_in(code, address(0))


def test_guessing_the_rest_of_a_known_selector_from_many_clients(
    throttle_cache, clock, verifications, victim, rf
):
    # An attacker who saw the first six characters of someone's code guesses the other ten.
    case, code = victim
    attack = Attack(rf, verifications, target=case.pk)
    started = clock.now
    for index in range(ATTEMPTS):
        attack.attempt(address(index), lambda: code_with_selector_of(code))
        clock.advance(0.001)
    duration = clock.now - started

    assert attack.successes == 0
    assert attack.total == ATTEMPTS
    # At most 10 verifications a minute against one case, from all addresses together.
    config = throttle._config()
    assert attack.allowed <= config["case_max_verifications"] * (
        duration / config["verification_window"] + 1
    )
    assert len(verifications) == attack.allowed

    # The reporter, whose selector the attacker knows, waits as told once, then gets in.
    reporter, reporter_ip = Client(), "198.51.100.22"
    response = reporter.post(MESSAGING, {"code": code}, REMOTE_ADDR=reporter_ip)
    assert response.status_code == 429
    assert int(response["Retry-After"]) <= 2 * config["verification_window"]
    clock.advance(int(response["Retry-After"]))
    assert reporter.post(MESSAGING, {"code": code}, REMOTE_ADDR=reporter_ip).status_code == 302


def test_refusal_tells_the_reporter_when_to_try_again(throttle_cache, clock, victim):
    case, code = victim
    client = Client()
    for _ in range(5):
        response = client.post(MESSAGING, {"code": wrong_code()}, REMOTE_ADDR="192.0.2.50")
        assert response.status_code == 200
    response = client.post(MESSAGING, {"code": wrong_code()}, REMOTE_ADDR="192.0.2.50")
    assert response.status_code == 429
    assert response["Retry-After"] == "1"
    assert "Please wait 1 second before trying again." in response.content.decode()
    # The typed code is never sent back in the page.
    assert 'value="' not in response.content.decode().split('name="code"')[1].split(">")[0]
