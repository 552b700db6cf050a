"""A case is reachable only by its own reporter session (and by advisers allowed to see it).

Reporter URLs carry no case id: the session alone says which case a browser
reaches, so these tests attack the session: another reporter's, none, a
planted one, one that logged out or went idle, and a code's session after its
case closed. The admin access matrix is in tests/test_admin_permissions.py; one
cross-check here makes sure an adviser cannot open a case not theirs.
"""

import time

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from anon_messaging import cases
from anon_messaging.login import SESSION_CASE_KEY, SESSION_SEEN_KEY
from anon_messaging.models import Case, Message
from tests.reporter_journey import case_for_code
from tests.security_support import (
    MESSAGING,
    MESSAGING_LOGOUT,
    MESSAGING_SEND,
    log_in,
    random_text,
    send_anonymous_report,
)


@pytest.fixture
def two_reporters(reporter_site):
    """Two reporters, each logged in to their own case, with a reply waiting for each."""
    people = []
    for _ in range(2):
        marker = random_text()
        client = Client()
        code = send_anonymous_report(client, f"report {marker}")
        log_in(client, code)
        case = case_for_code(code)
        cases.post_message(case, sender=Message.Sender.ADVISER, body=f"reply {marker}")
        people.append((client, code, case, marker))
    return people


def conversation(client):
    return client.get(MESSAGING).content.decode()


def is_log_in_page(response):
    return response.status_code == 200 and response.context.get("case") is None


def test_each_session_reaches_only_its_own_case(two_reporters):
    (alice, _, alice_case, alice_marker), (bob, _, bob_case, bob_marker) = two_reporters
    alice_page, bob_page = conversation(alice), conversation(bob)
    assert f"report {alice_marker}" in alice_page and f"reply {alice_marker}" in alice_page
    assert f"report {bob_marker}" not in alice_page and f"reply {bob_marker}" not in alice_page
    assert f"report {bob_marker}" in bob_page and f"report {alice_marker}" not in bob_page

    # Sending goes to the sender's own case, whatever else the form carries.
    response = alice.post(MESSAGING_SEND, {"body": "from alice", "case": bob_case.pk})
    assert response.status_code == 302
    assert alice_case.messages.filter(body__isnull=False).count() == 2
    assert [m.body for m in bob_case.messages.all()] == [f"reply {bob_marker}"]
    # Query strings and paths carry no case: the same pages answer the same way.
    assert (
        f"report {bob_marker}" not in alice.get(f"{MESSAGING}?case={bob_case.pk}").content.decode()
    )
    assert alice.get(f"{MESSAGING}{bob_case.pk}/").status_code == 404


def test_without_a_session_no_case_is_reachable(two_reporters):
    (_alice, _, alice_case, alice_marker), _bob = two_reporters
    stranger = Client()
    assert is_log_in_page(stranger.get(MESSAGING))
    before = Message.objects.count()
    response = stranger.post(MESSAGING_SEND, {"body": "sneaky"})
    assert response.status_code == 200
    assert "Your session had ended, so your message was not sent." in response.content.decode()
    assert Message.objects.count() == before
    assert f"reply {alice_marker}" not in stranger.post(MESSAGING_LOGOUT).content.decode()


def test_a_planted_session_is_replaced_at_log_in(reporter_site):
    code = send_anonymous_report(Client(), "Fixation target.")
    # The attacker makes a session and plants its key in the reporter's browser.
    planted = SessionStore()
    planted.create()
    reporter = Client()
    reporter.cookies[django_settings.SESSION_COOKIE_NAME] = planted.session_key
    log_in(reporter, code)
    assert reporter.cookies[django_settings.SESSION_COOKIE_NAME].value != planted.session_key

    attacker = Client()
    attacker.cookies[django_settings.SESSION_COOKIE_NAME] = planted.session_key
    assert is_log_in_page(attacker.get(MESSAGING))


def test_a_session_cookie_is_worthless_after_log_out(two_reporters):
    (alice, _, _, alice_marker), _bob = two_reporters
    stolen = alice.cookies[django_settings.SESSION_COOKIE_NAME].value
    assert alice.post(MESSAGING_LOGOUT).status_code == 200
    assert is_log_in_page(alice.get(MESSAGING))

    thief = Client()
    thief.cookies[django_settings.SESSION_COOKIE_NAME] = stolen
    response = thief.get(MESSAGING)
    assert is_log_in_page(response)
    assert f"reply {alice_marker}" not in response.content.decode()


def test_an_idle_session_ends_and_its_cookie_with_it(two_reporters, settings):
    (alice, _, _, alice_marker), _bob = two_reporters
    stolen = alice.cookies[django_settings.SESSION_COOKIE_NAME].value
    session = alice.session
    idle = settings.ANON_MESSAGING.get("SESSION_IDLE_SECONDS", 30 * 60)
    session[SESSION_SEEN_KEY] = int(time.time()) - idle - 1
    session.save()

    response = alice.get(MESSAGING)
    assert is_log_in_page(response)
    assert "You were logged out because the page was left unused" in response.content.decode()
    thief = Client()
    thief.cookies[django_settings.SESSION_COOKIE_NAME] = stolen
    assert is_log_in_page(thief.get(MESSAGING))


def test_the_session_holds_the_case_id_only_and_ends_with_the_browser(reporter_site):
    reporter = Client()
    code = send_anonymous_report(reporter, "Session contents.")
    response = log_in(reporter, code)
    cookie = response.cookies[django_settings.SESSION_COOKIE_NAME]
    # No max-age or expiry: the cookie goes when the browser closes.
    assert cookie["max-age"] == "" and cookie["expires"] == ""
    session = reporter.session
    assert set(session.keys()) <= {
        SESSION_CASE_KEY,
        SESSION_SEEN_KEY,
        "_messages",
        "_session_expiry",
    }
    stored = SessionStore().decode(
        type(session).get_model_class().objects.get(session_key=session.session_key).session_data
    )
    compact = code.replace("-", "")
    for value in map(str, stored.values()):
        assert compact not in value and code not in value
    for morsel in reporter.cookies.values():
        assert compact not in morsel.value


def test_a_closed_case_can_be_read_but_takes_no_messages(two_reporters):
    (alice, _, alice_case, alice_marker), _bob = two_reporters
    Case.objects.filter(pk=alice_case.pk).update(
        status=Case.Status.CLOSED, closed_at=timezone.now()
    )
    before = Message.objects.count()
    response = alice.post(MESSAGING_SEND, {"body": "Anyone?"})
    assert response.status_code == 200
    assert "This case is closed" in response.content.decode()
    assert Message.objects.count() == before
    assert f"reply {alice_marker}" in conversation(alice)


def test_an_adviser_cannot_open_a_case_that_is_not_theirs(two_reporters):
    (_alice, _, alice_case, alice_marker), _bob = two_reporters
    # An adviser who may work on cases, but on none of these: not assigned, not in the team.
    outsider = get_user_model().objects.create_user("outsider", password="not-used-here")
    outsider.user_permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="view_case", content_type__app_label="anon_messaging"),
    )
    adviser = Client()
    adviser.force_login(outsider)
    for action in ("inspect", "history", "contact"):
        url = reverse(f"anon_messaging_case_modeladmin_{action}", args=[alice_case.pk])
        response = adviser.get(url)
        assert response.status_code in (302, 403, 404), action
        assert f"report {alice_marker}" not in response.content.decode()
