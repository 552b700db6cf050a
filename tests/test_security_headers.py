"""Reporter pages leave no trace: strict headers, nothing fetched from another host.

Every reporter page of the site (home, both report forms, thank-you pages, log-in,
conversation, logged out, support pages, error pages) is rendered through HTTP
and checked for the headers and for any URL that would make the browser contact
another host. The only one allowed is the quick-exit link to the site's
configured neutral site. The Wagtail admin keeps its own headers.
"""

import re

import pytest
from django.conf import settings as django_settings
from django.contrib.staticfiles import finders
from django.test import Client
from wagtail.models import Page

from anon_messaging import cases
from anon_messaging.models import Message, ReportingSettings
from anon_messaging.security import CONTENT_SECURITY_POLICY
from tests.factories import PASSWORD
from tests.reporter_journey import case_for_code
from tests.security_support import (
    ANONYMOUS_FORM,
    CONTACT_FORM,
    HOME,
    MESSAGING,
    MESSAGING_LOGOUT,
    MESSAGING_SEND,
    REPORT_HUB,
    SUPPORT,
    is_external,
    log_in,
    report_form_data,
    send_anonymous_report,
    urls_in_html,
    wrong_code,
)

NEUTRAL_SITE = "https://neutral.example.net/weather?today=1"


@pytest.fixture
def site(reporter_site):
    site = reporter_site.site
    reporting = ReportingSettings.for_site(site)
    reporting.quick_exit_url = NEUTRAL_SITE
    reporting.save()
    return site


