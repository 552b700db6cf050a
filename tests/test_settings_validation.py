"""ANON_MESSAGING is validated: a typo in a key, in a THROTTLE or ARGON2 key, a value of the
wrong type or a number that would break the app is a system-check error naming the fix,
instead of a default used in silence."""

import importlib
import io
import re

import pytest
from django.core.checks import Error, run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings
from django.utils import translation
from django.utils.translation import gettext, pgettext

from anon_messaging import conf

# Django 6.1's model checks ask the database what it supports (JSONField), as
# `manage.py check` does: every test here may open the connection.
pytestmark = pytest.mark.django_db


OUR_SETTINGS_IDS = re.compile(r"anon_messaging\.E00\d")


def settings_errors(anon_messaging, deploy=False):
    """The settings-validation errors the system checks give for this ANON_MESSAGING."""
    with override_settings(ANON_MESSAGING=anon_messaging):
        return [
            message
            for message in run_checks(include_deployment_checks=deploy)
            if OUR_SETTINGS_IDS.fullmatch(message.id or "")
        ]


def only_error(anon_messaging):
    errors = settings_errors(anon_messaging)
    assert len(errors) == 1, errors
    assert isinstance(errors[0], Error)
    return errors[0]


# --- The defaults and the example site ---------------------------------------------------------


def test_the_rules_cover_exactly_the_defaults():
    assert set(conf.RULES) == set(conf.DEFAULTS)
    for key, default in conf.DEFAULTS.items():
        if isinstance(default, dict):
            assert set(conf.RULES[key]) == set(default), key


def test_the_defaults_are_valid_together():
    assert conf.validate(conf.DEFAULTS) == []
    assert settings_errors({}, deploy=True) == []


def test_the_default_reminder_timeout_is_below_django_q2s_default_retry():
    # django-q2 retries a task after 60 seconds unless Q_CLUSTER says otherwise: with the
    # defaults alone, check anon_messaging.E402 must stay quiet.
    with override_settings(ANON_MESSAGING={}, Q_CLUSTER={"catch_up": False}):
        assert [m.id for m in run_checks() if m.id == "anon_messaging.E402"] == []
    assert conf.DEFAULTS["REMINDER_TASK_TIMEOUT"] < 60


def test_the_example_sites_settings_are_valid(monkeypatch):
    base = importlib.import_module("demo_site.settings.base")
    assert conf.validate(base.ANON_MESSAGING) == []

    monkeypatch.setenv("DJANGO_SECRET_KEY", "only-for-this-test")
    monkeypatch.setenv("ANON_MESSAGING_KEYS", "a-key,another-key")
    monkeypatch.setenv("ANON_MESSAGING_CLIENT_IP_HEADER", "HTTP_X_FORWARDED_FOR")
    production = importlib.reload(importlib.import_module("demo_site.settings.production"))
    assert conf.validate(production.ANON_MESSAGING) == []
    assert settings_errors(production.ANON_MESSAGING) == []


def test_the_test_settings_are_valid(settings):
    assert conf.validate(settings.ANON_MESSAGING) == []


# --- Unknown keys ------------------------------------------------------------------------


def test_a_misspelt_key_is_an_error_naming_the_right_one():
    error = only_error({"SESION_IDLE_SECONDS": 600})
    assert error.id == "anon_messaging.E001"
    assert "SESION_IDLE_SECONDS" in error.msg
    assert "SESSION_IDLE_SECONDS" in error.hint


def test_a_misspelt_throttle_key_is_an_error_naming_the_right_one():
    error = only_error({"THROTTLE": {"lockout_after": 10, "no_case_max_verification": 0}})
    assert error.id == "anon_messaging.E001"
    assert "ANON_MESSAGING['THROTTLE']" in error.msg and "no_case_max_verification" in error.msg
    assert "'no_case_max_verifications'" in error.hint


def test_a_misspelt_argon2_key_is_an_error_naming_the_right_one():
    error = only_error({"ARGON2": {"memorycost": 131072}})
    assert error.id == "anon_messaging.E001"
    assert "'memory_cost'" in error.hint


def test_a_key_like_no_other_lists_the_valid_ones():
    error = only_error({"COLOUR": "blue"})
    assert error.id == "anon_messaging.E001"
    assert "SESSION_IDLE_SECONDS" in error.hint and "THROTTLE" in error.hint


def test_every_problem_is_reported_at_once():
    errors = settings_errors(
        {"SESION_IDLE_SECONDS": 600, "THROTTLE": {"lockout_afterr": 3}, "FROM_EMAIL": 5}
    )
    assert sorted(error.id for error in errors) == [
        "anon_messaging.E001",
        "anon_messaging.E001",
        "anon_messaging.E002",
    ]


