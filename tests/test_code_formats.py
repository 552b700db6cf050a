"""Code formats have versions: a stored selector digest says which format made it, so the
current format can change (a longer code, a longer selector) without locking out anyone
who holds a code of an older one, and a log-in still costs one query and one argon2
verification."""

import importlib
import re

import pytest
from argon2 import PasswordHasher
from cryptography.fernet import Fernet
from django.apps import apps
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from anon_messaging import codes
from anon_messaging.codes import CodeFormat
from anon_messaging.forms import CodeLoginForm
from anon_messaging.models import Case
from anon_messaging.pages import ReportFormPage
from tests.reporter_journey import (
    ANONYMOUS_FORM,
    MESSAGING,
    WRONG_CODE_ERROR,
    anonymous_answers,
    cases_from_now,
    log_in,
    submit,
)

FORMAT_1 = CodeFormat(version=1, length=16, selector_length=6, group=4)
# A later format, as a site might add one: longer codes, a longer selector, groups of five.
FORMAT_2 = CodeFormat(version=2, length=20, selector_length=8, group=5)

migration_0005 = importlib.import_module("anon_messaging.migrations.0005_versioned_selector_digest")


@pytest.fixture
def new_cases(reporter_site):
    """The cases this test makes; the demo has cases of its own."""
    return cases_from_now()


@pytest.fixture
def argon2_verifications(monkeypatch):
    """Every argon2 verification made, counted by wrapping argon2-cffi itself."""
    calls = []
    original = PasswordHasher.verify

    def counting_verify(self, hash, password):
        calls.append(hash)
        return original(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting_verify)
    return calls


@pytest.fixture
def format_2_is_current(monkeypatch):
    """From now on new codes are made in format 2; format 1 codes must keep working."""

    def switch():
        monkeypatch.setattr(codes, "FORMATS", {1: FORMAT_1, 2: FORMAT_2})
        monkeypatch.setattr(codes, "CURRENT_VERSION", 2)
        assert codes.validate_formats() == []

    return switch


def report(client, what_happened):
    """Send an anonymous report with messaging; returns (thank-you response, shown code)."""
    response = submit(client, ANONYMOUS_FORM, anonymous_answers(what_happened))
    assert response.status_code == 200
    return response, response.context["code"]


def lookup_queries(captured):
    return [query["sql"] for query in captured if "selector_digest" in query["sql"]]


# --- The table -------------------------------------------------------------------------------


def test_the_shipped_table_is_consistent_and_makes_16_symbol_codes():
    assert codes.validate_formats() == []
    assert codes.current_format() == FORMAT_1
    assert codes.current_format().bits == 80
    assert codes.code_lengths() == [16]
    # The names callers used before formats had versions still answer, for the current one.
    assert (codes.CODE_LENGTH, codes.SELECTOR_LENGTH, codes.GROUP) == (16, 6, 4)


@pytest.mark.parametrize(
    ("formats", "current", "words"),
    [
        ({1: FORMAT_1, 2: CodeFormat(2, 16, 8, 4)}, 2, "same length"),
        ({1: FORMAT_1, 3: FORMAT_2}, 1, "says it is version 2"),
        ({1: CodeFormat(1, 16, 16, 4)}, 1, "selector must be shorter"),
        ({1: FORMAT_1}, 2, "not in the table"),
    ],
)
def test_a_table_that_could_not_work_is_refused(formats, current, words):
    problems = codes.validate_formats(formats, current)
    assert any(words in problem for problem in problems), problems


def test_codes_of_every_known_length_are_accepted_and_grouped_by_their_format(
    format_2_is_current,
):
    old = codes.generate_code(FORMAT_1)
    format_2_is_current()
    new = codes.generate_code()
    assert len(old) == 16 and len(new) == 20
    assert codes.format_code(old).count("-") == 3  # XXXX-XXXX-XXXX-XXXX
    assert [len(group) for group in codes.format_code(new).split("-")] == [5, 5, 5, 5]
    for code in (old, new):
        assert codes.normalise_code(codes.format_code(code).lower()) == code
    assert codes.normalise_code(new[:18]) is None  # no format is 18 symbols long
    assert codes.code_lengths() == [16, 20]


