"""Template helpers for reporter pages.

``{sla}`` is the only placeholder editors may write. It is replaced after the
text is rendered, with the site's value escaped: editor text is never treated
as template code.
"""

from django import template
from django.utils.html import conditional_escape, escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from wagtail.templatetags.wagtailcore_tags import richtext

from .. import reporting_settings as site_reporting_settings

register = template.Library()

SLA_PLACEHOLDER = "{sla}"


def _reporting_settings(context):
    # Kept on the request by the service, so a page with many placeholders reads them once.
    return site_reporting_settings.for_request(context.get("request"))


def fill_sla(html, sla_text):
    # str() first: the unsaved default is a lazy translation, and escape() of a lazy
    # value stays lazy, which str.replace() refuses.
    return mark_safe(str(html).replace(SLA_PLACEHOLDER, escape(str(sla_text))))  # noqa: S308


@register.simple_tag(takes_context=True)
def reporting_richtext(context, value):
    """Render editor rich text with ``{sla}`` filled in."""
    if not value:
        return ""
    return fill_sla(richtext(value), _reporting_settings(context).sla_text)


@register.simple_tag(takes_context=True)
def reporting_text(context, value):
    """Render an editor's plain text, escaped, with ``{sla}`` filled in."""
    if not value:
        return ""
    return fill_sla(conditional_escape(value), _reporting_settings(context).sla_text)


@register.simple_tag(takes_context=True)
def reporting_settings(context):
    return _reporting_settings(context)


@register.filter
def answer_display(value):
    """How a stored answer reads: lists joined, booleans as yes/no."""
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if value in (None, ""):
        return gettext("(no answer)")
    return value


@register.simple_tag
def accessible_widget(field):
    """Render a bound field's widget tied to its hint and error for screen readers."""
    described_by = []
    if field.help_text:
        described_by.append(f"{field.auto_id}_helptext")
    if field.errors:
        described_by.append(f"{field.auto_id}_error")
    attrs = {}
    if described_by:
        attrs["aria-describedby"] = " ".join(described_by)
    if field.errors:
        attrs["aria-invalid"] = "true"
    return field.as_widget(attrs=attrs)
