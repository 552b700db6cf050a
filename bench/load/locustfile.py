"""The load test's people: reporters with and without a code, returning reporters, advisers.

Run by bench/load/run.py (headless, bounded in time, against 127.0.0.1 only). Every
report and message carries a unique marker; the ledger of what was sent is written to
LOAD_LEDGER when the run ends, so the runner can find each one in the database.
Each simulated person has an address of their own in X-Forwarded-For (the settings
read it), as people behind their own connections would; a reporter is someone new
with each report. LOAD_ADDRESS_OFFSET (set by the runner for each level) keeps one
level's people apart from the last's, so the per-address throttle sees new people.
"""

import itertools
import json
import os
import random
import re
import threading
import uuid

from locust import HttpUser, between, events, task

MESSAGING = "/messaging/"
REPORT_FORMS = ["/report/anonymous/", "/report/with-contact-details/"]
CODE = re.compile(r"\b([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})\b")
CASE_LINK = re.compile(r"/admin/anon_messaging/case/inspect/(\d+)/")
ADVISER_PASSWORD = "changeme"  # noqa: S105 - the demo's seeded, demo-only password

_ledger = {"reports": [], "messages": [], "replies": []}
_ledger_lock = threading.Lock()
_addresses = itertools.count(int(os.environ.get("LOAD_ADDRESS_OFFSET", "0")) + 1)


def record(kind, marker):
    with _ledger_lock:
        _ledger[kind].append(marker)


@events.quitting.add_listener
def write_ledger(environment, **kwargs):
    path = os.environ.get("LOAD_LEDGER")
    if path:
        with open(path, "w") as ledger:
            json.dump(_ledger, ledger)


def field(html, name):
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    return match.group(1) if match else ""


def new_address():
    number = next(_addresses)
    return f"10.{number // 65536 % 256}.{number // 256 % 256}.{number % 256}"


class Person(HttpUser):
    abstract = True
    wait_time = between(1, 3)

    def on_start(self):
        self.client.headers["X-Forwarded-For"] = new_address()

    def post_form(self, url, html, data, name):
        data = {"csrfmiddlewaretoken": field(html, "csrfmiddlewaretoken"), **data}
        return self.client.post(url, data=data, name=name)


class Reporter(Person):
    """Fills in a report form; with a code, comes back, reads and writes messages."""

    weight = 5

    def report(self, with_code):
        # Each report comes from someone new: a person reports once or twice, not hourly.
        self.client.headers["X-Forwarded-For"] = new_address()
        url = REPORT_FORMS[0] if with_code else random.choice(REPORT_FORMS)
        form = self.client.get(url, name="GET report form")
        marker = f"load-{uuid.uuid4().hex}"
        data = {
            "submission_token": field(form.text, "submission_token"),
            "what_happened": f"Load test report {marker}.",
            "what_kind_of_behaviour_was_it": ["Bullying"],
            "has_this_happened_before": "Not sure",
        }
        if url == REPORT_FORMS[0]:
            data["messaging_opt_in"] = "yes" if with_code else "no"
        else:
            data.update(
                reporter_name="Load Test",
                reporter_email="load@example.org",
                preferred_contact="email",
            )
        name = "POST report (code, argon2)" if with_code else "POST report (no code)"
        response = self.post_form(url, form.text, data, name)
        if "We have received and stored your report." in response.text:
            record("reports", marker)
        found = CODE.search(response.text) if with_code else None
        return found.group(1) if found else None

    @task(2)
    def report_without_code(self):
        self.report(with_code=False)

    @task(3)
    def report_and_talk(self):
        code = self.report(with_code=True)
        if not code:
            return
        page = self.client.get(MESSAGING, name="GET log-in page")
        self.post_form(MESSAGING, page.text, {"code": code}, "POST log-in (argon2)")
        for _ in range(2):
            conversation = self.client.get(MESSAGING, name="GET conversation")
            marker = f"load-{uuid.uuid4().hex}"
            response = self.post_form(
                MESSAGING + "send/",
                conversation.text,
                {"body": f"Load test message {marker}."},
                "POST message",
            )
            if response.ok and "Your message was sent." in response.text:
                record("messages", marker)
        conversation = self.client.get(MESSAGING, name="GET conversation")
        self.post_form(MESSAGING + "logout/", conversation.text, {}, "POST log-out")


class Adviser(Person):
    """Logs in to the admin, lists cases, opens them and replies."""

    weight = 1

    def on_start(self):
        super().on_start()
        page = self.client.get("/admin/login/", name="GET admin log-in")
        self.post_form(
            "/admin/login/",
            page.text,
            {"username": "adviser", "password": ADVISER_PASSWORD},
            "POST admin log-in",
        )

    @task
    def work_through_cases(self):
        listing = self.client.get("/admin/anon_messaging/case/", name="GET case list")
        ids = CASE_LINK.findall(listing.text)
        if not ids:
            return
        case_id = random.choice(ids[:10])
        url = f"/admin/anon_messaging/case/inspect/{case_id}/"
        case_page = self.client.get(url, name="GET case view")
        if 'name="reply-body"' not in case_page.text:
            return
        marker = f"load-{uuid.uuid4().hex}"
        response = self.post_form(
            url,
            case_page.text,
            {"action": "reply", "reply-body": f"Load test reply {marker}."},
            "POST reply",
        )
        if "Reply sent." in response.text:
            record("replies", marker)
