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
the global slow-down, and a selector says nothing about its case.

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

Across all clients:

* At most ``no_case_max_failures`` codes that match no case are verified per
  ``global_window`` seconds (sliding estimate over two fixed buckets), from all
  clients together; beyond that such attempts are refused until the window has
  room. A code that matches no case cannot open one, so this ceiling never keeps
  a reporter with their right code out, and it caps the hashing work that an
  attacker spraying guesses from any number of addresses can cause.
* More than ``global_max_failures`` failures within ``global_window`` seconds
  (sliding estimate over two fixed buckets) switches on a *global slow-down*:
  every bucket must wait ``global_cooldown`` seconds after its own last failure,
  and a bucket without failures waits ``global_cooldown`` seconds after it was
  first refused. Nobody is refused outright by the global limit, so an attacker
  spraying from many addresses cannot lock a reporter out of their case: a
  reporter with a clean bucket always gets an attempt within
  ``global_cooldown`` seconds. The cost: with N addresses an attacker still gets
  about N attempts per ``global_cooldown``; addresses are the only identity we
  have (IPv6 is grouped by /64 so that it is not free to mint new ones).

Worst cases for a reporter with the right code: ``global_cooldown`` seconds
while an attack on known selectors is going on; longer only if an attacker both
shares their address and knows the first six characters of their code. A
reporter who mistypes the first six characters during an attack may be asked to
wait up to two ``global_window`` periods before that (wrong) code is checked.

Cache backends:

* Redis and Memcached: ``add`` and ``incr`` are atomic, so all workers count
  together correctly.
* DatabaseCache: shared, but Django implements its ``incr`` as get-then-set, so
  simultaneous failures may be under-counted by a few.
* LocMemCache: per process. Each worker process keeps its own counters, so the
  effective limits are multiplied by the number of processes. Fine for
  development and tests, not for production (a deploy system check says so).
* Use a cache with room to spare (each active bucket needs up to three keys).
  If the cache evicts a bucket's counter, that bucket starts again from zero.

Concurrency: ``check_login`` does not reserve anything, so requests that arrive
at the same moment can all pass the check before any of them records its
failure. That burst is limited by the number of workers, and the counter is
incremented atomically, so the bucket is still slowed down or locked out
straight after it.

