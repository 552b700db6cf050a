"""Build the demo site: a home page, what ``anon_messaging_setup`` makes every new site
(pages, wording, outcomes, settings), demo-only users and demo cases. Safe to run again."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from wagtail.models import Page, Site

from anon_messaging import cases, deadlines, reporting_settings
from anon_messaging.models import Case, CaseOutcome, Message
from anon_messaging.pages import ReportFormPage
from anon_messaging.permissions import ADVISERS_GROUP
from anon_messaging.site_setup import DEFAULT_OUTCOMES
from home.models import HomePage

DEMO_PASSWORD = "changeme"  # noqa: S105 - demo only, printed in the README

DEMO_CASE_TOKEN = "demo-seed-case-"

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


class Command(BaseCommand):
    help = "Create the demo pages, settings and demo-only users (admin, adviser, editor)."

    @transaction.atomic
    def handle(self, *args, **options):
        home = self.home_page()
        # The pages, their wording, the outcomes, the settings and the advisers' group are
        # what every new site gets (anon_messaging.site_setup); the rest here is the demo's.
        call_command("anon_messaging_setup", parent=str(home.pk), stdout=self.stdout)
        site = Site.objects.get(root_page=home)
        site_settings = reporting_settings.create_for_site(site)
        # Demo-only address, so escalations of overdue cases show in the console output.
        site_settings.manager_emails = site_settings.manager_emails or "manager@example.org"
        site_settings.save()
        self.users()
        self.demo_cases(site)
        self.overdue_demo_cases(site)
        self.stdout.write(self.style.SUCCESS("Demo site ready at http://127.0.0.1:8000/"))

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
                site_name="Report and Support (demo)",
            )
        else:
            old_root = site.root_page
            site.root_page = home
            site.site_name = "Report and Support (demo)"
            site.save()
            if old_root.specific_class is Page and old_root.depth == 2:
                old_root.delete()  # Wagtail's "Welcome" placeholder
        return home

    def users(self):
        user_model = get_user_model()
        # Created, with its permissions, by anon_messaging's migrations.
        advisers = Group.objects.get(name=ADVISERS_GROUP)
        editors = Group.objects.filter(name="Editors").first()
        specs = [
            ("admin", {"is_superuser": True, "is_staff": True}, None),
            ("adviser", {}, advisers),
            ("editor", {}, editors),
        ]
        for username, flags, group in specs:
            user, created = user_model.objects.get_or_create(
                username=username, defaults={"email": f"{username}@example.org", **flags}
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
            if group is not None:
                user.groups.add(group)
        self.stdout.write(
            "Demo-only users admin, adviser and editor, password “changeme”. "
            "Never create these on a real site."
        )

    # --- Demo cases for the advisers' area -------------------------------------------

    def demo_cases(self, site):
        """A few cases in several states, so an adviser sees a populated list. Made once."""
        if Case.objects.filter(submission_token__startswith=DEMO_CASE_TOKEN).exists():
            return
        user_model = get_user_model()
        adviser = user_model.objects.get(username="adviser")
        admin = user_model.objects.get(username="admin")
        anonymous_form = ReportFormPage.objects.get(slug="anonymous")
        contact_form = ReportFormPage.objects.get(slug="with-contact-details")

        def report(number, form, what_happened, *, days_ago, **kwargs):
            case, _code = cases.create_case(
                route=form.reporting_route,
                answers=[
                    {"label": "What happened?", "type": "multiline", "value": what_happened},
                    {
                        "label": "What kind of behaviour was it?",
                        "type": "checkboxes",
                        "value": kwargs.pop("kinds", ["Bullying"]),
                    },
                ],
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
            ongoing, sender=Message.Sender.REPORTER, body="Demo: it happened again yesterday."
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
            outcomes=list(CaseOutcome.objects.filter(name=str(DEFAULT_OUTCOMES[0]))),
        )

        report(5, anonymous_form, "Demo: nobody has answered me yet.", days_ago=10)

        # Seeded activity needs no alert emails; the reporter journey's new cases get them.
        Case.objects.filter(submission_token__startswith=DEMO_CASE_TOKEN).update(
            adviser_alert_pending=False
        )
        self.stdout.write("Demo cases added for the advisers' area.")

    # --- Overdue cases for the reminders ----------------------------------------------

    def overdue_demo_cases(self, site):
        """Two unanswered cases past their due time, re-armed on every run while unanswered.

        Within a minute of starting the demo the cluster's first scan prints, in the
        console, a reminder to the assigned adviser (admin) for the first and an
        escalation to the manager for the second, which was reminded a week ago.
        """
        assignee = get_user_model().objects.get(username="admin")
        form = ReportFormPage.objects.get(slug="anonymous")
        now = timezone.now()
        received, a_week_ago = now - timedelta(days=14), now - timedelta(days=7)
        specs = [
            ("demo-overdue-reminder", "Demo: I reported this two weeks ago, no answer.", None),
            ("demo-overdue-escalation", "Demo: still waiting for a reply.", a_week_ago),
        ]
        for token, what_happened, reminded_at in specs:
            case = Case.objects.filter(submission_token=token).first()
            if case is None:
                case, _code = cases.create_case(
                    route=form.reporting_route,
                    answers=[
                        {"label": "What happened?", "type": "multiline", "value": what_happened}
                    ],
                    site=site,
                    form_page=form,
                    submission_token=token,
                    opt_in=True,  # the code is thrown away, as for the other demo cases
                )
            elif not case.reply_owed:
                continue  # someone answered or closed it in the demo: leave it be
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
