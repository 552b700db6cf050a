from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnonMessagingConfig(AppConfig):
    name = "anon_messaging"
    label = "anon_messaging"
    verbose_name = _("Reporting and anonymous messaging")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.core import checks
        from django.db.models.signals import post_migrate

        from . import checks as security_checks

        # deadlines connects the signals that keep cached calendars fresh.
        from . import deadlines, reminders, tasks  # noqa: F401

        # Schedules are made after migrate, never at import time.
        post_migrate.connect(
            tasks.create_schedules, sender=self, dispatch_uid="anon_messaging.schedules"
        )
        checks.register(reminders.check_cluster_settings)
        checks.register(security_checks.check_settings_valid)
        checks.register(security_checks.check_settings)
        checks.register(security_checks.check_deployment, deploy=True)
