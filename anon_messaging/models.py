"""Cases, messages and per-site reporting settings.

Report text, contact details, messages and notes are stored encrypted
(``fields.py``). Codes are stored only as a selector index and an argon2id
hash (``codes.py``). No model here has a field for an IP address, user agent
or referrer, and none may gain one.
"""

import secrets
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, validate_email
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.dates import MONTHS
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.models import BaseLogEntry, BaseLogEntryManager, Orderable

from . import file_cleaning, permissions, response_time
from .codes import ALPHABET
from .conf import get_setting
from .disclosure import DEFAULT_THRESHOLD, MINIMUM_THRESHOLD
from .fields import EncryptedJSONField, EncryptedTextField

REFERENCE_PREFIX = "R-"
REFERENCE_LENGTH = 6


def generate_reference():
    # Random, short and not derived from the code, so it can be spoken and shown freely.
    return REFERENCE_PREFIX + "".join(secrets.choice(ALPHABET) for _ in range(REFERENCE_LENGTH))


class CaseOutcome(models.Model):
    """An outcome recorded when a case is closed; the list is edited by administrators."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    sort_order = models.PositiveIntegerField(_("order"), default=0)
    active = models.BooleanField(_("offered when closing"), default=True)

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("case outcome")
        verbose_name_plural = _("case outcomes")

    def __str__(self):
        return self.name


class TriageListItem(models.Model):
    """An entry of a list administrators edit (categories, location types): named, ordered,
    and retired by unticking "offered" rather than deleted, so recorded cases keep it."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    sort_order = models.PositiveIntegerField(_("order"), default=0)
    active = models.BooleanField(_("offered to advisers"), default=True)

    class Meta:
        abstract = True
        ordering = ["sort_order", "name"]

    def __str__(self):
        return self.name


class CaseCategory(TriageListItem):
    """What kind of thing a case is about (bullying, harassment...). A case has one or more."""

    form_options = models.TextField(
        _("form options"),
        blank=True,
        help_text=_(
            "Options of a report form's category question that mean this category, one a "
            "line, where they are not written exactly like its name."
        ),
    )

    class Meta(TriageListItem.Meta):
        verbose_name = _("case category")
        verbose_name_plural = _("case categories")

    @classmethod
    def for_options(cls, options):
        """The categories the chosen ``options`` of a category question mean: the category
        of the same name, or one listing the option in its ``form_options`` (either
        ignoring case). An option meaning none ("Not sure") gives none."""
        meanings = {}
        for category in cls.objects.all():
            for line in [category.name, *category.form_options.splitlines()]:
                if line.strip():
                    meanings.setdefault(line.strip().casefold(), category)
        found = []
        for option in options:
            category = meanings.get(str(option).strip().casefold())
            if category is not None and category not in found:
                found.append(category)
        return found


class LocationType(TriageListItem):
    """Where it happened, as a type of place (online, teaching space...), never a place."""

    class Meta(TriageListItem.Meta):
        verbose_name = _("location type")
        verbose_name_plural = _("location types")


class CaseQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The cases ``user`` may see; the rule lives in ``permissions.visible_cases``."""
        return permissions.visible_cases(self, user)

    def owing_reply(self):
        """Cases that owe the reporter a reply (the stored ``needs_reply``, indexed)."""
        return self.filter(needs_reply=True)

    def with_exclusion_flag(self):
        """Annotate ``has_exclusions``, in the same query, so a run over many cases reads
        the exclusions (``load_exclusions``) only of the few cases that have any."""
        return self.annotate(
            has_exclusions=models.Exists(CaseExclusion.objects.filter(case=models.OuterRef("pk")))
        )


def load_exclusions(cases):
    """Prefetch ``exclusions`` for the cases (from ``with_exclusion_flag``) that have any:
    one query, and none when no case has any."""
    flagged = [case for case in cases if getattr(case, "has_exclusions", True)]
    if flagged:
        models.prefetch_related_objects(flagged, "exclusions")
    return cases


# Statuses in which nothing is owed to the reporter: the case is closed, or the adviser
# is waiting for the reporter.
NOTHING_OWED_STATUSES = ["closed", "waiting"]


def reply_owed_q():
    """The reply-owed rule, its one home: the reporter spoke last (or reported) and the
    case is neither closed nor waiting for the reporter. ``Case.needs_reply`` stores it,
    so lists, the dashboard and the reminder scan filter on an indexed column, and
    ``Case.reply_owed`` says the same of a case in memory."""
    return Q(awaiting_reply=True) & ~Q(status__in=NOTHING_OWED_STATUSES)


class Case(models.Model):
    class Route(models.TextChoices):
        ANONYMOUS = "anonymous", _("Anonymous")
        CONTACT = "contact", _("With contact details")

    class RiskLevel(models.TextChoices):
        NOT_ASSESSED = "", _("Not assessed")
        LOW = "low", _("Low")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High")

    class Received(models.TextChoices):
        """How the report reached the service: a reporter's own form, or an adviser who
        recorded what they were told (in person, by phone) or sent on paper."""

        ONLINE = "online", _("Online, by the reporter")
        IN_PERSON = "in_person", _("In person, recorded by an adviser")
        PHONE = "phone", _("By phone, recorded by an adviser")
        PAPER = "paper", _("On paper, recorded by an adviser")

    class Status(models.TextChoices):
        NEW = "new", _("New")
        OPEN = "open", _("Open")
        WAITING = "waiting", _("Waiting for the reporter")
        CLOSED = "closed", _("Closed")

    reference = models.CharField(
        _("reference"), max_length=16, unique=True, default=generate_reference, editable=False
    )
    route = models.CharField(_("route"), max_length=16, choices=Route.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.NEW, db_index=True
    )
    site = models.ForeignKey(
        "wagtailcore.Site", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    form_page = models.ForeignKey(
        "wagtailcore.Page", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Snapshot taken at submission: editing or deleting the form later changes nothing here.
    form_title = models.CharField(_("form"), max_length=255, blank=True)
    answers = EncryptedJSONField(_("answers"), default=list)
    # The language the reporter used (of the form page, "cy", "ar"; blank before it was
    # recorded): advisers see it, and may answer in it.
    language = models.CharField(_("language"), max_length=35, blank=True)
    created_at = models.DateTimeField(_("received"), default=timezone.now, db_index=True)
    received = models.CharField(
        _("received"), max_length=16, choices=Received.choices, default=Received.ONLINE
    )
    # The adviser who recorded a report taken in person, by phone or on paper.
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("taken by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    # Messaging: only the selector index and an argon2id hash of the code.
    messaging_enabled = models.BooleanField(_("anonymous messaging"), default=False)
    # "<format version>$<hex HMAC of the selector>" (codes.selector_digest).
    selector_digest = models.CharField(max_length=80, unique=True, null=True, editable=False)
    code_hash = models.CharField(max_length=255, null=True, editable=False)
    # The form renders a fresh token; a resubmitted form finds its case and shows no code.
    submission_token = models.CharField(max_length=64, unique=True, null=True, editable=False)

    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned adviser"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_report_cases",
    )
    assigned_team = models.ForeignKey(
        "auth.Group",
        verbose_name=_("assigned team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_report_cases",
    )
    outcomes = models.ManyToManyField(CaseOutcome, verbose_name=_("outcomes"), blank=True)

    # Triage, recorded by advisers (or, for the categories, by the form's category
    # question). Plain columns: these are what the statistics count (docs/threat-model.md).
    categories = models.ManyToManyField(
        CaseCategory, verbose_name=_("categories"), blank=True, related_name="cases"
    )
    location_type = models.ForeignKey(
        LocationType,
        verbose_name=_("location type"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    risk_level = models.CharField(
        _("risk level"), max_length=16, choices=RiskLevel.choices, blank=True, default=""
    )
    safeguarding_concern = models.BooleanField(_("safeguarding concern"), default=False)

    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    # Denormalised conversation state, kept by Case.record_message, so lists and
    # the reminder scan are single indexed queries.
    last_reporter_message_at = models.DateTimeField(
        _("last reporter message"), null=True, blank=True
    )
    last_adviser_message_at = models.DateTimeField(_("last adviser reply"), null=True, blank=True)
    awaiting_reply = models.BooleanField(_("awaiting reply"), default=True)
    awaiting_since = models.DateTimeField(null=True, blank=True)
    response_due_at = models.DateTimeField(_("response due"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    # Set once, with acknowledged_at (the first reply), for the statistics: how long the
    # first reply took on the site's working calendar, and whether it met the promise.
    first_reply_working_days = models.FloatField(
        _("working days to the first reply"), null=True, blank=True, editable=False
    )
    first_reply_on_time = models.BooleanField(
        _("first reply within the promised time"), null=True, blank=True, editable=False
    )
    # The statutory deadlines (deadlines.acknowledgement_due, deadlines.feedback_due), kept
    # so the statistics compare them with acknowledged_at and closed_at in the database.
    acknowledgement_due_at = models.DateTimeField(
        _("acknowledgement due"), null=True, blank=True, editable=False
    )
    feedback_due_at = models.DateTimeField(_("feedback due"), null=True, blank=True, editable=False)
    reminder_sent_at = models.DateTimeField(_("reminder sent"), null=True, blank=True)
    escalation_sent_at = models.DateTimeField(_("escalation sent"), null=True, blank=True)
    adviser_alert_pending = models.BooleanField(default=False)

    # The advisers' queue, computed and stored by the database so the case list's order
    # (replies owed first, longest waiting first) is read from an index, not sorted from
    # every case. reply_owed_q() is the rule.
    needs_reply = models.GeneratedField(
        expression=models.Case(
            models.When(reply_owed_q(), then=models.Value(True)),
            default=models.Value(False),
        ),
        output_field=models.BooleanField(_("awaiting reply")),
        db_persist=True,
    )
    queue_since = models.GeneratedField(
        expression=Coalesce("awaiting_since", "created_at"),
        output_field=models.DateTimeField(_("waiting since")),
        db_persist=True,
    )

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-created_at"]
        permissions = [
            ("view_all_cases", _("Can see every case, assigned or not")),
            ("view_contact_details", _("Can see a reporter's contact details")),
            (
                "view_statistics",
                _("Can see reporting statistics (counts only, never a case)"),
            ),
            (
                "exclude_advisers",
                _("Can exclude advisers from a case (conflicts of interest)"),
            ),
            ("redact_case", _("Can redact reports, messages, notes and attachments")),
            (
                "record_report",
                _("Can record a report taken in person, by phone or on paper"),
            ),
        ]
        indexes = [
            models.Index(fields=["awaiting_reply", "awaiting_since"], name="am_case_awaiting"),
            models.Index(fields=["status", "response_due_at"], name="am_case_due"),
            # The case list's default order.
            models.Index(fields=["-needs_reply", "queue_since"], name="am_case_queue"),
            # The statistics (statistics.py): a site's cases in a period, with every column
            # they count, so the database answers from the index without reading the rows
            # (which carry the encrypted report).
            models.Index(
                fields=[
                    "site",
                    "created_at",
                    "route",
                    "status",
                    "location_type",
                    "messaging_enabled",
                    "first_reply_on_time",
                    "first_reply_working_days",
                    "acknowledged_at",
                    "acknowledgement_due_at",
                    "closed_at",
                    "feedback_due_at",
                    # PostgreSQL: the id too, so counts and joins are index-only scans.
                    "id",
                ],
                name="am_case_statistics",
            ),
            # The dashboard's open safeguarding concerns.
            models.Index(
                fields=["created_at"],
                condition=Q(safeguarding_concern=True),
                name="am_case_safeguarding",
            ),
            # The reminder scan: only cases awaiting a reply, by due time.
            models.Index(
                fields=["response_due_at"],
                condition=Q(awaiting_reply=True),
                name="am_case_reply_due",
            ),
        ]

    def __str__(self):
        return self.reference

    @property
    def is_closed(self):
        return self.status == self.Status.CLOSED

    @property
    def reply_owed(self):
        """``reply_owed_q()`` for this case as it is in memory, saved or not."""
        return self.awaiting_reply and self.status not in NOTHING_OWED_STATUSES

    def is_overdue(self, now):
        return self.reply_owed and self.response_due_at is not None and self.response_due_at <= now

    def record_message(self, sender, when):
        """Update the conversation state after a message; the caller saves."""
        if sender == Message.Sender.REPORTER:
            self.last_reporter_message_at = when
            if not self.awaiting_reply:
                # A new episode of waiting: reminders start afresh.
                self.awaiting_reply = True
                self.awaiting_since = when
                self.reminder_sent_at = None
                self.escalation_sent_at = None
            self.adviser_alert_pending = True
        else:
            self.last_adviser_message_at = when
            self.awaiting_reply = False
            self.awaiting_since = None
            self.response_due_at = None
            if self.acknowledged_at is None:
                self.acknowledged_at = when


class ContactDetails(models.Model):
    """How to reach a reporter who chose the route with contact details. Kept apart."""

    class Method(models.TextChoices):
        EMAIL = "email", _("Email")
        PHONE = "phone", _("Phone")

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="contact_details")
    name = EncryptedTextField(_("name"))
    email = EncryptedTextField(_("email"), blank=True)
    phone = EncryptedTextField(_("phone"), blank=True)
    preferred_method = models.CharField(
        _("preferred contact method"), max_length=16, choices=Method.choices
    )
    # Set when a reporter who began anonymously chose to share these later.
    shared_later_at = models.DateTimeField(_("shared later"), null=True, blank=True)

    class Meta:
        verbose_name = _("contact details")
        verbose_name_plural = _("contact details")

    def __str__(self):
        return str(_("Contact details for %(reference)s") % {"reference": self.case.reference})


class Message(models.Model):
    class Sender(models.TextChoices):
        REPORTER = "reporter", _("Reporter")
        ADVISER = "adviser", _("Adviser")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages")
    sender = models.CharField(_("from"), max_length=16, choices=Sender.choices)
    # The adviser's account, for the audit trail; reporters only see the site's display name.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = EncryptedTextField(_("message"))
    created_at = models.DateTimeField(_("sent"), default=timezone.now)
    read_by_adviser_at = models.DateTimeField(null=True, blank=True)
    read_by_reporter_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["case", "created_at"], name="am_message_case")]

    def __str__(self):
        return str(_("Message %(pk)s on %(case)s") % {"pk": self.pk, "case": self.case_id})


class InternalNote(models.Model):
    """Advisers' notes on a case. Never shown to the reporter."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = EncryptedTextField(_("note"))
    created_at = models.DateTimeField(_("written"), default=timezone.now)

    class Meta:
        verbose_name = _("internal note")
        verbose_name_plural = _("internal notes")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return str(_("Note %(pk)s on %(case)s") % {"pk": self.pk, "case": self.case_id})


