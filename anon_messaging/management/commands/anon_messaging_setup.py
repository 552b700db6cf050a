"""Create what a new site needs to take reports: pages, outcomes, settings, the advisers'
group (``site_setup.set_up_site``). Makes only what is missing; safe to run again."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext
from wagtail.models import Page, Site

from anon_messaging import site_setup


class Command(BaseCommand):
    help = (
        "Create the reporter pages (report/, report/anonymous/, report/with-contact-details/, "
        "messaging/, support/anonymous-messaging/) below a page, the default case outcomes, "
        "the site's reporting settings and the advisers' group. Only what is missing is "
        "made; nothing that exists is changed."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--parent",
            help="The page to put the pages below: its id, or its path on the default site "
            "such as /about/. Default: the default site's root page.",
        )
        parser.add_argument(
            "--language",
            help="Make the pages in this language (a code of WAGTAIL_CONTENT_LANGUAGES, such "
            "as cy), as translations of those below the parent, below the parent's version "
            "in that language (copied for translation if it has none).",
        )

    def handle(self, *args, parent=None, language=None, **options):
        parent_page = self.find_parent(parent)
        try:
            if language:
                steps = site_setup.set_up_site_in_language(parent_page, language)
            else:
                steps = site_setup.set_up_site(parent_page)
        except site_setup.SetupRefused as refusal:
            raise CommandError(str(refusal)) from None
        width = max(len(str(step.kind)) for step in steps)
        for step in steps:
            status = gettext("Created") if step.created else gettext("Exists")
            line = f"{status.ljust(7)}  {str(step.kind).ljust(width)}  {step.name}"
            if step.note:
                line += f" ({step.note})"
            self.stdout.write(self.style.SUCCESS(line) if step.created else line)
        made = sum(step.created for step in steps)
        self.stdout.write(
            gettext(
                "%(made)d made, %(kept)d already there. Next: put advisers in the group above "
                "(Settings > Users in the admin), set the response time and alert addresses "
                "in Settings > Reporting settings, and run 'python manage.py qcluster' "
                "beside the web server."
            )
            % {"made": made, "kept": len(steps) - made}
        )

    def find_parent(self, value):
        if value is not None and value.strip().isdigit():
            page = Page.objects.filter(pk=int(value)).first()
            if page is None:
                raise CommandError(gettext("No page has the id %(id)s.") % {"id": value})
            return page
        site = Site.objects.filter(is_default_site=True).first() or Site.objects.first()
        if site is None:
            raise CommandError(
                gettext(
                    "There is no Wagtail site yet: add one in the admin (Settings > Sites), "
                    "or give --parent the id of a page."
                )
            )
        page = site.root_page
        for slug in (value or "").strip("/").split("/"):
            if not slug:
                continue
            child = page.get_children().filter(slug=slug).first()
            if child is None:
                raise CommandError(
                    gettext(
                        "No page at %(path)s on %(host)s: give its id or its path, such as /about/."
                    )
                    % {"path": value, "host": site.hostname}
                )
            page = child
        return page
