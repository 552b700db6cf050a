"""Throttling of failed log-ins: limits hold, reporters get back in, no address in the cache.

Attack tests through the real log-in page are in test_security_login_attack.py.

Time is simulated by replacing ``throttle._now``; nothing here sleeps.
"""

import math
import pickle

import pytest
from django.core.cache import caches

from anon_messaging import throttle

CACHE_ALIAS = "throttle-tests"
START = 1_700_000_000.0


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


@pytest.fixture(autouse=True)
def cache(settings):
    # A dedicated LocMemCache, big enough that culling never hides a counter from the tests.
    settings.CACHES = {
        **settings.CACHES,
        CACHE_ALIAS: {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "anon-messaging-throttle-tests",
            "OPTIONS": {"MAX_ENTRIES": 1_000_000},
        },
    }
    settings.ANON_MESSAGING = {
        **getattr(settings, "ANON_MESSAGING", {}),
        "THROTTLE": {"cache_alias": CACHE_ALIAS},
    }
    backend = caches[CACHE_ALIAS]
    backend.clear()
    yield backend
    backend.clear()


@pytest.fixture
def clock(monkeypatch):
    fake = Clock(START)
    monkeypatch.setattr(throttle, "_now", fake)
    return fake


@pytest.fixture
def request_from(rf):
    def build(address, **meta):
        # A bare POST: the throttle reads only the headers (no form to encode 65,000 times).
        return rf.generic("POST", "/report/login/", REMOTE_ADDR=address, **meta)

    return build


def fail_until_refused(request, clock, failures):
    """Record `failures` failures, waiting out each slow-down as an obedient client would."""
    for _ in range(failures):
        decision = throttle.check_login(request)
        if not decision.allowed:
            clock.advance(decision.retry_after)
            assert throttle.check_login(request).allowed
        throttle.record_failure(request)


def test_five_free_failures_then_exponential_slowdown(clock, request_from):
    request = request_from("192.0.2.10")
    for _ in range(5):
        assert throttle.check_login(request) == throttle.ThrottleDecision(True, 0)
        throttle.record_failure(request)

    # 2 ** (failures beyond the free five), capped at 60 s, until the 20th failure.
    expected_waits = [1, 2, 4, 8, 16, 32, 60, 60, 60, 60, 60, 60, 60, 60, 60]
    for wait in expected_waits:
        assert throttle.check_login(request) == throttle.ThrottleDecision(False, wait)
        clock.advance(wait - 0.5)
        assert throttle.check_login(request) == throttle.ThrottleDecision(False, 1)
        clock.advance(0.5)
        assert throttle.check_login(request).allowed
        throttle.record_failure(request)

    # The 20th failure locks the client out, for five minutes.
    assert throttle.check_login(request) == throttle.ThrottleDecision(False, 300)


def test_check_login_reserves_a_verification_and_release_gives_it_back(clock, request_from):
    request = request_from("192.0.2.11")
    for _ in range(100):
        assert throttle.check_login(request).allowed
        throttle.release(request)
    # Reserved and not given back: the address's cap of 20 verifications a minute.
    allowed = sum(throttle.check_login(request).allowed for _ in range(100))
    assert allowed == 20
    decision = throttle.check_login(request)
    assert not decision.allowed and 0 < decision.retry_after <= 120


def test_lockout_ends_after_lockout_seconds(clock, request_from):
    request = request_from("192.0.2.12")
    fail_until_refused(request, clock, 20)
    assert throttle.check_login(request) == throttle.ThrottleDecision(False, 300)

    clock.advance(299)
    assert throttle.check_login(request) == throttle.ThrottleDecision(False, 1)
    clock.advance(1)
    assert throttle.check_login(request).allowed

    # Guessing on straight after a lock-out earns another lock-out, not a fresh allowance.
    throttle.record_failure(request)
    assert throttle.check_login(request) == throttle.ThrottleDecision(False, 300)

    # After the lock-out and a quiet window, the client starts again from zero.
    clock.advance(300 + 900)
    for _ in range(5):
        assert throttle.check_login(request).allowed
        throttle.record_failure(request)
    assert not throttle.check_login(request).allowed


def test_counter_expires_after_quiet_window(clock, request_from):
    request = request_from("192.0.2.13")
    fail_until_refused(request, clock, 8)
    clock.advance(899)
    assert throttle.check_login(request) == throttle.ThrottleDecision(True, 0)
    throttle.record_failure(request)
    # Still within the window: the count went on from 8, so this is the 9th failure.
    assert throttle.check_login(request) == throttle.ThrottleDecision(False, 16)

    clock.advance(900)
    for _ in range(5):
        assert throttle.check_login(request).allowed
        throttle.record_failure(request)
    assert throttle.check_login(request) == throttle.ThrottleDecision(False, 1)


