"""Wagtail's own form page with nothing of ours added but the site's base template."""

from django.db import models
from modelcluster.fields import ParentalKey
from wagtail.contrib.forms.models import AbstractForm, AbstractFormField
from wagtail.fields import RichTextField


class BareFormField(AbstractFormField):
    page = ParentalKey("BareFormPage", on_delete=models.CASCADE, related_name="form_fields")


class BareFormPage(AbstractForm):
    intro = RichTextField(blank=True)
    thank_you_text = RichTextField(blank=True)

    template = "bare_forms/bare_form_page.html"
    landing_page_template = "bare_forms/bare_form_page_landing.html"
