"""What happens to cases: submitting a report, logging in with a code, messaging.

Pages and admin views call these so every route shares one set of rules.
"""

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from . import codes, deadlines
from .models import Case, ContactDetails, Message, ReportingSettings

logger = logging.getLogger(__name__)

_MAX_COLLISION_RETRIES = 8


class DuplicateSubmission(Exception):
    """The form was submitted before (reload, back button, double click)."""


def reporting_settings_for(site):
    if site is None:
        return ReportingSettings()
    return ReportingSettings.for_site(site)


def response_due_at(site, start):
    """When a reply to something received at ``start`` is due for this site."""
    # Counted on the site's working-day calendar; the rules live in deadlines.py.
    return deadlines.response_due_at(site, start)


def submission_exists(token):
    return bool(token) and Case.objects.filter(submission_token=token).exists()


def create_case(*, route, answers, site, form_page, submission_token, opt_in, contact=None):
    """Store a report atomically. Returns ``(case, code)``; code is None without opt-in.

    The code is hashed before the transaction opens, so the write lock is short,
    and it is returned only after the case is committed.
    """
    code = codes.generate_code() if opt_in else None
    code_hash = codes.hash_code(code) if code else None
    now = timezone.now()
    for _attempt in range(_MAX_COLLISION_RETRIES):
        try:
            with transaction.atomic():
                case = Case(
                    route=route,
                    site=site,
                    form_page=form_page,
                    form_title=form_page.title if form_page else "",
                    answers=answers,
                    submission_token=submission_token,
                    messaging_enabled=bool(code),
                    selector_digest=codes.selector_digest(code) if code else None,
                    code_hash=code_hash,
                    created_at=now,
                    awaiting_reply=True,
                    awaiting_since=now,
                    response_due_at=response_due_at(site, now),
                    adviser_alert_pending=True,
                )
                case.save()
                if route == Case.Route.CONTACT and contact:
                    ContactDetails.objects.create(case=case, **contact)
            return case, code
        except IntegrityError:
            if submission_exists(submission_token):
                raise DuplicateSubmission from None
            # A reference or selector collided (rare at 30 bits each): draw again.
            if code:
                code = codes.generate_code()
                code_hash = codes.hash_code(code)
    raise IntegrityError("Could not draw a unique reference for a new case.")


def authenticate(raw_code):
    """Return the case for a code, or None. Exactly one argon2 verification."""
    code = codes.normalise_code(raw_code)
    if code is None:
        # Not a well-formed code: still pay for one verification, so the answer
        # takes as long as for a wrong code.
        codes.verify_code(None, codes.generate_code())
        return None
    case = (
        Case.objects.filter(
            selector_digest__in=codes.selector_digests(code), messaging_enabled=True
        )
        .only("pk", "code_hash", "selector_digest")
        .first()
    )
    matches, new_hash = codes.verify_code(case.code_hash if case else None, code)
    if not matches:
        return None
    upgrades = {"code_hash": new_hash} if new_hash else {}
    current_digest = codes.selector_digest(code)
    if case.selector_digest != current_digest:
        # Found under a SECRET_KEY_FALLBACKS key: move the case to the current key.
        upgrades["selector_digest"] = current_digest
    if upgrades:
        Case.objects.filter(pk=case.pk).update(**upgrades)
    return case


def post_message(case, *, sender, body, author=None):
    """Store a message and update the case's conversation state in one transaction."""
    now = timezone.now()
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        message = Message.objects.create(
            case=locked, sender=sender, body=body, author=author, created_at=now
        )
        locked.record_message(sender, now)
        update_fields = [
            "last_reporter_message_at",
            "last_adviser_message_at",
            "awaiting_reply",
            "awaiting_since",
            "response_due_at",
            "acknowledged_at",
            "reminder_sent_at",
            "escalation_sent_at",
            "adviser_alert_pending",
        ]
        if sender == Message.Sender.REPORTER:
            if locked.awaiting_since == now:
                locked.response_due_at = response_due_at(locked.site, now)
            if locked.status == Case.Status.WAITING:
                locked.status = Case.Status.OPEN
                update_fields.append("status")
        locked.save(update_fields=update_fields)
    return message