class Attachment(models.Model):
    """A cleaned, encrypted file on a case: sent with the report, a message or a reply.

    The content is in the attachment storage (``attachment_storage.py``) under
    ``storage_key``; the row never holds the name the file was sent with, only a
    neutral one made from the case's reference and the attachment's number.
    """

    class Kind(models.TextChoices):
        IMAGE = file_cleaning.KIND_IMAGE, _("Image")
        PDF = file_cleaning.KIND_PDF, _("PDF document")
        TEXT = file_cleaning.KIND_TEXT, _("Text file")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    # None for the files sent with the report itself.
    message = models.ForeignKey(
        "Message", null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    sender = models.CharField(_("from"), max_length=16, choices=Message.Sender.choices)
    # The adviser's account for files attached to a reply; never set for a reporter.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # 1, 2, 3... within the case, for the neutral name and for advisers to refer to.
    number = models.PositiveIntegerField(_("number"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    extension = models.CharField(max_length=8)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    # Codes from file_cleaning (location, camera, document_info...), encrypted like the
    # report: even what a file carried says something about it.
    removed = EncryptedJSONField(_("removed on upload"), default=list)
    # None once the attachment was redacted: its stored content is deleted.
    storage_key = models.CharField(max_length=64, unique=True, null=True, editable=False)
    created_at = models.DateTimeField(_("sent"), default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["case", "number"]
        constraints = [
            models.UniqueConstraint(fields=["case", "number"], name="am_attachment_number")
        ]

    def __str__(self):
        return self.neutral_name

    @property
    def neutral_name(self):
        """The name it is downloaded under: nothing of the name it was sent with."""
        return f"{self.case.reference}-attachment-{self.number}.{self.extension}"

    @property
    def content_type(self):
        return file_cleaning.CONTENT_TYPES[self.extension]

    @property
    def is_image(self):
        return self.kind == self.Kind.IMAGE

    @property
    def is_redacted(self):
        return self.storage_key is None


class CaseExclusion(models.Model):
    """An adviser who must not see a case (a conflict of interest), whatever their team
    or permissions; superusers aside. ``permissions.visible_cases`` applies it."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="exclusions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("adviser"),
        on_delete=models.CASCADE,
        related_name="case_exclusions",
    )
    reason = models.CharField(_("reason"), max_length=500)
    # None when the reporter named the adviser on the form.
    excluded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("excluded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("excluded"), default=timezone.now)

    class Meta:
        verbose_name = _("excluded adviser")
        verbose_name_plural = _("excluded advisers")
        ordering = ["created_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["case", "user"], name="am_exclusion_once")]

    def __str__(self):
        return str(_("Exclusion %(pk)s on %(case)s") % {"pk": self.pk, "case": self.case_id})


class CaseLogEntryManager(BaseLogEntryManager):
    def log_action(self, instance, action, **kwargs):
        kwargs.update(case=instance)
        return super().log_action(instance, action, **kwargs)

    def viewable_by_user(self, user):
        # Wagtail's site history report lists entries through this: an adviser must
        # not learn there about cases they cannot open (nor those they are excluded from).
        if permissions.sees_every_case(user) and not permissions.may_be_excluded(user):
            return self.all()
        return self.filter(case_id__in=Case.objects.visible_to(user).values("pk"))

    def for_instance(self, instance):
        return self.filter(case_id=instance.pk)


class CaseLogEntry(BaseLogEntry):
    """A case's audit trail (Wagtail's audit log, kept apart from ModelLogEntry).

    No foreign-key constraint, so the lines that say a case existed outlive it.
    The data holds ids, names and statuses only: never report or message text.
    """

    case = models.ForeignKey(
        Case, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )

    objects = CaseLogEntryManager()

    class Meta(BaseLogEntry.Meta):
        ordering = ["-timestamp", "-id"]
        verbose_name = _("case log entry")
        verbose_name_plural = _("case log entries")

    def __str__(self):
        return f"CaseLogEntry {self.pk}: {self.action} on case {self.case_id}"

    @property
    def object_id(self):
        return self.case_id


class TaskLock(models.Model):
    """One row per kind of scheduled run that emails people (alerts, reminders).

    A run holds its row (``SELECT ... FOR UPDATE``) while it claims its cases, so two
    task clusters' runs of one kind take turns: the cases are never split between two
    runs that would each email the same adviser. The claim is short; sending comes after.
    On SQLite, ``transaction_mode: IMMEDIATE`` serialises the runs in the same way.
    """

    name = models.CharField(max_length=64, primary_key=True)

    class Meta:
        verbose_name = _("task lock")
        verbose_name_plural = _("task locks")

    def __str__(self):
        return self.name

    @classmethod
    def hold(cls, name):
        """In the caller's transaction: wait for the lock ``name`` and hold it to the end."""
        locked = cls.objects.select_for_update().filter(name=name)
        if not list(locked.values_list("pk", flat=True)):
            cls.objects.get_or_create(name=name)  # a site that skipped the migration's rows
            list(locked.values_list("pk", flat=True))


def validate_time_zone(value):
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(
            _("“%(value)s” is not a known time zone."), params={"value": value}
        ) from exc


def validate_weekdays(value):
    parts = [part.strip() for part in value.split(",") if part.strip()]
    if not parts or any(part not in "0123456" or len(part) != 1 for part in parts):
        raise ValidationError(
            _(
                "List working weekdays as numbers from 0 (Monday) to 6 (Sunday), "
                "separated by commas."
            )
        )


def default_time_zone():
    return settings.TIME_ZONE or "UTC"


# Closed cases are kept at least this long: 0 would delete every closed case at the next
# daily run, a case closed by mistake with it.
MIN_RETENTION_DAYS = 30


def _is_email(line):
    """A blank line, or one email address (the manager addresses, one per line)."""
    if not line.strip():
        return True
    try:
        validate_email(line.strip())
    except ValidationError:
        return False
    return True


# The standard name, and its English source: a site that kept it gets it translated.
DEFAULT_ADVISER_NAME = _("Case adviser")
DEFAULT_ADVISER_NAME_SOURCE = "Case adviser"


@register_setting(icon="help")
class ReportingSettings(ClusterableModel, BaseSiteSetting):
    """What each site promises reporters and how its advisers are reached."""

    adviser_display_name = models.CharField(
        _("adviser display name"),
        max_length=100,
        default=DEFAULT_ADVISER_NAME,
        help_text=_("Shown to reporters beside every adviser message, instead of a person's name."),
    )
    # The response time: one promise, one clock. Deadlines count on these numbers and
    # reporters read the same numbers in words (response_time.py).
    response_working_days = models.PositiveSmallIntegerField(
        _("response time in working days"),
        default=3,
        help_text=_(
            "What reporters are promised wherever {sla} is written, and what the deadlines "
            "and reminders count. Changes show on every reporting page at once and move the "
            "due times of cases already waiting."
        ),
    )
    response_working_hours = models.PositiveSmallIntegerField(
        _("and working hours"),
        default=0,
        help_text=_(
            "Optional: working hours on top of the days, for a response time such as "
            "“1 working day and 4 working hours”. Counted within the working hours below "
            "when they are set."
        ),
    )
    response_time_wording = models.CharField(
        _("response time, as worded for reporters"),
        max_length=200,
        blank=True,
        help_text=_(
            "Leave blank for the standard wording in the site's language, such as "
            "“3 working days”. To reword it, write {days} where the number of working days "
            "goes (and {hours} for working hours), for example “{days} working days, Monday "
            "to Friday”. It cannot give a number of its own."
        ),
    )
    working_weekdays = models.CharField(
        _("working weekdays"),
        max_length=20,
        default="0,1,2,3,4",
        validators=[validate_weekdays],
        help_text=_("0 is Monday and 6 is Sunday, for example “0,1,2,3,4” for Monday to Friday."),
    )
    working_hours_start = models.TimeField(_("working hours start"), null=True, blank=True)
    working_hours_end = models.TimeField(_("working hours end"), null=True, blank=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default=default_time_zone, validators=[validate_time_zone]
    )
    escalation_after_working_days = models.PositiveSmallIntegerField(
        _("escalate after further working days"),
        default=2,
        help_text=_(
            "Managers are told when a reply is still overdue this long after the reminder."
        ),
    )
    statutory_deadlines = models.BooleanField(
        _("show statutory deadlines"),
        default=False,
        help_text=_(
            "Acknowledge within 7 days and give feedback within 3 months "
            "(EU Directive 2019/1937, article 9)."
        ),
    )
    team_email = models.EmailField(
        _("team email address"),
        blank=True,
        help_text=_("Alerted about unassigned cases. Emails never contain report content."),
    )
    manager_emails = models.TextField(
        _("manager email addresses"),
        blank=True,
        help_text=_("One per line. Told when an overdue case is escalated."),
    )
    quick_exit_url = models.URLField(
        _("quick exit address"),
        default="https://www.bbc.co.uk/weather",
        help_text=_("A neutral site the “Exit this page” button leads to."),
    )
    retention_days = models.PositiveIntegerField(
        _("keep closed cases for (days)"),
        default=365,
        help_text=_("Closed cases are deleted this many days after closing."),
    )

    academic_year_start_month = models.PositiveSmallIntegerField(
        _("academic year starts in"),
        choices=[(number, month) for number, month in MONTHS.items()],
        default=9,
        help_text=_("Statistics count by academic year, and by term within it, from this month."),
    )
    statistics_threshold = models.PositiveSmallIntegerField(
        _("hide counts up to"),
        default=DEFAULT_THRESHOLD,
        validators=[MinValueValidator(MINIMUM_THRESHOLD)],
        help_text=_(
            "In statistics, every count from 1 to this number is shown as “fewer than” the "
            "next number, and other counts are hidden as needed so that none can be worked "
            "out. At least 2; 4 is the usual choice."
        ),
    )

    files_on_report_forms = models.BooleanField(
        _("report forms take files"),
        default=True,
        help_text=_(
            "Reporters may attach screenshots, photos, PDFs or text files to a report. "
            "Identifying details in the files are removed before they are stored."
        ),
    )
    files_in_messages = models.BooleanField(
        _("messages take files"),
        default=True,
        help_text=_("Reporters and advisers may attach files to messages."),
    )
    max_files = models.PositiveSmallIntegerField(
        _("files per report or message"),
        default=5,
        validators=[MinValueValidator(1)],
    )
    max_file_megabytes = models.PositiveSmallIntegerField(
        _("largest file (MB)"),
        default=10,
        validators=[MinValueValidator(1)],
    )

    panels = [
        MultiFieldPanel(
            [
                FieldPanel("response_working_days"),
                FieldPanel("response_working_hours"),
                FieldPanel("response_time_wording"),
            ],
            heading=_("Response time"),
            help_text=_(
                "One promise, one clock: reporters read this response time wherever {sla} "
                "is written, and advisers are reminded when a reply takes longer."
            ),
        ),
        MultiFieldPanel(
            [FieldPanel("adviser_display_name")],
            heading=_("Wording"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("working_weekdays"),
                FieldPanel("working_hours_start"),
                FieldPanel("working_hours_end"),
                FieldPanel("time_zone"),
                FieldPanel("escalation_after_working_days"),
                FieldPanel("statutory_deadlines"),
            ],
            heading=_("Working calendar"),
        ),
        InlinePanel(
            "wordings",
            heading=_("Wording in other languages"),
            label=_("Language"),
            help_text=_(
                "Where the site has pages in several languages: the site's name, the response "
                "time and the advisers' name as reporters read them in each language. A "
                "language without its own wording uses the wording above and the site's own "
                "name."
            ),
        ),
        InlinePanel("closures", heading=_("Closure days"), label=_("Closure")),
        InlinePanel(
            "footer_links",
            heading=_("Footer links"),
            label=_("Footer link"),
            help_text=_(
                "Links at the foot of every reporting page, in this order: for example the "
                "privacy notice, support services and emergency contacts."
            ),
        ),
        MultiFieldPanel(
            [FieldPanel("team_email"), FieldPanel("manager_emails")],
            heading=_("Alerts"),
        ),
        MultiFieldPanel(
            [FieldPanel("quick_exit_url"), FieldPanel("retention_days")],
            heading=_("Safety and retention"),
        ),
        MultiFieldPanel(
            [FieldPanel("academic_year_start_month"), FieldPanel("statistics_threshold")],
            heading=_("Statistics"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("files_on_report_forms"),
                FieldPanel("files_in_messages"),
                FieldPanel("max_files"),
                FieldPanel("max_file_megabytes"),
            ],
            heading=_("Files"),
        ),
    ]

    class Meta:
        verbose_name = _("reporting settings")

    def clean(self):
        super().clean()
        if bool(self.working_hours_start) != bool(self.working_hours_end):
            raise ValidationError(
                _("Give both the start and the end of working hours, or neither.")
            )
        if self.working_hours_start and self.working_hours_start >= self.working_hours_end:
            raise ValidationError(
                {"working_hours_end": _("Working hours must end after they start.")}
            )
        ceilings = {
            "max_files": get_setting("ATTACHMENT_MAX_FILES"),
            "max_file_megabytes": get_setting("ATTACHMENT_MAX_FILE_MB"),
        }
        errors = {
            name: _("This site allows at most %(ceiling)d.") % {"ceiling": ceiling}
            for name, ceiling in ceilings.items()
            if (getattr(self, name) or 0) > ceiling
        }
        days, hours = self.response_working_days or 0, self.response_working_hours or 0
        if not days and not hours:
            errors["response_working_days"] = _(
                "Give a response time of at least one working day or one working hour."
            )
        hours_a_day = self.working_hours_per_day
        if hours >= hours_a_day:
            errors["response_working_hours"] = _(
                "A working day has %(hours)d working hours: give whole days as working days "
                "and fewer than %(hours)d working hours."
            ) % {"hours": hours_a_day}
        problems = response_time.template_problems(
            self.response_time_wording, days, hours, response_time.site_number_words()
        )
        if problems:
            errors["response_time_wording"] = problems
        not_addresses = [
            line.strip() for line in self.manager_emails.splitlines() if not _is_email(line)
        ]
        if not_addresses:
            errors["manager_emails"] = ngettext(
                "%(lines)s is not an email address. Put one email address on each line.",
                "%(lines)s are not email addresses. Put one email address on each line.",
                len(not_addresses),
            ) % {"lines": ", ".join(f"“{line}”" for line in not_addresses)}
        if self.retention_days is not None and self.retention_days < MIN_RETENTION_DAYS:
            # 0 would delete every closed case at the next daily run.
            errors["retention_days"] = ngettext(
                "Keep closed cases for at least %(days)d day, so that a case closed by "
                "mistake can still be found and reopened.",
                "Keep closed cases for at least %(days)d days, so that a case closed by "
                "mistake can still be found and reopened.",
                MIN_RETENTION_DAYS,
            ) % {"days": MIN_RETENTION_DAYS}
        if errors:
            raise ValidationError(errors)

    @property
    def working_hours_per_day(self):
        """How many whole working hours a working day has: 24 without working hours."""
        if self.working_hours_start and self.working_hours_end:
            start, end = self.working_hours_start, self.working_hours_end
            minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
            return max(1, minutes // 60)
        return 24

    def wording_for(self, language=None):
        """The ``ReportingWording`` for ``language`` (the active language when None), or
        None: a regional code ("en-gb") falls back to its language ("en"). The site's own
        language (``LANGUAGE_CODE``) has the settings' own wording."""
        language = (language or get_language() or settings.LANGUAGE_CODE).lower()
        if language == settings.LANGUAGE_CODE.lower():
            return None  # the wording above is in the site's own language
        wordings = getattr(self, "_wordings_by_language", None)
        if wordings is None:
            # Read once per settings object: a page fills {sla} several times.
            wordings = {
                wording.locale.language_code.lower(): wording
                for wording in self.wordings.select_related("locale")
                if wording.locale_id
            }
            if self.pk:
                self._wordings_by_language = wordings
        return wordings.get(language) or wordings.get(language.split("-")[0])

    @property
    def response_time_text(self):
        """The response time as reporters read it, in the active language (``{sla}``): the
        language's own wording where it has one, else the site's."""
        wording = self.wording_for()
        template = self.response_time_wording
        if wording is not None and wording.response_time_wording.strip():
            template = wording.response_time_wording
        return response_time.wording(
            self.response_working_days, self.response_working_hours, template
        )

    @property
    def adviser_name(self):
        """How advisers are named to reporters, in the active language: the language's own
        wording, else the site's, the standard name translated while it is unchanged."""
        wording = self.wording_for()
        if wording is not None and wording.adviser_display_name.strip():
            return wording.adviser_display_name
        if self.adviser_display_name == DEFAULT_ADVISER_NAME_SOURCE:
            return str(DEFAULT_ADVISER_NAME)
        return self.adviser_display_name

    @property
    def file_limits(self):
        """``(files, bytes per file)`` allowed, within the ceilings in ANON_MESSAGING."""
        files = min(self.max_files, get_setting("ATTACHMENT_MAX_FILES"))
        megabytes = min(self.max_file_megabytes, get_setting("ATTACHMENT_MAX_FILE_MB"))
        return files, megabytes * 1024 * 1024

    @property
    def weekday_numbers(self):
        return tuple(int(part) for part in self.working_weekdays.split(",") if part.strip())

    @property
    def manager_email_list(self):
        return [line.strip() for line in self.manager_emails.splitlines() if line.strip()]


class ClosurePeriod(Orderable):
    """Days the service is closed (bank holidays, a winter closure); response clocks stop."""

    settings = ParentalKey(ReportingSettings, on_delete=models.CASCADE, related_name="closures")
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(
        _("last day"), help_text=_("The same as the first day for one day.")
    )
    label = models.CharField(_("label"), max_length=100, blank=True)

    panels = [FieldPanel("first_day"), FieldPanel("last_day"), FieldPanel("label")]

    class Meta(Orderable.Meta):
        verbose_name = _("closure")
        verbose_name_plural = _("closures")

    def clean(self):
        super().clean()
        if self.first_day and self.last_day and self.last_day < self.first_day:
            raise ValidationError({"last_day": _("The last day cannot be before the first day.")})


class ReportingWording(Orderable):
    """The reporting settings' wording in one language (``ReportingSettings.wording_for``):
    the same site, response time and advisers, in the words of that language."""

    settings = ParentalKey(ReportingSettings, on_delete=models.CASCADE, related_name="wordings")
    locale = models.ForeignKey(
        "wagtailcore.Locale", verbose_name=_("language"), on_delete=models.CASCADE, related_name="+"
    )
    response_time_wording = models.CharField(
        _("response time, as worded for reporters"),
        max_length=200,
        blank=True,
        help_text=_(
            "Blank for the standard wording in this language. Write {days} where the number "
            "of working days goes (and {hours} for working hours)."
        ),
    )
    adviser_display_name = models.CharField(
        _("adviser display name"),
        max_length=100,
        blank=True,
        help_text=_("Blank for the standard name in this language."),
    )
    site_name = models.CharField(
        _("site name"),
        max_length=255,
        blank=True,
        help_text=_(
            "The site's name at the top and foot of the reporting pages in this language. "
            "Blank for the site's own name."
        ),
    )

    panels = [
        FieldPanel("locale"),
        FieldPanel("site_name"),
        FieldPanel("response_time_wording"),
        FieldPanel("adviser_display_name"),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("wording in a language")
        verbose_name_plural = _("wording in other languages")
        constraints = [
            models.UniqueConstraint(
                fields=["settings", "locale"], name="anon_messaging_one_wording_per_language"
            )
        ]

    def __str__(self):
        return str(self.locale) if self.locale_id else ""

    def clean(self):
        super().clean()
        if not self.locale_id or not self.response_time_wording:
            return
        settings_row = self.settings
        problems = response_time.template_problems(
            self.response_time_wording,
            settings_row.response_working_days or 0,
            settings_row.response_working_hours or 0,
            response_time.site_number_words([self.locale.language_code]),
        )
        if problems:
            raise ValidationError({"response_time_wording": problems})


class ReportingFooterLink(Orderable):
    """A link at the foot of every reporting page: a page of the site, or an address."""

    settings = ParentalKey(ReportingSettings, on_delete=models.CASCADE, related_name="footer_links")
    label = models.CharField(_("link text"), max_length=100)
    page = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("page"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    url = models.URLField(
        _("or address"),
        blank=True,
        help_text=_("An address on another site, if the link is not to a page of this one."),
    )
    locale = models.ForeignKey(
        "wagtailcore.Locale",
        verbose_name=_("language"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_(
            "Where the site has pages in several languages: the language of the pages this "
            "link is shown on. A language with links of its own shows only those; the others "
            "show the links without a language."
        ),
    )

    panels = [FieldPanel("label"), FieldPanel("page"), FieldPanel("url"), FieldPanel("locale")]

    class Meta(Orderable.Meta):
        verbose_name = _("footer link")
        verbose_name_plural = _("footer links")

    def __str__(self):
        return self.label

    def clean(self):
        super().clean()
        if bool(self.page_id) == bool(self.url):
            raise ValidationError(
                {"url": _("Choose a page or give an address, not both and not neither.")}
            )
