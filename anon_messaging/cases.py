"""What happens to cases: a report is stored, messages are exchanged, advisers act.

Pages and the admin call these, so every route shares one set of rules. Each write
is one transaction and is audited through ``audit.record``.

Files (already cleaned by ``file_cleaning``) are stored with the report or message
they came with, together or not at all: each is encrypted and written to the
attachment storage first, then the rows are written in the same transaction as the
case or message; if anything fails, the files just written are deleted again. A
crash between the two leaves only files without rows, which
``attachments.sweep_orphans`` removes. The code log-in is
``login.py``'s; when replies are due is ``deadlines.py``'s.
"""

import logging

from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import get_language, gettext

from . import (
    attachment_storage,
    audit,
    codes,
    deadlines,
    languages,
    permissions,
    redaction,
    throttle,
)
from .conf import get_setting
from .models import Attachment, Case, CaseExclusion, ContactDetails, InternalNote, Message

logger = logging.getLogger(__name__)

_MAX_COLLISION_RETRIES = 8


class DuplicateSubmission(Exception):
    """The form was submitted before (reload, back button, double click)."""


class CodeLimitReached(Exception):
    """No more messaging codes for this client just now; ``retry_after`` in seconds."""

    def __init__(self, retry_after):
        super().__init__(retry_after)
        self.retry_after = retry_after


def submission_exists(token):
    return bool(token) and Case.objects.filter(submission_token=token).exists()


def reporter_time():
    """Now, to the minute: the times a reporter's own actions set are stored no finer, so
    the database cannot be matched against a network log by the second."""
    return timezone.now().replace(second=0, microsecond=0)


def submit_report(request, *, opt_in, **report):
    """A reporter's report from ``request``: ``create_case`` behind the limit on codes.

    A report with a messaging code is first counted against the throttle's code
    limits (per client address, and from everyone); over them, ``CodeLimitReached``
    is raised and nothing is stored. A failure to store gives the reservation back.
    """
    if opt_in:
        decision = throttle.reserve_code_issue(request)
        if not decision.allowed:
            raise CodeLimitReached(decision.retry_after)
    try:
        return create_case(opt_in=opt_in, **report)
    except BaseException:
        if opt_in:
            throttle.release_code_issue(request)
        raise


# --- Files: stored with what they came with, or not at all ----------------------------------


def store_files(files):
    """Encrypt and store cleaned files (their bytes, or the sealed files cleaning wrote
    them to); returns their keys. On a failure part-way, the files already written are
    deleted, the sealed files not yet stored are dropped, and the error raised."""
    keys = []
    try:
        for cleaned in files:
            keys.append(attachment_storage.save(cleaned.content))
    except BaseException:
        discard_files(keys)
        for cleaned in files:
            if isinstance(cleaned.content, attachment_storage.SealedFile):
                cleaned.content.close()
        raise
    return keys


def discard_files(keys):
    for key in keys:
        try:
            attachment_storage.delete(key)
        except Exception:  # the sweep removes what could not be deleted now
            logger.warning("A stored file could not be deleted after a failed write.")


def _attach(case, files, keys, *, sender, when, message=None, author=None, new_case=False):
    """The attachment rows, in the caller's transaction, numbered on from the case's last
    (a case made in this transaction has none yet: no query to find it)."""
    if not files:
        return []
    last = (
        0
        if new_case
        else Attachment.objects.filter(case=case).aggregate(last=Max("number"))["last"] or 0
    )
    return Attachment.objects.bulk_create(
        Attachment(
            case=case,
            message=message,
            sender=sender,
            author=author,
            number=last + position,
            kind=cleaned.kind,
            extension=cleaned.extension,
            size=cleaned.size,
            removed=list(cleaned.removed),
            storage_key=key,
            created_at=when,
        )
        for position, (cleaned, key) in enumerate(zip(files, keys, strict=True), start=1)
    )


