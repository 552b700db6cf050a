"""HTTP headers and error pages for reporter pages.

Reporter pages (report forms, the messaging page, support pages and any page a
site marks with ``ReporterPageMixin``) are served with headers that keep the
visit from reaching any other host, from being framed, and from staying in
caches or history snapshots. They are added by an ``on_serve_page`` hook
(registered in ``wagtail_hooks.py``), so they apply to every page class built
on this app's mixins, and never to the Wagtail admin or its previews, whose
needs differ.

Referrer-Policy is ``no-referrer`` (``ANON_MESSAGING["REFERRER_POLICY"]``).
Under it browsers send ``Origin: null`` with every form post, which Django's
own CSRF middleware refuses; ``CsrfViewMiddleware`` below takes its place and
lets the CSRF token decide for such posts. A system check stops a site that
keeps Django's middleware with this policy, since none of its forms would work.
"""

from django.conf import settings
from django.db import DatabaseError
from django.http import (
    HttpResponse,
    HttpResponseRedirect,
    HttpResponseServerError,
    StreamingHttpResponse,
)
from django.middleware.csrf import CsrfViewMiddleware as DjangoCsrfViewMiddleware
from django.template import loader
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.http import content_disposition_header
from django.views import csrf as django_csrf
from django.views import defaults as django_defaults

from . import error_reports, languages, reporting_settings
from .conf import get_setting

# Everything a reporter page loads comes from the site itself; no inline script or style.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        # Images an editor puts in rich text are served by the site's own media URLs.
        "img-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)

# Nothing on a reporter page needs a device feature; the copy button needs the clipboard.
PERMISSIONS_POLICY = ", ".join(
    [
        "accelerometer=()",
        "autoplay=()",
        "browsing-topics=()",
        "camera=()",
        "display-capture=()",
        "encrypted-media=()",
        "fullscreen=()",
        "geolocation=()",
        "gyroscope=()",
        "hid=()",
        "idle-detection=()",
        "magnetometer=()",
        "microphone=()",
        "midi=()",
        "payment=()",
        "picture-in-picture=()",
        "publickey-credentials-get=()",
        "screen-wake-lock=()",
        "serial=()",
        "usb=()",
        "xr-spatial-tracking=()",
        "clipboard-read=()",
        "clipboard-write=(self)",
    ]
)

REPORTER_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "Permissions-Policy": PERMISSIONS_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}

NO_STORE = "no-store, no-cache, must-revalidate, private, max-age=0"

# A downloaded attachment runs nothing, even if a browser were to render it: no script,
# no plug-in, no form, no request to anywhere, in a sandbox of its own origin.
ATTACHMENT_CONTENT_SECURITY_POLICY = "sandbox; default-src 'none'; img-src 'self'"


class ReporterPageMixin:
    """What every reporter page shares; the app's page mixins include it, and a site adds
    it to its own pages (a landing page) to get the same:

    * served with ``REPORTER_HEADERS`` and no-store, and an error report about its
      requests never holds what the reporter sent (the ``on_serve_page`` hook below);
    * served in its own language: a GET at another language's address (/fr/... for an
      English page) is redirected to the page's own (the same hook);
    * its template context has ``base_template`` (``ANON_MESSAGING["BASE_TEMPLATE"]``).

    Put it before ``Page`` (or the site's base page) in the bases.
    """

    is_reporter_page = True

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["base_template"] = get_setting("BASE_TEMPLATE")
        return context


def no_store(response):
    """Keep a response out of every cache and history snapshot (a shared device keeps none)."""
    add_never_cache_headers(response)
    response["Cache-Control"] = NO_STORE
    return response


def attachment_response(attachment, chunks):
    """An attachment's content as a download: sent as an attachment under its neutral
    name, with its own content type (never sniffed), a sandboxing CSP and no-store."""
    response = StreamingHttpResponse(chunks, content_type=attachment.content_type)
    response["Content-Length"] = str(attachment.size)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=attachment.neutral_name
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = ATTACHMENT_CONTENT_SECURITY_POLICY
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Referrer-Policy"] = "no-referrer"
    # apply_reporter_headers keeps this response's own, stricter, policy.
    response.anon_messaging_attachment = True
    return no_store(response)


