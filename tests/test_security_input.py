"""Bad input: hostile text renders escaped, CSRF holds, malformed requests get a clear 4xx.

Answers, messages, notes and editor text carrying script, HTML and odd Unicode
are sent the way people send them (report forms, the messaging page, the
adviser's reply and notes, the page editor in the Wagtail admin) and every page
that shows them is checked. Oversized and malformed requests get a helpful page
and store nothing. Hypothesis fuzzes the log-in, report and message endpoints:
no server error and no partial write.
"""

import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from wagtail.models import Page, Site

from anon_messaging import cases
from anon_messaging.forms import new_submission_token
from anon_messaging.models import Case, ContactDetails, InternalNote, Message, ReportingSettings
from tests.factories import PASSWORD
from tests.reporter_journey import case_for_code
from tests.security_support import (
    ANONYMOUS_FORM,
    CONTACT_FORM,
    MESSAGING,
    MESSAGING_LOGOUT,
    MESSAGING_SEND,
    SUPPORT,
    log_in,
    report_form_data,
    send_anonymous_report,
    use_throttle_cache,
)

SCRIPT = '<script>alert("x")</script>'
HOSTILE = [
    SCRIPT,
    '"><img src=x onerror=alert(1)>',
    "<svg/onload=alert(2)>",
    "</textarea><b>bold</b>",
    "javascript:alert(3)",
    "{{ request.META }} {% debug %} {sla}",
    "right-to-left \u202etxt.exe\u202c override",
    "zero\u200bwidth\u200djoiner\ufeff",
    "A\u0301\u0302\u0303 combining, 👩🏽‍💻 emoji, ﷽",
]
# What must never appear unescaped in a page that shows the hostile texts.
FORBIDDEN_MARKUP = [SCRIPT, "<img src=x", "<svg/onload", "<b>bold</b>"]
BAD_REQUEST_TEXT = "Your form could not be read"
CSRF_TEXT = "Your form was not sent"


@pytest.fixture
def site(reporter_site, site_admin, intake_adviser, settings):
    use_throttle_cache(settings)
    return Site.objects.get(is_default_site=True)


def assert_shown_escaped(html, texts):
    for forbidden in FORBIDDEN_MARKUP:
        assert forbidden not in html, forbidden
    # Escaped, they read as text: Django escapes <, >, &, " and '.
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "{{ request.META }} {% debug %} {sla}" in html  # shown as typed, never evaluated
    for text in texts:
        if not any(mark in text for mark in "<>&\"'"):
            assert text in html, text


def admin_client():
    client = Client()
    assert client.login(username="admin", password=PASSWORD)
    return client


def counts():
    return (
        Case.objects.count(),
        ContactDetails.objects.count(),
        Message.objects.count(),
        InternalNote.objects.count(),
    )


# --- Hostile text is shown escaped, wherever it is shown ------------------------------------


def test_hostile_answers_and_messages_render_escaped_for_reporter_and_adviser(site):
    reporter = Client()
    answers = {
        "what_happened": "\n".join(HOSTILE),
        "when_did_it_happen": SCRIPT,
        "where_did_it_happen": "\u202eevil\u202c",
    }
    code = send_anonymous_report(reporter, answers.pop("what_happened"), **answers)
    log_in(reporter, code)
    for text in HOSTILE:
        assert reporter.post(MESSAGING_SEND, {"body": text}).status_code == 302
    case = case_for_code(code)
    adviser = get_user_model().objects.get(username="adviser")
    for text in HOSTILE:
        cases.post_message(case, sender=Message.Sender.ADVISER, body=text, author=adviser)
        InternalNote.objects.create(case=case, author=adviser, body=text)

    conversation = reporter.get(MESSAGING).content.decode()
    assert_shown_escaped(conversation, HOSTILE)
    # Text from people is bidi-isolated, so an override cannot flip the page around it.
    assert re.search(r'<div class="am-message__body" dir="auto">\s*<p>right-to-left', conversation)
    assert '<dd dir="auto">\u202eevil\u202c</dd>' in conversation

    admin = admin_client()
    for name in ("inspect", "history"):
        url = reverse(f"anon_messaging_case_modeladmin_{name}", args=[case.pk])
        response = admin.get(url)
        assert response.status_code == 200, name
        html = response.content.decode()
        for forbidden in FORBIDDEN_MARKUP:
            assert forbidden not in html, (name, forbidden)
    inspect = admin.get(reverse("anon_messaging_case_modeladmin_inspect", args=[case.pk]))
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in inspect.content.decode()


