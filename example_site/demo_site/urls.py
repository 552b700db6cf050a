from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
]

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()

# Pages in other languages than English are under their language's prefix (/cy/report/);
# English pages keep their addresses (/report/).
urlpatterns += i18n_patterns(path("", include(wagtail_urls)), prefix_default_language=False)

# Reporters get a page that explains a request too big or malformed to read (DEBUG off).
handler400 = "anon_messaging.security.bad_request"
# The same for an address with no page, and for a server error (DEBUG off); the admin keeps
# its own pages.
handler404 = "anon_messaging.security.page_not_found"
handler500 = "anon_messaging.security.server_error"
