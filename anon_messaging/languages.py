"""The languages of reporter pages: the one home of which language a page is in, what its
direction is, and which languages it exists in.

With Wagtail's internationalisation on (``WAGTAIL_I18N_ENABLED``), every page has a
locale, and a page's translations share its ``translation_key``. A reporter page is
served in its own language (its locale), whatever the address or the browser says, so
the app's own words match the editors' words around them. Without it, pages are in the
active language and offer no others.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.urls import translate_url
from django.utils.translation import get_language, get_language_info
from wagtail.models import Locale, Page

# The site's locales ({id: language code}) in the cache, so that serving a page in its
# language costs no query; any change to a locale drops it.
_LOCALES_CACHE_KEY = "anon_messaging:locales"
_LOCALES_CACHE_SECONDS = 300


def i18n_enabled():
    return getattr(settings, "WAGTAIL_I18N_ENABLED", False)


def locale_codes(*, refresh=False):
    """``{locale id: language code}`` of every Wagtail ``Locale``."""
    codes = None if refresh else cache.get(_LOCALES_CACHE_KEY)
    if codes is None:
        codes = dict(Locale.objects.values_list("id", "language_code"))
        cache.set(_LOCALES_CACHE_KEY, codes, _LOCALES_CACHE_SECONDS)
    return codes


@receiver(post_save, sender=Locale)
@receiver(post_delete, sender=Locale)
def _locales_changed(**kwargs):
    cache.delete(_LOCALES_CACHE_KEY)


def locale_id_for(language_code):
    """The id of the ``Locale`` of ``language_code`` (the active language when None), or
    None when the site has none."""
    language_code = (language_code or get_language() or settings.LANGUAGE_CODE).lower()
    for locale_id, code in locale_codes().items():
        if code.lower() == language_code:
            return locale_id
    return None


def page_language(page):
    """The language code ``page`` is written in, or None when pages have no languages."""
    locale_id = getattr(page, "locale_id", None)
    if not i18n_enabled() or locale_id is None:
        return None
    code = locale_codes().get(locale_id) or locale_codes(refresh=True).get(locale_id)
    return code or page.locale.language_code


# What a link to a page needs of it: its address (``get_url``), whether it is live, its
# language and its translations. A page read only to be linked to reads these columns
# alone (``only``), not the forty-odd of a page; any other field would cost a query.
LINK_FIELDS = ("id", "url_path", "live", "locale", "translation_key")


def translations_in(pages, locale_id):
    """``{translation_key: Page}``: the translations of ``pages`` in the locale
    ``locale_id`` (live or not), read in one query however many pages there are (what
    ``get_translation_or_none`` gives for each), with the ``LINK_FIELDS`` only; a page
    with no translation there is left out."""
    keys = {page.translation_key for page in pages}
    if not keys or locale_id is None:
        return {}
    found = Page.objects.filter(translation_key__in=keys, locale_id=locale_id)
    return {page.translation_key: page for page in found.only(*LINK_FIELDS)}


# Only these are sent on to the page's own address: a form sent to another language's
# address is processed where it was sent, so nothing a reporter typed is lost.
_REDIRECTED_METHODS = ("GET", "HEAD")


def address_in_page_language(page, request):
    """Where a reporter asking for ``page`` at another language's address (/fr/report/ for
    an English page: Wagtail serves a page the language has no translation of) is sent, so
    that no page mixes the page's words with another language's: the page's own address
    (``page.get_url``, in its own language), with a routable page's sub-page and the query
    string kept. None for a request in the page's language, for a POST, or when the page
    has no other address (a site whose addresses carry no language)."""
    if request.method not in _REDIRECTED_METHODS:
        return None
    language = page_language(page)
    requested = get_language()
    if language is None or requested is None or requested.lower() == language.lower():
        return None
    own = page.get_url(request)
    if not own:
        return None
    # The same address in the page's language: below the page's own for a sub-page.
    same_path = translate_url(request.path_info, language)
    target = same_path if same_path.startswith(own) else own
    if target == request.path:
        return None
    query = request.META.get("QUERY_STRING", "")
    return f"{target}?{query}" if query else target


def local_name(code):
    """The language's name in itself, as a reader of it looks for it: "Cymraeg",
    "العربية", "Polski". A regional variant is named by its language ("English")."""
    info = _info(code)
    name = info.get("name_local") or code
    return name[:1].upper() + name[1:]


def is_right_to_left(code=None):
    """Whether ``code`` (the active language when None) is written right to left."""
    return bool(_info(code or get_language() or settings.LANGUAGE_CODE).get("bidi"))


def direction(code=None):
    """``"rtl"`` or ``"ltr"``, for a ``dir`` attribute."""
    return "rtl" if is_right_to_left(code) else "ltr"


def _info(code):
    try:
        info = get_language_info(code)
    except KeyError:
        return {}
    # A regional variant ("en-gb") is named by its language ("English"), not "British
    # English"; a script variant ("zh-hans") keeps its own name.
    base = code.split("-")[0]
    if base != code and not code.startswith("zh"):
        try:
            return {**info, "name_local": get_language_info(base)["name_local"]}
        except KeyError:
            pass
    return info


@dataclass(frozen=True)
class LanguageLink:
    code: str
    name: str
    url: str
    direction: str
    current: bool


def language_links(page, request):
    """The languages ``page`` is live in, as ``LanguageLink``s in the order of
    ``settings.LANGUAGES``; [] when it exists in one language only (nothing to choose)."""
    if not i18n_enabled() or page is None or not hasattr(page, "get_translations"):
        return []
    if len(locale_codes()) < 2:
        return []  # a site in one language: nothing to look up
    # Each translation's language from the cached locales (page_language), not a join.
    translations = page.get_translations(inclusive=True).live().only(*LINK_FIELDS)
    order = [code.lower() for code, _name in settings.LANGUAGES]
    links = []
    for translation in translations:
        url = translation.get_url(request)
        if not url:
            continue
        code = page_language(translation)
        links.append(
            LanguageLink(
                code=code,
                name=local_name(code),
                url=url,
                direction=direction(code),
                current=translation.pk == page.pk,
            )
        )
    if len(links) < 2:
        return []

    def position(link):
        return order.index(link.code.lower()) if link.code.lower() in order else len(order)

    return sorted(links, key=position)
