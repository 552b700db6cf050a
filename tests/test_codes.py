"""Reporter codes: their shape, entry that forgives, one argon2 verification per log-in,
identical answers for unknown and wrong codes, and hashes that follow raised parameters."""

import email.utils
import secrets

import pytest
from argon2 import PasswordHasher, extract_parameters
from cryptography.fernet import Fernet
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from anon_messaging import codes
from anon_messaging.models import Case
from tests.reporter_journey import (
    MESSAGING,
    WRONG_CODE_ERROR,
    cases_from_now,
    log_in,
    submit_anonymous,
    without_csrf_token,
)


@pytest.fixture
def new_cases(reporter_site):
    """The cases this test makes."""
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


def code_with_symbols(prefix):
    """A valid code starting with ``prefix``, the rest drawn at random."""
    return prefix + "".join(
        secrets.choice(codes.ALPHABET) for _ in range(codes.CODE_LENGTH - len(prefix))
    )


def report_with_code(client, monkeypatch, what_happened, code=None):
    """Send an anonymous report through the form; the code it is given is known to the test."""
    code = code or codes.generate_code()
    with monkeypatch.context() as patched:
        patched.setattr(codes, "generate_code", lambda: code)
        _response, shown = submit_anonymous(client, what_happened)
    assert shown == codes.format_code(code)
    return code


def other_code_with_selector(code):
    """A different code whose selector part is the same, so it finds the same case."""
    while True:
        candidate = code[: codes.SELECTOR_LENGTH] + code_with_symbols("")[codes.SELECTOR_LENGTH :]
        if candidate != code:
            return candidate


# --- The shape of a code ---------------------------------------------------------------------


def test_alphabet_is_32_unambiguous_symbols():
    assert len(codes.ALPHABET) == 32
    assert len(set(codes.ALPHABET)) == 32
    assert not set("ILOU") & set(codes.ALPHABET)
    assert codes.CODE_LENGTH == 16  # 16 symbols of 5 bits: 80 bits


def test_generated_codes_are_16_symbols_drawn_from_the_whole_alphabet():
    drawn = [codes.generate_code() for _ in range(2000)]
    assert all(len(code) == 16 and set(code) <= set(codes.ALPHABET) for code in drawn)
    # 32,000 symbols: each of the 32 is expected about 1,000 times, so a missing one is a bug.
    assert set("".join(drawn)) == set(codes.ALPHABET)
    assert len(set(drawn)) == len(drawn)


def test_thank_you_page_shows_the_code_once_grouped_in_fours(reporter_site, client):
    response, code = submit_anonymous(client, "Someone keeps shouting at me.")
    assert code is not None
    groups = code.split("-")
    assert [len(group) for group in groups] == [4, 4, 4, 4]
    assert set("".join(groups)) <= set(codes.ALPHABET)
    html = response.content.decode()
    assert html.count(code) == 1
    assert "cannot be recovered" in html
    # The code arrives in the response to the POST itself, never through a redirect.
    assert response.status_code == 200
    assert response.request["REQUEST_METHOD"] == "POST"


@given(st.text(alphabet=codes.ALPHABET, min_size=16, max_size=16))
def test_format_and_normalise_round_trip(code):
    shown = codes.format_code(code)
    assert len(shown) == 19 and shown.count("-") == 3
    assert codes.normalise_code(shown) == code
    assert codes.normalise_code(shown.lower()) == code
    assert codes.normalise_code(" ".join(shown.split("-"))) == code


@pytest.mark.parametrize(
    "typed",
    [
        "0V1X-2345-6789-ABCD",
        "0v1x-2345-6789-abcd",
        "0V1X23456789ABCD",
        "0V1X 2345 6789 ABCD",
        "  0V1X-2345-6789-ABCD\n",
        "0V1X\u20132345\u20146789\u2010ABCD",  # dashes a word processor may substitute
        "OV1X-2345-6789-ABCD",  # letter O for zero
        "0VIX-2345-6789-ABCD",  # letter I for one
        "0Vlx-2345-6789-abcd",  # lower-case L for one
        "0U1X-2345-6789-ABCD",  # U, which the alphabet leaves out, for V
        "0V1X_2345.6789 ABCD",
    ],
)
def test_normalise_forgives_case_spaces_dashes_and_look_alikes(typed):
    assert codes.normalise_code(typed) == "0V1X23456789ABCD"


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "0V1X-2345-6789-ABC",  # 15 symbols
        "0V1X-2345-6789-ABCDE",  # 17 symbols
        "0V1X-2345-6789-AB!D",
        "0V1X-2345-6789-ABÇD",
        "0V1X/2345/6789/ABCD",
        "0" * 65,
        None,
    ],
)
def test_normalise_rejects_what_is_not_a_code(typed):
    assert codes.normalise_code(typed) is None


