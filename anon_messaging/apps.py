from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnonMessagingConfig(AppConfig):
    name = "anon_messaging"
    label = "anon_messaging"
    verbose_name = _("Reporting and anonymous messaging")
    default_auto_field = "django.db.models.BigAutoField"
