"""Build the demo site: pages, wording, settings and demo-only users. Safe to run again."""

import io
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw
from wagtail.models import Locale, Page, Site

from anon_messaging import cases, deadlines, file_cleaning, reporting_settings, site_setup
from anon_messaging.models import (
    Case,
    CaseOutcome,
    Message,
    ReportingFooterLink,
    ReportingWording,
)
from anon_messaging.pages import (
    MessagingPage,
    ReportFormField,
    ReportFormPage,
    StatisticsPage,
    SupportPage,
)
from home.models import HomePage

DEMO_PASSWORD = "changeme"  # noqa: S105 - demo only, printed in the README

BEHAVIOUR_CHOICES = "\n".join(
    [
        # Alphabetical so that no kind of behaviour is suggested first; the catch-alls last.
        "Assault",
        "Bullying",
        "Discrimination",
        "Domestic or relationship abuse",
        "Freedom of speech",
        "Harassment or stalking",
        "Harassment related to a protected characteristic",
        "Hate",
        "Sexual misconduct",
        "Wellbeing concern",
        "Not sure",
        "Other",
    ]
)

SITE_NAME = "Report and Support (demo)"
# The footer links' labels, in order: to the privacy notice, support and emergency contacts.
FOOTER_LABELS = ("Privacy notice", "Support services", "Emergency contacts")


@dataclass(frozen=True)
class DemoLanguage:
    """The demo's words in another language that the app's translations do not hold: the
    home page's title and text, the site's name, the advisers' name (ReportingWording;
    the response time keeps each language's standard words, so changing the numbers never
    needs a translator) and the footer links' labels, in the order of FOOTER_LABELS. The
    rest comes from the app's own translations through site_setup."""

    home_title: str
    home_body: str
    site_name: str
    adviser_name: str
    footer_labels: tuple


OTHER_LANGUAGES = {
    "cy": DemoLanguage(
        home_title="Adrodd a Chymorth",
        home_body="<p>Dywedwch wrthym beth ddigwyddodd: yn ddienw, neu gyda'ch manylion "
        "cyswllt.</p>"
        '<ul><li><a href="/cy/report/">Dywedwch wrthym beth ddigwyddodd</a></li>'
        '<li><a href="/cy/messaging/">Negeseua dienw</a></li>'
        '<li><a href="/cy/support/">Cymorth</a></li></ul>'
        "<p><strong>Nid gwasanaeth brys yw hwn.</strong> Os ydych chi neu rywun arall mewn "
        "perygl nawr, ffoniwch 999 (neu 112).</p>",
        site_name="Adrodd a Chymorth (demo)",
        adviser_name="Eich cynghorydd achos",
        footer_labels=("Hysbysiad preifatrwydd", "Gwasanaethau cymorth", "Cysylltiadau brys"),
    ),
    "ar": DemoLanguage(
        home_title="الإبلاغ والدعم",
        home_body="<p>أخبرنا بما حدث: دون الكشف عن هويتك، أو مع بيانات الاتصال الخاصة بك.</p>"
        '<ul><li><a href="/ar/report/">أخبرنا بما حدث</a></li>'
        '<li><a href="/ar/messaging/">المراسلة المجهولة</a></li>'
        '<li><a href="/ar/support/">الدعم</a></li></ul>'
        "<p><strong>هذه ليست خدمة طوارئ.</strong> إذا كنت أنت أو شخص آخر في خطر الآن، "
        "فاتصل بالرقم 999 (أو 112).</p>",
        site_name="الإبلاغ والدعم (تجريبي)",
        adviser_name="مستشار قضيتك",
        footer_labels=("إشعار الخصوصية", "خدمات الدعم", "جهات الاتصال في حالات الطوارئ"),
    ),
}

DEMO_CASE_TOKEN = "demo-seed-case-"
DEMO_OUTCOMES = [
    "Advice and support given",
    "Referred to a formal process",
    "Resolved informally",
    "No further action, as the reporter chose",
]