def test_manage_py_check_fails_on_a_typo():
    with (
        override_settings(ANON_MESSAGING={"SESION_IDLE_SECONDS": 600}),
        pytest.raises(SystemCheckError, match="SESSION_IDLE_SECONDS"),
    ):
        call_command("check", stdout=io.StringIO(), stderr=io.StringIO())


# --- Wrong types -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("configured", "where", "expected"),
    [
        ({"SESSION_IDLE_SECONDS": "1800"}, "['SESSION_IDLE_SECONDS']", "an integer"),
        ({"MESSAGE_MAX_LENGTH": 5000.0}, "['MESSAGE_MAX_LENGTH']", "an integer"),
        ({"ALERT_SCAN_MINUTES": True}, "['ALERT_SCAN_MINUTES']", "an integer"),
        ({"BASE_TEMPLATE": None}, "['BASE_TEMPLATE']", "a string"),
        ({"CLIENT_IP_HEADER": ["HTTP_X_FORWARDED_FOR"]}, "['CLIENT_IP_HEADER']", "or None"),
        ({"INTAKE_TEAM": 3}, "['INTAKE_TEAM']", "a string or None"),
        ({"ENCRYPTION_KEYS": "one-key"}, "['ENCRYPTION_KEYS']", "a list of strings"),
        ({"ENCRYPTION_KEYS": None}, "['ENCRYPTION_KEYS']", "a list of strings"),
        ({"ENCRYPTION_KEYS": [b"a-key-as-bytes"]}, "['ENCRYPTION_KEYS'][0]", "a string"),
        ({"THROTTLE": 5}, "['THROTTLE']", "a dict"),
        ({"ARGON2": None}, "['ARGON2']", "a dict"),
        ({"THROTTLE": {"lockout_after": "20"}}, "['THROTTLE']['lockout_after']", "an integer"),
        ({"THROTTLE": {"cache_alias": None}}, "['THROTTLE']['cache_alias']", "a string"),
        ({"ARGON2": {"time_cost": 3.5}}, "['ARGON2']['time_cost']", "an integer"),
        ({"REMINDER_TASK_TIMEOUT": "50"}, "['REMINDER_TASK_TIMEOUT']", "an integer"),
    ],
)
def test_a_value_of_the_wrong_type_is_an_error_naming_the_type(configured, where, expected):
    # Deployment checks too: the other checks skip a setting this one reports, never crash.
    errors = settings_errors(configured, deploy=True)
    assert [error.id for error in errors] == ["anon_messaging.E002"], errors
    assert f"ANON_MESSAGING{where} is " in errors[0].msg
    assert expected in errors[0].hint


def test_a_wrong_type_never_shows_the_value():
    error = only_error({"ENCRYPTION_KEYS": [b"secret-key-material"]})
    assert "secret-key-material" not in error.msg + error.hint


# --- Numbers that would break things, and zeros that mean "off" ------------------------------


@pytest.mark.parametrize(
    "configured",
    [
        {"SESSION_IDLE_SECONDS": 0},
        {"MESSAGE_MAX_LENGTH": -1},
        {"REMINDER_SCAN_MINUTES": 0},
        {"THROTTLE": {"verification_window": 0}},
        {"THROTTLE": {"code_issue_window": 0}},
        {"ARGON2_MAX_CONCURRENT": 0},
        {"THROTTLE": {"window_seconds": 0}},
        {"THROTTLE": {"ipv6_prefix_length": 129}},
        {"THROTTLE": {"free_failures": -1}},
        {"ARGON2": {"parallelism": 0}},
        {"ARGON2": {"memory_cost": 16, "parallelism": 4}},
        {"REFERRER_POLICY": "no-referer"},
    ],
)
def test_a_value_that_would_break_the_app_is_an_error(configured):
    error = only_error(configured)
    assert error.id == "anon_messaging.E003"
    assert error.hint


@pytest.mark.parametrize(
    "throttle",
    [
        {"no_case_max_verifications": 0},  # no ceiling on codes that match no case
        {"address_max_verifications": 0, "case_max_verifications": 0},  # no caps
        {"address_max_code_issues": 0, "max_code_issues": 0},  # no caps on codes given out
        {"lockout_after": 0},  # no lock-out
        {"free_failures": 0, "max_delay": 0, "lockout_seconds": 0},
    ],
)
def test_zeros_that_switch_a_throttle_limit_off_are_valid(throttle):
    assert settings_errors({"THROTTLE": throttle}) == []


