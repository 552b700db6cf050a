"""Reading a site's ``ReportingSettings``: the one home of that rule.

A read never writes. Wagtail's ``BaseSiteSetting.for_site`` and ``for_request``
create a row when a site has none; here a site without a saved row gets the
defaults, unsaved, and nothing is queued or stored. Creating the row is an explicit
step (``create_for_site``), taken by whoever means to store something in it: the
admin's settings form, the demo's seed, a site's own set-up.
"""

from dataclasses import dataclass

from django.conf import settings as django_settings
from django.db.models import Q
from wagtail.models import Site

from . import languages
from .models import ReportingFooterLink, ReportingSettings

# Where a request keeps the settings it has read, so a page and its template tags
# read them once.
_REQUEST_CACHE_ATTRIBUTE = "_anon_messaging_reporting_settings"
_OWN_SITE = "site serving the request"


def for_site(site):
    """The settings of ``site`` (a ``Site``, its id or None), or unsaved defaults."""
    site_id = site if isinstance(site, int) or site is None else site.pk
    found = None
    if site_id is not None:
        found = ReportingSettings.objects.filter(site_id=site_id).first()
    return found or ReportingSettings(site_id=site_id)


def for_sites(site_ids=None, *, with_closures=False):
    """``lookup(site_id)`` for many sites (every site: None) in one query; defaults where
    unsaved. ``with_closures`` loads their closure days too (one more query)."""
    rows = ReportingSettings.objects.all()
    if site_ids is not None:
        rows = rows.filter(site_id__in=site_ids)
    if with_closures:
        rows = rows.prefetch_related("closures")
    found = {s.site_id: s for s in rows}
    defaults = ReportingSettings()

    def lookup(site_id):
        return found.get(site_id, defaults)

    return lookup


def for_request(request, site_id=None):
    """The settings of the site serving ``request`` (or of ``site_id``, if another one).

    Kept on the request, so a page and its template tags read them once.
    """
    if request is None:
        return for_site(site_id)
    cache = _request_cache(request)
    key = _OWN_SITE if site_id is None else site_id
    if key not in cache:
        if site_id is None:
            site = Site.find_for_request(request)
            site_id = site.pk if site is not None else None
        cache[key] = cache[site_id] = cache.get(site_id) or for_site(site_id)
    return cache[key]


def site_name(request):
    """The name of the site serving ``request`` as reporters read it in the active
    language: the language's own (``ReportingWording.site_name``), else the site's
    (``Site.site_name``), else ``WAGTAIL_SITE_NAME``; "" when none is set. Read from the
    request's copy of the settings, whose wording a page in that language reads anyway."""
    site = Site.find_for_request(request)
    own = ""
    if site is not None:
        site_settings = for_request(request)
        wording = site_settings.wording_for() if site_settings.pk else None
        own = wording.site_name.strip() if wording is not None else ""
    return (
        own
        or (site.site_name if site is not None else "")
        or getattr(django_settings, "WAGTAIL_SITE_NAME", "")
        or ""
    )


@dataclass(frozen=True)
class FooterLink:
    label: str
    url: str
    # An address on another site (rel="noreferrer", and no page of this site to check).
    external: bool
    # The language of the linked page where it is not the language of the page showing
    # the link (the page has no translation in it), so the reader is told before following.
    language: str | None = None

    @property
    def language_name(self):
        return languages.local_name(self.language) if self.language else ""

    @property
    def language_direction(self):
        return languages.direction(self.language) if self.language else ""


def footer_links(request, site_id=None):
    """The footer links of the site serving ``request`` (or of ``site_id``), in order,
    as ``FooterLink``s: those of the active language where it has links of its own, else
    those of no language, each to its page in the active language where there is one. A
    link to a page that is not live, or that has no address on this site, is left out.
    Kept on the request with the settings."""
    cache = _request_cache(request)
    key = ("footer", site_id)
    if key not in cache:
        settings = for_request(request, site_id)
        links = []
        if settings.pk:
            rows = ReportingFooterLink.objects.filter(settings_id=settings.pk)
            locale_id = languages.locale_id_for(None) if languages.i18n_enabled() else None
            if locale_id is not None:
                # Only the rows that may be shown: the language's own and those of none.
                rows = rows.filter(Q(locale_id=locale_id) | Q(locale_id__isnull=True))
            rows = rows.select_related("page").only(
                "label", "url", "locale", *(f"page__{name}" for name in languages.LINK_FIELDS)
            )
            rows = list(rows.order_by("sort_order", "pk"))
            translations = {}
            if locale_id is not None:
                # The links of the page's language, where it has links of its own; else
                # the links given for no language in particular.
                own = [row for row in rows if row.locale_id == locale_id]
                rows = own or [row for row in rows if row.locale_id is None]
                # The linked pages in the language of the page showing them, in one query.
                translations = languages.translations_in(
                    [
                        row.page
                        for row in rows
                        if row.page_id is not None and row.page.locale_id != locale_id
                    ],
                    locale_id,
                )
            for row in rows:
                if row.page_id is None:
                    if row.url:
                        links.append(FooterLink(row.label, row.url, external=True))
                    continue
                page = row.page
                if locale_id is not None and page.locale_id != locale_id:
                    # The linked page in the language of the page showing it, if it has one.
                    translated = translations.get(page.translation_key)
                    if translated is not None and translated.live:
                        page = translated
                url = page.get_url(request) if page.live else None
                if url:
                    other_language = (
                        languages.page_language(page)
                        if locale_id is not None and page.locale_id != locale_id
                        else None
                    )
                    links.append(FooterLink(row.label, url, False, other_language))
        cache[key] = links
    return cache[key]


def remember_defaults(request):
    """Make the request's own site read as the defaults (an error page whose database
    could not be read still shows its quick-exit link), with no footer links."""
    cache = _request_cache(request)
    cache[_OWN_SITE] = ReportingSettings()
    cache[("footer", None)] = []


def _request_cache(request):
    cache = getattr(request, _REQUEST_CACHE_ATTRIBUTE, None)
    if cache is None:
        cache = {}
        setattr(request, _REQUEST_CACHE_ATTRIBUTE, cache)
    return cache


def any_site_shows_statutory_deadlines():
    return ReportingSettings.objects.filter(statutory_deadlines=True).exists()


def create_for_site(site, **values):
    """Store the site's settings (with ``values``) if it has none yet; return them."""
    settings, _created = ReportingSettings.objects.get_or_create(site=site, defaults=values)
    return settings
