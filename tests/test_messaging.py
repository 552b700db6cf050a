"""The reporter's side of messaging: reading the report, the conversation, sending, and
sessions that reach only their own case and end when they should."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.utils import timezone
from wagtail.models import Site

from anon_messaging import cases, login
from anon_messaging.models import Case, Message, ReportingSettings
from tests.reporter_journey import (
    MESSAGING,
    MESSAGING_LOGOUT,
    MESSAGING_SEND,
    cases_from_now,
    log_in,
    submit_anonymous,
)

SESSION_COOKIE = "sessionid"
LOG_IN_BUTTON = ">Log in</button>"
LOG_OUT_BUTTON = ">Log out</button>"


@pytest.fixture
def new_cases(reporter_site):
    """The cases this test makes."""
    return cases_from_now()


class FakeClock:
    """Stands in for the ``time`` module in login.py, so idle time passes without sleeping."""

    def __init__(self):
        self.now = 1_900_000_000.0

    def time(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(login, "time", fake)
    return fake


@pytest.fixture
def reporter(new_cases, client):
    """A reporter who sent an anonymous report with messaging and is logged in."""
    _response, code = submit_anonymous(client, "Report of reporter A.")
    client.code = code
    client.case = new_cases.get()
    assert log_in(client, code).status_code == 302
    return client


def new_reporter(client_class, what_happened):
    other = client_class()
    _response, code = submit_anonymous(other, what_happened)
    other.case = Case.objects.order_by("-pk").first()
    other.code = code
    assert log_in(other, code).status_code == 302
    return other


def page_html(client, url=MESSAGING):
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def session_key(client):
    return client.cookies[SESSION_COOKIE].value if SESSION_COOKIE in client.cookies else None


# --- Reading the report and the conversation ---------------------------------------------------


def test_after_log_in_the_reporter_reads_their_report_but_cannot_edit_it(reporter):
    response = reporter.get(MESSAGING)
    html = response.content.decode()
    assert "Report of reporter A." in html
    assert "Bullying, Hate" in html
    assert "No messages yet." in html
    form = response.context["form"]
    # Only a new message can be written, with files (issue 12); the report cannot be edited.
    assert set(form.fields) == {"body", "attachments"}


def test_the_conversation_reads_oldest_first(reporter):
    case = reporter.case
    now = timezone.now()
    # Stored newest first, so the page has to order them itself.
    for minutes_ago, body in [(1, "third"), (30, "first"), (10, "second")]:
        Message.objects.create(
            case=case,
            sender=Message.Sender.REPORTER,
            body=f"Message {body}",
            created_at=now - timezone.timedelta(minutes=minutes_ago),
        )
    html = page_html(reporter)
    positions = [html.index(f"Message {body}") for body in ("first", "second", "third")]
    assert positions == sorted(positions)


def test_a_message_sent_by_the_reporter_appears_and_is_stored(reporter, new_cases):
    response = reporter.post(MESSAGING_SEND, {"body": "Can you tell me what happens next?"})
    assert response.status_code == 302
    message = Message.objects.filter(case__in=new_cases).get()
    assert message.case == reporter.case
    assert message.sender == Message.Sender.REPORTER
    html = page_html(reporter)
    assert "Your message was sent." in html
    assert "Can you tell me what happens next?" in html
    reporter.case.refresh_from_db()
    assert reporter.case.awaiting_reply


def test_a_message_over_the_limit_is_refused_with_the_text_kept(reporter, new_cases):
    too_long = "x" * 5000 + "END-OF-TEXT"
    response = reporter.post(MESSAGING_SEND, {"body": too_long})
    assert response.status_code == 200
    html = response.content.decode()
    assert "This is 5011 characters long; the limit is 5000 characters." in html
    assert too_long in html
    assert 'aria-invalid="true"' in html
    assert "Up to 5000 characters." in html
    assert not Message.objects.filter(case__in=new_cases).exists()


def test_the_message_limit_follows_the_setting(reporter, settings, new_cases):
    settings.ANON_MESSAGING = {**settings.ANON_MESSAGING, "MESSAGE_MAX_LENGTH": 20}
    response = reporter.post(MESSAGING_SEND, {"body": "twenty-one characters"})
    assert "This is 21 characters long; the limit is 20 characters." in response.content.decode()
    assert reporter.post(MESSAGING_SEND, {"body": "exactly twenty chars"}).status_code == 302
    assert Message.objects.filter(case__in=new_cases).count() == 1


def test_an_empty_message_gets_a_clear_error(reporter, new_cases):
    response = reporter.post(MESSAGING_SEND, {"body": "   "})
    assert "Write a message before sending." in response.content.decode()
    assert not Message.objects.filter(case__in=new_cases).exists()


def test_adviser_messages_carry_the_display_name_and_are_new_only_once(reporter):
    site_settings = ReportingSettings.for_site(Site.objects.get(is_default_site=True))
    site_settings.adviser_display_name = "The Wellbeing Team"
    site_settings.save()
    adviser = get_user_model().objects.create_user(
        username="jsmith-casework", first_name="Jane", last_name="Smithson", password="x"
    )
    cases.post_message(
        reporter.case, sender="adviser", body="Thank you for telling us.", author=adviser
    )

    first_look = page_html(reporter)
    message = re.search(
        r'<li class="am-message am-message--adviser[^"]*".*?</li>', first_look, re.S
    )
    assert message is not None
    assert "am-message--new" in message.group(0)
    assert ">New<" in message.group(0)
    assert "The Wellbeing Team" in message.group(0)
    assert "Thank you for telling us." in message.group(0)
    for account in ("jsmith-casework", "Jane", "Smithson"):
        assert account not in first_look

    second_look = page_html(reporter)
    assert "Thank you for telling us." in second_look
    assert "am-message--new" not in second_look
    assert ">New<" not in second_look


def test_a_closed_case_takes_no_new_messages(reporter, new_cases):
    Case.objects.filter(pk=reporter.case.pk).update(status=Case.Status.CLOSED)
    html = page_html(reporter)
    assert "This case is closed" in html
    assert 'name="body"' not in html
    response = reporter.post(MESSAGING_SEND, {"body": "One more thing <b>here</b>."})
    assert response.status_code == 200
    html = response.content.decode()
    assert "This case is closed" in html
    assert not Message.objects.filter(case__in=new_cases).exists()
    # What the person typed (the case closed while they wrote) is shown back to copy,
    # read-only, escaped, and not as a form that could be sent.
    assert "Your message, not sent" in html
    assert "One more thing &lt;b&gt;here&lt;/b&gt;." in html
    assert 'name="body"' not in html


# --- Sessions reach only their own case --------------------------------------------------------


def test_two_reporters_see_only_their_own_case(reporter, client):
    other = new_reporter(type(client), "Report of reporter B.")
    reporter.post(MESSAGING_SEND, {"body": "Written by A."})
    other.post(MESSAGING_SEND, {"body": "Written by B."})
    cases.post_message(reporter.case, sender="adviser", body="Adviser to A.")
    cases.post_message(other.case, sender="adviser", body="Adviser to B.")

    seen_by_a = page_html(reporter)
    seen_by_b = page_html(other)
    for own, others in ((seen_by_a, "B"), (seen_by_b, "A")):
        assert f"Report of reporter {others}." not in own
        assert f"Written by {others}." not in own
        assert f"Adviser to {others}." not in own
    assert "Report of reporter A." in seen_by_a and "Adviser to A." in seen_by_a
    assert "Report of reporter B." in seen_by_b and "Adviser to B." in seen_by_b


def test_a_session_cannot_post_to_another_case(reporter, client):
    other = new_reporter(type(client), "Report of reporter B.")
    target = other.case
    # Nothing a reporter sends names a case: whatever is added, the session decides.
    response = reporter.post(
        MESSAGING_SEND,
        {
            "body": "Meant for B.",
            "case": target.pk,
            "case_id": target.pk,
            "reference": target.reference,
        },
    )
    assert response.status_code == 302
    assert not target.messages.exists()
    assert reporter.case.messages.get().body == "Meant for B."
    assert "Meant for B." not in page_html(other)


def test_without_a_session_nothing_can_be_sent(new_cases, client):
    submit_anonymous(client, "A case nobody is logged in to.")
    response = client.post(MESSAGING_SEND, {"body": "Sneaking in."})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Your session had ended, so your message was not sent." in html
    assert LOG_IN_BUTTON in html
    assert not Message.objects.filter(case__in=new_cases).exists()
    # A long account written while the session ran out is not lost: it is shown to copy.
    assert "Your message, not sent" in html and ">Sneaking in.</textarea>" in html
    assert "Sneaking in." not in str(dict(client.session))


def test_the_session_key_changes_at_log_in(new_cases, client):
    _response, code = submit_anonymous(client, "Session fixation check.")
    client.session.save()  # a session that exists before log-in, as a planted one would
    before = session_key(client)
    assert before is not None
    assert log_in(client, code).status_code == 302
    after = session_key(client)
    assert after and after != before
    assert not Session.objects.filter(session_key=before).exists()
    # Someone who knew the old key gets nothing.
    planted = type(client)()
    planted.cookies[SESSION_COOKIE] = before
    assert "Session fixation check." not in page_html(planted)


def test_the_session_cookie_ends_when_the_browser_closes(new_cases, client):
    _response, code = submit_anonymous(client, "Browser close check.")
    response = log_in(client, code)
    cookie = response.cookies[SESSION_COOKIE]
    assert cookie.value
    assert cookie["expires"] == "" and cookie["max-age"] == ""
    assert cookie["httponly"]
    assert cookie["samesite"] == "Strict"


def test_the_session_ends_after_the_idle_time(new_cases, client, clock, settings):
    settings.ANON_MESSAGING = {**settings.ANON_MESSAGING, "SESSION_IDLE_SECONDS": 600}
    _response, code = submit_anonymous(client, "Idle check.")
    log_in(client, code)

    # Activity keeps the session going: 599 seconds at a time is never idle.
    for _ in range(3):
        clock.advance(599)
        assert "Idle check." in page_html(client)

    clock.advance(601)
    html = page_html(client)
    assert "Idle check." not in html
    assert "You were logged out because the page was left unused for a while." in html
    assert LOG_IN_BUTTON in html
    # And it stays ended: the next page does not bring the case back.
    assert "Idle check." not in page_html(client)
    response = client.post(MESSAGING_SEND, {"body": "Too late."})
    assert not Message.objects.filter(case__in=new_cases).exists()
    assert "Your session had ended" in response.content.decode()


def test_log_out_ends_the_session_at_once(new_cases, client):
    _response, code = submit_anonymous(client, "Log-out check.")
    log_in(client, code)
    assert LOG_OUT_BUTTON in page_html(client)
    logged_in_key = session_key(client)

    response = client.post(MESSAGING_LOGOUT)
    assert response.status_code == 200
    assert "You have logged out" in response.content.decode()
    assert "Log-out check." not in page_html(client)
    # A copy of the cookie from before the log-out reaches nothing either.
    copy = type(client)()
    copy.cookies[SESSION_COOKIE] = logged_in_key
    assert "Log-out check." not in page_html(copy)
    assert copy.post(MESSAGING_SEND, {"body": "From the copy."}).status_code == 200
    assert not Message.objects.filter(case__in=new_cases).exists()


def test_log_out_needs_a_post(reporter):
    response = reporter.get(MESSAGING_LOGOUT)
    assert response.status_code == 302
    assert "Report of reporter A." in page_html(reporter)


def test_a_code_posted_while_logged_in_leaves_the_first_case(reporter, client):
    """A code posted into a logged-in session logs out of that case first, so nobody can
    keep a reporter inside a case of someone else's choosing (or their own, unseen)."""
    other = new_reporter(type(client), "Report of reporter B.")
    other.post(MESSAGING_LOGOUT)
    assert log_in(reporter, other.code).status_code == 302
    html = page_html(reporter)
    assert "Report of reporter B." in html and "Report of reporter A." not in html

    # A wrong code leaves the session logged out of every case.
    assert log_in(reporter, "0000-0000-0000-0000").status_code == 200
    assert reporter.get(MESSAGING).context.get("case") is None


