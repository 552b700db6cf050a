"""Template helpers for reporter pages.

``{sla}`` is the only placeholder editors may write. It is replaced after the
text is rendered, with the site's response time in words
(``ReportingSettings.response_time_text``) escaped, and only in the text between
tags: never inside a tag or an attribute, where a value such as
``javascript:...`` would become a link that Wagtail's rich-text whitelist never
saw. Editor text is never treated as template code.

``reporter_frame`` gives the base template the site's name, its home and the footer
links; ``reply_expected`` says when a reply to a case can be expected.
"""

import re
from types import SimpleNamespace

from django import template
from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone
from django.utils.html import conditional_escape, escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from wagtail.models import Site
from wagtail.templatetags.wagtailcore_tags import richtext

from .. import attachments, deadlines, languages, redaction
from .. import reporting_settings as site_reporting_settings

register = template.Library()

SLA_PLACEHOLDER = "{sla}"


def _reporting_settings(context):
    # Kept on the request by the service, so a page with many placeholders reads them once.
    return site_reporting_settings.for_request(context.get("request"))


# Markup, in which {sla} is never filled in: a comment, or a tag with its attributes
# (quoted values may hold ">"). One left open runs to the end of the text, so nothing a
# browser could read as part of a tag is ever filled in.
_MARKUP = re.compile(
    r"""<!--.*?(?:-->|\Z)"""
    r"""|<[A-Za-z/!?](?:[^>"']|"[^"]*(?:"|\Z)|'[^']*(?:'|\Z))*(?:>|\Z)""",
    re.DOTALL,
)


def fill_sla(html, sla_text):
    """``html`` with ``{sla}`` in its text (never in its tags) replaced by ``sla_text``,
    escaped: the value is always plain text."""
    # str() first: the unsaved default is a lazy translation, and escape() of a lazy
    # value stays lazy, which str.replace() refuses.
    value = escape(str(sla_text))
    html = str(html)
    parts = []
    position = 0
    for markup in _MARKUP.finditer(html):
        parts.append(html[position : markup.start()].replace(SLA_PLACEHOLDER, value))
        parts.append(markup.group())
        position = markup.end()
    parts.append(html[position:].replace(SLA_PLACEHOLDER, value))
    return mark_safe("".join(parts))  # noqa: S308 - built from safe HTML and an escaped value


@register.simple_tag(takes_context=True)
def reporting_richtext(context, value):
    """Render editor rich text with ``{sla}`` filled in."""
    if not value:
        return ""
    return fill_sla(richtext(value), _reporting_settings(context).response_time_text)


@register.simple_tag(takes_context=True)
def reporting_text(context, value):
    """Render an editor's plain text, escaped, with ``{sla}`` filled in."""
    if not value:
        return ""
    return fill_sla(conditional_escape(value), _reporting_settings(context).response_time_text)


@register.simple_tag(takes_context=True)
def reporting_settings(context):
    return _reporting_settings(context)


def _home_page(site, page):
    """The site's home page in the language of ``page``, where it has one."""
    root = site.root_page
    locale_id = getattr(page, "locale_id", None)
    if languages.i18n_enabled() and locale_id is not None and locale_id != root.locale_id:
        translated = languages.translations_in([root], locale_id).get(root.translation_key)
        if translated is not None and translated.live:
            return translated
    return root


@register.simple_tag(takes_context=True)
def reporter_frame(context):
    """What the frame of every reporter page shows: ``site_name`` (as the page's language
    names the site, ``reporting_settings.site_name``), ``home_url`` (the home page in the
    page's language, where there is one), ``footer_links``
    (``reporting_settings.footer_links``) and ``languages`` (the page's languages,
    ``languages.language_links``). An error page whose database cannot be read still gets
    a frame: the site's configured name, and no links."""
    request = context.get("request")
    frame = SimpleNamespace(
        site_name=getattr(settings, "WAGTAIL_SITE_NAME", "") or "",
        home_url="/",
        footer_links=[],
        languages=[],
    )
    if request is None:
        return frame
    try:
        frame.site_name = site_reporting_settings.site_name(request)
        site = Site.find_for_request(request)
        if site is not None:
            frame.home_url = _home_page(site, context.get("page")).get_url(request) or "/"
        frame.footer_links = site_reporting_settings.footer_links(request)
        frame.languages = languages.language_links(context.get("page"), request)
    except DatabaseError:
        pass  # the page says what went wrong; its frame keeps the defaults
    return frame


@register.simple_tag(takes_context=True)
def reply_expected(context, case, now=None):
    """When the reporter of ``case`` can expect a reply, while one is owed: ``phrase`` (a
    day from the site's working calendar, "by the end of Wednesday 2 December", or the
    time too where the site's response time has working hours in it, "by 12:00 on
    Monday 30 November", so the reporter is told what the advisers' clock counts) and
    ``late`` (that time has passed). None when no reply is owed."""
    if case is None or not case.reply_owed or case.response_due_at is None:
        return None
    now = now or timezone.now()
    # The request's own copy of the settings: the page has read them already.
    site_settings = site_reporting_settings.for_request(context.get("request"), case.site_id)
    in_hours = bool(site_settings.response_working_hours)
    return SimpleNamespace(
        phrase=deadlines.due_phrase_for_site(
            case.response_due_at,
            case.site_id,
            precise=in_hours,
            now=now,
            site_settings=site_settings,
        ),
        late=case.response_due_at <= now,
    )


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


@register.filter
def show_redactions(html):
    """After ``linebreaks`` (which escapes): each redacted gap as a marked "[redacted]"."""
    return redaction.show_gaps(html)


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


@register.filter
def removed_words(codes):
    """What cleaning removed from a file (its stored codes), as words."""
    return attachments.removed_words(codes or ())