def test_log_in_works_with_each_way_of_typing_the_code(reporter_site, client, monkeypatch):
    # A code holding 0, 1 and V, so each look-alike has something to stand for.
    known = report_with_code(client, monkeypatch, "Typed-entry report.", code_with_symbols("0V1X"))
    shown = codes.format_code(known)

    entries = {
        "as shown": shown,
        "lower case": shown.lower(),
        "without dashes": known,
        "pasted with spaces around": f"  {shown}  \n",
        "grouped with spaces": " ".join(shown.split("-")),
        "look-alikes": "OUIX" + shown[4:],
        "look-alikes, lower case": ("oulx" + shown[4:]).lower(),
    }
    for how, typed in entries.items():
        reporter = type(client)()
        response = log_in(reporter, typed)
        assert response.status_code == 302, how
        page = reporter.get(MESSAGING)
        assert "Typed-entry report." in page.content.decode(), how


# --- One argon2 verification per log-in --------------------------------------------------------


def make_cases(count):
    """``count`` cases with messaging, each with its own selector, stored in one go."""
    made = []
    for _ in range(count):
        code = codes.generate_code()
        made.append(
            Case(
                route=Case.Route.ANONYMOUS,
                answers=[{"label": "What happened?", "type": "multiline", "value": "x"}],
                messaging_enabled=True,
                selector_digest=codes.selector_digest(code),
                code_hash=codes.hash_code(code),
                created_at=timezone.now(),
            )
        )
    Case.objects.bulk_create(made)
    return made


def attempts_for(code):
    """Log-in attempts of every kind for a case whose code is ``code``."""
    while True:
        unknown = codes.generate_code()
        if not Case.objects.filter(selector_digest=codes.selector_digest(unknown)).exists():
            break
    return {
        "right code": (codes.format_code(code), True),
        "wrong code with the case's selector": (other_code_with_selector(code), False),
        "unknown code": (codes.format_code(unknown), False),
        "too short": ("ABCD-EFGH", False),
        "symbols outside the alphabet": ("ABCD-EFGH-!!!!-????", False),
    }


@pytest.mark.parametrize("other_cases", [0, 999], ids=["1 case", "1,000 cases"])
def test_each_log_in_attempt_costs_exactly_one_argon2_verification(
    new_cases, client, monkeypatch, argon2_verifications, other_cases
):
    known = report_with_code(client, monkeypatch, "The case to log in to.")
    make_cases(other_cases)
    assert new_cases.filter(messaging_enabled=True).count() == other_cases + 1

    for how, (typed, succeeds) in attempts_for(known).items():
        argon2_verifications.clear()
        reporter = type(client)()
        response = log_in(reporter, typed)
        assert response.status_code == (302 if succeeds else 200), how
        assert len(argon2_verifications) == 1, how


def test_log_in_queries_do_not_grow_with_the_number_of_cases(reporter_site, client, monkeypatch):
    known = report_with_code(client, monkeypatch, "The case to log in to.")

    def queries_for_log_in():
        with CaptureQueriesContext(connection) as captured:
            assert log_in(type(client)(), known).status_code == 302
        return len(captured.captured_queries)

    with_one = queries_for_log_in()
    make_cases(999)
    assert queries_for_log_in() == with_one


# --- Unknown and wrong codes get the same answer ---------------------------------------------


def comparable(response):
    headers = {
        name: value
        for name, value in response.headers.items()
        if name not in ("Set-Cookie", "Expires")
    }
    return response.status_code, headers, without_csrf_token(response.content.decode())


