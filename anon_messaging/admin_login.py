"""Slow down password guessing at every log-in of the site's staff.

Advisers and administrators log in with a password at ``/admin/login/``, and a site
has other password forms (Wagtail's ``/_util/login/`` for private pages, a starter
project's ``/django-admin/login/``); without a limit anyone could try passwords at any
of them. ``PasswordThrottle`` counts wrong passwords; three pieces apply it:

* ``count_failures`` and ``clear_on_log_in`` (connected in ``apps.py`` to Django's
  ``user_login_failed`` and ``user_logged_in`` signals) count every wrong password at
  every form, whatever authentication backends the site uses;
* ``PasswordThrottleBackend``, first in ``AUTHENTICATION_BACKENDS``, refuses an attempt
  while its counters are locked, before any backend checks the password, at every form
  (``anon_messaging.W511`` says when it is not first);
* ``ThrottledLoginForm``, Wagtail's admin log-in form named in
  ``WAGTAILADMIN_USER_LOGIN_FORM`` (``anon_messaging.W507``), tells the person how
  long to wait, in words, instead of "wrong password".

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
"""

from __future__ import annotations

import math
import time

from django import forms
from django.core.exceptions import PermissionDenied
from wagtail.admin.forms.auth import LoginForm

from . import throttle

# Monkeypatched by the tests so that they can move time without sleeping.
_now = time.time

_KEY_PREFIX = "anon_messaging:admin-login:"
# Cache expiry only cleans up; decisions use the times stored in the values.
_EXPIRY_SLACK = 60


class PasswordThrottle:
    """The wrong-password counters of one attempt: this account name, at this request's
    address. The limits are class attributes (see the module's docstring)."""

    failures_per_account_and_address = 5
    failures_per_address = 20
    failures_per_account = 30
    lockout_seconds = 15 * 60
    window_seconds = 15 * 60

    def __init__(self, request, username):
        self.counters = self._counters(request, username)

    def _counters(self, request, username):
        """{name: (cache key prefix, limit)} for this attempt's counters."""
        # One count for every spelling of a name that might reach the same account.
        account = username.casefold()
        digests = {"account": throttle.keyed_digest("admin-login.account", account)}
        limits = {"account": self.failures_per_account}
        if request is not None:
            digests["address"] = throttle.client_key(request, "admin-login.address")
            limits["address"] = self.failures_per_address
            digests["account-address"] = throttle.client_key(
                request, "admin-login.account-address", account
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

    def seconds_to_wait(self):
        """Whole seconds until every counter allows an attempt; 0 when they all do now."""
        now = _now()
        values = throttle.counter_cache().get_many(
            [prefix + part for prefix, _limit in self.counters.values() for part in ("n", "last")]
        )
        wait_until = now
        for prefix, limit in self.counters.values():
            failures, last = self._live(values.get(prefix + "n"), values.get(prefix + "last"), now)
            if failures >= limit:
                wait_until = max(wait_until, last + self.lockout_seconds)
        # Round up, so that whoever waits exactly this long is let in.
        return math.ceil(wait_until - now) if wait_until > now else 0

    def record_failure(self):
        cache = throttle.counter_cache()
        now = _now()
        expiry = self._expiry()
        for prefix, _limit in self.counters.values():
            stored = cache.get_many([prefix + "n", prefix + "last"])
            failures, _last = self._live(stored.get(prefix + "n"), stored.get(prefix + "last"), now)
            if stored.get(prefix + "n") and not failures:
                cache.delete(prefix + "n")  # stale: this failure starts a new count
            throttle.increment(cache, prefix + "n", expiry)
            cache.set(prefix + "last", now, expiry)

    def record_success(self):
        """A right password clears the account's counter at this address, and only that:
        one's own password must not buy more guesses at other accounts."""
        if "account-address" in self.counters:
            prefix, _limit = self.counters["account-address"]
            throttle.counter_cache().delete_many([prefix + "n", prefix + "last"])


def _username(credentials):
    """The account name an attempt gave, whatever the user model calls its field."""
    from django.contrib.auth import get_user_model

    field = get_user_model().USERNAME_FIELD
    name = credentials.get(field, credentials.get("username"))
    return name if isinstance(name, str) and name else None


def count_failures(sender, credentials, request=None, **kwargs):
    """``user_login_failed``: one more wrong password on this attempt's counters. An
    attempt the throttle refused checked no password and counts nothing."""
    username = _username(credentials)
    if username is None:
        return
    attempt = PasswordThrottle(request, username)
    if not attempt.seconds_to_wait():
        attempt.record_failure()


def clear_on_log_in(sender, request, user, **kwargs):
    """``user_logged_in``: a right password clears its own count at this address."""
    PasswordThrottle(request, user.get_username()).record_success()


class PasswordThrottleBackend:
    """An authentication backend that authenticates no one: placed first in
    ``AUTHENTICATION_BACKENDS``, it stops every backend after it from checking a
    password while the attempt's counters are locked (Django's ``authenticate`` stops
    at ``PermissionDenied``)."""

    def authenticate(self, request, username=None, password=None, **credentials):
        if username and password and PasswordThrottle(request, username).seconds_to_wait():
            raise PermissionDenied
        # No get_user: a session is never this backend's, and force_login passes it by.
        return None


class ThrottledLoginForm(LoginForm):
    """Wagtail's admin log-in form, refusing an account or an address after repeated
    wrong passwords, before the password is checked, and saying how long to wait."""

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is None or not password:
            return super().clean()
        wait = PasswordThrottle(self.request, username).seconds_to_wait()
        if wait:
            raise forms.ValidationError(
                throttle.retry_message(throttle.ThrottleDecision(allowed=False, retry_after=wait)),
                code="throttled",
            )
        # A wrong password is counted by count_failures, as at every other form.
        return super().clean()
