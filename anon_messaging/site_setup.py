"""What a new site starts with: the reporter pages and their wording, case outcomes, the
site's reporting settings and the advisers' group. The one home of that wording.

``set_up_site(parent)`` makes, below ``parent``, the pages at the same paths as the demo:

    report/                          "Tell us what happened", linking to both forms
    report/anonymous/                the anonymous report form, which offers a code
    report/with-contact-details/     the report form with contact details
    messaging/                       the code log-in and the reporter's conversation
    support/anonymous-messaging/     "How anonymous messaging works", with {sla}

and the rest. It makes only what is missing and changes nothing that exists, so it can
run again at any time; it returns one ``Step`` per thing, saying whether it was made.
The wording is translated into the active language when the pages are made; editors
change it in the admin afterwards. ``manage.py anon_messaging_setup`` calls it, and the
example site's ``seed_demo`` does too.

With Wagtail's internationalisation on, ``set_up_site_in_language(parent, "cy")`` makes
the same pages in another language: below ``parent``'s version in that language (copied
for translation when it has none), worded in that language, each a translation of the
page at the same path below ``parent``, so the language links join them.
"""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.coreutils import get_content_languages
from wagtail.models import Locale, Site

from . import permissions, reporting_settings
from .conf import get_setting
from .models import Case, CaseCategory, CaseOutcome, LocationType, ReportingFooterLink
from .pages import MessagingPage, ReportFormField, ReportFormPage, SupportPage

PAGE = _("page")
OUTCOMES = _("case outcomes")
CATEGORIES = _("case categories")
LOCATION_TYPES = _("location types")
SETTINGS = _("reporting settings")
FOOTER_LINKS = _("footer links")
GROUP = _("group")

# Offered when an adviser closes a case; administrators edit the list later.
DEFAULT_OUTCOMES = [
    _("Advice and support given"),
    _("Referred to a formal process"),
    _("Resolved informally"),
    _("No further action, as the reporter chose"),
]

# Alphabetical, so that no kind of behaviour is suggested first; the catch-alls last.
BEHAVIOUR_CHOICES = [
    _("Assault"),
    _("Bullying"),
    _("Discrimination"),
    _("Domestic or relationship abuse"),
    _("Freedom of speech"),
    _("Harassment or stalking"),
    _("Harassment related to a protected characteristic"),
    _("Hate"),
    _("Sexual misconduct"),
    _("Wellbeing concern"),
    _("Not sure"),
    _("Other"),
]


# The categories advisers record, named like the behaviour question's options so that the
# forms' category question maps them without a line of mapping ("Not sure" maps to none).
DEFAULT_CATEGORIES = [choice for choice in BEHAVIOUR_CHOICES if str(choice) != "Not sure"]

# Types of place, never a place: a building's name could single someone out.
DEFAULT_LOCATION_TYPES = [
    _("Teaching or study space"),
    _("Accommodation"),
    _("Workplace or office"),
    _("Social or sports space"),
    _("Online or by phone"),
    _("Off campus"),
    _("Other"),
]


def report_questions():
    """The questions both report forms start with."""
    return [
        {
            "label": gettext("What happened?"),
            "field_type": "multiline",
            "required": True,
            "help_text": gettext(
                "In your own words, as much or as little as you want to share. Details such "
                "as names, dates and places may identify you."
            ),
        },
        {
            "label": gettext("What kind of behaviour was it?"),
            "field_type": "checkboxes",
            "required": True,
            "choices": "\n".join(str(choice) for choice in BEHAVIOUR_CHOICES),
            "help_text": gettext("Choose all that apply."),
        },
        {
            "label": gettext("When did it happen?"),
            "field_type": "singleline",
            "required": False,
            "help_text": gettext(
                "A date, a rough time such as “last term”, or “it is still happening”."
            ),
        },
        {
            "label": gettext("Where did it happen?"),
            "field_type": "singleline",
            "required": False,
            "help_text": gettext("For example a building, a part of campus or online."),
        },
        {
            "label": gettext("Has this happened before?"),
            "field_type": "radio",
            "required": False,
            "choices": "\n".join([gettext("Yes"), gettext("No"), gettext("Not sure")]),
        },
    ]


def _link(page, text):
    # Wagtail's stored form of a link to a page: it follows the page if it moves.
    return f'<a linktype="page" id="{page.pk}">{text}</a>'


def _not_an_emergency():
    return gettext(
        "<p>This is not an emergency service: if you or someone else is in danger now, call "
        "the emergency services.</p>"
    )