def test_hostile_contact_details_render_escaped_for_the_adviser(site):
    client = Client()
    data = report_form_data(client, CONTACT_FORM, SCRIPT, reporter_name=SCRIPT)
    assert client.post(CONTACT_FORM, data).status_code == 200
    case = Case.objects.filter(route=Case.Route.CONTACT).order_by("-pk").first()
    response = admin_client().get(reverse("anon_messaging_case_modeladmin_contact", args=[case.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert SCRIPT not in html
    assert "&lt;script&gt;" in html


def test_hostile_editor_text_renders_escaped(site):
    reporting = ReportingSettings.for_site(site)
    reporting.response_time_wording = "<b>{days}</b> working days"
    reporting.adviser_display_name = SCRIPT
    reporting.save()
    form_page = Page.objects.get(url_path__endswith="/anonymous/").specific
    form_page.submit_button_text = SCRIPT
    form_page.messaging_question = "<img src=x onerror=alert(1)> question?"
    field = form_page.form_fields.first()
    field.help_text = "<svg/onload=alert(2)> help"
    field.save()
    form_page.save_revision().publish()
    support = Page.objects.get(url_path__endswith="/anonymous-messaging/").specific
    support.body = [("question", {"question": f"{SCRIPT} {{sla}}", "answer": "<p>{sla}</p>"})]
    support.save_revision().publish()

    form_html = Client().get(ANONYMOUS_FORM).content.decode()
    support_html = Client().get(SUPPORT).content.decode()
    for html in (form_html, support_html):
        for forbidden in FORBIDDEN_MARKUP:
            assert forbidden not in html
    assert "&lt;script&gt;" in form_html
    # {sla} is filled in with the site's wording, escaped like any other text.
    assert "&lt;b&gt;3&lt;/b&gt; working days" in support_html
    assert "<b>3</b>" not in support_html


def test_rich_text_sent_through_the_page_editor_cannot_carry_script(site):
    page = Page.objects.get(url_path__endswith="/messaging/").specific
    contentstate = {
        "blocks": [
            {
                "key": "a1",
                "text": f"{SCRIPT} click here",
                "type": "unstyled",
                "depth": 0,
                "inlineStyleRanges": [],
                "entityRanges": [{"offset": len(SCRIPT) + 1, "length": 5, "key": 0}],
                "data": {},
            }
        ],
        "entityMap": {
            "0": {"type": "LINK", "mutability": "MUTABLE", "data": {"url": "javascript:alert(2)"}}
        },
    }
    data = {
        "title": f"{page.title} <b>bold</b>",
        "slug": page.slug,
        "intro": json.dumps(contentstate),
        "login_help": json.dumps(contentstate),
        "conversation_help": "null",
        "logout_text": "null",
        "seo_title": "",
        "search_description": "",
        "go_live_at": "",
        "expire_at": "",
        "action-publish": "action-publish",
        "comments-TOTAL_FORMS": "0",
        "comments-INITIAL_FORMS": "0",
        "comments-MIN_NUM_FORMS": "0",
        "comments-MAX_NUM_FORMS": "1000",
    }
    response = admin_client().post(reverse("wagtailadmin_pages:edit", args=[page.pk]), data)
    assert response.status_code == 302

    html = Client().get(MESSAGING).content.decode()
    assert "javascript:" not in html
    for forbidden in FORBIDDEN_MARKUP:
        assert forbidden not in html
    assert "&lt;script&gt;" in html
    assert "Anonymous messaging &lt;b&gt;bold&lt;/b&gt;" in html


# --- Characters that cannot be stored, or cannot arrive ------------------------------------


def test_nul_bytes_get_a_clear_error_and_nothing_is_stored(site):
    reporter = Client()
    code = send_anonymous_report(reporter, "A report.")
    log_in(reporter, code)
    before = counts()
    response = reporter.post(MESSAGING_SEND, {"body": "hello\x00world"})
    assert response.status_code == 200
    assert "Null characters are not allowed." in response.content.decode()
    data = report_form_data(reporter, ANONYMOUS_FORM, "nul\x00byte")
    response = reporter.post(ANONYMOUS_FORM, data)
    assert response.status_code == 200
    assert "Null characters are not allowed." in response.content.decode()
    assert "There is a problem" in response.content.decode()
    assert counts() == before
    response = Client().post(MESSAGING, {"code": "AAAA\x00"})
    assert response.status_code == 200
    assert "A code has only letters and numbers" in response.content.decode()


def test_bytes_that_are_not_utf8_arrive_as_replacement_characters(site):
    reporter = Client()
    code = send_anonymous_report(reporter, "A report.")
    log_in(reporter, code)
    # An invalid byte, and a lone surrogate encoded as UTF-8 would be: neither is valid UTF-8.
    response = reporter.generic(
        "POST",
        MESSAGING_SEND,
        b"body=before%FF%ED%A0%80after",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 302
    body = Message.objects.filter(case=case_for_code(code)).latest("pk").body
    assert body.startswith("before\ufffd") and body.endswith("after")
    assert "\ud800" not in body
    assert reporter.get(MESSAGING).status_code == 200


def test_very_long_lines_are_kept_and_over_long_text_is_refused_with_its_length(site, settings):
    reporter = Client()
    code = send_anonymous_report(reporter, "x" * 9_999)
    log_in(reporter, code)
    limit = settings.ANON_MESSAGING.get("MESSAGE_MAX_LENGTH", 5000)
    assert reporter.post(MESSAGING_SEND, {"body": "y" * limit}).status_code == 302
    before = counts()
    response = reporter.post(MESSAGING_SEND, {"body": "z" * (limit + 1)})
    assert response.status_code == 200
    html = response.content.decode()
    assert f"This is {limit + 1:d} characters long; the limit is {limit:d}" in html
    assert "z" * (limit + 1) in html  # the typed text is kept
    assert counts() == before
    assert reporter.get(MESSAGING).status_code == 200


# --- CSRF ----------------------------------------------------------------------------------


def csrf_token(client, path):
    client.get(path)
    return client.cookies["csrftoken"].value


@pytest.mark.parametrize("path", [ANONYMOUS_FORM, CONTACT_FORM, MESSAGING])
def test_csrf_is_enforced_on_report_and_log_in_forms(site, path):
    plain = Client()
    code = send_anonymous_report(plain, "For the log-in form.")
    strict = Client(enforce_csrf_checks=True)
    data = report_form_data(strict, path, "CSRF check.") if path != MESSAGING else {"code": code}
    before = counts()

    response = strict.post(path, data)
    assert response.status_code == 403
    assert CSRF_TEXT in response.content.decode()
    assert counts() == before
    assert "_auth_user_id" not in strict.session and "anon_messaging.case" not in strict.session

    token = csrf_token(strict, path)
    response = strict.post(path, {**data, "csrfmiddlewaretoken": "x" * 64})
    assert response.status_code == 403
    response = strict.post(path, {**data, "csrfmiddlewaretoken": token})
    assert response.status_code in (200, 302)
    assert counts() != before or path == MESSAGING


def test_csrf_is_enforced_on_sending_and_logging_out(site):
    strict = Client(enforce_csrf_checks=True)
    code = send_anonymous_report(Client(), "For messaging.")
    token = csrf_token(strict, MESSAGING)
    assert strict.post(MESSAGING, {"code": code, "csrfmiddlewaretoken": token}).status_code == 302
    before = counts()

    response = strict.post(MESSAGING_SEND, {"body": "Forged?"})
    assert response.status_code == 403
    assert counts() == before
    response = strict.post(MESSAGING_LOGOUT)
    assert response.status_code == 403
    assert strict.get(MESSAGING).context["case"] is not None  # still logged in

    token = strict.cookies["csrftoken"].value
    response = strict.post(MESSAGING_SEND, {"body": "Real.", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert counts()[2] == before[2] + 1


@pytest.mark.parametrize("path", [ANONYMOUS_FORM, MESSAGING])
def test_posts_from_a_no_referrer_page_pass_only_with_the_csrf_token(site, path):
    # Under Referrer-Policy: no-referrer a browser sends "Origin: null" with every form
    # post, over HTTPS as well, and "Sec-Fetch-Site: same-origin" for a post from the
    # site's own page. The token decides; a real foreign origin is still refused.
    plain = Client()
    code = send_anonymous_report(plain, "For the log-in form.")
    strict = Client(enforce_csrf_checks=True)
    data = report_form_data(strict, path, "Origin null.") if path != MESSAGING else {"code": code}
    token = csrf_token(strict, path)
    before = counts()

    null_origin = {"HTTP_ORIGIN": "null", "HTTP_SEC_FETCH_SITE": "same-origin", "secure": True}
    assert strict.post(path, data, **null_origin).status_code == 403
    foreign = {**data, "csrfmiddlewaretoken": token}
    response = strict.post(path, foreign, HTTP_ORIGIN="https://attacker.example", secure=True)
    assert response.status_code == 403
    assert counts() == before

    response = strict.post(path, {**data, "csrfmiddlewaretoken": token}, **null_origin)
    assert response.status_code in (200, 302)
    assert counts() != before or "anon_messaging.case" in strict.session


@pytest.mark.parametrize("fetch_site", ["same-site", "cross-site", None])
@pytest.mark.parametrize("path", [ANONYMOUS_FORM, MESSAGING])
def test_a_cookie_planted_from_a_sibling_subdomain_does_not_pass_a_null_origin(
    site, path, fetch_site
):
    """The pentest planted a csrftoken cookie (as a sibling subdomain can) and posted its
    token with Origin: null. Only the browser's own Sec-Fetch-Site: same-origin, which a
    page cannot set, lets a null origin through."""
    plain = Client()
    code = send_anonymous_report(plain, "For the log-in form.")
    attacker = Client(enforce_csrf_checks=True)
    data = report_form_data(plain, path, "Planted.") if path != MESSAGING else {"code": code}
    planted = "P" * 32
    attacker.cookies["csrftoken"] = planted
    headers = {"HTTP_ORIGIN": "null", "secure": True}
    if fetch_site:
        headers["HTTP_SEC_FETCH_SITE"] = fetch_site
    before = counts()
    response = attacker.post(path, {**data, "csrfmiddlewaretoken": planted}, **headers)
    assert response.status_code == 403
    assert counts() == before
    assert "anon_messaging.case" not in attacker.session


def test_the_admin_gets_djangos_own_csrf_checks_even_from_a_same_origin_null(site):
    """A null origin is accepted nowhere in the admin: the pentest saved a note that way."""
    adviser = Client(enforce_csrf_checks=True)
    token = csrf_token(adviser, "/admin/login/")
    same_origin_null = {"HTTP_ORIGIN": "null", "HTTP_SEC_FETCH_SITE": "same-origin"}
    credentials = {"username": "adviser", "password": "changeme", "csrfmiddlewaretoken": token}
    response = adviser.post("/admin/login/", credentials, **same_origin_null, secure=True)
    assert response.status_code == 403
    assert "_auth_user_id" not in adviser.session


# --- Oversized and malformed requests ---------------------------------------------------------

MALFORMED = {
    "json body": (b'{"code": "ABCD"}', "application/json"),
    "plain text": (b"body=hello", "text/plain"),
    "multipart without boundary": (b"body=hello", "multipart/form-data"),
    "broken multipart": (
        b'--xx\r\nContent-Disposition: form-data; name="body"\r\n\r\nhi',
        "multipart/form-data; boundary=xx",
    ),
    "unknown charset": (b"body=hello", "application/x-www-form-urlencoded; charset=bogus"),
    "utf-16 charset": (b"body=hello", "application/x-www-form-urlencoded; charset=utf-16"),
    "broken percent escapes": (b"body=%zz%&code=%%%", "application/x-www-form-urlencoded"),
    "raw bytes": (b"\xff\xfe\x00\x01=\x80\x81", "application/x-www-form-urlencoded"),
}


@pytest.mark.parametrize("path", [ANONYMOUS_FORM, CONTACT_FORM, MESSAGING, MESSAGING_SEND])
def test_malformed_requests_get_a_4xx_or_the_form_again_and_store_nothing_partial(site, path):
    reporter = Client()
    code = send_anonymous_report(reporter, "Logged in for sending.")
    if path == MESSAGING_SEND:
        log_in(reporter, code)
    for name, (body, content_type) in MALFORMED.items():
        before = counts()
        response = reporter.generic("POST", path, body, content_type=content_type)
        assert response.status_code in (200, 302, 400), name
        if response.status_code == 400:
            assert BAD_REQUEST_TEXT in response.content.decode(), name
        # Whatever could be read is stored whole and acknowledged, or nothing is stored.
        stored = [after - was for after, was in zip(counts(), before, strict=True)]
        if path == MESSAGING_SEND and response.status_code == 302:
            assert stored == [0, 0, 1, 0], name
        else:
            assert stored == [0, 0, 0, 0], name
        assert_consistent()


@pytest.mark.parametrize("path", [ANONYMOUS_FORM, CONTACT_FORM, MESSAGING, MESSAGING_SEND])
def test_requests_too_big_or_with_too_many_fields_get_the_400_page(site, settings, path):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 50_000
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 100
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2
    reporter = Client()
    code = send_anonymous_report(reporter, "Logged in for sending.")
    if path == MESSAGING_SEND:
        log_in(reporter, code)
    data = report_form_data(reporter, ANONYMOUS_FORM, "x")
    before = counts()

    too_big = {**data, "what_happened": "x" * 60_000, "body": "x" * 60_000}
    too_many = {**data, **{f"extra{i}": "1" for i in range(150)}}
    for name, response in [
        ("too big", reporter.post(path, too_big)),
        ("too many fields", reporter.post(path, too_many)),
        (
            "too many files",
            reporter.post(path, {**data, **{f"f{i}": _upload(i) for i in range(5)}}),
        ),
    ]:
        assert response.status_code == 400, name
        html = response.content.decode()
        assert BAD_REQUEST_TEXT in html, name
        assert "Nothing was stored or sent." in html
        assert response["Content-Security-Policy"].startswith("default-src 'none'")
    assert counts() == before


def _upload(index):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(f"file{index}.txt", b"content", content_type="text/plain")


def test_a_bad_host_header_gets_the_400_page(site):
    response = Client().get(MESSAGING, HTTP_HOST="evil.example.com:99999")
    assert response.status_code == 400
    assert BAD_REQUEST_TEXT in response.content.decode()


# --- Fuzzing -----------------------------------------------------------------------------

FUZZ = hypothesis_settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Any text a browser can send: everything but surrogates, which UTF-8 cannot carry.
ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=300)
FIELD_VALUE = st.one_of(ANY_TEXT, st.lists(ANY_TEXT, max_size=3))


def assert_consistent():
    """No partial writes: every contact case has its details, every case its answers."""
    contact_cases = Case.objects.filter(route=Case.Route.CONTACT)
    assert ContactDetails.objects.count() == contact_cases.count()
    assert not ContactDetails.objects.exclude(case__route=Case.Route.CONTACT).exists()
    assert all(isinstance(case.answers, list) for case in Case.objects.all())


@FUZZ
@given(code=ANY_TEXT, extra=st.dictionaries(ANY_TEXT, FIELD_VALUE, max_size=3))
def test_fuzz_log_in(site, code, extra):
    before = counts()
    response = Client().post(MESSAGING, {**extra, "code": code})
    assert response.status_code in (200, 400, 429)
    assert counts() == before


@FUZZ
@given(
    route=st.sampled_from([ANONYMOUS_FORM, CONTACT_FORM]),
    fields=st.fixed_dictionaries(
        {},
        optional={
            "what_happened": FIELD_VALUE,
            "what_kind_of_behaviour_was_it": FIELD_VALUE,
            "when_did_it_happen": FIELD_VALUE,
            "has_this_happened_before": FIELD_VALUE,
            "messaging_opt_in": st.sampled_from(["yes", "no", "maybe", ""]),
            "reporter_name": ANY_TEXT,
            "reporter_email": st.one_of(ANY_TEXT, st.emails()),
            "reporter_phone": ANY_TEXT,
            "preferred_contact": st.sampled_from(["email", "phone", "pigeon"]),
            "submission_token": ANY_TEXT,
        },
    ),
    extra=st.dictionaries(ANY_TEXT, FIELD_VALUE, max_size=2),
)
def test_fuzz_report_forms(site, route, fields, extra):
    client = Client()
    before = counts()
    # A valid report underneath, so the fuzzed fields reach the storing path as well.
    valid = {
        "submission_token": new_submission_token(),
        "what_happened": "Fuzzed report.",
        "what_kind_of_behaviour_was_it": ["Bullying"],
        "messaging_opt_in": "yes",
        "reporter_name": "Alex",
        "reporter_email": "alex@example.org",
        "preferred_contact": "email",
    }
    response = client.post(route, {**valid, **extra, **fields})
    assert response.status_code in (200, 400)
    created = counts()[0] - before[0]
    event(f"status {response.status_code}, cases created: {created}")
    html = response.content.decode()
    # A case exists exactly when the thank-you page says so.
    assert created == (1 if "We have received and stored your report." in html else 0)
    assert counts()[2:] == before[2:]
    assert_consistent()


@pytest.fixture
def fuzz_reporter(site):
    """A logged-in reporter, shared by all the examples of one test (the database persists)."""
    client = Client()
    log_in(client, send_anonymous_report(client, "Fuzzed conversation."))
    return client


@FUZZ
@given(body=FIELD_VALUE, extra=st.dictionaries(ANY_TEXT, FIELD_VALUE, max_size=2))
def test_fuzz_messages(fuzz_reporter, body, extra):
    before = counts()
    response = fuzz_reporter.post(MESSAGING_SEND, {**extra, "body": body})
    assert response.status_code in (200, 302, 400)
    sent = counts()[2] - before[2]
    event(f"status {response.status_code}, messages stored: {sent}")
    # A message is stored exactly when the page redirects to say it was sent.
    assert sent == (1 if response.status_code == 302 else 0)
    assert counts()[:2] == before[:2]
    assert fuzz_reporter.session.get("anon_messaging.case") is not None
