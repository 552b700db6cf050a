"""What a server error report may say about a reporter's request.

Django emails ``ADMINS`` a report of every server error (and a site may log the
same report). By default it includes the POST data, the cookies, the request
headers and, in HTML reports, each frame's local variables. On a reporter page
those hold the code being typed, the report's text, the session key and the
client's address, browser and referrer: none of it may leave the request. This
filter keeps the traceback and the path, which is what fixing the error needs.

Reporter pages set it on their requests; a site can make it the default for
every request with ``DEFAULT_EXCEPTION_REPORTER_FILTER``
(docs/install.md), which also covers errors raised before a page is reached.

Under ``DEBUG`` Django shows the same report as the error page itself, to
whoever sent the request. Django's filters stand aside then; this one keeps
cleansing every request outside the Wagtail admin (a reporter's, as far as it
can tell), so a demo or a test site run with ``DEBUG`` on never shows a
reporter's address, browser or answers. The admin's own requests are shown in
full under ``DEBUG``, for the developer.
"""

from django.urls import NoReverseMatch, reverse
from django.views.debug import SafeExceptionReporterFilter

# Request environment keys that say nothing about who sent the request or what it held.
HARMLESS_META_KEYS = frozenset(
    {
        "CONTENT_LENGTH",
        "CONTENT_TYPE",
        "HTTP_HOST",
        "PATH_INFO",
        "REQUEST_METHOD",
        "SCRIPT_NAME",
        "SERVER_NAME",
        "SERVER_PORT",
        "SERVER_PROTOCOL",
    }
)


def is_admin_request(request):
    """Is this a request to the Wagtail admin (its own pages, previews and log-in)?"""
    try:
        admin_prefix = reverse("wagtailadmin_home")
    except NoReverseMatch:
        return False
    return request.path.startswith(admin_prefix)


class ReporterExceptionReporterFilter(SafeExceptionReporterFilter):
    """Cleanses everything a reporter sent: POST data, cookies, headers, local variables."""

    def is_active(self, request):
        # Off DEBUG, as Django's filter. Under DEBUG too for every request but the admin's:
        # DEBUG's error page would show a reporter's address and browser to anyone watching.
        if super().is_active(request):
            return True
        return request is not None and not is_admin_request(request)

    def get_post_parameters(self, request):
        if request is None or not self.is_active(request):
            return super().get_post_parameters(request)
        cleansed = request.POST.copy()
        for name in cleansed:
            cleansed[name] = self.cleansed_substitute
        return cleansed

    def get_safe_cookies(self, request):
        if request is None or not self.is_active(request):
            return super().get_safe_cookies(request)
        return dict.fromkeys(request.COOKIES, self.cleansed_substitute)

    def get_safe_request_meta(self, request):
        if request is None or not self.is_active(request):
            return super().get_safe_request_meta(request)
        return {
            name: value if name in HARMLESS_META_KEYS else self.cleansed_substitute
            for name, value in request.META.items()
        }

    def get_traceback_frame_variables(self, request, tb_frame):
        if not self.is_active(request):
            return super().get_traceback_frame_variables(request, tb_frame)
        # Any frame may hold the typed code or the report text in a local variable.
        return [(name, self.cleansed_substitute) for name in tb_frame.f_locals]


def protect_request(request):
    """Make any error report about this request use the cleansing filter."""
    request.exception_reporter_filter = ReporterExceptionReporterFilter()
