"""Seed the benchmark database: the demo site, then N cases in bulk.

Speed matters (100,000 cases in well under a minute), so cases, messages, contact
details, notes and outcomes go in with ``bulk_create`` in chunks, and the few
distinct texts they carry are encrypted once and reused (``cached_encryption``).
Seeded cases with messaging get a unique selector digest and one of a handful of
argon2 hashes computed once with the production parameters; nobody logs in to
them. The cases that the measurements log in to are made by ``cases.create_case``
with a fresh code, exactly as a reporter's submission makes them.

The mix is meant to look like a few years of an institution's cases: most are
closed, a tenth are open or waiting, exactly 1% are overdue (a reporter spoke
last and the reply is past due), and anonymous cases with messaging carry a
conversation of 0 to 12 messages.
"""

import hashlib
import io
import random
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from wagtail.models import Locale, Site

from anon_messaging import codes, deadlines, fields
from anon_messaging.models import (
    Case,
    CaseCategory,
    CaseOutcome,
    ContactDetails,
    InternalNote,
    LocationType,
    Message,
    ReportingSettings,
)
from anon_messaging.pages import MessagingPage, ReportFormPage

CHUNK = 5000
OVERDUE_EVERY = 100  # exactly 1% of seeded cases are overdue
EXTRA_ADVISERS = 4
OUTCOME_NAMES = ["Advice given", "Formal action", "No further action", "Referred to support"]

REPORT_TEXTS = [
    "Someone in my department keeps making comments about my appearance in meetings.",
    "A member of staff shouted at me in front of the class and it has happened before.",
    "I have been receiving messages from another student late at night that frighten me.",
    "My manager regularly excludes me from team events and makes jokes about my accent.",
    "Somebody posted photos of me in a group chat without my consent.",
    "I saw a student being pushed and insulted near the library.",
]
MESSAGE_TEXTS = [
    "Thank you for your report. Would you like to talk about the support available?",
    "Yes, I would. I am not sure what happens next.",
    "We can explain the options, and nothing happens without your agreement.",
    "It happened again yesterday after the seminar.",
    "Thank you for telling us. Are you safe at the moment?",
    "I am safe, but I would rather not be in the same room as them.",
    "We can arrange that. Let us know if anything changes.",
    "Thank you, that helps a lot.",
]
NOTE_TEXTS = [
    "Discussed with the team lead; no identifying details in the report.",
    "Reporter offered the wellbeing service.",
]
CONTACTS = [
    {"name": "Alex Example", "email": "alex@example.org", "phone": "", "preferred_method": "email"},
    {"name": "Sam Sample", "email": "", "phone": "+44 20 7946 0000", "preferred_method": "phone"},
    {"name": "Jo Placeholder", "email": "jo@example.org", "phone": "", "preferred_method": "email"},
]


@dataclass
class BenchSite:
    site: Site
    anonymous_form: ReportFormPage
    contact_form: ReportFormPage
    messaging_page: MessagingPage
    bare_form: object  # bench.bare_forms.models.BareFormPage, or None without that app
    superuser: object
    advisers: list
    team: Group
    outcomes: list
    # The demo's triage lists (site_setup), which seeded cases are filed under.
    category_ids: list = ()
    location_type_ids: list = ()


def build_site():
    """The demo site (pages, settings, users) plus the bare comparison form when installed."""
    call_command("seed_demo", stdout=io.StringIO())
    # The demo has its pages in several languages: the bench uses the default one's.
    default = Locale.get_default()
    anonymous_form = ReportFormPage.objects.get(slug="anonymous", locale=default)
    contact_form = ReportFormPage.objects.get(slug="with-contact-details", locale=default)
    messaging_page = MessagingPage.objects.get(locale=default)
    site = Site.objects.get(is_default_site=True)
    bare_form = None
    if apps.is_installed("bench.bare_forms"):
        bare_form = _bare_form(anonymous_form)
    user_model = get_user_model()
    team = Group.objects.get(name="Case advisers")
    advisers = [user_model.objects.get(username="adviser")]
    for number in range(2, EXTRA_ADVISERS + 2):
        adviser, created = user_model.objects.get_or_create(
            username=f"adviser{number}", defaults={"email": f"adviser{number}@example.org"}
        )
        if created:
            adviser.set_unusable_password()
            adviser.save()
            adviser.groups.add(team)
        advisers.append(adviser)
    outcomes = [CaseOutcome.objects.get_or_create(name=name)[0] for name in OUTCOME_NAMES]
    # Every overdue case has someone to remind: unassigned ones go to the team address.
    site_settings = ReportingSettings.for_site(site)
    site_settings.team_email = site_settings.team_email or "cases@example.org"
    site_settings.manager_emails = site_settings.manager_emails or "manager@example.org"
    site_settings.save()
    return BenchSite(
        site=site,
        anonymous_form=anonymous_form,
        contact_form=contact_form,
        messaging_page=messaging_page,
        bare_form=bare_form,
        superuser=user_model.objects.get(username="admin"),
        advisers=advisers,
        team=team,
        outcomes=outcomes,
        category_ids=list(CaseCategory.objects.values_list("pk", flat=True)),
        location_type_ids=list(LocationType.objects.values_list("pk", flat=True)),
    )