QUESTIONS = [
    {
        "label": "What happened?",
        "field_type": "multiline",
        "required": True,
        "help_text": "In your own words, as much or as little as you want to share. "
        "Details such as names, dates and places may identify you.",
        "error_message": "Enter what happened.",
    },
    {
        "label": "What kind of behaviour was it?",
        "field_type": "checkboxes",
        "required": True,
        "choices": BEHAVIOUR_CHOICES,
        "help_text": "Choose all that apply.",
        "error_message": "Select what kind of behaviour it was.",
    },
    {
        "label": "When did it happen?",
        "field_type": "singleline",
        "required": False,
        "help_text": "A date, a rough time such as “last term”, or “it is still happening”.",
    },
    {
        "label": "Where did it happen?",
        "field_type": "singleline",
        "required": False,
        "help_text": "For example a building, a part of campus or online.",
    },
    {
        "label": "Has this happened before?",
        "field_type": "radio",
        "required": False,
        "choices": "Yes\nNo\nNot sure",
    },
]

HOME_BODY = """
<p>If something has happened to you, or you saw something happen to someone else, you can
tell us here. Nobody needs your permission, and you decide how much to share.</p>
<h2>Two ways to tell us what happened</h2>
<ul>
<li><a href="/report/anonymous/">Report anonymously</a>: we will not ask who you are. You can
choose to get a code so that you can read your report again and talk to a case adviser, still
without telling us who you are.</li>
<li><a href="/report/with-contact-details/">Report with your contact details</a>: a case adviser
will get in touch to talk about support and what happens next.</li>
</ul>
<h2>Already have a code?</h2>
<p><a href="/messaging/">Log in to anonymous messaging</a> to read your report and your
messages.</p>
<p><a href="/support/anonymous-messaging/">How anonymous messaging works</a></p>
<p><strong>This is not an emergency service.</strong> If you or someone else is in danger now,
call 999 (or 112).</p>
"""

SUPPORT_BODY = [
    (
        "What is anonymous messaging?",
        "<p>When you report anonymously you can choose to keep the conversation going. You "
        "talk to a case adviser in writing, and they never learn who you are unless you "
        "decide to tell them.</p>",
    ),
    (
        "How do I start?",
        "<p>Near the end of the anonymous report form we ask whether you would like to use "
        "anonymous messaging. Answer yes, and when you send your report you will see a "
        "16-character code. Select <b>Log in</b> beside it to go straight to your "
        "messages.</p>",
    ),
    (
        "Why can't you send me my code again?",
        "<p>We do not keep your code, only a scrambled version of it that cannot be turned "
        "back into the code. That is what keeps your messages private, and it means nobody, "
        "not even our staff, can look it up. Copy it, write it down, or save it in a password "
        "manager. If you lose it, you can make a new report and get a new code.</p>",
    ),
    (
        "How do I come back later?",
        '<p>Go to the <a href="/messaging/">messaging page</a> and enter your code. You can '
        "paste it, and capitals, spaces and dashes do not matter. When you finish, select "
        "<b>Log out</b>; you are also logged out when you close the browser or leave the page "
        "unused for a while.</p>",
    ),
    (
        "What can I talk about?",
        "<p>You can ask what happens next, ask about support that could help you, or add to "
        "what you told us. An adviser may ask you questions too; you never have to answer "
        "them.</p>",
    ),
    (
        "Will you ask for personal information?",
        "<p>No. The anonymous route asks nothing that identifies you, and we do not record "
        "your internet address or device. Remember that the details of what happened can "
        "sometimes identify you, so share only what you are comfortable with.</p>",
    ),
    (
        "How soon will someone reply?",
        "<p>We aim to respond within {sla}, Monday to Friday, except when the office is "
        "closed. This is not an instant or emergency service: if you or someone else is in "
        "danger, call 999 (or 112).</p>",
    ),
    (
        "Can we talk by email or phone instead?",
        '<p>Yes: use the <a href="/report/with-contact-details/">report with contact '
        "details</a>, and tell us how you would like us to get in touch.</p>",
    ),
]


PRIVACY_BODY = [
    (
        "What we keep",
        "<p>What you tell us in a report and in messages, stored encrypted, and, if you report "
        "with your contact details, how to reach you. We do not record your internet address, "
        "your device or the page you came from.</p>",
    ),
    (
        "Who can read it",
        "<p>Only the case advisers who handle reports. Your contact details are shown only to "
        "advisers allowed to see them, and every viewing is recorded.</p>",
    ),
    (
        "How long we keep it",
        "<p>A closed case is deleted, with its messages, a year after it was closed.</p>",
    ),
]

EMERGENCY_BODY = (
    "<p><strong>If you or someone else is in danger now, call 999 (or 112).</strong></p>"
    "<p>For urgent medical help that is not an emergency, call 111.</p>"
    "<p>Samaritans are there day and night, for anyone who is struggling: call 116 123, "
    "free.</p>"
)

