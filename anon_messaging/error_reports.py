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
"""

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


class ReporterExceptionReporterFilter(SafeExceptionReporterFilter):
    """Cleanses everything a reporter sent: POST data, cookies, headers, local variables."""

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