def test_unknown_wrong_and_malformed_codes_get_identical_answers(
    reporter_site, client, monkeypatch
):
    known = report_with_code(client, monkeypatch, "A real case.")
    attempts = attempts_for(known)
    del attempts["right code"]

    answers = {}
    for how, (typed, _succeeds) in attempts.items():
        reporter = type(client)()
        reporter.get(MESSAGING)
        response = log_in(reporter, typed)
        answers[how] = comparable(response)
        # Expires is the time of the response: it differs by a clock tick, but always lies
        # in the past, so every answer is equally uncacheable.
        expires = email.utils.parsedate_to_datetime(response.headers["Expires"])
        assert expires <= timezone.now()
        assert WRONG_CODE_ERROR in response.content.decode()

    first = answers.pop("unknown code")
    for how, answer in answers.items():
        assert answer == first, how


def test_a_wrong_code_never_reveals_the_case(reporter_site, client, monkeypatch):
    known = report_with_code(client, monkeypatch, "Secret report text.")
    response = log_in(client, other_code_with_selector(known))
    assert response.status_code == 200
    assert "Secret report text." not in client.get(MESSAGING).content.decode()


# --- Raising the argon2 parameters later ---------------------------------------------------


def test_raised_argon2_parameters_keep_old_codes_working_and_upgrade_the_hash(
    new_cases, client, settings
):
    _response, code = submit_anonymous(client, "Reported before the upgrade.")
    case = new_cases.get()
    old_hash = case.code_hash
    old = extract_parameters(old_hash)

    raised = {"time_cost": old.time_cost + 1, "memory_cost": old.memory_cost * 2, "parallelism": 1}
    settings.ANON_MESSAGING = {**settings.ANON_MESSAGING, "ARGON2": raised}

    reporter = type(client)()
    assert log_in(reporter, code).status_code == 302
    assert "Reported before the upgrade." in reporter.get(MESSAGING).content.decode()

    case.refresh_from_db()
    assert case.code_hash != old_hash
    assert case.code_hash.startswith("$argon2id$")
    new = extract_parameters(case.code_hash)
    assert (new.time_cost, new.memory_cost, new.parallelism) == (
        raised["time_cost"],
        raised["memory_cost"],
        raised["parallelism"],
    )

    # The upgraded hash still takes the code, and is not rewritten again.
    upgraded = case.code_hash
    assert log_in(type(client)(), code).status_code == 302
    case.refresh_from_db()
    assert case.code_hash == upgraded


# --- Rotating SECRET_KEY -------------------------------------------------------------------


def test_rotating_secret_key_with_a_fallback_keeps_codes_working(
    new_cases, client, settings, argon2_verifications
):
    # Report text has keys of its own, as on a real site, so only the codes feel the change.
    settings.ANON_MESSAGING = {
        **settings.ANON_MESSAGING,
        "ENCRYPTION_KEYS": [Fernet.generate_key().decode()],
    }
    old_key = settings.SECRET_KEY
    _response, code = submit_anonymous(client, "Reported under the old key.")
    case = new_cases.get()

    settings.SECRET_KEY = "rotated-" + old_key
    settings.SECRET_KEY_FALLBACKS = [old_key]
    argon2_verifications.clear()
    reporter = type(client)()
    assert log_in(reporter, code).status_code == 302
    assert len(argon2_verifications) == 1
    assert "Reported under the old key." in reporter.get(MESSAGING).content.decode()
    case.refresh_from_db()
    assert case.selector_digest == codes.selector_digest(codes.normalise_code(code))

    # Moved to the new key at that log-in, so the fallback can be dropped.
    settings.SECRET_KEY_FALLBACKS = []
    assert log_in(type(client)(), code).status_code == 302


def test_without_the_old_key_as_a_fallback_codes_stop_working(new_cases, client, settings):
    settings.ANON_MESSAGING = {
        **settings.ANON_MESSAGING,
        "ENCRYPTION_KEYS": [Fernet.generate_key().decode()],
    }
    _response, code = submit_anonymous(client, "Reported under the old key.")
    settings.SECRET_KEY = "rotated-" + settings.SECRET_KEY
    settings.SECRET_KEY_FALLBACKS = []
    response = log_in(type(client)(), code)
    assert response.status_code == 200
    assert WRONG_CODE_ERROR in response.content.decode()