def create_case(
    *,
    route,
    answers,
    site,
    form_page,
    submission_token,
    opt_in,
    contact=None,
    files=(),
    categories=(),
    excluded_advisers=(),
    received=Case.Received.ONLINE,
    taken_by=None,
):
    """Store a report atomically. Returns ``(case, code)``; code is None without opt-in.

    The code is hashed before the transaction opens, so the write lock is short,
    and it is returned only after the case is committed. ``codes.Busy`` is raised,
    with nothing stored, when the process has no argon2 slot free. ``files`` (cleaned
    by ``file_cleaning``) are stored with the case or not at all; ``categories`` (from the
    form's category question) are recorded with it. ``excluded_advisers``
    (users the reporter named) never see the case. A report an adviser recorded
    (``record_report``) says how it was ``received`` and who took it.
    """
    answers = [_without_gaps(answer) for answer in answers]
    code = codes.generate_code() if opt_in else None
    code_hash = codes.hash_code(code) if code else None
    team = intake_team()
    now = reporter_time()
    keys = store_files(files)
    try:
        return _create_case(
            route=route,
            answers=answers,
            site=site,
            form_page=form_page,
            submission_token=submission_token,
            contact=contact,
            code=code,
            code_hash=code_hash,
            team=team,
            now=now,
            files=files,
            keys=keys,
            categories=categories,
            excluded_advisers=excluded_advisers,
            received=received,
            taken_by=taken_by,
        )
    except BaseException:
        discard_files(keys)
        raise


def _report_language(form_page):
    """The language the reporter used: the form page's, else the one it was served in."""
    return (languages.page_language(form_page) if form_page else None) or get_language() or ""


def _without_gaps(answer):
    value = answer.get("value")
    if isinstance(value, list):
        value = [redaction.without_gaps(item) for item in value]
    return {**answer, "value": redaction.without_gaps(value)}


def _create_case(
    *,
    route,
    answers,
    site,
    form_page,
    submission_token,
    contact,
    code,
    code_hash,
    team,
    now,
    files,
    keys,
    categories,
    excluded_advisers,
    received,
    taken_by,
):
    policy = deadlines.policy_for_site(site)
    for _attempt in range(_MAX_COLLISION_RETRIES):
        try:
            with transaction.atomic():
                case = Case(
                    route=route,
                    site=site,
                    form_page=form_page,
                    form_title=form_page.title if form_page else "",
                    language=_report_language(form_page),
                    answers=answers,
                    submission_token=submission_token,
                    messaging_enabled=bool(code),
                    selector_digest=codes.selector_digest(code) if code else None,
                    code_hash=code_hash,
                    created_at=now,
                    awaiting_reply=True,
                    awaiting_since=now,
                    response_due_at=policy.response_due(now),
                    acknowledgement_due_at=deadlines.acknowledgement_due(now, policy.tz),
                    feedback_due_at=deadlines.feedback_due(now, None, policy.tz),
                    adviser_alert_pending=True,
                    assigned_team=team,
                    received=received,
                    taken_by=taken_by,
                )
                case.save()
                if categories:
                    case.categories.set(categories)
                if route == Case.Route.CONTACT and contact:
                    ContactDetails.objects.create(case=case, **contact)
                _attach(case, files, keys, sender=Message.Sender.REPORTER, when=now, new_case=True)
                _exclude_named_by_reporter(case, excluded_advisers, now)
            return case, code
        except IntegrityError:
            if submission_exists(submission_token):
                raise DuplicateSubmission from None
            # A reference or selector collided (rare at 30 bits each): draw again.
            if code:
                code = codes.generate_code()
                code_hash = codes.hash_code(code)
    raise IntegrityError("Could not draw a unique reference for a new case.")


def _exclude_named_by_reporter(case, advisers, now):
    for adviser in advisers:
        if not permissions.may_be_excluded(adviser):
            continue
        CaseExclusion.objects.create(
            case=case,
            user=adviser,
            reason=gettext("Named by the reporter on the form"),
            created_at=now,
        )
        audit.record(
            case, audit.ADVISER_EXCLUDED, data={"adviser": _person(adviser), "by_reporter": True}
        )