def collect_reporter_pages(settings):
    """(name, response) for every reporter page a visitor can reach, in journey order."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    pages = []
    client = Client()
    for name, path in [
        ("home", HOME),
        ("report hub", REPORT_HUB),
        ("anonymous form", ANONYMOUS_FORM),
        ("contact form", CONTACT_FORM),
        ("support", "/support/"),
        ("support questions", SUPPORT),
        ("privacy notice", "/support/privacy/"),
        ("emergency contacts", "/support/emergency-contacts/"),
        ("not found (404)", "/no-such-page/"),
        ("log-in", MESSAGING),
    ]:
        pages.append((name, client.get(path)))

    pages.append(("anonymous form with errors", client.post(ANONYMOUS_FORM, {})))
    data = report_form_data(client, ANONYMOUS_FORM, "Something happened in the library.")
    thank_you = client.post(ANONYMOUS_FORM, data)
    pages.append(("anonymous thank-you", thank_you))
    pages.append(("already received", client.post(ANONYMOUS_FORM, data)))
    contact = report_form_data(client, CONTACT_FORM, "Something happened in the lab.")
    pages.append(("contact thank-you", client.post(CONTACT_FORM, contact)))

    pages.append(("log-in wrong code", client.post(MESSAGING, {"code": wrong_code()})))
    for _ in range(5):
        client.post(MESSAGING, {"code": wrong_code()})
    pages.append(("log-in refused", client.post(MESSAGING, {"code": wrong_code()})))

    code = send_anonymous_report(client, "Another thing happened.")
    case = case_for_code(code)
    cases.post_message(case, sender=Message.Sender.ADVISER, body="How can we help?")
    pages.append(("log-in redirect", log_in(client, code)))
    pages.append(("conversation", client.get(MESSAGING)))
    pages.append(("message sent redirect", client.post(MESSAGING_SEND, {"body": "Thank you."})))
    pages.append(("conversation after sending", client.get(MESSAGING)))
    pages.append(("message with errors", client.post(MESSAGING_SEND, {"body": ""})))
    pages.append(("logged out", client.post(MESSAGING_LOGOUT)))
    pages.append(("session ended", client.post(MESSAGING_SEND, {"body": "Late."})))

    pages.append(("request too big (400)", client.post(MESSAGING, {"code": "x" * 20_000})))
    strict = Client(enforce_csrf_checks=True)
    strict.get(MESSAGING)
    pages.append(("form without CSRF token (403)", strict.post(MESSAGING, {"code": "x"})))
    return pages


@pytest.fixture
def reporter_pages(site, settings):
    return collect_reporter_pages(settings)


def test_every_reporter_page_was_rendered(reporter_pages):
    statuses = {name: response.status_code for name, response in reporter_pages}
    assert statuses["anonymous thank-you"] == 200
    assert statuses["log-in refused"] == 429
    assert statuses["log-in redirect"] == 302
    assert statuses["request too big (400)"] == 400
    assert statuses["form without CSRF token (403)"] == 403
    pages = dict(reporter_pages)
    assert "Your report has been sent" in pages["anonymous thank-you"].content.decode()
    assert "How can we help?" in pages["conversation"].content.decode()


def test_reporter_pages_send_the_strict_headers(reporter_pages):
    for name, response in reporter_pages:
        assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY, name
        assert response["Referrer-Policy"] == "no-referrer", name
        assert response["X-Frame-Options"] == "DENY", name
        assert response["X-Content-Type-Options"] == "nosniff", name
        permissions = response["Permissions-Policy"]
        for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
            assert f"{feature}=()" in permissions, name
        cache_control = response["Cache-Control"]
        assert "no-store" in cache_control and "private" in cache_control, name


def test_content_security_policy_allows_nothing_from_elsewhere():
    directives = {part.split()[0]: part.split()[1:] for part in CONTENT_SECURITY_POLICY.split("; ")}
    assert directives["default-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]
    for name, sources in directives.items():
        assert set(sources) <= {"'self'", "'none'"}, name


def test_reporter_pages_link_to_no_other_host_but_the_quick_exit(reporter_pages):
    for name, response in reporter_pages:
        if response.status_code in (301, 302):
            assert not is_external(response["Location"]), name
            continue
        html = response.content.decode()
        external = [url for url in urls_in_html(html) if is_external(url)]
        # The quick exit, as the page writes it (HTML-escaped).
        assert external == [NEUTRAL_SITE.replace("&", "&amp;")], (name, external)


def test_reporter_pages_have_no_inline_script_or_style(reporter_pages):
    for name, response in reporter_pages:
        if response.status_code in (301, 302):
            continue
        html = response.content.decode()
        for script in re.findall(r"<script\b[^>]*>", html, flags=re.IGNORECASE):
            assert 'src="/static/' in script, (name, script)
        # Every script element is empty: its code comes from its src.
        assert not re.search(r"<script\b[^>]*>(?!\s*</script>)", html), name
        assert not re.search(r"\son[a-z]+\s*=", html, flags=re.IGNORECASE), name
        assert not re.search(r"\sstyle\s*=", html, flags=re.IGNORECASE), name
        assert "<style" not in html.lower(), name


def test_stylesheet_and_script_fetch_nothing_from_elsewhere():
    for asset in ("anon_messaging/anon_messaging.css", "anon_messaging/anon_messaging.js"):
        path = finders.find(asset)
        assert path, asset
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        assert not [url for url in urls_in_html(text) if is_external(url)], asset
        assert "http://" not in text and "https://" not in text and "//" + "cdn" not in text


def test_quick_exit_is_a_plain_link_on_every_page(reporter_pages):
    for name, response in reporter_pages:
        if response.status_code in (301, 302):
            continue
        html = response.content.decode()
        links = re.findall(r"<a\b[^>]*data-quick-exit[^>]*>", html)
        assert len(links) == 1, name
        link = links[0]
        assert f'href="{NEUTRAL_SITE.replace("&", "&amp;")}"' in link, name
        assert "noreferrer" in link, name
        # Before the main content, so it is the first thing a keyboard reaches after the skip link.
        assert html.index("data-quick-exit") < html.index('id="main-content"'), name
        # The Escape hint is hidden until the script, which handles the key, shows it.
        assert re.search(r"<span\b[^>]*data-quick-exit-hint[^>]*\bhidden\b", html), name
        assert re.search(r'<script src="/static/anon_messaging/anon_messaging\.js" defer>', html)


def test_script_handles_escape_three_times_and_the_markup_it_needs():
    with open(finders.find("anon_messaging/anon_messaging.js"), encoding="utf-8") as handle:
        script = handle.read()
    assert "a[data-quick-exit]" in script and "[data-quick-exit-hint]" in script
    assert '"Escape"' in script and "ESCAPES_NEEDED = 3" in script
    assert "location.replace(exitLink.href)" in script


def test_session_cookie_is_http_only_and_same_site_strict(site):
    client = Client()
    code = send_anonymous_report(client, "Cookie check.")
    log_in(client, code)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Strict"
    csrf_cookie = client.cookies[django_settings.CSRF_COOKIE_NAME]
    assert csrf_cookie["samesite"] == "Strict"


def test_production_settings_make_cookies_secure(monkeypatch):
    import importlib

    monkeypatch.setenv("DJANGO_SECRET_KEY", "x" * 60)
    monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", "reports.example.org")
    production = importlib.import_module("demo_site.settings.production")
    production = importlib.reload(production)
    assert production.SESSION_COOKIE_SECURE is True
    assert production.CSRF_COOKIE_SECURE is True
    assert production.SESSION_COOKIE_HTTPONLY is True
    assert production.SESSION_COOKIE_SAMESITE == "Strict"
    assert production.DEBUG is False


@pytest.mark.parametrize(
    "admin_path",
    ["/admin/", "/admin/pages/", "/admin/pages/{page}/edit/", "/admin/pages/{page}/view_draft/"],
)
def test_admin_keeps_its_own_headers(site, site_admin, admin_path):
    admin = Client()
    assert admin.login(username="admin", password=PASSWORD)
    messaging = Page.objects.get(url_path__endswith="/messaging/")
    response = admin.get(admin_path.format(page=messaging.pk))
    assert response.status_code == 200
    # Wagtail's admin runs inline scripts and shows previews in frames: no reporter CSP,
    # including for a draft or preview of a reporter page rendered by the admin.
    assert response.get("Content-Security-Policy") != CONTENT_SECURITY_POLICY