def support_questions(messaging, contact_form):
    """The questions and answers of "How anonymous messaging works"."""
    messaging_link = _link(messaging, gettext("messaging page")) if messaging else ""
    contact_link = (
        _link(contact_form, gettext("report with contact details")) if contact_form else ""
    )
    come_back = gettext(
        "<p>Go to the %(messaging_page)s and enter your code. You can paste it, and capitals, "
        "spaces and dashes do not matter. When you finish, select <b>Log out</b>; you are "
        "also logged out when you close the browser or leave the page unused for a "
        "while.</p>"
    ) % {"messaging_page": messaging_link or gettext("messaging page")}
    other_ways = gettext(
        "<p>Yes: use the %(contact_form)s, and tell us how you would like us to get in touch.</p>"
    ) % {"contact_form": contact_link or gettext("report with contact details")}
    return [
        (
            gettext("What is anonymous messaging?"),
            gettext(
                "<p>When you report anonymously you can choose to keep the conversation "
                "going. You talk to a case adviser in writing, and they never learn who you "
                "are unless you decide to tell them.</p>"
            ),
        ),
        (
            gettext("How do I start?"),
            gettext(
                "<p>Near the end of the anonymous report form we ask whether you would like "
                "to use anonymous messaging. Answer yes, and when you send your report you "
                "will see a code. Select <b>Log in</b> beside it to go straight to your "
                "messages.</p>"
            ),
        ),
        (
            gettext("Why can't you send me my code again?"),
            gettext(
                "<p>We do not keep your code, only a scrambled version of it that cannot be "
                "turned back into the code. That is what keeps your messages private, and it "
                "means nobody, not even our staff, can look it up. Copy it, write it down, or "
                "save it in a password manager. If you lose it, you can make a new report and "
                "get a new code.</p>"
            ),
        ),
        (gettext("How do I come back later?"), come_back),
        (
            gettext("What can I talk about?"),
            gettext(
                "<p>You can ask what happens next, ask about support that could help you, or "
                "add to what you told us. An adviser may ask you questions too; you never "
                "have to answer them.</p>"
            ),
        ),
        (
            gettext("Will you ask for personal information?"),
            gettext(
                "<p>No. The anonymous route asks nothing that identifies you, and we do not "
                "record your internet address or device. Remember that the details of what "
                "happened can sometimes identify you, so share only what you are comfortable "
                "with.</p>"
            ),
        ),
        (
            gettext("How soon will someone reply?"),
            gettext(
                "<p>We aim to respond within {sla}, Monday to Friday, except when the office "
                "is closed. This is not an instant or emergency service: if you or someone "
                "else is in danger, call the emergency services.</p>"
            ),
        ),
        (gettext("Can we talk by email or phone instead?"), other_ways),
    ]


@dataclass(frozen=True)
class Step:
    """One thing ``set_up_site`` looked for: what it is, where, and whether it made it."""

    kind: str
    name: str
    created: bool
    # Why something was left out or left as it was, when that needs saying.
    note: str = ""


class SetupRefused(Exception):
    """Nothing could be made below the parent; the message says why."""


def set_up_site(parent):
    """Make whatever of the starting content is missing below ``parent`` (a ``Page``);
    return the ``Step``s, in the order they were looked at."""
    parent = parent.specific
    if not SupportPage.can_create_at(parent) and _existing(parent, "report") is None:
        raise SetupRefused(
            gettext("A %(type)s cannot go below “%(parent)s” (a %(parent_type)s).")
            % {
                "type": SupportPage._meta.verbose_name,
                "parent": parent.title,
                "parent_type": parent.specific_class._meta.verbose_name,
            }
        )
    steps = []
    with transaction.atomic():
        messaging = _messaging_page(parent, steps)
        report = _page(
            steps,
            parent,
            SupportPage,
            "report",
            gettext("Tell us what happened"),
            container=True,
            intro=gettext(
                "<p>Choose how you would like to tell us. Both routes reach the same team.</p>"
            ),
        )
        anonymous = _report_form(steps, report, "anonymous", messaging)
        contact = _report_form(steps, report, "with-contact-details", messaging)
        if report is not None and report.created_now and not report.page.body:
            _add_links(report.page, anonymous, contact, messaging)
        support = _page(
            steps,
            parent,
            SupportPage,
            "support",
            gettext("Support"),
            container=True,
            intro=gettext("<p>Information about reporting and the support available.</p>"),
        )
        if support is not None:
            _page(
                steps,
                support.page,
                SupportPage,
                "anonymous-messaging",
                gettext("How anonymous messaging works"),
                intro=gettext(
                    "<p>Anonymous messaging lets you talk to a case adviser about your report "
                    "while staying anonymous.</p>"
                ),
                body=[
                    ("question", {"question": question, "answer": answer})
                    for question, answer in support_questions(
                        messaging and messaging.page, contact and contact.page
                    )
                ],
            )
        steps.append(_outcomes())
        steps.append(_triage_list(CaseCategory, CATEGORIES, DEFAULT_CATEGORIES))
        steps.append(_triage_list(LocationType, LOCATION_TYPES, DEFAULT_LOCATION_TYPES))
        steps.append(_settings(parent))
        steps.append(_advisers_group())
    return steps


