"""The README's first walk through the demo, step by step, exactly as it is written.

Each step is done through the pages and the admin as the README tells a new user to,
and every label the README names is checked against what the pages show.
"""

import io
import re
from datetime import timedelta
from pathlib import Path

from bs4 import BeautifulSoup
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_q.models import Schedule
from django_q.scheduler import scheduler
from wagtail.models import Site

from anon_messaging import deadlines
from tests.admin_forms import anonymous_form_page, form_data, page_edit_url
from tests.reporter_journey import (
    MESSAGING,
    MESSAGING_LOGOUT,
    MESSAGING_SEND,
    SHOWN_CODE,
    SUPPORT,
    anonymous_answers,
    cases_from_now,
    fresh_token,
)

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
WALK = README[README.index("A first walk through it:") : README.index("## Run the tests")]


def step(number):
    match = re.search(rf"^{number}\. (.*?)(?=^\d\. |\Z)", WALK, re.MULTILINE | re.DOTALL)
    assert match, f"README has no step {number}"
    return " ".join(match.group(1).split())


def page(response):
    return BeautifulSoup(response.content.decode(), "html.parser")


def log_in(username):
    client = Client()
    assert client.login(username=username, password="changeme")  # noqa: S106
    return client


def test_the_readmes_walk_through_is_exactly_true(demo_site):
    # 1. /report/ -> Report anonymously; yes to messaging; the thank-you page gives a day.
    assert "select **Report anonymously**" in step(1)
    reporter = Client()
    report = page(reporter.get("/report/"))
    link = report.find("a", string="Report anonymously")
    new_cases = cases_from_now()
    form_url = link["href"]
    data = anonymous_answers("Walking through the README.")
    data["submission_token"] = fresh_token(reporter, form_url)
    thank_you = reporter.post(form_url, data)
    assert "says by which day you can expect a reply" in step(1)
    assert "You can expect a reply by the end of" in thank_you.content.decode()
    code = SHOWN_CODE.search(thank_you.content.decode()).group(1)
    assert "16-character code" in step(1) and len(code.replace("-", "")) == 16
    case = new_cases.get()

    # 2. Log in beside the code (or /messaging/), read the report, send a message, log out.
    assert "Select **Log in** beside the code" in step(2)
    log_in_link = page(thank_you).find("a", string="Log in")
    assert log_in_link["href"] == MESSAGING
    assert reporter.post(MESSAGING, {"code": code}).status_code == 302
    assert "Walking through the README." in reporter.get(MESSAGING).content.decode()
    assert reporter.post(MESSAGING_SEND, {"body": "Hello from the README."}).status_code == 302
    reporter.post(MESSAGING_LOGOUT)

    # 3. The adviser's dashboard counts it; Cases, Received twice: newest first; open,
    #    reply, note.
    label = "New cases waiting in my teams, no adviser yet"
    assert f"under **{label}**" in step(3)
    adviser = log_in("adviser")
    dashboard = page(adviser.get("/admin/"))
    row = dashboard.find("a", string=label)
    assert int(row.find_parent("tr").find("td").get_text()) >= 1
    assert case.reference in adviser.get(row["href"]).content.decode()
    assert "select the **Received** heading twice" in step(3)
    listing = page(adviser.get("/admin/anon_messaging/case/"))
    for _click in range(2):
        heading = listing.select_one("th.column-created_at a")
        listing = page(adviser.get("/admin/anon_messaging/case/" + heading["href"]))
    first_row = listing.select_one("table.listing tbody tr")
    assert first_row.select_one("td.field-reference").get_text(strip=True) == case.reference
    case_url = first_row.select_one("td.field-reference a")["href"]
    assert (
        adviser.post(case_url, {"action": "reply", "reply-body": "Thank you."}).status_code == 302
    )
    assert adviser.post(case_url, {"action": "note", "note-body": "Read it."}).status_code == 302

    # 4. The reporter logs in again: the reply is there, marked new.
    reporter.post(MESSAGING, {"code": code})
    conversation = page(reporter.get(MESSAGING))
    new = conversation.select_one(".am-message--new")
    assert "Thank you." in new.get_text() and "New" in new.get_text()

    # 5. The editor: Settings, Reporting settings; 2 working days; moderation for pages.
    assert "open **Settings**, **Reporting settings**" in step(5)
    editor = log_in("editor")
    menu = editor.get("/admin/").content.decode()
    assert '"Settings"' in menu and '"Reporting settings"' in menu
    menu_item = "/admin/settings/anon_messaging/reportingsettings/"
    assert menu_item in menu
    settings_url = editor.get(menu_item, follow=True).redirect_chain[-1][0]
    assert settings_url.endswith(f"/reportingsettings/{Site.objects.get().pk}/")
    data = form_data(editor.get(settings_url))
    data["response_working_days"] = "2"
    assert editor.post(settings_url, data).status_code == 302
    assert "We aim to respond within 2 working days" in Client().get(SUPPORT).content.decode()
    later = cases_from_now()
    second = Client()
    answers = anonymous_answers("After the change.")
    answers["submission_token"] = fresh_token(second, form_url)
    second.post(form_url, answers)
    fresh = later.get()
    calendar = deadlines.policy_for_site(fresh.site_id).calendar
    assert fresh.response_due_at == calendar.due(fresh.created_at, 2)
    assert "publishes nothing directly" in step(5)
    editing = editor.get(page_edit_url(anonymous_form_page())).content.decode()
    assert 'name="action-submit"' in editing and 'name="action-publish"' not in editing

    # 6. The first start sends a reminder and an escalation, once; a restart sends neither.
    assert "They go out once" in step(6)
    mail.outbox.clear()
    Schedule.objects.update(next_run=timezone.now() - timedelta(seconds=1))
    scheduler()
    subjects = {message.subject for message in mail.outbox}
    assert {"A case needs attention", "An overdue case needs attention"} <= subjects
    mail.outbox.clear()
    call_command("seed_demo", stdout=io.StringIO())
    Schedule.objects.update(next_run=timezone.now() - timedelta(seconds=1))
    scheduler()
    assert not [m for m in mail.outbox if m.subject != "New activity in the reporting service"]
