"""Slow down guessing of reporter log-in codes without recording who is guessing.

A reporter logs in with a code alone, so the only thing standing between an
attacker and a case is how many codes they can try. This module limits failed
attempts per client and across all clients, following the GlobaLeaks approach:
slow attackers down, never log or persist their addresses.

Privacy rules this module keeps:

* The client address is only ever used inside ``bucket_key()``, an
  HMAC-SHA256 keyed with a key derived from ``SECRET_KEY``. Cache keys contain
  that digest; cache values are counters and timestamps. The address is not
  written to the database, the cache or any log.
* Everything lives in Django's cache with an expiry, so state disappears on its
  own once a client has been quiet for a while.

Buckets: who is counted together
--------------------------------

Counters are kept per *bucket*: the client address together with the case the
typed code points at. The page looks the code's selector up first (one indexed
query, no hashing), then asks this module about the bucket:

* a code whose selector matches no case lands in the client's "no case" bucket;
  random guessing always lands there;
* a code whose selector matches case C lands in the bucket (client, C).

This is what keeps an attacker from locking a reporter out of their own case.
Many reporters can share one address (an onion service sees every visitor as
127.0.0.1; a proxy without ``CLIENT_IP_HEADER`` or a Tor exit does the same),
and an attacker guessing from that address only fills the "no case" bucket.
A reporter typing their right code is counted in their own case's bucket, which
the attacker cannot reach without knowing the first six characters of that
code. Refusing a "no case" attempt keeps no one out of anything: a code whose
selector matches no case could not have logged in anyway. The price is that
while "no case" attempts are being refused (for a throttled client, or for
everyone while the ceiling below is reached) a selector that exists can be told
from one that does not: the first is verified, the second refused at once. The
remaining 50 bits of the code are still guarded by the case's own bucket and
cap, and a selector says nothing about its case. (The per-address cap below is
the exception to "only fills the no case bucket": an address shared with an
attacker shares their cap.)

A right code clears only its own bucket: an attacker holding a code of their
own (from a report they made) cannot use it to reset their guessing allowance.

Per bucket (defaults in ``conf.DEFAULTS["THROTTLE"]``):

* ``free_failures`` wrong codes are allowed without delay.
* After ``n >= free_failures`` failures the next attempt must wait
  ``min(2 ** (n - free_failures), max_delay)`` seconds after the last failure
  (1, 2, 4, ... 32, then 60 s).
* After ``lockout_after`` failures the bucket is refused for ``lockout_seconds``
  after its last failure. The counter is *kept* through the lock-out and for
  ``window_seconds`` after it, so a client that carries on guessing gets one
  attempt per lock-out period instead of a fresh allowance. The lock-out is
  kept short (5 minutes) because the people behind one address may be many.
* Counters are forgotten after ``window_seconds`` without failures (plus the
  lock-out period, if the bucket was locked out), or at once on success.

Caps on verifications, reserved before verifying:

Each argon2 verification is reserved in the cache, with an atomic increment,
before it is spent, against three caps within a sliding ``verification_window``
(an estimate over two fixed windows): ``address_max_verifications`` per client
address, whatever it targets; ``case_max_verifications`` per targeted case, from
all addresses; and ``no_case_max_verifications`` for all codes that match no case,
from everyone together. A reservation over a cap is given back at once and the
attempt refused, so however many requests arrive at the same moment, no more than
the caps are verified. Refused attempts cost nothing and count for nothing.

What this promises a reporter with the right code, from another address than the
attacker's: nothing an attacker does against *other* cases can refuse them. The
per-address cap is the attacker's own, the no-case ceiling only refuses codes that
could not log anyone in, and their case's cap is touched only by someone who
knows its first six characters. That last attacker can make the reporter wait up
to about two windows; one who shares the reporter's address as well may hold the
address cap too. Addresses are the only identity there is (IPv6 is grouped by /64
so that new ones are not free); cases with codes of one's own, to guess against,
are capped by ``reserve_code_issue``. The argon2 work a process does at once is
bounded separately (``codes.argon2_slot``).

Cache backends: the counters must be atomic and must expire.

* Redis and Memcached: ``add``, ``incr`` and ``decr`` are atomic and keys expire;
  all workers count together. The production choice.
* LocMemCache: atomic within a process, but per process, so the limits are
  multiplied by the number of processes. Fine for development and tests; a
  deploy system check warns.
* DatabaseCache and FileBasedCache are refused by a system check: their ``incr``
  is get-then-set, and expired counters stay behind in a table or a file, where
  keyed hashes of an address and a case could be tested against a guess.
* Use a cache with room to spare (each active bucket needs a few keys). If the
  cache evicts a counter, it starts again from zero.

Behind a reverse proxy set ``ANON_MESSAGING["CLIENT_IP_HEADER"]`` (e.g.
``"HTTP_X_FORWARDED_FOR"``). The *last* address in the header is used: the one
your own proxy added or wrote, which a client cannot choose. (The first address
is whatever the client sent, if the proxy appends.) With more than one proxy in
front, make the outermost one you run resolve the real client address (nginx's
``real_ip`` module) and pass it on; see docs/deployment.md.
"""