def _bare_form(report_page):
    """Wagtail's own form page with exactly the report form's questions."""
    from bench.bare_forms.models import BareFormField, BareFormPage

    existing = BareFormPage.objects.first()
    if existing:
        return existing
    parent = report_page.get_parent()
    page = BareFormPage(
        title="Bare Wagtail form",
        slug="bare-form",
        intro=report_page.intro,
        thank_you_text=report_page.thank_you_text,
    )
    page.form_fields = [
        BareFormField(
            sort_order=field.sort_order,
            label=field.label,
            field_type=field.field_type,
            required=field.required,
            choices=field.choices,
            default_value=field.default_value,
            help_text=field.help_text,
        )
        for field in report_page.form_fields.all()
    ]
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page


def form_answers(page, seed=0):
    """POST data answering every question of a Wagtail form page validly."""
    rng = random.Random(seed)
    data = {}
    for field in page.get_form_fields():
        name = field.clean_name or field.get_field_clean_name()
        choices = [choice.strip() for choice in field.choices.splitlines() if choice.strip()]
        if field.field_type == "checkboxes":
            data[name] = rng.sample(choices, 2)
        elif field.field_type in ("radio", "dropdown"):
            data[name] = rng.choice(choices)
        elif field.field_type == "multiline":
            data[name] = rng.choice(REPORT_TEXTS)
        else:
            data[name] = "Last week, in the main building"
    return data


def answer_snapshots(page):
    """A few stored answer snapshots in the shape ReportFormMixin.snapshot_answers writes."""
    snapshots = []
    for seed in range(len(REPORT_TEXTS)):
        data = form_answers(page, seed)
        snapshots.append(
            [
                {
                    "label": field.label,
                    "type": field.field_type,
                    "value": data[field.clean_name or field.get_field_clean_name()],
                }
                for field in page.get_form_fields()
            ]
        )
    return snapshots


@lru_cache(maxsize=1)
def shared_code_hashes():
    """Argon2id hashes of a handful of codes, computed once with the configured parameters."""
    return tuple(codes.hash_code(codes.generate_code()) for _ in range(4))


@contextmanager
def cached_encryption():
    """Encrypt each distinct text once while seeding; every token still decrypts normally."""
    original = fields.encrypt_text
    tokens = {}

    def encrypt_once(value):
        token = tokens.get(value)
        if token is None:
            token = tokens[value] = original(value)
        return token

    fields.encrypt_text = encrypt_once
    try:
        yield
    finally:
        fields.encrypt_text = original


def seeded_reference(index):
    # A bijection of the index onto 30 bits in the code alphabet: unique, random-looking.
    value = (index * 0x9E3779B1 + 0x5BD1E995) % (1 << 30)
    symbols = []
    for _ in range(6):
        symbols.append(codes.ALPHABET[value & 31])
        value >>= 5
    return "R-" + "".join(symbols)


def seed_cases(bench_site, total, seed=7):
    """Add seeded cases until the database holds ``total`` cases. Returns how many were added."""
    existing = Case.objects.count()
    to_add = total - existing
    if to_add <= 0:
        return 0
    taken = set(Case.objects.values_list("reference", flat=True))
    snapshots = answer_snapshots(bench_site.anonymous_form)
    contact_snapshots = answer_snapshots(bench_site.contact_form)
    hashes = shared_code_hashes()
    now = timezone.now()
    index = existing
    added = 0
    with cached_encryption():
        while added < to_add:
            batch = []
            while len(batch) < min(CHUNK, to_add - added):
                reference = seeded_reference(index)
                if reference not in taken:
                    batch.append(
                        _plan_case(
                            index,
                            reference,
                            bench_site,
                            snapshots,
                            contact_snapshots,
                            hashes,
                            now,
                            random.Random(seed * 1_000_003 + index),
                        )
                    )
                index += 1
            with transaction.atomic():
                _insert(batch)
            added += len(batch)
    return added