def post_message(case, *, sender, body, author=None, files=()):
    """Store a message, its files and the case's new conversation state atomically.

    Every message's time is kept to the minute (``reporter_time``), the adviser's too,
    so the conversation stays in the order it was written (by id within a minute).
    ``files`` are stored with the message or not at all.
    """
    keys = store_files(files)
    try:
        return _post_message(case, sender=sender, body=body, author=author, files=files, keys=keys)
    except BaseException:
        discard_files(keys)
        raise


def _post_message(case, *, sender, body, author, files, keys):
    now = reporter_time()
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        message = Message.objects.create(
            case=locked,
            sender=sender,
            body=redaction.without_gaps(body),
            author=author,
            created_at=now,
        )
        _attach(
            locked,
            files,
            keys,
            sender=sender,
            when=now,
            message=message,
            author=author if sender == Message.Sender.ADVISER else None,
        )
        first_reply = sender == Message.Sender.ADVISER and locked.acknowledged_at is None
        if first_reply:
            _record_first_reply(locked, now)
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
            "first_reply_working_days",
            "first_reply_on_time",
            "feedback_due_at",
        ]
        if sender == Message.Sender.REPORTER:
            if locked.awaiting_since == now:
                locked.response_due_at = deadlines.response_due_at(locked.site_id, now)
            if locked.status == Case.Status.WAITING:
                locked.status = Case.Status.OPEN
                update_fields.append("status")
        locked.save(update_fields=update_fields)
    return message


def _record_first_reply(case, when):
    """The statistics' figures of a first reply (or first response elsewhere), set once, on
    the case in memory; the caller saves ``first_reply_working_days``,
    ``first_reply_on_time`` and ``feedback_due_at``."""
    case.first_reply_working_days, case.first_reply_on_time = deadlines.first_reply_figures(
        case, when
    )
    case.feedback_due_at = deadlines.feedback_due(
        case.created_at, when, deadlines.policy_for_site(case.site_id).tz
    )


def conversation_window(case, earlier=0):
    """The part of a case's conversation a page shows: ``(messages, has_earlier)``.

    The latest ``CONVERSATION_PAGE_SIZE`` messages, oldest first, or the ``earlier``-th
    page before them; one indexed query however long the conversation is.
    """
    size = get_setting("CONVERSATION_PAGE_SIZE")
    start = max(0, earlier) * size
    newest_first = list(case.messages.order_by("-created_at", "-pk")[start : start + size + 1])
    return newest_first[:size][::-1], len(newest_first) > size


def mark_read_by_reporter(message_ids):
    """The reporter has seen these adviser messages (shown as new this once)."""
    Message.objects.filter(pk__in=message_ids, read_by_reporter_at__isnull=True).update(
        read_by_reporter_at=reporter_time()
    )


# --- Adviser actions: the admin case view calls these; each writes and logs atomically ---


class CaseActionRefused(Exception):
    """An adviser action that the case's state does not allow; the message says why."""


def intake_team():
    """The group new cases are assigned to (the INTAKE_TEAM setting), or None."""
    name = get_setting("INTAKE_TEAM")
    return Group.objects.filter(name=name).first() if name else None


def _person(user):
    return {"id": user.pk, "name": user.get_full_name().strip() or user.get_username()}


def open_case(case, *, user, log_opening=True):
    """An adviser opened the case: the reporter's messages are read; a new case is open.

    Returns the ids of the reporter's messages no adviser had read before.
    """
    now = timezone.now()
    with transaction.atomic():
        unread = set(
            Message.objects.filter(
                case=case, sender=Message.Sender.REPORTER, read_by_adviser_at__isnull=True
            ).values_list("pk", flat=True)
        )
        if unread:
            Message.objects.filter(pk__in=unread).update(read_by_adviser_at=now)
        moved = Case.objects.filter(pk=case.pk, status=Case.Status.NEW).update(
            status=Case.Status.OPEN
        )
        if log_opening:
            audit.record(case, audit.OPENED, user=user)
        if moved:
            case.status = Case.Status.OPEN
            audit.record(
                case,
                audit.STATUS_CHANGED,
                user=user,
                data={"from": Case.Status.NEW, "to": Case.Status.OPEN, "automatic": True},
            )
    return unread