def test_digests_carry_their_format_and_a_code_is_looked_up_only_under_its_own(
    format_2_is_current, settings
):
    old = codes.generate_code()
    assert codes.selector_digest(old).startswith("1$")
    assert codes.digest_version(codes.selector_digest(old)) == 1
    format_2_is_current()
    new = codes.generate_code()
    assert codes.digest_version(codes.selector_digest(new)) == 2
    assert codes.digest_version("ab12" * 16) is None  # a digest from before versions

    settings.SECRET_KEY_FALLBACKS = ["an-older-key"]
    # A 16-symbol code can only be format 1: one digest per key, each marked 1.
    assert [codes.digest_version(d) for d in codes.selector_digests(old)] == [1, 1]
    assert [codes.digest_version(d) for d in codes.selector_digests(new)] == [2, 2]


# --- What the reporter sees follows the format ----------------------------------------------


def test_the_log_in_form_names_the_lengths_of_the_formats_in_use(format_2_is_current):
    form = CodeLoginForm(data={})
    assert str(form.fields["code"].label) == "Your 16-character code"
    assert form.errors["code"] == ["Enter your 16-character code."]
    format_2_is_current()
    form = CodeLoginForm(data={})
    assert str(form.fields["code"].label) == "Your 16 or 20-character code"
    assert form.errors["code"] == ["Enter your 16 or 20-character code."]


def test_the_thank_you_page_states_the_length_of_the_code_it_shows(
    new_cases, client, format_2_is_current
):
    response, shown = report(client, "Reported in format 1.")
    assert "16 letters and numbers." in response.content.decode()
    format_2_is_current()
    response, shown = report(type(client)(), "Reported in format 2.")
    html = response.content.decode()
    assert "20 letters and numbers." in html
    assert re.search(r"\b" + "-".join(["[0-9A-Z]{5}"] * 4) + r"\b", html).group() == shown
    # The default help text under the messaging question names no length.
    assert "a code when you send this report" in client.get(ANONYMOUS_FORM).content.decode()


def test_the_preview_of_the_thank_you_page_shows_a_code_of_the_current_length(
    reporter_site, admin_user, format_2_is_current
):
    page = ReportFormPage.objects.live().first()

    def preview():
        request = RequestFactory().get(page.url)
        request.user = admin_user
        return page.serve_preview(request, "landing").render().content.decode()

    assert '<span class="am-code__value" dir="ltr">0000-0000-0000-0000</span>' in preview()
    format_2_is_current()
    html = preview()
    assert '<span class="am-code__value" dir="ltr">00000-00000-00000-00000</span>' in html
    assert "20 letters and numbers." in html


# --- Changing the current format locks no one out --------------------------------------------


def test_a_format_1_code_still_logs_in_after_a_new_format_becomes_current(
    new_cases, client, format_2_is_current, argon2_verifications
):
    _response, old_code = report(client, "Reported before the format changed.")
    old_case = new_cases.get()
    old_digest = old_case.selector_digest
    assert old_digest == codes.selector_digest(codes.normalise_code(old_code))
    assert codes.digest_version(old_digest) == 1

    format_2_is_current()

    # Through the real messaging page, over HTTP: one look-up query, one verification.
    reporter = type(client)()
    argon2_verifications.clear()
    with CaptureQueriesContext(connection) as captured:
        assert log_in(reporter, old_code).status_code == 302
    assert len(argon2_verifications) == 1
    assert len(lookup_queries(captured)) == 1
    assert "Reported before the format changed." in reporter.get(MESSAGING).content.decode()
    # The case keeps the digest of the format its code was made in.
    old_case.refresh_from_db()
    assert old_case.selector_digest == old_digest

    # A new report gets a code in the new format, stored under the new version.
    newer = type(client)()
    _response, new_code = report(newer, "Reported after the format changed.")
    assert len(codes.normalise_code(new_code)) == 20
    new_case = new_cases.order_by("-pk").first()
    assert codes.digest_version(new_case.selector_digest) == 2
    assert new_case.selector_digest == codes.selector_digest(codes.normalise_code(new_code))

    argon2_verifications.clear()
    assert log_in(newer, new_code).status_code == 302
    assert len(argon2_verifications) == 1
    assert "Reported after the format changed." in newer.get(MESSAGING).content.decode()

    # Each code opens only its own case.
    assert "Reported before" not in newer.get(MESSAGING).content.decode()


