"""A site's own page classes on anon_messaging's mixins, as docs/install.md section 9 shows."""

from django.db import models
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.forms.models import AbstractFormField
from wagtail.models import Page

from anon_messaging.pages import MessagingPageMixin, ReportFormMixin, SupportPageMixin


class SiteBasePage(Page):
    """The site's own base class, which every page of the site inherits from."""

    strapline = models.CharField(max_length=120, blank=True)

    class Meta:
        abstract = True


class SiteReportQuestion(AbstractFormField):
    """The site's question model: the questions point at the site's own form class."""

    page = ParentalKey("SiteReportFormPage", on_delete=models.CASCADE, related_name="form_fields")


class SiteReportFormPage(ReportFormMixin, SiteBasePage):
    template = "anon_messaging/report_form_page.html"
    landing_page_template = "anon_messaging/report_form_page_landing.html"
    subpage_types = []
    # The base class adds a panel of its own: extend the mixin's list, as the docs say.
    content_panels = ReportFormMixin.content_panels + [FieldPanel("strapline")]


class SiteMessagingPage(MessagingPageMixin, SiteBasePage):
    template = "anon_messaging/messaging_login.html"
    subpage_types = []


class SiteSupportPage(SupportPageMixin, SiteBasePage):
    template = "anon_messaging/support_page.html"