def reply(case, *, author, body, files=()):
    """An adviser's message (and files) to the reporter, shown on their next page load."""
    keys = store_files(files)
    try:
        with transaction.atomic():
            current = Case.objects.select_for_update().get(pk=case.pk)
            if not current.messaging_enabled:
                raise CaseActionRefused(
                    gettext(
                        "This reporter did not choose anonymous messaging, so they cannot "
                        "read replies here."
                    )
                )
            if current.is_closed:
                raise CaseActionRefused(gettext("This case is closed. Reopen it to reply."))
            message = _post_message(
                current,
                sender=Message.Sender.ADVISER,
                body=body,
                author=author,
                files=files,
                keys=keys,
            )
            data = {"message": message.pk}
            if files:
                data["attachments"] = len(files)
            audit.record(current, audit.REPLIED, user=author, data=data)
    except BaseException:
        discard_files(keys)
        raise
    return message


def add_note(case, *, author, body):
    """An internal note: advisers only, never shown to the reporter."""
    with transaction.atomic():
        note = InternalNote.objects.create(
            case=case, author=author, body=redaction.without_gaps(body)
        )
        audit.record(case, audit.NOTE_ADDED, user=author, data={"note": note.pk})
    return note


def change_status(case, *, user, status, outcomes=()):
    """Move a case to ``status``; closing records one or more outcomes, reopening clears them."""
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        old = locked.status
        if status == old:
            raise CaseActionRefused(
                gettext("The case is already “%(status)s”.")
                % {"status": locked.get_status_display()}
            )
        if status == Case.Status.CLOSED and not outcomes:
            raise CaseActionRefused(gettext("Choose at least one outcome to close the case."))
        locked.status = status
        data = {"from": old, "to": status}
        if status == Case.Status.CLOSED:
            locked.closed_at = timezone.now()
            locked.save(update_fields=["status", "closed_at"])
            locked.outcomes.set(outcomes)
            data["outcomes"] = [outcome.name for outcome in outcomes]
        else:
            locked.closed_at = None
            locked.save(update_fields=["status", "closed_at"])
            if old == Case.Status.CLOSED:
                locked.outcomes.clear()
        audit.record(locked, audit.STATUS_CHANGED, user=user, data=data)
    case.status, case.closed_at = locked.status, locked.closed_at
    return locked


def assign(case, *, user, adviser=None, team=None):
    """Give the case to an adviser, a team (a group), both, or neither."""
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        unchanged = locked.assigned_to_id == getattr(adviser, "pk", None) and (
            locked.assigned_team_id == getattr(team, "pk", None)
        )
        if unchanged:
            raise CaseActionRefused(gettext("The case is already assigned that way."))
        if adviser is not None and permissions.is_excluded(adviser, locked):
            # Excluded from the case (a conflict of interest): they could not open it.
            raise CaseActionRefused(
                gettext("That adviser is excluded from this case, so it cannot be theirs.")
            )
        locked.assigned_to, locked.assigned_team = adviser, team
        locked.save(update_fields=["assigned_to", "assigned_team"])
        data = {
            "adviser": _person(adviser) if adviser else None,
            "team": {"id": team.pk, "name": team.name} if team else None,
        }
        audit.record(locked, audit.ASSIGNED, user=user, data=data)
    case.assigned_to, case.assigned_team = adviser, team
    return locked


def record_response_elsewhere(case, *, user):
    """The adviser answered outside messaging (a call, an email): nothing is owed now."""
    now = timezone.now()
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if not locked.awaiting_reply:
            raise CaseActionRefused(gettext("This case is not waiting for a response."))
        if locked.acknowledged_at is None:
            _record_first_reply(locked, now)
            locked.acknowledged_at = now
        locked.awaiting_reply = False
        locked.awaiting_since = None
        locked.response_due_at = None
        locked.save(
            update_fields=[
                "awaiting_reply",
                "awaiting_since",
                "response_due_at",
                "acknowledged_at",
                "first_reply_working_days",
                "first_reply_on_time",
                "feedback_due_at",
            ]
        )
        audit.record(locked, audit.RESPONDED_ELSEWHERE, user=user)
    return locked


