"""Helpers shared by the security tests (tests/test_security_*.py).

Everything here drives the site the way a browser or an attacker would: HTTP
through Django's test client against the demo site built by ``seed_demo``.
"""

import re
import secrets
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from django.core.cache import caches

from anon_messaging import codes, throttle
from tests.reporter_journey import (  # noqa: F401 - re-exported for the security tests
    ANONYMOUS_FORM,
    CONTACT_FORM,
    MESSAGING,
    MESSAGING_LOGOUT,
    MESSAGING_SEND,
    SHOWN_CODE,
    SUPPORT,
)
from tests.reporter_journey import WRONG_CODE_ERROR as WRONG_CODE  # noqa: F401

HOME = "/"
REPORT_HUB = "/report/"
TOO_MANY = "Too many attempts."

THROTTLE_CACHE = "security-tests-throttle"
START = 1_700_000_000.0


class Clock:
    """Stands in for ``throttle._now``, so tests move time without sleeping."""

    def __init__(self, now=START):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


def use_throttle_cache(settings):
    """A dedicated LocMemCache big enough that culling never hides a counter."""
    settings.CACHES = {
        **settings.CACHES,
        THROTTLE_CACHE: {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": THROTTLE_CACHE,
            "OPTIONS": {"MAX_ENTRIES": 1_000_000},
        },
    }
    settings.ANON_MESSAGING = {
        **settings.ANON_MESSAGING,
        "THROTTLE": {"cache_alias": THROTTLE_CACHE},
    }
    cache = caches[THROTTLE_CACHE]
    cache.clear()
    return cache


def count_argon2_verifications(monkeypatch):
    """A list that gets one entry per argon2 verification, made anywhere."""
    calls = []
    original = PasswordHasher.verify

    def counting_verify(self, hash, password):
        calls.append(1)
        return original(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting_verify)
    return calls


def wrong_code(avoid_selectors=()):
    """A well-formed code whose selector matches none of ``avoid_selectors``."""
    while True:
        code = codes.generate_code()
        if code[: codes.SELECTOR_LENGTH] not in avoid_selectors:
            return code


def code_with_selector_of(code):
    """A different code with the same first six characters: it points at the same case."""
    while True:
        candidate = code[: codes.SELECTOR_LENGTH] + codes.generate_code()[codes.SELECTOR_LENGTH :]
        if candidate != code:
            return candidate


def address(index, network=10):
    return f"{network}.{index // 65536 % 256}.{index // 256 % 256}.{index % 256}"


def shown_code(response):
    match = SHOWN_CODE.search(response.content.decode())
    return match.group(1) if match else None


def report_form_data(client, url, what_happened, **extra):
    """What a browser posts for a demo report form, with the token the form handed out."""
    response = client.get(url)
    assert response.status_code == 200
    data = {
        "submission_token": response.context["form"]["submission_token"].value(),
        "what_happened": what_happened,
        "what_kind_of_behaviour_was_it": ["Bullying"],
        "when_did_it_happen": "Last term",
        "where_did_it_happen": "The library",
        "has_this_happened_before": "Not sure",
    }
    if url == ANONYMOUS_FORM:
        data["messaging_opt_in"] = "yes"
    else:
        data.update(
            {
                "reporter_name": "Alex Example",
                "reporter_email": "alex@example.org",
                "reporter_phone": "+44 20 7946 0000",
                "preferred_contact": "email",
            }
        )
    data.update(extra)
    return data


def send_anonymous_report(client, what_happened, **extra):
    """An anonymous report with messaging; returns the code as shown on the thank-you page."""
    response = client.post(
        ANONYMOUS_FORM, report_form_data(client, ANONYMOUS_FORM, what_happened, **extra)
    )
    assert response.status_code == 200, response.content[:2000]
    code = shown_code(response)
    assert code, "the thank-you page shows a code"
    return code


def log_in(client, code, **extra):
    response = client.post(MESSAGING, {"code": code}, **extra)
    assert response.status_code == 302, response.status_code
    return response


_URL_ATTRIBUTES = re.compile(
    r"""\b(?:src|href|action|srcset|poster|data|formaction|xlink:href)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""",
    re.IGNORECASE,
)
_CSS_URL = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)""", re.IGNORECASE)
_IMPORT = re.compile(r"""@import\s+(['"])(.*?)\1""", re.IGNORECASE)


def urls_in_html(html):
    """Every URL an HTML page (or CSS) could make a browser fetch or go to."""
    found = []
    for match in _URL_ATTRIBUTES.finditer(html):
        value = match.group(1).strip("\"'")
        # srcset holds "url width, url width".
        found.extend(part.strip().split()[0] for part in value.split(",") if part.strip())
    found.extend(match.group(2) for match in _CSS_URL.finditer(html))
    found.extend(match.group(2) for match in _IMPORT.finditer(html))
    return found


def is_external(url):
    """True for a URL that names another host (or a protocol-relative one)."""
    parts = urlsplit(url.strip())
    if url.strip().startswith("//"):
        return True
    if parts.scheme in ("", "http", "https"):
        return bool(parts.netloc) and parts.hostname not in ("testserver",)
    # mailto:, tel:, data:, javascript: and the like are not requests to this site either.
    return parts.scheme not in ("mailto", "tel")


def new_throttle_decision_request(rf, ip):
    """A request carrying only what the throttle reads: the client address."""
    return rf.post(MESSAGING, REMOTE_ADDR=ip)


def random_text(length=12):
    return secrets.token_hex(length)


__all__ = ["throttle"]