@pytest.mark.parametrize(
    "typed",
    [
        pytest.param(lambda: codes.generate_code(FORMAT_1), id="unknown format 1 code"),
        pytest.param(lambda: codes.generate_code(FORMAT_2), id="unknown format 2 code"),
        pytest.param(lambda: "A" * 18, id="a length no format has"),
        pytest.param(lambda: "not a code", id="not a code"),
    ],
)
def test_failed_attempts_cost_one_verification_whatever_the_format(
    new_cases, client, format_2_is_current, argon2_verifications, typed
):
    report(client, "A case in format 1.")
    format_2_is_current()
    report(type(client)(), "A case in format 2.")

    argon2_verifications.clear()
    response = log_in(type(client)(), typed())
    assert response.status_code == 200
    assert WRONG_CODE_ERROR in response.content.decode()
    assert len(argon2_verifications) == 1


def test_a_format_1_case_moves_to_a_rotated_secret_key_and_keeps_its_format(
    new_cases, client, settings, format_2_is_current, argon2_verifications
):
    # Report text under a key of its own, as on a real site, so only the codes feel the change.
    settings.ANON_MESSAGING = {
        **settings.ANON_MESSAGING,
        "ENCRYPTION_KEYS": [Fernet.generate_key().decode()],
    }
    old_key = settings.SECRET_KEY
    _response, code = report(client, "Reported under the old key in format 1.")
    case = new_cases.get()

    format_2_is_current()
    settings.SECRET_KEY = "rotated-" + old_key
    settings.SECRET_KEY_FALLBACKS = [old_key]
    argon2_verifications.clear()
    assert log_in(type(client)(), code).status_code == 302
    assert len(argon2_verifications) == 1
    case.refresh_from_db()
    assert case.selector_digest == codes.selector_digest(codes.normalise_code(code))
    assert codes.digest_version(case.selector_digest) == 1

    settings.SECRET_KEY_FALLBACKS = []
    assert log_in(type(client)(), code).status_code == 302


# --- The migration that marked the digests stored before versions -----------------------------


def unversioned_case(code):
    """A case as stored before digests carried a version: the bare hex HMAC."""
    digest = codes.selector_digest(code).split("$", 1)[1]
    return Case.objects.create(
        route=Case.Route.ANONYMOUS,
        answers=[],
        messaging_enabled=True,
        selector_digest=digest,
        code_hash=codes.hash_code(code),
        created_at=timezone.now(),
    )


def test_the_migration_marks_existing_digests_as_format_1_and_back(new_cases, client):
    code = codes.generate_code()
    case = unversioned_case(code)
    bare = case.selector_digest
    without_code = Case.objects.create(route=Case.Route.ANONYMOUS, answers=[])

    migration_0005.mark_format_1(apps, None)
    case.refresh_from_db()
    assert case.selector_digest == "1$" + bare
    assert Case.objects.get(pk=without_code.pk).selector_digest is None
    # Marked, the case is found by its code again.
    assert log_in(client, code).status_code == 302

    migration_0005.mark_format_1(apps, None)  # running it twice changes nothing
    case.refresh_from_db()
    assert case.selector_digest == "1$" + bare

    migration_0005.unmark_format_1(apps, None)
    case.refresh_from_db()
    assert case.selector_digest == bare


def test_the_migration_is_not_undone_while_cases_hold_codes_of_a_later_format(
    new_cases, format_2_is_current
):
    format_2_is_current()
    code = codes.generate_code()
    Case.objects.create(
        route=Case.Route.ANONYMOUS,
        answers=[],
        messaging_enabled=True,
        selector_digest=codes.selector_digest(code),
        code_hash=codes.hash_code(code),
    )
    with pytest.raises(RuntimeError, match="newer than version 1"):
        migration_0005.unmark_format_1(apps, None)