def set_triage(case, *, user, categories, location_type, risk_level, safeguarding_concern):
    """Record the case's triage: categories, location type, risk level, safeguarding flag.

    Audited with the names before and after (never report text)."""
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        before = _triage_of(locked)
        locked.location_type = location_type
        locked.risk_level = risk_level or ""
        locked.safeguarding_concern = bool(safeguarding_concern)
        locked.save(update_fields=["location_type", "risk_level", "safeguarding_concern"])
        locked.categories.set(categories)
        after = _triage_of(locked)
        if before == after:
            raise CaseActionRefused(gettext("Nothing was changed: the triage is as it was."))
        audit.record(locked, audit.TRIAGE_CHANGED, user=user, data={"from": before, "to": after})
    case.location_type, case.risk_level = locked.location_type, locked.risk_level
    case.safeguarding_concern = locked.safeguarding_concern
    return locked


def _triage_of(case):
    return {
        "categories": sorted(category.name for category in case.categories.all()),
        "location_type": case.location_type.name if case.location_type else None,
        "risk_level": case.risk_level,
        "safeguarding_concern": case.safeguarding_concern,
    }


def log_contact_details_viewed(case, *, user):
    audit.record(case, audit.CONTACT_DETAILS_VIEWED, user=user)


# --- Formal case work: conflicts of interest, reports taken by advisers, contact details
# shared later, redaction -----------------------------------------------------------------


def exclude_adviser(case, *, user, adviser, reason):
    """Keep ``adviser`` away from the case (a conflict of interest), whatever their team or
    permissions. An adviser it was assigned to is unassigned in the same step."""
    if not permissions.may_be_excluded(adviser):
        raise CaseActionRefused(
            gettext(
                "%(name)s is a superuser and sees every case, so they cannot be excluded. "
                "Ask an administrator to remove their superuser status first."
            )
            % {"name": _person(adviser)["name"]}
        )
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if CaseExclusion.objects.filter(case=locked, user=adviser).exists():
            raise CaseActionRefused(
                gettext("%(name)s is already excluded from this case.")
                % {"name": _person(adviser)["name"]}
            )
        CaseExclusion.objects.create(case=locked, user=adviser, reason=reason, excluded_by=user)
        audit.record(
            locked,
            audit.ADVISER_EXCLUDED,
            user=user,
            data={"adviser": _person(adviser), "reason": reason},
        )
        if locked.assigned_to_id == adviser.pk:
            locked.assigned_to = None
            locked.save(update_fields=["assigned_to"])
            team = locked.assigned_team
            audit.record(
                locked,
                audit.ASSIGNED,
                user=user,
                data={
                    "adviser": None,
                    "team": {"id": team.pk, "name": team.name} if team else None,
                },
            )
    case.assigned_to_id = locked.assigned_to_id
    return locked


def remove_exclusion(case, *, user, exclusion_id):
    """The adviser may see the case again (as their team and permissions allow)."""
    with transaction.atomic():
        exclusion = (
            CaseExclusion.objects.select_related("user").filter(case=case, pk=exclusion_id).first()
        )
        if exclusion is None:
            raise CaseActionRefused(gettext("That adviser is no longer excluded from this case."))
        exclusion.delete()
        audit.record(
            case, audit.EXCLUSION_REMOVED, user=user, data={"adviser": _person(exclusion.user)}
        )
    return exclusion


