"""Slow down guessing of reporter log-in codes without recording who is guessing.

A reporter logs in with a code alone, so the only thing standing between an
attacker and a case is how many codes they can try. This module limits failed
attempts per client and across all clients, following the GlobaLeaks approach:
slow attackers down, never log or persist their addresses.

Privacy rules this module keeps:

* The client address is only ever used to compute ``client_key()``, an
  HMAC-SHA256 keyed with a key derived from ``SECRET_KEY``. Cache keys contain
  that digest; cache values are counters and timestamps. The address is not
  written to the database, the cache or any log.
* Everything lives in Django's cache with an expiry, so state disappears on its
  own once a client has been quiet for a while.

Per client (defaults in ``DEFAULTS``):

* ``free_failures`` wrong codes are allowed without delay.
* After ``n >= free_failures`` failures the next attempt must wait
  ``min(2 ** (n - free_failures), max_delay)`` seconds after the last failure
  (1, 2, 4, ... 32, then 60 s).
* After ``lockout_after`` failures the client is refused for
  ``lockout_seconds`` after its last failure. The counter is *kept* through the
  lock-out and for ``window_seconds`` after it, so an address that carries on
  guessing gets one attempt per lock-out period instead of a fresh allowance.
* Counters are forgotten after ``window_seconds`` without failures (plus the
  lock-out period, if the client was locked out), or at once on success.

Across all clients:

* More than ``global_max_failures`` failures within ``global_window`` seconds
  (sliding estimate over two fixed buckets) switches on a *global slow-down*:
  every client must wait ``global_cooldown`` seconds after its own last failure,
  and a client without failures waits ``global_cooldown`` seconds after it was
  first refused. Nobody is refused outright by the global limit, so an attacker
  spraying from many addresses cannot lock a reporter out of their case: a
  reporter with a clean counter always gets an attempt within
  ``global_cooldown`` seconds. The cost: with N addresses an attacker still gets
  about N attempts per ``global_cooldown``; addresses are the only identity we
  have (IPv6 is grouped by /64 so that it is not free to mint new ones).

Cache backends:

* Redis and Memcached: ``add`` and ``incr`` are atomic, so all workers count
  together correctly.
* DatabaseCache: shared, but Django implements its ``incr`` as get-then-set, so
  simultaneous failures may be under-counted by a few.
* LocMemCache: per process. Each worker process keeps its own counters, so the
  effective limits are multiplied by the number of processes. Fine for
  development and tests, not for production.
* Use a cache with room to spare (each active client needs up to three keys).
  If the cache evicts a client's counter, that client starts again from zero.

Concurrency: ``check_login`` does not reserve anything, so requests that arrive
at the same moment can all pass the check before any of them records its
failure. That burst is limited by the number of workers, and the counter is
incremented atomically, so the client is still slowed down or locked out
straight after it.

Behind a reverse proxy set ``client_ip_header`` (e.g. ``"HTTP_X_FORWARDED_FOR"``);
the first address in the header is used. That address comes from the client
unless the proxy *replaces* the header (nginx:
``proxy_set_header X-Forwarded-For $remote_addr;``). If the proxy appends to the
header instead, every request can claim a new address and the per-client limits
do nothing.

If every request arrives from the same address (an onion service, or a proxy
without ``client_ip_header``), per-client limits apply to everybody at once, and
one attacker can lock everybody out.
"""

from __future__ import annotations

import ipaddress
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.utils.crypto import salted_hmac
from django.utils.translation import ngettext

DEFAULTS = {
    # Django cache alias holding the counters. Must be shared by all workers in production.
    "cache_alias": "default",
    # META key to read the client address from; None means REMOTE_ADDR.
    "client_ip_header": None,
    # Group IPv6 clients by this prefix length: one end-user network usually gets a whole /64.
    "ipv6_prefix_length": 64,
    # Failures allowed without any delay: enough for a few typos of a 16-character code.
    "free_failures": 5,
    # Cap of the exponential per-client delay, in seconds.
    "max_delay": 60,
    # Failures within the window after which the client is refused for lockout_seconds.
    "lockout_after": 20,
    "lockout_seconds": 900,
    # A client's counter is forgotten after this many seconds without failures.
    "window_seconds": 900,
    # Global slow-down: more than global_max_failures failures within global_window seconds...
    "global_max_failures": 200,
    "global_window": 60,
    # ...makes every client wait this long between attempts (also the most a clean client waits).
    "global_cooldown": 30,
}