# --- Nothing kept in caches --------------------------------------------------------------------


def assert_no_store(response):
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_thank_you_log_in_and_messaging_pages_are_never_stored(new_cases, client):
    thank_you, code = submit_anonymous(client, "Cache check.")
    assert_no_store(thank_you)
    assert_no_store(client.get(MESSAGING))
    failed = log_in(client, "0000-0000-0000-0000")
    assert_no_store(failed)
    log_in(client, code)
    assert_no_store(client.get(MESSAGING))
    assert_no_store(client.post(MESSAGING_SEND, {"body": ""}))
    assert_no_store(client.post(MESSAGING_LOGOUT))


def test_what_a_reporter_wrote_is_shown_as_text_never_as_markup(new_cases, client):
    markup = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    _response, code = submit_anonymous(client, markup)
    log_in(client, code)
    client.post(MESSAGING_SEND, {"body": markup})
    html = page_html(client)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert html.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;") == 2


# --- Long conversations ------------------------------------------------------------------------


def add_messages(case, count):
    sender = [Message.Sender.REPORTER, Message.Sender.ADVISER]
    start = timezone.now() - timezone.timedelta(days=30)
    Message.objects.bulk_create(
        Message(
            case=case,
            sender=sender[number % 2],
            body=f"Numbered message {number:04d}.",
            created_at=start + timezone.timedelta(minutes=number),
        )
        for number in range(count)
    )