from __future__ import annotations

import contextlib
import ipaddress
import math
import time
from dataclasses import dataclass

from django.core.cache import caches
from django.utils.crypto import salted_hmac
from django.utils.translation import ngettext

from .conf import get_setting

# Monkeypatched by the tests so that they can move time without sleeping.
_now = time.time

_KEY_PREFIX = "anon_messaging:throttle:"
# Cache expiry is in real seconds and only cleans up; decisions use the timestamps stored in values.
_EXPIRY_SLACK = 60
# The bucket of codes whose selector matches no case.
NO_CASE = None


@dataclass(frozen=True)
class ThrottleDecision:
    allowed: bool
    # Whole seconds until the next attempt is allowed (0 when allowed).
    retry_after: int


def _config() -> dict:
    """The throttle settings: conf.DEFAULTS["THROTTLE"] overridden by ANON_MESSAGING["THROTTLE"]."""
    return get_setting("THROTTLE")


def _cache(config):
    return caches[config["cache_alias"]]


def _client_address(request, config) -> str:
    header = get_setting("CLIENT_IP_HEADER")
    raw = ""
    if header:
        # The last address is the one our own proxy wrote; earlier ones may come from the client.
        raw = request.META.get(header, "").split(",")[-1].strip()
    if not raw:
        raw = request.META.get("REMOTE_ADDR", "").strip()
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        # Unparseable values are still hashed, so they throttle each other but never leak.
        return raw or "unknown"
    if address.version == 6:
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        prefix = config["ipv6_prefix_length"]
        return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))
    return str(address)


def bucket_key(request, target=NO_CASE) -> str:
    """Keyed hash of the client address and the targeted case; neither can be read back.

    One hash over both, so the cache does not even show that one address tried two cases.
    """
    return _bucket_digest(_client_address(request, _config()), target)


def _bucket_digest(address: str, target) -> str:
    target_part = "-" if target is None else f"case:{target}"
    return salted_hmac(
        "anon_messaging.throttle.bucket", f"{address}|{target_part}", algorithm="sha256"
    ).hexdigest()


def _bucket_keys(digest: str) -> tuple[str, str]:
    base = f"{_KEY_PREFIX}bucket:{digest}:"
    return base + "failures", base + "last"


def _address_digest(address: str) -> str:
    """Keyed hash of the client address alone, for the per-address cap."""
    return salted_hmac("anon_messaging.throttle.address", address, algorithm="sha256").hexdigest()


def _window_keys(kind: str, who):
    """A cap's key function: the key of its counter in each window number. Whatever is
    hashed is hashed once, here, not again for each window an attempt looks at."""
    # A case's cap is keyed by a hash too, so the cache does not list which cases were tried.
    if kind == "case":
        who = salted_hmac("anon_messaging.throttle.case", str(who), algorithm="sha256").hexdigest()
    prefix = f"{_KEY_PREFIX}{kind}:{who}:"
    return lambda window: f"{prefix}{window}"


def _bucket_expiry(config) -> int:
    return config["lockout_seconds"] + config["window_seconds"] + _EXPIRY_SLACK


def _increment(cache, key: str, expiry: int) -> int:
    """Atomically add one to a counter, creating it if needed, and push back its expiry."""
    if cache.add(key, 1, expiry):
        return 1
    try:
        value = cache.incr(key)
    except ValueError:
        # Expired between add() and incr(): start again.
        cache.set(key, 1, expiry)
        return 1
    cache.touch(key, expiry)
    return value


