from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page

from anon_messaging.security import ReporterPageMixin


class HomePage(ReporterPageMixin, Page):
    """The institution's landing page for reporting; the demo links everything from here."""

    body = RichTextField(_("body"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("body")]