# --- Pages ---------------------------------------------------------------------------------


@dataclass
class _Made:
    page: object
    created_now: bool


def _existing(parent, slug):
    found = parent.get_children().filter(slug=slug).first()
    return found.specific if found is not None else None


def _publish(parent, page):
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page


def _page(steps, parent, page_class, slug, title, *, container=False, **fields):
    """The page at ``slug`` below ``parent``, made as ``page_class`` if there is none.

    An existing page of another type is left as it is and used as it is (a ``container``,
    which only holds other pages, may be of any type); None when the page can be neither
    found nor made.
    """
    if parent is None:
        return None
    existing = _existing(parent, slug)
    if existing is not None:
        note = ""
        if not container and not isinstance(existing, page_class):
            note = gettext("a %(type)s, not a %(expected)s: left as it is") % {
                "type": existing._meta.verbose_name,
                "expected": page_class._meta.verbose_name,
            }
        steps.append(Step(PAGE, _path(existing), created=False, note=note))
        return _Made(existing, created_now=False)
    if not page_class.can_create_at(parent):
        # A messaging page is one per parent: one under another address will do.
        other = (
            parent.get_children().type(page_class).first() if page_class is MessagingPage else None
        )
        if other is not None:
            steps.append(Step(PAGE, _path(other.specific), created=False))
            return _Made(other.specific, created_now=False)
        steps.append(
            Step(
                PAGE,
                f"{_path(parent)}{slug}/",
                created=False,
                note=gettext("a %(type)s cannot go below “%(parent)s”: not made")
                % {"type": page_class._meta.verbose_name, "parent": parent.title},
            )
        )
        return None
    translation_key = _translation_key(parent, slug)
    if translation_key is not None:
        # The page at the same path in another language: this one is its translation.
        fields["translation_key"] = translation_key
    page = _publish(parent, page_class(title=title, slug=slug, **fields))
    steps.append(Step(PAGE, _path(page), created=True))
    return _Made(page, created_now=True)


def _translation_key(parent, slug):
    """The translation key of the page at ``slug`` below another language's version of
    ``parent``, when it has none in ``parent``'s language yet; else None."""
    for other in parent.get_translations().order_by("depth", "pk"):
        found = other.get_children().filter(slug=slug).first()
        if found is None:
            continue
        taken = found.get_translations(inclusive=True).filter(locale_id=parent.locale_id)
        return None if taken.exists() else found.translation_key
    return None


def set_up_site_in_language(source_parent, language_code):
    """``set_up_site`` in another language: below ``source_parent``'s version in
    ``language_code`` (a copy of it for translation, published, when there is none), the
    pages worded in that language, each a translation of the page at the same path below
    ``source_parent``. Returns the steps, the first being that version of the parent."""
    if not getattr(settings, "WAGTAIL_I18N_ENABLED", False):
        raise SetupRefused(gettext("Pages in several languages need WAGTAIL_I18N_ENABLED = True."))
    if language_code not in get_content_languages():
        raise SetupRefused(
            gettext("“%(code)s” is not one of the site's languages (WAGTAIL_CONTENT_LANGUAGES).")
            % {"code": language_code}
        )
    locale = Locale.objects.filter(language_code=language_code).first()
    if locale is None:
        locale = Locale.objects.create(language_code=language_code)
    source_parent = source_parent.specific
    parent = source_parent.get_translation_or_none(locale)
    steps = []
    if parent is None:
        parent = source_parent.copy_for_translation(locale)
        parent.save_revision().publish()
        steps.append(Step(PAGE, _path(parent), created=True))
    else:
        steps.append(Step(PAGE, _path(parent), created=False))
    with translation.override(language_code):
        steps += set_up_site(parent.specific)
    _categories_read_options_in(language_code)
    footer_step = _footer_links_in(parent, locale)
    if footer_step is not None:
        steps.append(footer_step)
    return steps


