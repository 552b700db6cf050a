"""Small builders for the tests: users, cases, and the reporter pages a test needs.

Each builds only what it is asked for, inside the test's own transaction, so a test
that needs a report form gets a report form and not the whole demo (``seed_demo``,
which only tests/test_demo.py seeds, once). Plain functions rather than a factory
library: Wagtail pages go into a tree (``add_child``), which a builder says plainly.

``reporter_site()`` lays out the reporter pages at the demo's addresses
(tests/reporter_journey.py names them), with the demo's questions, so the helpers
that fill in forms work on either.
"""

from types import SimpleNamespace

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from home.models import HomePage
from wagtail.models import Page, Site

from anon_messaging import cases
from anon_messaging.models import Case, ReportingSettings
from anon_messaging.pages import MessagingPage, ReportFormField, ReportFormPage, SupportPage

CASE_ADVISERS = "Case advisers"  # the intake team anon_messaging's migrations create
PASSWORD = "test-password"
SLA = "3 working days"

# The demo's questions (example_site/home/management/commands/seed_demo.py), which the
# form helpers in tests/reporter_journey.py answer.
QUESTIONS = [
    {"label": "What happened?", "field_type": "multiline", "required": True},
    {
        "label": "What kind of behaviour was it?",
        "field_type": "checkboxes",
        "required": True,
        "choices": "Bullying\nDiscrimination\nHarassment or stalking\nHate\nNot sure\nOther",
    },
    {"label": "When did it happen?", "field_type": "singleline", "required": False},
    {"label": "Where did it happen?", "field_type": "singleline", "required": False},
    {
        "label": "Has this happened before?",
        "field_type": "radio",
        "required": False,
        "choices": "Yes\nNo\nNot sure",
    },
]

# Editor text holding {sla} where tests look for the site's response time.
CONTACT_INTRO = "<p>A case adviser will contact you, usually within {sla}.</p>"
CONTACT_THANK_YOU = "<p>A case adviser will contact you within {sla}, the way you asked.</p>"
CONVERSATION_HELP = "<p>We aim to respond within {sla}.</p>"
SUPPORT_QUESTIONS = [
    (
        "How soon will someone reply?",
        "<p>We aim to respond within {sla}, Monday to Friday, except when the office is "
        "closed.</p>",
    ),
]


# --- People ---------------------------------------------------------------------------------


def make_user(username, *, groups=(), permissions=(), password=PASSWORD, **flags):
    """A user named ``username`` (email ``username@example.org``), in ``groups`` by name."""
    user = get_user_model().objects.create_user(
        username=username,
        email=f"{username}@example.org",
        password=password,
        first_name=username.capitalize(),
        **flags,
    )
    for name in groups:
        user.groups.add(Group.objects.get(name=name))
    for codename in permissions:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    return user


def make_superuser(username="admin", **flags):
    return make_user(username, is_superuser=True, is_staff=True, **flags)


def make_adviser(username="adviser", **flags):
    """A member of the intake team, as the demo's ``adviser``."""
    return make_user(username, groups=[CASE_ADVISERS], **flags)


# --- Cases ----------------------------------------------------------------------------------


def make_case(
    *,
    route=Case.Route.ANONYMOUS,
    adviser=None,
    team=None,
    what_happened="Something happened.",
    opt_in=True,
    contact=None,
    site=None,
):
    """A case as a reporter's submission makes it, then assigned as given. Returns (case, code)."""
    if route == Case.Route.CONTACT and contact is None:
        contact = {
            "name": "Rowan Reporter",
            "email": "rowan@example.net",
            "phone": "+44 20 7946 0001",
            "preferred_method": "email",
        }
    case, code = cases.create_case(
        route=route,
        answers=[{"label": "What happened?", "type": "multiline", "value": what_happened}],
        site=site,
        form_page=None,
        submission_token=None,
        opt_in=opt_in and route == Case.Route.ANONYMOUS,
        contact=contact,
    )
    Case.objects.filter(pk=case.pk).update(assigned_to=adviser, assigned_team=team)
    case.refresh_from_db()
    return case, code


# --- Pages ----------------------------------------------------------------------------------


def default_site():
    return Site.objects.get(is_default_site=True)


def add_page(parent, page):
    """``page`` as a live child of ``parent`` (no revision: nothing here needs one)."""
    parent.add_child(instance=page)
    return page


def home_page(*, site=None, title="Report and Support", slug="report-and-support", **fields):
    """A reporter landing page (the example site's HomePage) as the site's root, like the demo's."""
    site = site or default_site()
    home = add_page(Page.get_first_root_node(), HomePage(title=title, slug=slug, **fields))
    site.root_page = home
    site.save()
    return home


def report_form_page(
    parent,
    *,
    slug="anonymous",
    title=None,
    route=Case.Route.ANONYMOUS,
    questions=QUESTIONS,
    page_class=ReportFormPage,
    field_class=ReportFormField,
    **fields,
):
    """A report form with ``questions``; ``page_class`` and ``field_class`` for a site's own."""
    if title is None:
        title = (
            "Report anonymously" if route == Case.Route.ANONYMOUS else "Report with contact details"
        )
    page = page_class(title=title, slug=slug, reporting_route=route, **fields)
    page.form_fields = [
        field_class(sort_order=order, **question) for order, question in enumerate(questions)
    ]
    return add_page(parent, page)


def messaging_page(
    parent, *, slug="messaging", title="Anonymous messaging", page_class=MessagingPage, **fields
):
    return add_page(parent, page_class(title=title, slug=slug, **fields))


def support_page(parent, *, slug="support", title="Support", page_class=SupportPage, **fields):
    return add_page(parent, page_class(title=title, slug=slug, **fields))


def questions_block(pairs):
    return [("question", {"question": question, "answer": answer}) for question, answer in pairs]


def reporting_settings(site=None, **values):
    """The site's Reporting settings, with ``values`` saved."""
    site_settings = ReportingSettings.for_site(site or default_site())
    for name, value in values.items():
        setattr(site_settings, name, value)
    site_settings.save()
    return site_settings


def reporter_site(*, sla=SLA):
    """The reporter pages at the demo's addresses, and the response time ``sla``.

    / (a HomePage), /report/ with /report/anonymous/ and /report/with-contact-details/,
    /messaging/, and /support/ with /support/anonymous-messaging/. No users, no cases.
    """
    site = default_site()
    home = home_page(site=site, body="<p>Tell us what happened.</p>")
    report_hub = support_page(home, slug="report", title="Tell us what happened")
    messaging = messaging_page(home, conversation_help=CONVERSATION_HELP)
    anonymous = report_form_page(report_hub, messaging_page=messaging)
    contact = report_form_page(
        report_hub,
        slug="with-contact-details",
        route=Case.Route.CONTACT,
        messaging_page=messaging,
        intro=CONTACT_INTRO,
        thank_you_text=CONTACT_THANK_YOU,
    )
    support = support_page(home)
    faq = support_page(
        support,
        slug="anonymous-messaging",
        title="How anonymous messaging works",
        body=questions_block(SUPPORT_QUESTIONS),
    )
    return SimpleNamespace(
        site=site,
        home=home,
        report_hub=report_hub,
        anonymous_form=anonymous,
        contact_form=contact,
        messaging=messaging,
        support=support,
        faq=faq,
        settings=reporting_settings(site, sla_text=sla),
    )