def test_valid_overrides_pass():
    assert (
        settings_errors(
            {
                "SESSION_IDLE_SECONDS": 600,
                "ENCRYPTION_KEYS": ("key-one", "key-two"),
                "CLIENT_IP_HEADER": "HTTP_X_FORWARDED_FOR",
                "FROM_EMAIL": None,
                "INTAKE_TEAM": None,
                "REFERRER_POLICY": "same-origin",
                "ARGON2": {"time_cost": 4},
                "THROTTLE": {"cache_alias": "default", "lockout_after": 10},
            }
        )
        == []
    )


# --- IDENTITY_WORDS: open language keys ---------------------------------------------------------


def test_identity_words_take_any_language_code_but_only_lists_of_words():
    assert settings_errors({"IDENTITY_WORDS": {"sv": ["namn", "e-post"], "en": ["name"]}}) == []
    error = only_error({"IDENTITY_WORDS": {"sv": "namn"}})
    assert error.id == "anon_messaging.E002"
    assert "ANON_MESSAGING['IDENTITY_WORDS']['sv'] is of type str" in error.msg
    error = only_error({"IDENTITY_WORDS": {"sv": ["namn", 3]}})
    assert "ANON_MESSAGING['IDENTITY_WORDS']['sv'][1]" in error.msg
    assert only_error({"IDENTITY_WORDS": ["name"]}).id == "anon_messaging.E002"


def test_a_sites_identity_words_replace_one_language_and_keep_the_others(settings):
    settings.ANON_MESSAGING = {"IDENTITY_WORDS": {"en": ["matric"]}}
    words = conf.get_setting("IDENTITY_WORDS")
    assert words["en"] == ["matric"]
    assert words["fr"] == conf.DEFAULTS["IDENTITY_WORDS"]["fr"]


# --- In the site's language ----------------------------------------------------------------


def test_messages_and_hints_are_in_the_active_language():
    # Each is put together from the catalogue when the check runs, its setting names and
    # values outside the translated text.
    with translation.override("cy"):
        error = only_error({"SESSION_IDLE_SECONDS": "1800"})
        an_integer = pgettext("kind of setting value", "an integer")
        assert error.msg == gettext("%(setting)s is of type %(type)s, not %(expected)s.") % {
            "setting": "ANON_MESSAGING['SESSION_IDLE_SECONDS']",
            "type": "str",
            "expected": an_integer,
        }
        assert error.hint == gettext("Set it to %(expected)s.") % {"expected": an_integer}

        error = only_error({"THROTTLE": {"ipv6_prefix_length": 129}})
        assert error.msg == gettext("%(setting)s = %(value)r is out of range.") % {
            "setting": "ANON_MESSAGING['THROTTLE']['ipv6_prefix_length']",
            "value": 129,
        }
        assert error.hint == gettext("Use from %(minimum)s to %(maximum)s: %(why)s.") % {
            "minimum": 0,
            "maximum": 128,
            "why": pgettext("why a setting is out of range", "an IPv6 prefix has 0 to 128 bits"),
        }


# The msgids the Welsh `manage.py check` below shows (anon_messaging/locale/cy).
NO_SUCH_SETTING = "%(where)s has no setting %(key)r."
DID_YOU_MEAN = "Did you mean %(key)r?"


def test_manage_py_check_speaks_the_sites_language():
    typo = {"where": "ANON_MESSAGING", "key": "SESION_IDLE_SECONDS"}
    meant = {"key": "SESSION_IDLE_SECONDS"}
    with translation.override("cy"):
        welsh_message = gettext(NO_SUCH_SETTING) % typo
        welsh_hint = gettext(DID_YOU_MEAN) % meant
    with (
        override_settings(LANGUAGE_CODE="cy", ANON_MESSAGING={"SESION_IDLE_SECONDS": 600}),
        pytest.raises(SystemCheckError) as raised,
    ):
        call_command("check", stdout=io.StringIO(), stderr=io.StringIO())
    output = str(raised.value)
    assert f"(anon_messaging.E001) {welsh_message}\n\tHINT: {welsh_hint}\n" in output, output

    # Welsh, not English: this fails until the Welsh catalogue translates NO_SUCH_SETTING
    # and DID_YOU_MEAN (scripts/translations, then translate them); from then on it shows
    # the check's text really comes from the site's language.
    assert welsh_message != NO_SUCH_SETTING % typo, "cy lacks a translation of NO_SUCH_SETTING"
    assert welsh_hint != DID_YOU_MEAN % meant, "cy lacks a translation of DID_YOU_MEAN"
