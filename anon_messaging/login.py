"""A reporter's log-in with their code, and the browser session it starts.

``log_in`` is the whole flow, in order: normalise what was typed, look the case up by
its selector (one indexed query, no hashing), reserve the verification with the
throttle, spend exactly one argon2 verification in one of the process's argon2 slots,
upgrade a weaker hash or an old key's selector, and start the session. The messaging
page calls it and renders the result; tests call the page.

The session holds the case's id and when it was last used, never the code.
"""

import time
from dataclasses import dataclass

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext

from . import codes, throttle
from .conf import get_setting
from .models import Case, ContactDetails
from .sessions import SESSION_CASE_KEY, SESSION_SEEN_KEY

# Seconds a reporter is asked to wait when every argon2 slot of the process was busy.
BUSY_RETRY_AFTER = 5


@dataclass(frozen=True)
class LoginResult:
    """What became of one attempt: ``case`` when it opened one, else ``error``.

    ``retry_after`` (seconds) is set when the attempt was not verified: refused by the
    throttle, or ``busy`` when the server had no argon2 slot free.
    """

    case: Case | None = None
    error: str = ""
    retry_after: int | None = None
    busy: bool = False

    @property
    def refused(self):
        return self.retry_after is not None


def find_case(code):
    """The messaging case whose selector the normalised ``code`` carries, or None."""
    return (
        Case.objects.filter(
            selector_digest__in=codes.selector_digests(code), messaging_enabled=True
        )
        .only("pk", "code_hash", "selector_digest")
        .first()
    )


def verify(code, case):
    """``case`` if ``code`` opens it, else None: exactly one argon2 verification.

    A code that is not well formed, or whose selector matched no case, is verified
    against a dummy hash, so every answer takes as long as a wrong code.
    """
    if code is None:
        codes.verify_code(None, codes.generate_code())
        return None
    matches, new_hash = codes.verify_code(case.code_hash if case else None, code)
    if not matches:
        return None
    upgrades = {"code_hash": new_hash} if new_hash else {}
    current_digest = codes.selector_digest(code)
    if case.selector_digest != current_digest:
        # Found under an older key or format: move the case to the current one.
        upgrades["selector_digest"] = current_digest
    if upgrades:
        Case.objects.filter(pk=case.pk).update(**upgrades)
    return case


def log_in(request, raw_code):
    """Try ``raw_code``; on success the session is started. Returns a ``LoginResult``."""
    code = codes.normalise_code(raw_code)
    target_case = find_case(code) if code else None
    # Attempts on a case are counted apart from guesses that match no case, so guessing
    # cannot lock a reporter out of their own case (throttle.py).
    target = target_case.pk if target_case else throttle.NO_CASE
    decision = throttle.check_login(request, target)
    if not decision.allowed:
        return LoginResult(error=throttle.retry_message(decision), retry_after=decision.retry_after)
    try:
        case = verify(code, target_case)
    except codes.Busy:
        throttle.release(request, target)
        return LoginResult(
            error=gettext(
                "The service is busy just now, so your code was not checked. "
                "Please try again in a few seconds."
            ),
            retry_after=BUSY_RETRY_AFTER,
            busy=True,
        )
    if case is None:
        throttle.record_failure(request, target)
        # One answer for unknown, wrong and malformed codes, so none is told apart.
        return LoginResult(
            error=gettext(
                "That code did not match a report. Check it and try again: letters and "
                "numbers only, dashes and spaces are optional."
            )
        )
    throttle.record_success(request, target)
    start_session(request, case)
    return LoginResult(case=case)


# --- The reporter's session ----------------------------------------------------------


def start_session(request, case):
    request.session.cycle_key()  # a new key at log-in defeats session fixation
    request.session[SESSION_CASE_KEY] = case.pk
    request.session[SESSION_SEEN_KEY] = int(time.time())
    # The cookie ends when the browser closes; sessions.SessionStore ends the row sooner.
    request.session.set_expiry(0)


def end_session(request):
    for key in (SESSION_CASE_KEY, SESSION_SEEN_KEY):
        request.session.pop(key, None)
    request.session.cycle_key()


def session_case(request):
    """The case this browser session logged in to, or None once it has gone idle.

    Sets ``request.anon_messaging_timed_out`` when an idle session was just ended, so
    the page can say why the reporter must log in again.
    """
    case_id = request.session.get(SESSION_CASE_KEY)
    if case_id is None:
        return None
    seen = request.session.get(SESSION_SEEN_KEY, 0)
    if time.time() - seen > get_setting("SESSION_IDLE_SECONDS"):
        end_session(request)
        request.anon_messaging_timed_out = True
        return None
    # Whether the reporter has shared contact details (the conversation page says so),
    # in the same query.
    case = (
        Case.objects.filter(pk=case_id, messaging_enabled=True)
        .annotate(has_contact_details=Exists(ContactDetails.objects.filter(case=OuterRef("pk"))))
        .first()
    )
    if case is None:
        end_session(request)
        return None
    request.session[SESSION_SEEN_KEY] = int(time.time())
    return case