def test_a_long_conversation_shows_the_latest_page_and_earlier_ones_on_request(reporter):
    add_messages(reporter.case, 120)
    latest = page_html(reporter)
    assert "Numbered message 0119." in latest and "Numbered message 0070." in latest
    assert "Numbered message 0069." not in latest
    assert 'href="?earlier=1#conversation-heading"' in latest

    earlier = page_html(reporter, MESSAGING + "?earlier=1")
    assert "Numbered message 0069." in earlier and "Numbered message 0020." in earlier
    assert "Numbered message 0070." not in earlier and "Numbered message 0019." not in earlier
    assert "Show the latest messages" in earlier

    first = page_html(reporter, MESSAGING + "?earlier=2")
    assert "Numbered message 0000." in first and "Numbered message 0019." in first
    assert "Show earlier messages" not in first
    # Anything but a small page number shows the latest page.
    for mangled in ("-1", "abc", "99999999999999999999", "1.5"):
        assert "Numbered message 0119." in page_html(reporter, MESSAGING + f"?earlier={mangled}")


@pytest.mark.parametrize("count", [10, 1000])
def test_the_conversation_page_costs_the_same_queries_however_long(
    reporter, count, django_assert_max_num_queries
):
    add_messages(reporter.case, count)
    page_html(reporter)  # marks the advisers' messages read once
    # 16: with Wagtail's internationalisation on, its router looks up the active locale.
    with django_assert_max_num_queries(16):
        page_html(reporter)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        (
            "A" * 100,
            "That is much longer than a code, which has 16 letters and numbers. Paste or type "
            "only the code.",
        ),
        (
            "ABCD\x00EFGH2345JKLM",
            "A code has only letters and numbers, and what was entered had a character that is "
            "neither. Type the code again.",
        ),
    ],
)
def test_a_code_that_cannot_be_one_is_told_what_is_wrong(new_cases, client, typed, expected):
    response = client.post(MESSAGING, {"code": typed})
    assert response.status_code == 200
    assert response.context["form"].errors["code"] == [expected]
    assert "_auth_user_id" not in client.session and len(client.session.keys()) == 0


def test_with_a_second_site_every_reporter_redirect_stays_on_the_address_reached(
    reporter_site, client
):
    """A new user added a second site: Page.url then names the default site's host
    (http://localhost/...), so the log-in sent the reporter to an address that did not
    answer. Every redirect of the messaging page is a path on the host the reporter used."""
    Site.objects.create(hostname="second.example", port=80, root_page=reporter_site.home)
    host = {"HTTP_HOST": "127.0.0.1:8000"}  # as the demo is reached
    _response, code = submit_anonymous(client, "Reached under another name.")
    responses = {
        "log-in": client.post(MESSAGING, {"code": code}, **host),
        "send": client.post(MESSAGING_SEND, {"body": "Still here."}, **host),
        "send-get": client.get(MESSAGING_SEND, **host),
        "log-out-get": client.get(MESSAGING_LOGOUT, **host),
    }
    locations = {name: response["Location"] for name, response in responses.items()}
    assert locations == {
        "log-in": MESSAGING,
        "send": MESSAGING + "#latest",
        "send-get": MESSAGING,
        "log-out-get": MESSAGING,
    }
    assert Message.objects.get().body == "Still here."