def record_report(
    *,
    user,
    form_page,
    route,
    received,
    answers,
    site,
    contact=None,
    code=False,
    submission_token=None,
):
    """A report an adviser took in person, by phone or on paper, stored like any other
    (``create_case``), saying how it was received and who took it. On the anonymous route,
    ``code`` issues a messaging code, returned once for the adviser to hand over."""
    case, issued = create_case(
        route=route,
        answers=answers,
        site=site,
        form_page=form_page,
        submission_token=submission_token,
        opt_in=bool(code) and route == Case.Route.ANONYMOUS,
        contact=contact if route == Case.Route.CONTACT else None,
        received=received,
        taken_by=user,
    )
    audit.record(
        case,
        audit.REPORT_RECORDED,
        user=user,
        data={"received": received, "form": case.form_title, "code_issued": bool(issued)},
    )
    return case, issued


def share_contact_details(case, *, contact):
    """A reporter who began anonymously shares how to reach them, for good: stored like
    any contact details (encrypted, behind their own permission), marked as shared later.
    Advisers are alerted as for a message."""
    now = reporter_time()
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if ContactDetails.objects.filter(case=locked).exists():
            raise CaseActionRefused(gettext("You have already shared your contact details."))
        ContactDetails.objects.create(case=locked, shared_later_at=now, **contact)
        locked.adviser_alert_pending = True
        locked.save(update_fields=["adviser_alert_pending"])
        audit.record(locked, audit.CONTACT_SHARED_LATER)
    return locked


# What may be redacted, as the redaction form names it: "answer-<n>", "message-<id>",
# "note-<id>".
REDACTABLE_KINDS = ("answer", "message", "note")


def redact_text(case, *, user, item, passage, reason):
    """Replace every occurrence of ``passage`` in one answer, message or note of the case
    with a marked gap, for good: the stored (encrypted) text is rewritten and the
    original kept nowhere. The history says who, where, how many gaps and why; never
    the passage."""
    kind, _sep, ident = (item or "").partition("-")
    if kind not in REDACTABLE_KINDS or not ident.isdigit():
        raise CaseActionRefused(gettext("Choose what to redact from the list."))
    ident = int(ident)
    not_found = gettext(
        "That text is not in the part you chose, so nothing was redacted. Copy it exactly "
        "as it appears."
    )
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        data = {"item": kind, "reason": reason}
        if kind == "answer":
            answers = list(locked.answers or [])
            if not 1 <= ident <= len(answers):
                raise CaseActionRefused(gettext("Choose what to redact from the list."))
            answer = dict(answers[ident - 1])
            value = answer.get("value")
            if isinstance(value, list):
                results = [redaction.redact(part, passage) for part in value]
                answer["value"] = [text for text, _count in results]
                found = sum(count for _text, count in results)
            else:
                answer["value"], found = redaction.redact(value, passage)
            if not found:
                raise CaseActionRefused(not_found)
            answers[ident - 1] = answer
            locked.answers = answers
            locked.save(update_fields=["answers"])
            data.update(number=ident, question=answer.get("label", ""))
        else:
            model = Message if kind == "message" else InternalNote
            row = model.objects.filter(case=locked, pk=ident).first()
            if row is None:
                raise CaseActionRefused(gettext("Choose what to redact from the list."))
            row.body, found = redaction.redact(row.body, passage)
            if not found:
                raise CaseActionRefused(not_found)
            row.save(update_fields=["body"])
            data[kind] = ident
        data["gaps"] = found
        audit.record(locked, audit.REDACTED, user=user, data=data)
    return found


def redact_attachment(case, *, user, number, reason):
    """Delete an attachment's stored content for good; the row stays, marked redacted, so
    the conversation shows where it was. The file goes when the change commits."""
    with transaction.atomic():
        attachment = Attachment.objects.select_for_update().filter(case=case, number=number).first()
        if attachment is None or attachment.is_redacted:
            raise CaseActionRefused(gettext("That attachment is not there to redact."))
        key = attachment.storage_key
        attachment.storage_key = None
        attachment.save(update_fields=["storage_key"])
        audit.record(
            case,
            audit.REDACTED,
            user=user,
            data={"item": "attachment", "attachment": number, "reason": reason},
        )
        transaction.on_commit(lambda: discard_files([key]), robust=True)
    return attachment
