"""System checks that keep a real deployment private, and the example's production settings.

The production settings must pass ``manage.py check --deploy --fail-level WARNING``
(CI runs the same command); each weakening the checks know about is flagged.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.checks import run_checks
from django.core.management import call_command

# Django 6.1's model checks ask the database what it supports (JSONField), as
# `manage.py check` does: every test here may open the connection.
pytestmark = pytest.mark.django_db


EXAMPLE_SITE = Path(__file__).resolve().parent.parent / "example_site"
RFC_9106 = {"time_cost": 3, "memory_cost": 65536, "parallelism": 4}
LOCMEM_CACHE = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
SHARED_CACHE = {
    "BACKEND": "django.core.cache.backends.redis.RedisCache",
    "LOCATION": "redis://127.0.0.1:6379/9",
}


def our_ids(deploy=True):
    """IDs of this issue's checks (anon_messaging.W5xx / E5xx) that fire now."""
    return sorted(
        message.id
        for message in run_checks(include_deployment_checks=deploy)
        if re.fullmatch(r"anon_messaging\.[EW]5\d\d", message.id or "")
    )


@pytest.fixture
def deployable(settings):
    """Settings that pass every check of this module; each test then weakens one thing."""
    settings.ANON_MESSAGING = {
        **settings.ANON_MESSAGING,
        "ENCRYPTION_KEYS": [Fernet.generate_key().decode()],
        "ARGON2": RFC_9106,
    }
    settings.CACHES = {"default": SHARED_CACHE}
    settings.SESSION_COOKIE_SAMESITE = "Strict"
    settings.ADMINS = []
    return settings


def test_deployable_settings_pass(deployable):
    assert our_ids() == []


@pytest.mark.parametrize(
    "backend",
    [
        "django.core.cache.backends.db.DatabaseCache",
        "django.core.cache.backends.filebased.FileBasedCache",
    ],
)
def test_a_cache_that_keeps_expired_counters_is_refused_for_the_throttle(
    deployable, backend, tmp_path
):
    # Its expired rows would keep keyed hashes of an address and a case, and its incr is
    # not atomic: refused even without --deploy.
    deployable.CACHES = {"default": {"BACKEND": backend, "LOCATION": str(tmp_path)}}
    try:
        assert our_ids(deploy=False) == ["anon_messaging.E507"]
    finally:
        # The suite clears the default cache after each test; not a table that is not there.
        deployable.CACHES = {"default": LOCMEM_CACHE}


def test_a_session_engine_that_keeps_reporter_sessions_for_weeks_is_flagged(deployable):
    deployable.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    assert our_ids() == ["anon_messaging.W509"]


def test_missing_encryption_keys_are_flagged(deployable):
    deployable.ANON_MESSAGING = {**deployable.ANON_MESSAGING, "ENCRYPTION_KEYS": []}
    assert our_ids() == ["anon_messaging.W501"]
    # A demo may run without keys: only --deploy says so.
    assert our_ids(deploy=False) == []


def test_a_malformed_key_is_an_error_even_without_deploy(deployable):
    good = Fernet.generate_key().decode()
    deployable.ANON_MESSAGING = {**deployable.ANON_MESSAGING, "ENCRYPTION_KEYS": [good, "short"]}
    assert our_ids(deploy=False) == ["anon_messaging.E502"]


@pytest.mark.parametrize(
    "weaker",
    [{"time_cost": 2}, {"memory_cost": 19456}, {"time_cost": 1, "memory_cost": 8}],
)
def test_argon2_below_the_rfc_9106_low_memory_profile_is_flagged(deployable, weaker):
    deployable.ANON_MESSAGING = {**deployable.ANON_MESSAGING, "ARGON2": {**RFC_9106, **weaker}}
    assert our_ids() == ["anon_messaging.W503"]


def test_stronger_argon2_passes(deployable):
    stronger = {"time_cost": 4, "memory_cost": 131072, "parallelism": 2}
    deployable.ANON_MESSAGING = {**deployable.ANON_MESSAGING, "ARGON2": stronger}
    assert our_ids() == []


@pytest.mark.parametrize(
    ("backend", "words"),
    [
        ("django.core.cache.backends.locmem.LocMemCache", "per process"),
        ("django.core.cache.backends.dummy.DummyCache", "never throttled"),
    ],
)
def test_a_throttle_cache_that_workers_do_not_share_is_flagged(deployable, backend, words):
    deployable.CACHES = {"default": {"BACKEND": backend}}
    messages = [
        m for m in run_checks(include_deployment_checks=True) if m.id == "anon_messaging.W504"
    ]
    assert len(messages) == 1
    assert words in messages[0].msg


def test_a_lax_session_cookie_is_flagged(deployable):
    deployable.SESSION_COOKIE_SAMESITE = "Lax"
    assert our_ids() == ["anon_messaging.W505"]


def test_error_emails_listing_request_headers_are_flagged(deployable):
    deployable.ADMINS = [("Ops", "ops@example.org")]
    # The example's settings name the app's filter; a site keeping Django's is flagged.
    deployable.DEFAULT_EXCEPTION_REPORTER_FILTER = "django.views.debug.SafeExceptionReporterFilter"
    assert our_ids() == ["anon_messaging.W506"]
    deployable.DEFAULT_EXCEPTION_REPORTER_FILTER = (
        "anon_messaging.error_reports.ReporterExceptionReporterFilter"
    )
    assert our_ids() == []


def test_the_check_command_reports_them(deployable, capsys):
    deployable.ANON_MESSAGING = {**deployable.ANON_MESSAGING, "ENCRYPTION_KEYS": []}
    call_command("check", "--deploy")
    assert "anon_messaging.W501" in capsys.readouterr().err


def production_check(**env_overrides):
    env = {
        **os.environ,
        "DJANGO_SECRET_KEY": "throwaway-" + Fernet.generate_key().decode(),
        "DJANGO_ALLOWED_HOSTS": "reports.example.org",
        "ANON_MESSAGING_KEYS": Fernet.generate_key().decode(),
        **env_overrides,
    }
    env.pop("DATABASE_URL", None)
    return subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [
            sys.executable,
            "manage.py",
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
            "--settings=demo_site.settings.production",
        ],
        cwd=EXAMPLE_SITE,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy_without_warnings():
    result = production_check()
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_settings_without_keys_fail_check_deploy():
    result = production_check(ANON_MESSAGING_KEYS="")
    assert result.returncode != 0
    assert "anon_messaging.W501" in result.stderr


def test_no_referrer_without_the_apps_csrf_middleware_is_an_error(settings):
    from django.core import checks

    settings.MIDDLEWARE = [
        "django.middleware.csrf.CsrfViewMiddleware" if "Csrf" in path else path
        for path in settings.MIDDLEWARE
    ]
    ids = {message.id for message in checks.run_checks()}
    assert "anon_messaging.E505" in ids

    settings.ANON_MESSAGING = {**settings.ANON_MESSAGING, "REFERRER_POLICY": "same-origin"}
    assert "anon_messaging.E505" not in {message.id for message in checks.run_checks()}


def test_no_csrf_middleware_at_all_is_an_error(settings):
    from django.core import checks

    settings.MIDDLEWARE = [path for path in settings.MIDDLEWARE if "Csrf" not in path]
    settings.ANON_MESSAGING = {**settings.ANON_MESSAGING, "REFERRER_POLICY": "same-origin"}
    assert "anon_messaging.E506" in {message.id for message in checks.run_checks()}


def test_the_example_site_passes_the_csrf_middleware_check():
    from django.core import checks

    assert "anon_messaging.E505" not in {message.id for message in checks.run_checks()}