# Monkeypatched by the tests so that they can move time without sleeping.
_now = time.time

_KEY_PREFIX = "anon_messaging:throttle:"
# Cache expiry is in real seconds and only cleans up; decisions use the timestamps stored in values.
_EXPIRY_SLACK = 60


@dataclass(frozen=True)
class ThrottleDecision:
    allowed: bool
    # Whole seconds until the next attempt is allowed (0 when allowed).
    retry_after: int


def _config() -> dict:
    """Return the throttle settings: DEFAULTS overridden by ANON_MESSAGING["THROTTLE"]."""
    overrides = getattr(settings, "ANON_MESSAGING", {}).get("THROTTLE", {})
    return {**DEFAULTS, **overrides}


def _cache(config):
    return caches[config["cache_alias"]]


def _client_address(request, config) -> str:
    header = config["client_ip_header"]
    raw = ""
    if header:
        # The first address is the original client, provided the proxy overwrites the header.
        raw = request.META.get(header, "").split(",")[0].strip()
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


def client_key(request) -> str:
    """Keyed hash of the client address; the address itself is never returned or stored."""
    address = _client_address(request, _config())
    return salted_hmac(
        "anon_messaging.throttle.client_key", address, algorithm="sha256"
    ).hexdigest()


def _client_keys(digest: str) -> tuple[str, str, str]:
    base = f"{_KEY_PREFIX}client:{digest}:"
    return base + "failures", base + "last", base + "seen"


def _global_key(bucket: int) -> str:
    return f"{_KEY_PREFIX}global:{bucket}"


def _client_expiry(config) -> int:
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


def _global_failures(values: dict, now: float, config) -> float:
    """Sliding-window estimate: this bucket plus the overlapping share of the previous one."""
    window = config["global_window"]
    bucket = int(now // window)
    current = values.get(_global_key(bucket)) or 0
    previous = values.get(_global_key(bucket - 1)) or 0
    overlap = 1 - (now - bucket * window) / window
    return current + previous * overlap


def check_login(request) -> ThrottleDecision:
    """Decide whether this client may try a code now. Call before verifying; records no failure."""
    config = _config()
    cache = _cache(config)
    now = _now()
    failures_key, last_key, seen_key = _client_keys(client_key(request))
    bucket = int(now // config["global_window"])
    global_keys = [_global_key(bucket), _global_key(bucket - 1)]
    values = cache.get_many([failures_key, last_key, seen_key, *global_keys])

    failures, last = _live_failures(values.get(failures_key), values.get(last_key), now, config)
    wait_until = now
    if failures:
        if config["lockout_after"] and failures >= config["lockout_after"]:
            wait_until = last + config["lockout_seconds"]
        elif failures >= config["free_failures"]:
            delay = min(2 ** (failures - config["free_failures"]), config["max_delay"])
            wait_until = last + delay

    if _global_failures(values, now, config) > config["global_max_failures"]:
        cooldown = config["global_cooldown"]
        if failures:
            wait_until = max(wait_until, last + cooldown)
        else:
            # A client without failures has no last failure to wait from: start its clock on the
            # first refused check. add() keeps the earliest time if several workers race.
            seen = values.get(seen_key)
            if seen is None:
                cache.add(seen_key, now, _client_expiry(config))
                seen = cache.get(seen_key, now)
            wait_until = max(wait_until, seen + cooldown)

    if now >= wait_until:
        return ThrottleDecision(allowed=True, retry_after=0)
    # Round up, so a client that waits exactly this long is let in.
    return ThrottleDecision(allowed=False, retry_after=max(1, math.ceil(wait_until - now)))


def record_failure(request) -> None:
    """Count a wrong code for this client and towards the global limit."""
    config = _config()
    cache = _cache(config)
    now = _now()
    failures_key, last_key, _seen_key = _client_keys(client_key(request))
    expiry = _client_expiry(config)

    values = cache.get_many([failures_key, last_key])
    stored = values.get(failures_key)
    live, _last = _live_failures(stored, values.get(last_key), now, config)
    if stored and not live:
        # The window has passed since the last failure: this one starts a new count.
        cache.delete(failures_key)
    _increment(cache, failures_key, expiry)
    cache.set(last_key, now, expiry)

    bucket = int(now // config["global_window"])
    _increment(cache, _global_key(bucket), 2 * config["global_window"] + _EXPIRY_SLACK)


def record_success(request) -> None:
    """Forget this client's failures after a right code."""
    config = _config()
    _cache(config).delete_many(list(_client_keys(client_key(request))))


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