def _plan_case(index, reference, bench_site, snapshots, contact_snapshots, hashes, now, rng):
    """One case and what hangs off it, consistent with how the app keeps its state."""
    anonymous = rng.random() < 0.7
    messaging = anonymous and rng.random() < 0.6
    if index % OVERDUE_EVERY == OVERDUE_EVERY // 2:
        kind = "overdue"
    else:
        draw = rng.random()
        kind = (
            "new"
            if draw < 0.02
            else "open"
            if draw < 0.10
            else "waiting"
            if draw < 0.14
            else "closed"
        )
    if kind == "closed":
        created = now - timedelta(days=rng.uniform(30, 5 * 365))
        end = created + timedelta(days=rng.uniform(5, 25))
    elif kind == "overdue":
        created = now - timedelta(days=rng.uniform(12, 40))
        end = now - timedelta(days=rng.uniform(8, 10))
    elif kind == "new":
        created = now - timedelta(hours=rng.uniform(1, 20))
        end = created
    else:
        created = now - timedelta(days=rng.uniform(4, 60))
        end = now - timedelta(hours=rng.uniform(2, 30))

    # Who spoke last decides whether a reply is awaited.
    awaiting = kind in ("overdue", "new") or (kind == "open" and messaging and rng.random() < 0.5)
    count = rng.choice([0, 1, 2, 2, 3, 3, 4, 5, 6, 8, 12]) if messaging else 0
    if kind == "new":
        count = 0
    if messaging and count and (count % 2 == 1) != awaiting:
        count += 1  # reporter first, alternating: an odd count ends with the reporter
    if not messaging and kind == "open":
        awaiting = False  # reached by phone or email off the platform
    if awaiting and messaging and kind == "open" and count == 0:
        count = 1

    # Spread over the case's life; the last message is at its end (a recent word when awaited).
    gap = (end - created) / max(count, 1)
    messages = []
    for position in range(count):
        sender = Message.Sender.REPORTER if position % 2 == 0 else Message.Sender.ADVISER
        sent = created + gap * (position + 1)
        unread = position == count - 1 and kind != "closed"
        messages.append(
            Message(
                sender=sender,
                author=None
                if sender == Message.Sender.REPORTER
                else rng.choice(bench_site.advisers),
                body=MESSAGE_TEXTS[(index + position) % len(MESSAGE_TEXTS)],
                created_at=sent,
                read_by_adviser_at=(
                    None if sender == Message.Sender.ADVISER or unread else sent + gap / 2
                ),
                read_by_reporter_at=(
                    None if sender == Message.Sender.REPORTER or unread else sent + gap / 2
                ),
            )
        )
    last_reporter = next(
        (m.created_at for m in reversed(messages) if m.sender == Message.Sender.REPORTER), None
    )
    last_adviser = next(
        (m.created_at for m in reversed(messages) if m.sender == Message.Sender.ADVISER), None
    )
    awaiting_since = (last_reporter or created) if awaiting else None

    if kind == "new":
        assigned_to, team = None, (bench_site.team if rng.random() < 0.3 else None)
    else:
        draw = rng.random()
        assigned_to = rng.choice(bench_site.advisers) if draw < 0.6 else None
        team = bench_site.team if 0.6 <= draw < 0.9 else None

    case = Case(
        reference=reference,
        route=Case.Route.ANONYMOUS if anonymous else Case.Route.CONTACT,
        status={
            "overdue": Case.Status.OPEN,
            "new": Case.Status.NEW,
            "open": Case.Status.OPEN,
            "waiting": Case.Status.WAITING,
            "closed": Case.Status.CLOSED,
        }[kind],
        site=bench_site.site,
        form_page=bench_site.anonymous_form if anonymous else bench_site.contact_form,
        form_title=(bench_site.anonymous_form if anonymous else bench_site.contact_form).title,
        answers=(snapshots if anonymous else contact_snapshots)[index % len(snapshots)],
        created_at=created,
        messaging_enabled=messaging,
        selector_digest=(
            hashlib.sha256(f"bench-seed:{index}".encode()).hexdigest() if messaging else None
        ),
        code_hash=hashes[index % len(hashes)] if messaging else None,
        assigned_to=assigned_to,
        assigned_team=team,
        closed_at=end if kind == "closed" else None,
        last_reporter_message_at=last_reporter,
        last_adviser_message_at=last_adviser,
        awaiting_reply=awaiting,
        awaiting_since=awaiting_since,
        # Three days, as the demo site's three working days are on average.
        response_due_at=awaiting_since + timedelta(days=3) if awaiting else None,
        acknowledged_at=None if kind == "new" else created + timedelta(days=1),
        adviser_alert_pending=False,
    )
    # Triage and the statistics' first-reply figures, as advisers and cases.py leave them.
    if bench_site.location_type_ids:
        case.location_type_id = rng.choice([*bench_site.location_type_ids, None])
    case.risk_level = rng.choice(["", "low", "low", "medium", "high"])
    case.safeguarding_concern = rng.random() < 0.05
    if case.acknowledged_at is not None:
        case.first_reply_working_days = round(rng.uniform(0.1, 5), 2)
        case.first_reply_on_time = case.first_reply_working_days <= 3
    case.acknowledgement_due_at = created + timedelta(days=deadlines.ACKNOWLEDGEMENT_DAYS)
    case.feedback_due_at = deadlines.add_months(
        case.acknowledged_at or case.acknowledgement_due_at, deadlines.FEEDBACK_MONTHS
    )
    categories = []
    if bench_site.category_ids:
        categories = rng.sample(bench_site.category_ids, rng.choice([0, 1, 1, 1, 2]))
    contact = None if anonymous else CONTACTS[index % len(CONTACTS)]
    note = NOTE_TEXTS[index % len(NOTE_TEXTS)] if rng.random() < 0.3 else None
    outcomes = rng.sample(bench_site.outcomes, rng.choice([1, 1, 2])) if kind == "closed" else []
    return case, messages, contact, note, outcomes, categories