def test_record_success_clears_the_counter(clock, request_from):
    request = request_from("192.0.2.14")
    fail_until_refused(request, clock, 20)
    assert not throttle.check_login(request).allowed

    throttle.record_success(request, throttle.NO_CASE)
    assert throttle.check_login(request).allowed
    # The free failures are available again.
    for _ in range(5):
        assert throttle.check_login(request).allowed
        throttle.record_failure(request)
    assert not throttle.check_login(request).allowed


def test_success_of_one_client_does_not_clear_another(clock, request_from):
    attacker, reporter = request_from("192.0.2.15"), request_from("192.0.2.16")
    fail_until_refused(attacker, clock, 20)
    throttle.record_success(reporter, throttle.NO_CASE)
    assert not throttle.check_login(attacker).allowed


def test_ten_thousand_guesses_from_one_client_are_bounded(clock, request_from):
    request = request_from("198.51.100.23")
    attempts, step = 10_000, 1.0  # One guess a second for almost three hours.
    allowed = 0
    for _ in range(attempts):
        if throttle.check_login(request).allowed:
            allowed += 1
            throttle.record_failure(request)
        clock.advance(step)

    # 20 guesses up to the first lock-out, then one per lock-out period: at most 54 here.
    assert allowed <= 20 + math.ceil(attempts * step / 300)
    assert not throttle.check_login(request).allowed


def test_burst_from_one_client_gets_only_the_free_failures(clock, request_from):
    request = request_from("198.51.100.24")
    allowed = 0
    for _ in range(10_000):
        if throttle.check_login(request).allowed:
            allowed += 1
            throttle.record_failure(request)
    assert allowed == 5


def address(index, network=10):
    return f"{network}.{index // 65536 % 256}.{index // 256 % 256}.{index % 256}"


def spray(clock, request_from, addresses, step, target=throttle.NO_CASE):
    """One guess per address, `step` seconds apart; returns how many were let through."""
    allowed = 0
    for ip in addresses:
        request = request_from(ip)
        if throttle.check_login(request, target).allowed:
            allowed += 1
            throttle.record_failure(request, target)
        clock.advance(step)
    return allowed


def test_ceiling_bounds_guesses_matching_no_case_from_many_addresses(clock, request_from):
    # 10,000 distinct addresses in 10 seconds: per-client limits alone would let them all through.
    allowed = spray(clock, request_from, [address(i) for i in range(10_000)], 0.001)
    # At most 60 codes that match no case are verified per minute, whoever sends them.
    assert allowed == 60

    decision = throttle.check_login(request_from("203.0.113.90"))
    assert not decision.allowed
    # Told to come back when the sliding minute has room again: within two windows.
    assert 0 < decision.retry_after <= 120
    clock.advance(decision.retry_after)
    assert throttle.check_login(request_from("203.0.113.90")).allowed


def test_ceiling_can_be_switched_off(clock, request_from, settings):
    settings.ANON_MESSAGING = {
        "THROTTLE": {"cache_alias": CACHE_ALIAS, "no_case_max_verifications": 0}
    }
    allowed = spray(clock, request_from, [address(i) for i in range(150)], 0.001)
    assert allowed == 150


def test_ceiling_holds_for_a_slow_steady_spray(clock, request_from):
    # One guess every 100 ms from new addresses for ten minutes.
    allowed = spray(clock, request_from, [address(i) for i in range(6_000)], 0.1)
    # Ten windows of 60 s, at most 60 each, plus the previous window's share at the start.
    assert 540 <= allowed <= 660


def test_right_code_is_not_delayed_by_a_spray_of_guesses(clock, request_from):
    spray(clock, request_from, [address(i) for i in range(10_000)], 0.001)
    # The reporter's code points at their case, which nobody else has tried.
    assert throttle.check_login(request_from("203.0.113.99"), 42) == throttle.ThrottleDecision(
        True, 0
    )


def test_case_cap_bounds_attempts_on_one_case_from_many_addresses(clock, request_from):
    # An attacker who knows a code's first six characters sprays the rest from many addresses.
    allowed = spray(clock, request_from, [address(i) for i in range(10_000)], 0.001, target=7)
    # At most 10 verifications a minute against one case, whoever sends them.
    assert allowed == 10

    decision = throttle.check_login(request_from("203.0.113.98"), 7)
    assert not decision.allowed
    assert 0 < decision.retry_after <= 120