# A group of the demo's own, so that its editor may word the response time and the footer
# links in the Reporting settings (Wagtail's permission for the setting).
SETTINGS_EDITORS = "Reporting settings editors"
# The demo's manager: sees the statistics and no case.
STATISTICS_READERS = "Statistics readers"


def demo_photo():
    """A phone photo of a chat, made here, with the EXIF a phone adds (a made-up location
    and camera), so the demo shows what cleaning removes."""
    image = Image.new("RGB", (480, 640), (236, 239, 241))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 480, 56), fill=(55, 71, 79))
    draw.text((20, 20), "Messages (demo)", fill=(255, 255, 255))
    bubbles = [
        (True, "Why weren't you at the meeting?"),
        (True, "Answer me. I know where you live."),
        (False, "Please stop messaging me."),
        (True, "You'll regret this."),
    ]
    top = 80
    for theirs, text in bubbles:
        left = 20 if theirs else 180
        fill = (255, 255, 255) if theirs else (200, 230, 201)
        draw.rounded_rectangle((left, top, left + 280, top + 56), radius=14, fill=fill)
        draw.text((left + 14, top + 20), text, fill=(33, 33, 33))
        top += 84
    exif = Image.Exif()
    exif[0x010F] = "DemoPhone"
    exif[0x0110] = "Demo Model X"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (51.0, 30.0, 26.0), "W", (0.0, 7.0, 39.0)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=88, exif=exif)
    return buffer.getvalue()