def download_response(content, content_type, filename):
    """Content made for one person (a case file) as a download: attachment, nosniff,
    a sandboxing CSP, no-store."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=filename
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = ATTACHMENT_CONTENT_SECURITY_POLICY
    response["Referrer-Policy"] = "no-referrer"
    return no_store(response)


def apply_reporter_headers(response):
    keep_csp = getattr(response, "anon_messaging_attachment", False)
    for name, value in REPORTER_HEADERS.items():
        if keep_csp and name == "Content-Security-Policy":
            continue
        response[name] = value
    response["Referrer-Policy"] = get_setting("REFERRER_POLICY")
    # Every reporter page, not only the thank-you and messaging pages: a cached copy of a
    # support page on a shared device also shows that someone looked into reporting.
    return no_store(response)


def serve_reporter_pages_securely(next_serve_page):
    """``on_serve_page`` hook for reporter pages: error reports that hold nothing the
    reporter sent, a visit at another language's address sent to the page's own
    (``languages.address_in_page_language``), the page served and rendered in its own
    language (``languages.page_language``), and the reporter headers on the response."""

    def serve(page, request, args, kwargs):
        if not getattr(page, "is_reporter_page", False):
            return next_serve_page(page, request, args, kwargs)
        # Neither a typed code, the answers nor the session key may reach an error report.
        error_reports.protect_request(request)
        own_address = languages.address_in_page_language(page, request)
        if own_address is not None:
            return apply_reporter_headers(HttpResponseRedirect(own_address))
        language = languages.page_language(page)
        if language is None:
            return apply_reporter_headers(next_serve_page(page, request, args, kwargs))
        with translation.override(language):
            request.LANGUAGE_CODE = language
            response = next_serve_page(page, request, args, kwargs)
            # A template response renders after the view returns: render it here, while
            # the page's language is active.
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
        return apply_reporter_headers(response)

    return serve


# --- Error pages -------------------------------------------------------------------------

ERROR_400_TEMPLATE = "anon_messaging/errors/400.html"
CSRF_FAILURE_TEMPLATE = "anon_messaging/errors/403_csrf.html"
ERROR_404_TEMPLATE = "anon_messaging/errors/404.html"
ERROR_500_TEMPLATE = "anon_messaging/errors/500.html"
# What a reporter sees if even the 500 page cannot be rendered (a broken base template).
BARE_500_PAGE = (
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Something went wrong</title>'
    "</head><body><h1>Something went wrong</h1><p>Please try again later.</p>"
    '<p><a href="/">Go to the home page</a></p></body></html>'
)


# The Wagtail admin keeps Django's and Wagtail's own error pages.
_is_admin_request = error_reports.is_admin_request


def _render_error(request, template_name, status):
    """Render an error page that needs no page context and cannot fail in turn."""
    context = {"base_template": get_setting("BASE_TEMPLATE")}
    try:
        # The quick-exit link needs the site's settings; read them here so that a
        # failing look-up falls back to the defaults instead of failing the error page.
        reporting_settings.for_request(request)
    except DatabaseError:
        reporting_settings.remember_defaults(request)
    content = loader.render_to_string(template_name, context, request=request)
    response = HttpResponse(content, status=status)
    return apply_reporter_headers(response)


def bad_request(request, exception, template_name=ERROR_400_TEMPLATE):
    """``handler400``: a request too big or malformed to read. Nothing was stored."""
    if _is_admin_request(request):
        return django_defaults.bad_request(request, exception)
    return _render_error(request, template_name, 400)


def page_not_found(request, exception, template_name=ERROR_404_TEMPLATE):
    """``handler404``: no page at this address, sent with the reporter headers and no-store
    like every reporter page; the admin keeps Django's and Wagtail's own."""
    if _is_admin_request(request):
        return django_defaults.page_not_found(request, exception)
    return _render_error(request, template_name, 404)


def server_error(request, template_name=ERROR_500_TEMPLATE):
    """``handler500``: the same headers for a server error, and a page that cannot fail."""
    if _is_admin_request(request):
        return django_defaults.server_error(request)
    try:
        return _render_error(request, template_name, 500)
    except Exception:  # whatever broke the page may break its error page too
        return apply_reporter_headers(HttpResponseServerError(BARE_500_PAGE))


def csrf_failure(request, reason="", template_name=CSRF_FAILURE_TEMPLATE):
    """``CSRF_FAILURE_VIEW``: tell a reporter nothing was sent and how to send it again."""
    if _is_admin_request(request) or settings.DEBUG:
        return django_csrf.csrf_failure(request, reason=reason)
    return _render_error(request, template_name, 403)


# --- CSRF under Referrer-Policy: no-referrer ---------------------------------------------


class CsrfViewMiddleware(DjangoCsrfViewMiddleware):
    """Django's CSRF middleware, accepting the ``Origin: null`` of a no-referrer page only
    when the browser itself says the post is same-origin.

    Browsers serialise the origin of a form post as ``null`` when the page's referrer
    policy is ``no-referrer``, so Django's origin check would refuse every report and
    message. Such a post is accepted only outside the admin and only with
    ``Sec-Fetch-Site: same-origin``, a header pages cannot set, so a post from another
    site, a sibling subdomain included (``same-site``), is refused whatever cookie it
    planted; the CSRF token must still match the cookie. Any real origin, and every
    post to the admin, gets Django's own checks.
    """

    def _origin_verified(self, request):
        if request.META.get("HTTP_ORIGIN") == "null":
            return request.META.get(
                "HTTP_SEC_FETCH_SITE"
            ) == "same-origin" and not _is_admin_request(request)
        return super()._origin_verified(request)


# A spreadsheet reads a cell that starts with one of these as a formula (or, for tab and
# carriage return, after skipping them): an adviser's name "=HYPERLINK(...)" would run.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value):
    """A text cell a spreadsheet would run as a formula, prefixed with a single quote so that
    it is shown as the text it is (OWASP's advice for CSV injection). Every CSV the app
    writes (the case list's export, the statistics) passes its cells through this."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value
