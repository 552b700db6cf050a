"""Helpers for driving the demo's reporter pages through the Django test client.

The demo site (``seed_demo``) gives an anonymous report form, a report form with
contact details and a messaging page; these helpers fill them in the way a
browser would, so the tests exercise the same requests a reporter sends.
"""

import re

from anon_messaging.models import Case

ANONYMOUS_FORM = "/report/anonymous/"
CONTACT_FORM = "/report/with-contact-details/"
MESSAGING = "/messaging/"
MESSAGING_SEND = "/messaging/send/"
MESSAGING_LOGOUT = "/messaging/logout/"
SUPPORT = "/support/anonymous-messaging/"

# A code as the thank-you page shows it: four groups of four symbols of the alphabet.
SHOWN_CODE = re.compile(r"\b([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})\b")
_CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')

WRONG_CODE_ERROR = "That code did not match a report."


def fresh_token(client, url):
    """The submission token the form page hands out, as a browser would send it back."""
    response = client.get(url)
    assert response.status_code == 200
    return response.context["form"]["submission_token"].value()


def anonymous_answers(what_happened, *, opt_in=True, **extra):
    data = {
        "what_happened": what_happened,
        "what_kind_of_behaviour_was_it": ["Bullying", "Hate"],
        "when_did_it_happen": "Last term",
        "where_did_it_happen": "The library",
        "has_this_happened_before": "Not sure",
        "messaging_opt_in": "yes" if opt_in else "no",
    }
    data.update(extra)
    return data


def contact_answers(what_happened, **extra):
    data = {
        "what_happened": what_happened,
        "what_kind_of_behaviour_was_it": ["Discrimination"],
        "when_did_it_happen": "",
        "where_did_it_happen": "",
        "has_this_happened_before": "No",
        "reporter_name": "Alex Example",
        "reporter_email": "alex@example.org",
        "reporter_phone": "+44 20 7946 0000",
        "preferred_contact": "email",
    }
    data.update(extra)
    return data


def submit(client, url, data, *, token=None):
    """POST a report form with a token from the form page (or the one given)."""
    if token is None:
        token = fresh_token(client, url)
    return client.post(url, {**data, "submission_token": token})


def submit_anonymous(client, what_happened, *, opt_in=True, **extra):
    """Send an anonymous report; returns (response, code as shown or None)."""
    response = submit(client, ANONYMOUS_FORM, anonymous_answers(what_happened, opt_in=opt_in))
    assert response.status_code == 200, response.content
    return response, shown_code(response)


def shown_code(response):
    match = SHOWN_CODE.search(response.content.decode())
    return match.group(1) if match else None


def log_in(client, typed_code):
    return client.post(MESSAGING, {"code": typed_code})


def without_csrf_token(html):
    return _CSRF_INPUT.sub('name="csrfmiddlewaretoken" value=""', html)


def cases_from_now():
    """A query for the cases made from now on, apart from the ones the demo seeds."""
    newest = Case.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    return Case.objects.filter(pk__gt=newest)


def case_for_code(code):
    """The case a code opens, found and verified as a log-in does (one argon2 verification)."""
    from anon_messaging import codes, login

    normalised = codes.normalise_code(code)
    return login.verify(normalised, login.find_case(normalised) if normalised else None)