class Command(BaseCommand):
    help = (
        "Create the demo pages, settings and demo-only users (admin, adviser, adviser2, editor, "
        "manager)."
    )

    @transaction.atomic
    def handle(self, *args, **options):
        # Before the forms and cases: the forms' category question maps to these.
        site_setup.set_up_triage_lists()
        home = self.home_page()
        report = self.child(
            home,
            SupportPage,
            "report",
            "Tell us what happened",
            intro=("<p>Choose how you would like to tell us. Both routes reach the same team.</p>"),
        )
        messaging = self.child(
            home,
            MessagingPage,
            "messaging",
            "Anonymous messaging",
            intro=(
                "<p>Read your report and talk to a case adviser without telling us who you are.</p>"
            ),
            login_help=(
                "<p>Enter the 16-character code you were given when you sent your report. You can "
                "paste it. We cannot recover a lost code: if you have lost yours, you can "
                '<a href="/report/anonymous/">make a new report</a>.</p>'
            ),
            conversation_help=(
                "<p>An adviser reads every message you send here. This is not an emergency "
                "service.</p>"
            ),
            logout_text=(
                "<p>You have logged out. To read your messages again, log in with your code.</p>"
            ),
        )
        self.report_form(report, "anonymous", "Report anonymously", "anonymous", messaging)
        self.report_form(
            report, "with-contact-details", "Report with contact details", "contact", messaging
        )
        support = self.child(
            home,
            SupportPage,
            "support",
            "Support",
            intro=("<p>Information about reporting and the support available.</p>"),
        )
        faq = self.child(
            support,
            SupportPage,
            "anonymous-messaging",
            "How anonymous messaging works",
            intro="<p>Anonymous messaging lets you talk to a case adviser about "
            "your report while staying anonymous.</p>",
            search_description="Talk to a case adviser about your report without telling "
            "us who you are.",
        )
        if not faq.body:
            faq.body = [("question", {"question": q, "answer": a}) for q, a in SUPPORT_BODY]
            faq.save_revision().publish()
        privacy = self.child(
            support,
            SupportPage,
            "privacy",
            "Privacy notice",
            intro="<p>What we keep when you report, who can read it and for how long.</p>",
            search_description="What we keep when you report, who can read it and for how long.",
            body=[("question", {"question": q, "answer": a}) for q, a in PRIVACY_BODY],
        )
        emergency = self.child(
            support,
            SupportPage,
            "emergency-contacts",
            "Emergency contacts",
            intro="<p>This reporting service is not an emergency service.</p>",
            search_description="Who to call if you or someone else is in danger now.",
            body=[("text", EMERGENCY_BODY)],
        )
        # Published figures: suppressed counts only, as an editor would place them.
        self.child(
            support,
            StatisticsPage,
            "figures",
            "Reports in figures",
            intro="<p>How many reports we received this academic year, and how we "
            "responded. Counts small enough to point at anyone are never shown.</p>",
            search_description="How many reports we received this year, and how we responded.",
            granularity="term",
            tables="received,route,category,status,first_reply",
        )

        site = Site.objects.get(root_page=home)
        site_settings = reporting_settings.create_for_site(site)
        # Demo-only address, so escalations of overdue cases show in the console output.
        site_settings.manager_emails = site_settings.manager_emails or "manager@example.org"
        site_settings.save()
        linked_pages = [privacy, support, emergency]
        if not site_settings.footer_links.exists():
            for order, (label, page) in enumerate(zip(FOOTER_LABELS, linked_pages, strict=True)):
                ReportingFooterLink.objects.create(
                    settings=site_settings, sort_order=order, label=label, page=page
                )
        self.other_languages(home, site_settings, linked_pages)
        self.users()
        self.demo_cases(site)
        self.overdue_demo_cases(site)
        self.stdout.write(self.style.SUCCESS("Demo site ready at http://127.0.0.1:8000/"))

    def other_languages(self, home, site_settings, linked_pages):
        """The reporter pages in Welsh (/cy/...) and Arabic (/ar/...), worded by the app's
        translations, with each language's own name for the site and the advisers, and its
        own footer links (to the linked pages in that language, where they have one)."""
        for language, words in OTHER_LANGUAGES.items():
            site_setup.set_up_site_in_language(home, language)
            locale = Locale.objects.get(language_code=language)
            translated_home = home.get_translation(locale)
            if translated_home.title != words.home_title:
                translated_home.title = words.home_title
                translated_home.body = words.home_body
                translated_home.save_revision().publish()
            wording, _created = ReportingWording.objects.get_or_create(
                settings=site_settings,
                locale=locale,
                defaults={"adviser_display_name": words.adviser_name},
            )
            if not wording.site_name:
                # Also for a demo seeded before sites had a name in each language.
                wording.site_name = words.site_name
                wording.save(update_fields=["site_name"])
            if not site_settings.footer_links.filter(locale=locale).exists():
                for order, (label, page) in enumerate(
                    zip(words.footer_labels, linked_pages, strict=True)
                ):
                    ReportingFooterLink.objects.create(
                        settings=site_settings,
                        sort_order=order,
                        label=label,
                        page=page.get_translation_or_none(locale) or page,
                        locale=locale,
                    )

    def home_page(self):
        site = Site.objects.filter(is_default_site=True).first()
        existing = HomePage.objects.first()
        if existing:
            return existing
        root = Page.get_first_root_node()
        home = HomePage(title="Report and Support", slug="report-and-support", body=HOME_BODY)
        root.add_child(instance=home)
        home.save_revision().publish()
        if site is None:
            Site.objects.create(
                hostname="localhost",
                port=80,
                root_page=home,
                is_default_site=True,
                site_name=SITE_NAME,
            )
        else:
            old_root = site.root_page
            site.root_page = home
            site.site_name = SITE_NAME
            site.save()
            if old_root.specific_class is Page and old_root.depth == 2:
                old_root.delete()  # Wagtail's "Welcome" placeholder
        return home

    def child(self, parent, page_class, slug, title, **fields):
        existing = parent.get_children().filter(slug=slug).first()
        if existing:
            return existing.specific
        page = page_class(title=title, slug=slug, **fields)
        parent.add_child(instance=page)
        page.save_revision().publish()
        return page

    def report_form(self, parent, slug, title, route, messaging):
        existing = parent.get_children().filter(slug=slug).first()
        if existing:
            form = existing.specific
            if not form.category_question:
                # A demo seeded before the category question: mark it now.
                form.category_question = "What kind of behaviour was it?"
                form.save_revision().publish()
            return form
        anonymous = route == "anonymous"
        page = ReportFormPage(
            title=title,
            slug=slug,
            reporting_route=route,
            # New cases arrive with the categories named like the options chosen here.
            category_question="What kind of behaviour was it?",
            messaging_page=messaging,
            search_description=(
                "We will not ask who you are. You can choose to get a code to talk to a case "
                "adviser, still anonymously."
                if anonymous
                else "Tell us how to reach you, and a case adviser will get in touch."
            ),
            intro=(
                "<p>We will not ask for your name or anything else that identifies you. Only "
                "share what you are comfortable with.</p><p>This is not an emergency service: "
                "if you are in danger now, call 999 (or 112).</p>"
                if anonymous
                else "<p>Tell us what happened and how to reach you. A case adviser will "
                "contact you to talk about support and what happens next, usually within "
                "{sla}.</p><p>This is not an emergency service: if you are in danger now, "
                "call 999 (or 112).</p>"
            ),
            contact_intro="<p>Only the advisers handling your report can see these.</p>",
            thank_you_text=(
                "<p>Thank you for telling us. A case adviser will read your report.</p>"
                if anonymous
                else "<p>Thank you for telling us. A case adviser will contact you within "
                "{sla}, the way you asked.</p>"
            ),
            code_text=(
                "<p>Keep the code somewhere only you can reach, such as a password manager. "
                "Anyone with the code can read your report.</p>"
            ),
        )
        page.form_fields = [ReportFormField(sort_order=i, **q) for i, q in enumerate(QUESTIONS)]
        parent.add_child(instance=page)
        page.save_revision().publish()
        return page

    def users(self):
        user_model = get_user_model()
        # Created, with its permissions, by anon_messaging's migrations.
        advisers = Group.objects.get(name="Case advisers")
        # Wagtail's: edit pages and submit them for moderation; publishing is the
        # Moderators' (the admin user here), through Wagtail's default workflow.
        editors = Group.objects.filter(name="Editors").first()
        settings_editors = self.settings_editors_group()
        specs = [
            ("admin", {"is_superuser": True, "is_staff": True}, ()),
            ("adviser", {}, (advisers,)),
            # A second adviser in the same team, to show conflicts of interest: excluded
            # from one demo case, they see the team's other cases but never that one.
            ("adviser2", {}, (advisers,)),
            ("editor", {}, (editors, settings_editors)),
            ("manager", {}, (self.statistics_readers_group(),)),
        ]
        for username, flags, groups in specs:
            user, created = user_model.objects.get_or_create(
                username=username, defaults={"email": f"{username}@example.org", **flags}
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
            for group in groups:
                if group is not None:
                    user.groups.add(group)
        self.stdout.write(
            "Demo-only users admin, adviser, adviser2, editor and manager, password “changeme”. "
            "Never create these on a real site."
        )

    def settings_editors_group(self):
        """Wagtail's own permission for the Reporting settings, and the admin's door."""
        group, _created = Group.objects.get_or_create(name=SETTINGS_EDITORS)
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="anon_messaging", codename="change_reportingsettings"
            ),
            *Permission.objects.filter(
                content_type__app_label="wagtailadmin", codename="access_admin"
            ),
        )
        return group

    def statistics_readers_group(self):
        """The admin's door and the statistics: figures, and no case."""
        group, _created = Group.objects.get_or_create(name=STATISTICS_READERS)
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="anon_messaging", codename="view_statistics"
            ),
            *Permission.objects.filter(
                content_type__app_label="wagtailadmin", codename="access_admin"
            ),
        )
        return group

    # --- Demo cases for the advisers' area -------------------------------------------

    def demo_cases(self, site):
        """A few cases in several states, so an adviser sees a populated list. Made once."""
        for name in DEMO_OUTCOMES:
            CaseOutcome.objects.get_or_create(name=name)
        if Case.objects.filter(submission_token__startswith=DEMO_CASE_TOKEN).exists():
            return
        user_model = get_user_model()
        adviser = user_model.objects.get(username="adviser")
        admin = user_model.objects.get(username="admin")
        # The English forms (the Welsh and Arabic ones have the same slugs).
        english = ReportFormPage.objects.filter(locale=site.root_page.locale)
        anonymous_form = english.get(slug="anonymous")
        contact_form = english.get(slug="with-contact-details")

        def report(number, form, what_happened, *, days_ago, **kwargs):
            answers = [
                {"label": "What happened?", "type": "multiline", "value": what_happened},
                {
                    "label": "What kind of behaviour was it?",
                    "type": "checkboxes",
                    "value": kwargs.pop("kinds", ["Bullying"]),
                },
            ]
            case, _code = cases.create_case(
                route=form.reporting_route,
                answers=answers,
                # As the form does: categorised from the category question's answer.
                categories=form.categories_for(answers),
                site=site,
                form_page=form,
                submission_token=f"{DEMO_CASE_TOKEN}{number}",
                # The code is thrown away: nobody can log in to a demo case as its reporter.
                opt_in=kwargs.pop("opt_in", True),
                **kwargs,
            )
            received = case.created_at - timedelta(days=days_ago)
            Case.objects.filter(pk=case.pk).update(
                created_at=received,
                awaiting_since=received,
                response_due_at=deadlines.response_due_at(site, received),
            )
            case.refresh_from_db()
            return case

        report(1, anonymous_form, "Demo: comments about my accent in every seminar.", days_ago=0)

        ongoing = report(
            2,
            anonymous_form,
            "Demo: a member of staff keeps messaging me late at night.",
            days_ago=1,
            kinds=["Harassment or stalking"],
        )
        cases.assign(ongoing, user=admin, adviser=adviser, team=ongoing.assigned_team)
        cases.open_case(ongoing, user=adviser)
        cases.post_message(
            ongoing,
            sender=Message.Sender.REPORTER,
            body="Demo: it happened again yesterday. A photo of the messages is attached.",
            # Cleaned as an upload is: the made-up location and camera are removed.
            files=[file_cleaning.clean_file(demo_photo())],
        )
        cases.reply(
            ongoing,
            author=adviser,
            body="Demo: thank you for telling us. Would you like to talk about support options?",
        )
        cases.post_message(
            ongoing, sender=Message.Sender.REPORTER, body="Demo: yes please, what can you offer?"
        )
        cases.add_note(
            ongoing, author=adviser, body="Demo: check the wellbeing team's availability."
        )
        cases.exclude_adviser(
            ongoing,
            user=admin,
            adviser=user_model.objects.get(username="adviser2"),
            reason="Demo: works closely with the member of staff the report is about",
        )

        with_contact = report(
            3,
            contact_form,
            "Demo: I was left out of every team meeting after I complained.",
            days_ago=2,
            opt_in=False,
            kinds=["Discrimination"],
            contact={
                "name": "Sam Demo",
                "email": "sam.demo@example.org",
                "phone": "",
                "preferred_method": "email",
            },
        )
        cases.open_case(with_contact, user=admin)

        closed = report(4, anonymous_form, "Demo: shouted at in the lab.", days_ago=30)
        cases.open_case(closed, user=admin)
        cases.reply(closed, author=admin, body="Demo: we have spoken to the lab manager.")
        cases.change_status(
            closed,
            user=admin,
            status=Case.Status.CLOSED,
            outcomes=list(CaseOutcome.objects.filter(name=DEMO_OUTCOMES[0])),
        )

        report(5, anonymous_form, "Demo: nobody has answered me yet.", days_ago=10)

        # Seeded activity needs no alert emails; the reporter journey's new cases get them.
        Case.objects.filter(submission_token__startswith=DEMO_CASE_TOKEN).update(
            adviser_alert_pending=False
        )
        self.stdout.write("Demo cases added for the advisers' area.")

    # --- Overdue cases for the reminders ----------------------------------------------

    def overdue_demo_cases(self, site):
        """Two unanswered cases past their due time, made once.

        Within a minute of the demo's first start the cluster's first scan prints, in the
        console, a reminder to the assigned adviser (admin) for the first and an
        escalation to the manager for the second, which was reminded a week ago. A later
        start sends neither again: each overdue episode gets one reminder and one
        escalation, restarts or not.
        """
        assignee = get_user_model().objects.get(username="admin")
        form = ReportFormPage.objects.get(slug="anonymous", locale=site.root_page.locale)
        now = timezone.now()
        received, a_week_ago = now - timedelta(days=14), now - timedelta(days=7)
        specs = [
            ("demo-overdue-reminder", "Demo: I reported this two weeks ago, no answer.", None),
            ("demo-overdue-escalation", "Demo: still waiting for a reply.", a_week_ago),
        ]
        for token, what_happened, reminded_at in specs:
            if Case.objects.filter(submission_token=token).exists():
                continue
            case, _code = cases.create_case(
                route=form.reporting_route,
                answers=[{"label": "What happened?", "type": "multiline", "value": what_happened}],
                site=site,
                form_page=form,
                submission_token=token,
                opt_in=True,  # the code is thrown away, as for the other demo cases
            )
            Case.objects.filter(pk=case.pk).update(
                created_at=received,
                awaiting_reply=True,
                awaiting_since=received,
                response_due_at=deadlines.response_due_at(site, received),
                assigned_to=assignee,
                reminder_sent_at=reminded_at,
                escalation_sent_at=None,
                adviser_alert_pending=False,
            )
        self.stdout.write("Overdue demo cases ready: watch the console for their reminders.")