def _insert(batch):
    cases = Case.objects.bulk_create([case for case, *_ in batch], batch_size=1000)
    if any(case.pk is None for case in cases):  # a backend that cannot return ids
        by_reference = dict(
            Case.objects.filter(reference__in=[c.reference for c in cases]).values_list(
                "reference", "pk"
            )
        )
        for case in cases:
            case.pk = case.id = by_reference[case.reference]
    messages, contacts, notes, outcome_links, category_links = [], [], [], [], []
    through = Case.outcomes.through
    category_through = Case.categories.through
    for case, (_planned, case_messages, contact, note, outcomes, categories) in zip(
        cases, batch, strict=True
    ):
        category_links.extend(
            category_through(case_id=case.pk, casecategory_id=pk) for pk in categories
        )
        for message in case_messages:
            message.case_id = case.pk
            messages.append(message)
        if contact:
            contacts.append(ContactDetails(case_id=case.pk, **contact))
        if note:
            notes.append(InternalNote(case_id=case.pk, body=note, created_at=case.created_at))
        outcome_links.extend(through(case_id=case.pk, caseoutcome_id=o.pk) for o in outcomes)
    Message.objects.bulk_create(messages, batch_size=2000)
    ContactDetails.objects.bulk_create(contacts, batch_size=2000)
    InternalNote.objects.bulk_create(notes, batch_size=2000)
    through.objects.bulk_create(outcome_links, batch_size=2000)
    category_through.objects.bulk_create(category_links, batch_size=2000)


def add_conversation(case, count, advisers):
    """Give one case a long conversation (bulk), ending with an unread adviser reply."""
    start = case.created_at
    messages = []
    with cached_encryption():
        for position in range(count):
            sender = Message.Sender.REPORTER if position % 2 == 0 else Message.Sender.ADVISER
            messages.append(
                Message(
                    case_id=case.pk,
                    sender=sender,
                    author=None if sender == Message.Sender.REPORTER else advisers[0],
                    body=MESSAGE_TEXTS[position % len(MESSAGE_TEXTS)],
                    created_at=start + timedelta(minutes=position + 1),
                    read_by_adviser_at=start if sender == Message.Sender.REPORTER else None,
                    read_by_reporter_at=(
                        start if sender == Message.Sender.ADVISER and position < count - 2 else None
                    ),
                )
            )
        Message.objects.bulk_create(messages, batch_size=2000)
    return messages