Behind a reverse proxy set ``ANON_MESSAGING["CLIENT_IP_HEADER"]`` (e.g.
``"HTTP_X_FORWARDED_FOR"``). The *last* address in the header is used: the one
your own proxy added or wrote, which a client cannot choose. (The first address
is whatever the client sent, if the proxy appends.) With more than one proxy in
front, make the outermost one you run resolve the real client address (nginx's
``real_ip`` module) and pass it on; see docs/deployment.md.
"""

from __future__ import annotations

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
    address = _client_address(request, _config())
    target_part = "-" if target is None else f"case:{target}"
    return salted_hmac(
        "anon_messaging.throttle.bucket", f"{address}|{target_part}", algorithm="sha256"
    ).hexdigest()


def _bucket_keys(digest: str) -> tuple[str, str, str]:
    base = f"{_KEY_PREFIX}bucket:{digest}:"
    return base + "failures", base + "last", base + "seen"


def _global_key(bucket: int) -> str:
    return f"{_KEY_PREFIX}global:{bucket}"


def _no_case_key(bucket: int) -> str:
    return f"{_KEY_PREFIX}no-case:{bucket}"


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


def _window_counts(values: dict, key, now: float, config) -> tuple[int, int, float]:
    """(this time bucket's count, the previous one's, seconds into this bucket)."""
    window = config["global_window"]
    bucket = int(now // window)
    current = values.get(key(bucket)) or 0
    previous = values.get(key(bucket - 1)) or 0
    return current, previous, now - bucket * window


def _sliding_estimate(values: dict, key, now: float, config) -> float:
    """Sliding-window estimate: this bucket plus the overlapping share of the previous one."""
    current, previous, into = _window_counts(values, key, now, config)
    return current + previous * (1 - into / config["global_window"])


def _seconds_below_ceiling(values: dict, key, now: float, config, ceiling: int) -> float:
    """How long until the sliding estimate drops below ``ceiling`` (0 if it is below now)."""
    window = config["global_window"]
    current, previous, into = _window_counts(values, key, now, config)
    if current + previous * (1 - into / window) < ceiling:
        return 0.0
    if current >= ceiling:
        # Not in this bucket: in the next one, this bucket's count fades out linearly.
        return (window - into) + window * (1 - ceiling / current)
    # previous > 0 here, or the estimate would already be below the ceiling.
    return window * (1 - (ceiling - current) / previous) - into


def check_login(request, target=NO_CASE) -> ThrottleDecision:
    """May this client try a code for ``target`` (a case pk, or NO_CASE) now?

    Call before verifying; records nothing but the first-refused time during a
    global slow-down.
    """
    config = _config()
    cache = _cache(config)
    now = _now()
    failures_key, last_key, seen_key = _bucket_keys(bucket_key(request, target))
    bucket = int(now // config["global_window"])
    window_keys = [_global_key(bucket), _global_key(bucket - 1)]
    if target is NO_CASE:
        window_keys += [_no_case_key(bucket), _no_case_key(bucket - 1)]
    values = cache.get_many([failures_key, last_key, seen_key, *window_keys])

    failures, last = _live_failures(values.get(failures_key), values.get(last_key), now, config)
    wait_until = now
    if failures:
        if config["lockout_after"] and failures >= config["lockout_after"]:
            wait_until = last + config["lockout_seconds"]
        elif failures >= config["free_failures"]:
            delay = min(2 ** (failures - config["free_failures"]), config["max_delay"])
            wait_until = last + delay

    if target is NO_CASE and config["no_case_max_failures"]:
        # A hard ceiling on verifications of codes that match no case: they cannot open
        # anything, so refusing them keeps no one out of a case, and it caps the work an
        # attacker spraying from many addresses can cause.
        wait_until = max(
            wait_until,
            now
            + _seconds_below_ceiling(
                values, _no_case_key, now, config, config["no_case_max_failures"]
            ),
        )

    if _sliding_estimate(values, _global_key, now, config) > config["global_max_failures"]:
        cooldown = config["global_cooldown"]
        if failures:
            wait_until = max(wait_until, last + cooldown)
        else:
            # A bucket without failures has no last failure to wait from: start its clock on the
            # first refused check. add() keeps the earliest time if several workers race.
            seen = values.get(seen_key)
            if seen is None:
                cache.add(seen_key, now, _bucket_expiry(config))
                seen = cache.get(seen_key, now)
            wait_until = max(wait_until, seen + cooldown)

    if now >= wait_until:
        return ThrottleDecision(allowed=True, retry_after=0)
    # Round up, so a client that waits exactly this long is let in.
    return ThrottleDecision(allowed=False, retry_after=max(1, math.ceil(wait_until - now)))


def record_failure(request, target=NO_CASE) -> None:
    """Count a wrong code in this bucket and towards the global limit."""
    config = _config()
    cache = _cache(config)
    now = _now()
    failures_key, last_key, _seen_key = _bucket_keys(bucket_key(request, target))
    expiry = _bucket_expiry(config)

    values = cache.get_many([failures_key, last_key])
    stored = values.get(failures_key)
    live, _last = _live_failures(stored, values.get(last_key), now, config)
    if stored and not live:
        # The window has passed since the last failure: this one starts a new count.
        cache.delete(failures_key)
    _increment(cache, failures_key, expiry)
    cache.set(last_key, now, expiry)

    bucket = int(now // config["global_window"])
    window_expiry = 2 * config["global_window"] + _EXPIRY_SLACK
    _increment(cache, _global_key(bucket), window_expiry)
    if target is NO_CASE:
        _increment(cache, _no_case_key(bucket), window_expiry)


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