def _decrement(cache, key: str) -> None:
    with contextlib.suppress(ValueError):  # expired meanwhile: nothing to give back
        cache.decr(key)


def _live_failures(failures, last, now: float, config) -> tuple[int, float | None]:
    """Return (failures, last failure time), or (0, None) once the counter has gone stale."""
    if not failures or last is None:
        return 0, None
    quiet_for = config["window_seconds"]
    if config["lockout_after"] and failures >= config["lockout_after"]:
        # Keep counting through the lock-out, so that it is not followed by a fresh allowance.
        quiet_for += config["lockout_seconds"]
    if now - last >= quiet_for:
        return 0, None
    return int(failures), float(last)


def _seconds_below_ceiling(values: dict, key, now: float, window: int, ceiling: int) -> float:
    """How long until one more verification fits under ``ceiling`` (0 if it does now)."""
    bucket = int(now // window)
    current = values.get(key(bucket)) or 0
    previous = values.get(key(bucket - 1)) or 0
    into = now - bucket * window
    if current + 1 + previous * (1 - into / window) <= ceiling:
        return 0.0
    if current + 1 > ceiling:
        # Not in this window: in the next one, this window's count fades out linearly.
        return (window - into) + window * (1 - (ceiling - 1) / current)
    # previous > 0 here, or there would be room already.
    return window * (1 - (ceiling - current - 1) / previous) - into


def _backoff_wait_until(values, failures_key, last_key, now, config) -> float:
    """When this bucket's failures allow its next attempt (``now`` if they do)."""
    failures, last = _live_failures(values.get(failures_key), values.get(last_key), now, config)
    if not failures:
        return now
    if config["lockout_after"] and failures >= config["lockout_after"]:
        return last + config["lockout_seconds"]
    if failures >= config["free_failures"]:
        return last + min(2 ** (failures - config["free_failures"]), config["max_delay"])
    return now


def _caps(address, target, config):
    """The verification caps an attempt from ``address`` (``_client_address``) for
    ``target`` counts against: ``[(key function, limit)]``."""
    caps = [
        (_window_keys("address", _address_digest(address)), config["address_max_verifications"])
    ]
    if target is NO_CASE:
        caps.append((_window_keys("no-case", "all"), config["no_case_max_verifications"]))
    else:
        caps.append((_window_keys("case", target), config["case_max_verifications"]))
    return [(key, limit) for key, limit in caps if limit]


def check_login(request, target=NO_CASE) -> ThrottleDecision:
    """May this client spend one verification on a code for ``target`` (a case pk, or
    NO_CASE) now? If so, the verification is reserved, atomically, before it is spent.

    Refused when the (address, target) bucket is slowed down or locked out by its
    failures, or when this verification would exceed a cap within the sliding
    ``verification_window``: per client address, per targeted case, and for all codes
    that match no case together. Each cap is reserved with an atomic increment and
    given back when it is over, so however many requests arrive at once, no more
    than the cap are verified. ``release`` gives a reservation back unspent.
    """
    config = _config()
    cache = _cache(config)
    now = _now()
    address = _client_address(request, config)
    failures_key, last_key = _bucket_keys(_bucket_digest(address, target))
    values = cache.get_many([failures_key, last_key])
    wait_until = _backoff_wait_until(values, failures_key, last_key, now, config)
    if now < wait_until:
        return _refused(wait_until - now)

    return _reserve(cache, _caps(address, target, config), config["verification_window"], now)


def _reserve(cache, caps, window, now) -> ThrottleDecision:
    """Take one from every cap atomically, or none of them: ``caps`` is
    ``[(key function of the window number, limit)]`` over a sliding ``window``."""
    current = int(now // window)
    expiry = 2 * window + _EXPIRY_SLACK
    reserved = []
    for key, limit in caps:
        current_key, previous_key = key(current), key(current - 1)
        count = _increment(cache, current_key, expiry)
        reserved.append(current_key)
        previous = cache.get(previous_key) or 0
        into = now - current * window
        if count + previous * (1 - into / window) > limit:
            for taken in reserved:
                _decrement(cache, taken)
            values = {current_key: count - 1, previous_key: previous}
            return _refused(max(1.0, _seconds_below_ceiling(values, key, now, window, limit)))
    return ThrottleDecision(allowed=True, retry_after=0)


def release(request, target=NO_CASE) -> None:
    """Give back a reservation whose verification was not spent (the server was busy)."""
    config = _config()
    cache = _cache(config)
    current = int(_now() // config["verification_window"])
    for key, _limit in _caps(_client_address(request, config), target, config):
        _decrement(cache, key(current))


def _code_issue_caps(request, config):
    address = _address_digest(_client_address(request, config))
    caps = [
        (_window_keys("codes", address), config["address_max_code_issues"]),
        (_window_keys("codes", "all"), config["max_code_issues"]),
    ]
    return [(key, limit) for key, limit in caps if limit]


def reserve_code_issue(request) -> ThrottleDecision:
    """May this client be given one more messaging code now? Reserved if so.

    Each code costs an argon2 hash and an alert to advisers, and a case with a code of
    one's own is a selector to guess against, so codes are capped per client address
    and from everyone together within ``code_issue_window``.
    """
    config = _config()
    return _reserve(
        _cache(config), _code_issue_caps(request, config), config["code_issue_window"], _now()
    )


def release_code_issue(request) -> None:
    """Give back a code reservation: the report was not stored after all."""
    config = _config()
    cache = _cache(config)
    current = int(_now() // config["code_issue_window"])
    for key, _limit in _code_issue_caps(request, config):
        _decrement(cache, key(current))


def _refused(seconds) -> ThrottleDecision:
    # Round up, so a client that waits exactly this long is let in.
    return ThrottleDecision(allowed=False, retry_after=max(1, math.ceil(seconds)))


def record_failure(request, target=NO_CASE) -> None:
    """Count a wrong code in this (address, target) bucket, for its slow-down."""
    config = _config()
    cache = _cache(config)
    now = _now()
    failures_key, last_key = _bucket_keys(bucket_key(request, target))
    expiry = _bucket_expiry(config)

    values = cache.get_many([failures_key, last_key])
    stored = values.get(failures_key)
    live, _last = _live_failures(stored, values.get(last_key), now, config)
    if stored and not live:
        # The window has passed since the last failure: this one starts a new count.
        cache.delete(failures_key)
    _increment(cache, failures_key, expiry)
    cache.set(last_key, now, expiry)


def record_success(request, target) -> None:
    """Forget the failures in this client's bucket for the case it just logged in to.

    Only that bucket: a right code for one's own case must not reset the allowance
    for guessing other people's.
    """
    config = _config()
    _cache(config).delete_many(list(_bucket_keys(bucket_key(request, target))))


def retry_message(decision: ThrottleDecision) -> str:
    """Tell a refused reporter exactly how long to wait; empty when the attempt is allowed."""
    if decision.allowed:
        return ""
    seconds = decision.retry_after
    if seconds < 120:
        return ngettext(
            "Too many attempts. Please wait %(count)d second before trying again.",
            "Too many attempts. Please wait %(count)d seconds before trying again.",
            seconds,
        ) % {"count": seconds}
    # Round up so that nobody comes back too early and is refused again.
    minutes = math.ceil(seconds / 60)
    return ngettext(
        "Too many attempts. Please wait %(count)d minute before trying again.",
        "Too many attempts. Please wait %(count)d minutes before trying again.",
        minutes,
    ) % {"count": minutes}


# --- For the other throttles (the admin log-in, admin_login.py) ---------------------------
# The same privacy rules: the address only inside a keyed hash, counters only in this cache.


def counter_cache():
    """The cache the throttle's counters live in (``THROTTLE["cache_alias"]``)."""
    return _cache(_config())


def keyed_digest(purpose: str, value: str) -> str:
    """Keyed hash of ``value`` (an account name, say) that cannot be read back.

    Keyed from ``SECRET_KEY`` and ``purpose``, so one digest says nothing about another's.
    """
    return salted_hmac(f"anon_messaging.throttle.{purpose}", value, algorithm="sha256").hexdigest()


def client_key(request, purpose: str, subject: str = "") -> str:
    """Keyed hash of the client address (found and grouped as ``bucket_key`` does) and
    ``subject``; neither can be read back."""
    return keyed_digest(purpose, f"{_client_address(request, _config())}|{subject}")


def increment(cache, key: str, expiry: int) -> int:
    """Atomically add one to the counter ``key``, creating it with ``expiry`` if needed."""
    return _increment(cache, key, expiry)