def _footer_links_in(parent, locale):
    """The site's footer links in ``locale``'s language, as links of that language: made
    only when every label of the links without a language is one of the app's own words
    (such as "Support"), which it can translate; an editor's own label has no translation
    here, and then the language keeps showing the links without a language (each to its
    page in that language). None when the site has no such links."""
    site = parent.get_site()
    site_settings = reporting_settings.for_site(site) if site is not None else None
    if site_settings is None or site_settings.pk is None:
        return None
    links = list(
        ReportingFooterLink.objects.filter(settings=site_settings, locale=None).order_by(
            "sort_order", "pk"
        )
    )
    if not links:
        return None
    language = locale.get_display_name()
    if ReportingFooterLink.objects.filter(settings=site_settings, locale=locale).exists():
        return Step(FOOTER_LINKS, language, created=False)
    with translation.override(locale.language_code):
        labels = [gettext(link.label) for link in links]
    untranslated = [
        link.label for link, label in zip(links, labels, strict=True) if label == link.label
    ]
    if untranslated:
        return Step(
            FOOTER_LINKS,
            language,
            created=False,
            note=gettext(
                "no translation of %(labels)s: the links without a language are shown, to "
                "their pages in this language; add this language's links in Settings > "
                "Reporting settings"
            )
            % {"labels": ", ".join(f"“{label}”" for label in untranslated)},
        )
    for link, label in zip(links, labels, strict=True):
        page = link.page.get_translation_or_none(locale) if link.page_id else None
        ReportingFooterLink.objects.create(
            settings=site_settings,
            sort_order=link.sort_order,
            label=label,
            page=page or link.page,
            url=link.url,
            locale=locale,
        )
    return Step(FOOTER_LINKS, f"{language}: {', '.join(labels)}", created=True)


def _categories_read_options_in(language_code):
    """The default categories also take the category question's options as worded in
    ``language_code`` (``CaseCategory.form_options``), so a report on the translated form
    arrives categorised like one on the original."""
    with translation.override(settings.LANGUAGE_CODE):
        by_name = {str(choice): choice for choice in DEFAULT_CATEGORIES}
    for category in CaseCategory.objects.filter(name__in=by_name):
        with translation.override(language_code):
            worded = str(by_name[category.name])
        lines = category.form_options.splitlines()
        if worded != category.name and worded not in lines:
            category.form_options = "\n".join([*lines, worded]).strip()
            category.save(update_fields=["form_options"])


def _path(page):
    """The page's address below its site's root, such as /report/anonymous/."""
    for site_root in Site.get_site_root_paths():
        if page.url_path.startswith(site_root.root_path):
            return "/" + page.url_path[len(site_root.root_path) :]
    return page.url_path


def _messaging_page(parent, steps):
    made = _page(
        steps,
        parent,
        MessagingPage,
        "messaging",
        gettext("Anonymous messaging"),
        intro=gettext(
            "<p>Read your report and talk to a case adviser without telling us who you are.</p>"
        ),
        login_help=gettext(
            "<p>Enter the code you were given when you sent your report. You can paste it. We "
            "cannot recover a lost code: if you have lost yours, you can make a new "
            "report.</p>"
        ),
        conversation_help=gettext(
            "<p>An adviser reads every message you send here. This is not an emergency service.</p>"
        ),
        logout_text=gettext(
            "<p>You have logged out. To read your messages again, log in with your code.</p>"
        ),
    )
    if made is not None and not isinstance(made.page, MessagingPage):
        return None
    return made