def test_guessing_against_other_cases_never_refuses_a_reporter_from_another_address(
    clock, request_from
):
    # Cases with codes of the attacker's own, guessed against from one address and from many.
    spray(clock, request_from, ["198.51.100.66"] * 5_000, 0.001, target=1)
    for target in range(2, 42):
        spray(clock, request_from, [address(i + 100 * target) for i in range(100)], 0.001, target)
    spray(clock, request_from, [address(i) for i in range(10_000)], 0.001)
    # The reporter's code points at their own case, from an address of their own.
    assert throttle.check_login(request_from("203.0.113.99"), 42) == throttle.ThrottleDecision(
        True, 0
    )


def test_the_case_cap_ends_when_the_attack_stops(clock, request_from):
    spray(clock, request_from, [address(i) for i in range(10_000)], 0.001, target=7)
    assert not throttle.check_login(request_from("203.0.113.98"), 7).allowed

    clock.advance(2 * 60)
    assert throttle.check_login(request_from("203.0.113.97"), 7).allowed


def test_one_address_gets_its_cap_whatever_it_targets(clock, request_from):
    # Many cases of the attacker's own, each with its own free failures: the address's cap
    # still bounds what it gets verified in a minute.
    attacker = request_from("198.51.100.77")
    allowed = 0
    for target in range(1, 201):
        if throttle.check_login(attacker, target).allowed:
            allowed += 1
            throttle.record_failure(attacker, target)
    assert allowed == 20


def test_cache_never_holds_the_address(cache, clock, request_from):
    addresses = ["203.0.113.77", "2001:db8:abcd:12::77"]
    for ip in addresses:
        fail_until_refused(request_from(ip), clock, 20)
    # Caps per address and per case are written as well.
    spray(clock, request_from, [address(i, network=172) for i in range(300)], 0.001, target=7)
    for ip in addresses:
        throttle.check_login(request_from(ip), 7)

    # Inspect the LocMemCache storage directly: every key and unpickled value.
    stored = dict(cache._cache)
    digests = [throttle.bucket_key(request_from(ip)) for ip in addresses]
    assert any(digests[0] in key for key in stored)
    assert any(digests[1] in key for key in stored)
    forbidden = [*addresses, "2001:db8:abcd:12::", "2001:db8:abcd:12:", "172.0.0."]
    for key, pickled in stored.items():
        text = f"{key} {pickle.loads(pickled)!r}"  # noqa: S301 - our own test cache
        for needle in forbidden:
            assert needle not in text
            assert needle.encode() not in pickled


def test_bucket_key_is_a_stable_keyed_hash(request_from, settings):
    one = throttle.bucket_key(request_from("192.0.2.1"))
    assert one == throttle.bucket_key(request_from("192.0.2.1"))
    assert one != throttle.bucket_key(request_from("192.0.2.2"))
    assert "192.0.2.1" not in one
    assert len(one) == 64
    int(one, 16)

    # Keyed with SECRET_KEY: a different site cannot compute or match it.
    settings.SECRET_KEY = "another-site-" + "x" * 50
    assert throttle.bucket_key(request_from("192.0.2.1")) != one


def test_ipv6_clients_are_grouped_by_network(request_from):
    same_a = throttle.bucket_key(request_from("2001:db8:1:2::1"))
    same_b = throttle.bucket_key(request_from("2001:db8:1:2:ffff::9"))
    other = throttle.bucket_key(request_from("2001:db8:1:3::1"))
    assert same_a == same_b
    assert same_a != other
    # IPv4 seen through an IPv6 socket is the same client as plain IPv4.
    assert throttle.bucket_key(request_from("::ffff:192.0.2.1")) == throttle.bucket_key(
        request_from("192.0.2.1")
    )


def test_forwarded_for_header_takes_the_address_the_proxy_added(clock, request_from, settings):
    settings.ANON_MESSAGING = {
        "THROTTLE": {"cache_alias": CACHE_ALIAS},
        "CLIENT_IP_HEADER": "HTTP_X_FORWARDED_FOR",
    }
    # An appending proxy: whatever the client sent comes first, the address it saw last.
    behind_proxy = request_from("10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.50, 198.51.100.7")
    neighbour = request_from("10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.50, 198.51.100.8")
    direct = request_from("198.51.100.7")

    assert throttle.bucket_key(behind_proxy) == throttle.bucket_key(direct)
    assert throttle.bucket_key(behind_proxy) != throttle.bucket_key(neighbour)

    # Two clients behind the same proxy are throttled separately.
    fail_until_refused(behind_proxy, clock, 20)
    assert not throttle.check_login(behind_proxy).allowed
    assert throttle.check_login(neighbour).allowed


