"""Run the overdue-response scan once, for sites that prefer cron to the django-q2 scheduler."""

from django.core.management.base import BaseCommand

from anon_messaging import reminders


class Command(BaseCommand):
    help = (
        "Send the reminders and escalations that are due for overdue cases, once. "
        "Safe to run while a django-q2 cluster runs the same scan."
    )

    def handle(self, *args, **options):
        result = reminders.scan()
        self.stdout.write(
            f"Reminders sent: {result.reminders}. Escalations sent: {result.escalations}."
        )
        if result.unaddressed:
            self.stderr.write(
                f"{result.unaddressed} overdue cases have no one to alert: set a team email "
                "address or manager addresses in the reporting settings."
            )
        if result.failed:
            self.stderr.write(f"{result.failed} emails could not be sent; the next run retries.")