def _report_form(steps, report, slug, messaging):
    if report is None:
        return None
    anonymous = slug == "anonymous"
    made = _page(
        steps,
        report.page,
        ReportFormPage,
        slug,
        gettext("Report anonymously") if anonymous else gettext("Report with contact details"),
        reporting_route=Case.Route.ANONYMOUS if anonymous else Case.Route.CONTACT,
        # New cases arrive categorised from this question (DEFAULT_CATEGORIES).
        category_question=gettext("What kind of behaviour was it?"),
        messaging_page=messaging.page if messaging is not None else None,
        intro=(
            gettext(
                "<p>We will not ask for your name or anything else that identifies you. Only "
                "share what you are comfortable with.</p>"
            )
            if anonymous
            else gettext(
                "<p>Tell us what happened and how to reach you. A case adviser will contact "
                "you to talk about support and what happens next, usually within {sla}.</p>"
            )
        )
        + _not_an_emergency(),
        contact_intro=gettext("<p>Only the advisers handling your report can see these.</p>"),
        thank_you_text=(
            gettext("<p>Thank you for telling us. A case adviser will read your report.</p>")
            if anonymous
            else gettext(
                "<p>Thank you for telling us. A case adviser will contact you within {sla}, "
                "the way you asked.</p>"
            )
        ),
        code_text=gettext(
            "<p>Keep the code somewhere only you can reach, such as a password manager. Anyone "
            "with the code can read your report.</p>"
        ),
        form_fields=[
            ReportFormField(sort_order=position, **question)
            for position, question in enumerate(report_questions())
        ],
    )
    if made is not None and not isinstance(made.page, ReportFormPage):
        return None
    return made


def _add_links(report_page, anonymous, contact, messaging):
    """The "Tell us what happened" page lists both forms and the messaging log-in."""
    items = []
    if anonymous is not None:
        items.append(
            gettext(
                "<li>%(link)s: we will not ask who you are. You can choose to get a code so "
                "that you can read your report again and talk to a case adviser, still "
                "without telling us who you are.</li>"
            )
            % {"link": _link(anonymous.page, gettext("Report anonymously"))}
        )
    if contact is not None:
        items.append(
            gettext(
                "<li>%(link)s: a case adviser will get in touch to talk about support and "
                "what happens next.</li>"
            )
            % {"link": _link(contact.page, gettext("Report with your contact details"))}
        )
    text = f"<ul>{''.join(items)}</ul>" if items else ""
    if messaging is not None:
        text += gettext(
            "<p>Already have a code? %(link)s to read your report and messages.</p>"
        ) % {"link": _link(messaging.page, gettext("Log in to anonymous messaging"))}
    text += _not_an_emergency()
    report_page.body = [("text", text)]
    report_page.save_revision().publish()


# --- Everything else -----------------------------------------------------------------------


def _outcomes():
    """The default outcomes, on a site that has none: a list an administrator has edited,
    or emptied of one outcome, stays as they left it."""
    count = CaseOutcome.objects.count()
    if count:
        return Step(
            OUTCOMES,
            gettext("%(count)d already set up") % {"count": count},
            created=False,
        )
    # One list for the site, named in its default language, whatever language the pages
    # are being set up in: a second language must not add a second list.
    with translation.override(settings.LANGUAGE_CODE):
        for position, name in enumerate(DEFAULT_OUTCOMES):
            CaseOutcome.objects.create(name=str(name), sort_order=position)
    return Step(
        OUTCOMES,
        ", ".join(str(name) for name in DEFAULT_OUTCOMES),
        created=True,
    )


def _triage_list(model, what, names):
    """A list advisers pick from, on a site that has none, like the outcomes."""
    count = model.objects.count()
    if count:
        return Step(what, gettext("%(count)d already set up") % {"count": count}, created=False)
    with translation.override(settings.LANGUAGE_CODE):  # one list, as for the outcomes
        for position, name in enumerate(names):
            model.objects.create(name=str(name), sort_order=position)
    return Step(what, ", ".join(str(name) for name in names), created=True)


def set_up_triage_lists():
    """The default categories and location types where there are none (the demo's seed)."""
    return [
        _triage_list(CaseCategory, CATEGORIES, DEFAULT_CATEGORIES),
        _triage_list(LocationType, LOCATION_TYPES, DEFAULT_LOCATION_TYPES),
    ]


def _settings(parent):
    site = parent.get_site()
    if site is None:
        return Step(
            SETTINGS,
            parent.title,
            created=False,
            note=gettext("no site serves this page, so it has no reporting settings"),
        )
    name = site.site_name or site.hostname
    if reporting_settings.for_site(site).pk is not None:
        return Step(SETTINGS, name, created=False)
    reporting_settings.create_for_site(site)
    return Step(SETTINGS, name, created=True)


def _advisers_group():
    """The group new cases are assigned to (INTAKE_TEAM), with the advisers' permissions."""
    name = get_setting("INTAKE_TEAM") or permissions.ADVISERS_GROUP
    group, created = Group.objects.get_or_create(name=name)
    if created:
        for app_label, codename in permissions.ADVISER_PERMISSIONS:
            permission = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if permission is not None:
                group.permissions.add(permission)
    return Step(GROUP, name, created=created)