def test_forged_forwarded_for_entries_do_not_buy_new_allowances(clock, request_from, settings):
    settings.ANON_MESSAGING = {
        "THROTTLE": {"cache_alias": CACHE_ALIAS},
        "CLIENT_IP_HEADER": "HTTP_X_FORWARDED_FOR",
    }
    # The client invents a new first entry every time; the proxy appends the real address.
    for index in range(20):
        forged = request_from("10.0.0.1", HTTP_X_FORWARDED_FOR=f"192.0.2.{index}, 198.51.100.77")
        fail_until_refused(forged, clock, 1)
    fresh_forgery = request_from("10.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.200, 198.51.100.77")
    assert throttle.check_login(fresh_forgery) == throttle.ThrottleDecision(False, 300)


def test_forwarded_for_header_missing_falls_back_to_remote_addr(request_from, settings):
    settings.ANON_MESSAGING = {
        "THROTTLE": {"cache_alias": CACHE_ALIAS},
        "CLIENT_IP_HEADER": "HTTP_X_FORWARDED_FOR",
    }
    assert throttle.bucket_key(request_from("198.51.100.9")) != throttle.bucket_key(
        request_from("198.51.100.10")
    )


# --- Buckets: guesses that match no case are counted apart from attempts on a case ----------


def test_guessing_from_a_shared_address_does_not_touch_a_case_bucket(clock, request_from):
    # An onion service: every visitor arrives from 127.0.0.1.
    attacker = reporter = request_from("127.0.0.1")
    fail_until_refused(attacker, clock, 20)
    assert throttle.check_login(attacker, throttle.NO_CASE) == throttle.ThrottleDecision(False, 300)
    # The reporter's right code points at their case: that bucket is clean.
    assert throttle.check_login(reporter, 42) == throttle.ThrottleDecision(True, 0)


def test_a_case_bucket_is_throttled_like_any_other(clock, request_from):
    # Someone who knows the first six characters of a code guesses the rest.
    request = request_from("192.0.2.40")
    for _ in range(5):
        assert throttle.check_login(request, 7).allowed
        throttle.record_failure(request, 7)
    assert throttle.check_login(request, 7) == throttle.ThrottleDecision(False, 1)
    # Other cases and codes that match no case are counted apart.
    assert throttle.check_login(request, 8).allowed
    assert throttle.check_login(request, throttle.NO_CASE).allowed


def test_success_on_ones_own_case_does_not_reset_guessing(clock, request_from):
    # An attacker with a code of their own must not use it to clear their failures.
    request = request_from("192.0.2.41")
    fail_until_refused(request, clock, 20)
    throttle.record_success(request, 99)
    assert throttle.check_login(request, throttle.NO_CASE) == throttle.ThrottleDecision(False, 300)


def test_bucket_key_hides_the_case_as_well_as_the_address(request_from):
    request = request_from("192.0.2.42")
    keys = {throttle.bucket_key(request, target) for target in (throttle.NO_CASE, 1, 2)}
    assert len(keys) == 3
    assert all("case" not in key and "192.0.2.42" not in key for key in keys)


def test_settings_override_defaults(clock, request_from, settings):
    settings.ANON_MESSAGING = {"THROTTLE": {"cache_alias": CACHE_ALIAS, "free_failures": 2}}
    # Keys not given keep their defaults.
    assert throttle._config()["lockout_seconds"] == 300
    request = request_from("192.0.2.30")
    for _ in range(2):
        assert throttle.check_login(request).allowed
        throttle.record_failure(request)
    assert throttle.check_login(request) == throttle.ThrottleDecision(False, 1)


@pytest.mark.parametrize(
    ("retry_after", "message"),
    [
        (1, "Too many attempts. Please wait 1 second before trying again."),
        (45, "Too many attempts. Please wait 45 seconds before trying again."),
        (119, "Too many attempts. Please wait 119 seconds before trying again."),
        (120, "Too many attempts. Please wait 2 minutes before trying again."),
        (900, "Too many attempts. Please wait 15 minutes before trying again."),
        # Rounded up, so that the reporter does not come back too early.
        (841, "Too many attempts. Please wait 15 minutes before trying again."),
    ],
)
def test_retry_message_says_exactly_how_long(retry_after, message):
    decision = throttle.ThrottleDecision(allowed=False, retry_after=retry_after)
    assert throttle.retry_message(decision) == message


def test_retry_message_is_empty_when_allowed():
    assert throttle.retry_message(throttle.ThrottleDecision(True, 0)) == ""
