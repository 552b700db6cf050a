"""The app's configuration: what Django loads, and what is connected once it has.

Page models (``pages.py``) sit above the service layer, which the stored models sit
below, so ``models.py`` cannot import them. ``import_models`` loads them in the same
phase in which Django loads ``models.py``, so every page class is registered before
anything asks for it.
"""

from importlib import import_module

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnonMessagingConfig(AppConfig):
    name = "anon_messaging"
    label = "anon_messaging"
    verbose_name = _("Reporting and anonymous messaging")
    default_auto_field = "django.db.models.BigAutoField"

    def import_models(self):
        super().import_models()
        import_module(f"{self.name}.pages")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in, user_login_failed
        from django.core import checks as django_checks
        from django.db.models.signals import post_migrate

        from . import admin_login, checks, schedules, signal_handlers
        from .wagtail_admin import site_history

        signal_handlers.register_signal_handlers()
        # Wagtail's site history report unions the cases' log model with its own.
        site_history.install()
        # Wrong passwords are counted at every log-in form of the site, not only the admin's.
        user_login_failed.connect(
            admin_login.count_failures, dispatch_uid="anon_messaging.admin_login.failures"
        )
        user_logged_in.connect(
            admin_login.clear_on_log_in, dispatch_uid="anon_messaging.admin_login.log_in"
        )
        # Schedules are made after migrate, never at import time.
        post_migrate.connect(
            schedules.create_schedules, sender=self, dispatch_uid="anon_messaging.schedules"
        )
        django_checks.register(checks.check_cluster_settings)
        django_checks.register(checks.check_settings_valid)
        django_checks.register(checks.check_settings)
        django_checks.register(checks.check_installation)
        django_checks.register(checks.check_deployment, deploy=True)
        django_checks.register(checks.check_identity_words)
        django_checks.register(checks.check_report_forms, django_checks.Tags.database)
