"""Slow down password guessing at the Wagtail admin's log-in.

Advisers and administrators log in with a password at ``/admin/login/``; without
this, anyone could try passwords there without limit. ``ThrottledLoginForm`` is
Wagtail's log-in form with a throttle in front of the password check; a site
names it in ``WAGTAILADMIN_USER_LOGIN_FORM`` (docs/install.md), and a deploy
check (``anon_messaging.W507``) says when it does not.

It keeps the reporter throttle's privacy rules (``throttle.py``): the client
address is only ever used inside a keyed HMAC (``throttle.client_key``), the
account name too (``throttle.keyed_digest``); counters and times live only in
the throttle's cache (``THROTTLE["cache_alias"]``), with an expiry, never in the
database or a log.

Three counters of wrong passwords, each refusing further attempts for
``lockout_seconds`` after its last failure once it reaches its limit:

* the account at this address (``failures_per_account_and_address``, 5): a
  person who mistypes is held up alone; a right password clears it;
* this address, whatever the account (``failures_per_address``, 20): one
  address cannot try a few passwords on every account;
* the account, from every address (``failures_per_account``, 30): many
  addresses cannot share the guessing of one account's password.

A refused attempt checks no password and counts nothing. A counter is kept for
``window_seconds`` after its lock-out, so carrying on after it buys one attempt
per lock-out, not a fresh allowance; it is forgotten after that much quiet.

The last two can be used to keep an adviser out for a while (by failing on
purpose for their account, or from an address they share, such as an onion
service). That is the price of a limit on guessing; a site with single sign-on
or two-factor authentication should use it for the admin (docs/deployment.md).
A site changes the numbers by subclassing the form.
"""

from __future__ import annotations

import math
import time

from django import forms
from wagtail.admin.forms.auth import LoginForm

from . import throttle

# Monkeypatched by the tests so that they can move time without sleeping.
_now = time.time

_KEY_PREFIX = "anon_messaging:admin-login:"
# Cache expiry only cleans up; decisions use the times stored in the values.
_EXPIRY_SLACK = 60


class ThrottledLoginForm(LoginForm):
    """Wagtail's admin log-in form, refusing an account or an address after repeated
    wrong passwords, before the password is checked."""

    failures_per_account_and_address = 5
    failures_per_address = 20
    failures_per_account = 30
    lockout_seconds = 15 * 60
    window_seconds = 15 * 60

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is None or not password:
            return super().clean()
        counters = self._counters(username)
        wait = self._seconds_to_wait(counters)
        if wait:
            raise forms.ValidationError(
                throttle.retry_message(throttle.ThrottleDecision(allowed=False, retry_after=wait)),
                code="throttled",
            )
        try:
            cleaned_data = super().clean()
        except forms.ValidationError:
            if self.user_cache is None:
                # No user for this name and password: a wrong password (or no such account).
                self._record_failure(counters)
            raise
        self._record_success(counters)
        return cleaned_data

    # Counters ------------------------------------------------------------------------------

    def _counters(self, username):
        """{name: (cache key prefix, limit)} for this attempt's counters."""
        # One count for every spelling of a name that might reach the same account.
        account = username.casefold()
        digests = {"account": throttle.keyed_digest("admin-login.account", account)}
        limits = {"account": self.failures_per_account}
        if self.request is not None:
            digests["address"] = throttle.client_key(self.request, "admin-login.address")
            limits["address"] = self.failures_per_address
            digests["account-address"] = throttle.client_key(
                self.request, "admin-login.account-address", account
            )
            limits["account-address"] = self.failures_per_account_and_address
        return {
            name: (f"{_KEY_PREFIX}{name}:{digest}:", limits[name])
            for name, digest in digests.items()
        }

    def _expiry(self):
        return self.lockout_seconds + self.window_seconds + _EXPIRY_SLACK

    def _live(self, failures, last, now):
        """(failures, time of the last) while the counter is fresh, else (0, None)."""
        if not failures or last is None or now - last >= self.lockout_seconds + self.window_seconds:
            return 0, None
        return int(failures), float(last)

    def _seconds_to_wait(self, counters):
        """Whole seconds until every counter allows an attempt; 0 when they all do now."""
        now = _now()
        values = throttle.counter_cache().get_many(
            [prefix + part for prefix, _limit in counters.values() for part in ("n", "last")]
        )
        wait_until = now
        for prefix, limit in counters.values():
            failures, last = self._live(values.get(prefix + "n"), values.get(prefix + "last"), now)
            if failures >= limit:
                wait_until = max(wait_until, last + self.lockout_seconds)
        # Round up, so that whoever waits exactly this long is let in.
        return math.ceil(wait_until - now) if wait_until > now else 0

    def _record_failure(self, counters):
        cache = throttle.counter_cache()
        now = _now()
        expiry = self._expiry()
        for prefix, _limit in counters.values():
            stored = cache.get_many([prefix + "n", prefix + "last"])
            failures, _last = self._live(stored.get(prefix + "n"), stored.get(prefix + "last"), now)
            if stored.get(prefix + "n") and not failures:
                cache.delete(prefix + "n")  # stale: this failure starts a new count
            throttle.increment(cache, prefix + "n", expiry)
            cache.set(prefix + "last", now, expiry)

    def _record_success(self, counters):
        """A right password clears the account's counter at this address, and only that:
        one's own password must not buy more guesses at other accounts."""
        if "account-address" in counters:
            prefix, _limit = counters["account-address"]
            throttle.counter_cache().delete_many([prefix + "n", prefix + "last"])
