"""Formal case work (issue 16), through the admin's own forms and the reporter's pages:
conflicts of interest, reports taken in person or by phone, contact details shared later,
redaction and case files."""

import io
import json
import re
import sys
from datetime import timedelta

import pytest
from django.apps import apps
from django.core import mail
from django.core.checks import run_checks
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from anon_messaging import (
    audit,
    cases,
    codes,
    file_cleaning,
    notifications,
    reminders,
    reporting_settings,
)
from anon_messaging.fields import EncryptedJSONField, EncryptedTextField
from anon_messaging.models import (
    Attachment,
    Case,
    CaseExclusion,
    CaseLogEntry,
    ContactDetails,
    InternalNote,
    Message,
)
from anon_messaging.pages import ReportFormPage
from tests.admin_forms import form_data, page_edit_url
from tests.admin_support import CASE_ADVISERS, LIST_URL, case_url
from tests.evidence_files import png_screenshot, stored_files
from tests.factories import make_case, make_user
from tests.reporter_journey import (
    ANONYMOUS_FORM,
    MESSAGING,
    MESSAGING_SEND,
    anonymous_answers,
    log_in,
    shown_code,
    submit,
    submit_anonymous,
)

pytest_plugins = ["tests.admin_fixtures"]

SHARE_CONTACT = "/messaging/contact-details/"
RECORD_URL = "/admin/anon_messaging/case/record/"


def text(response):
    return re.sub(r"\s+", " ", response.content.decode())


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def history_actions(case):
    return list(audit.history(case).values_list("action", flat=True))


def pdf_text(content):
    reader = PdfReader(io.BytesIO(content))
    return [page.extract_text() for page in reader.pages], reader


@pytest.fixture
def lead(cast):
    """An adviser in the intake team who may exclude advisers and redact."""
    return make_user(
        "lena",
        groups=[CASE_ADVISERS],
        permissions=["exclude_advisers", "redact_case", "view_all_cases"],
        last_name="Lead",
    )


@pytest.fixture
def case_with_file(cast):
    """A case assigned to bob and the intake team, with an image sent with the report."""
    cleaned = file_cleaning.clean_file(png_screenshot())
    case, code = cases.create_case(
        route=Case.Route.ANONYMOUS,
        answers=[{"label": "What happened?", "type": "multiline", "value": "The story."}],
        site=None,
        form_page=None,
        submission_token=None,
        opt_in=True,
        files=[cleaned],
    )
    Case.objects.filter(pk=case.pk).update(assigned_to=cast.unassigned)
    case.refresh_from_db()
    case.code = code
    return case


# --- 1. Conflicts of interest -----------------------------------------------------------------


def exclude(client, case, adviser, reason="Line manager of the person reported"):
    return client.post(
        case_url(case),
        {"action": "exclude", "exclude-adviser": adviser.pk, "exclude-reason": reason},
    )


def test_an_excluded_adviser_cannot_reach_the_case_anywhere(cast, lead, case_with_file):
    case = case_with_file
    bob, vera = cast.unassigned, cast.view_all
    lead_client = logged_in(lead)
    assert "Conflicts of interest" in text(lead_client.get(case_url(case)))

    assert exclude(lead_client, case, bob).status_code == 302
    assert exclude(lead_client, case, vera, "Is a witness").status_code == 302
    assert set(CaseExclusion.objects.filter(case=case).values_list("user", flat=True)) == {
        bob.pk,
        vera.pk,
    }
    case.refresh_from_db()
    assert case.assigned_to is None  # bob was assigned: he no longer is

    for excluded in (bob, vera):
        client = logged_in(excluded)
        for action in ("inspect", "history", "case_file", "contact"):
            assert client.get(case_url(case, action)).status_code == 404, action
        attachment = f"/admin/anon_messaging/case/attachment/{case.pk}/1/"
        assert client.get(attachment).status_code == 404
        listing = client.get(LIST_URL).content.decode()
        assert case.reference not in listing
        export = b"".join(client.get(LIST_URL, {"export": "csv"}).streaming_content).decode()
        assert case.reference not in export
        history = client.get(reverse("wagtailadmin_reports:site_history")).content.decode()
        assert case.reference not in history
        # Not counted on the dashboard either: vera sees every other case.
        assert not Case.objects.visible_to(excluded).filter(pk=case.pk).exists()
        dashboard = text(client.get("/admin/"))
        everything = re.search(r"All cases you can see</a></th> <td>(\d+)</td>", dashboard)
        assert int(everything.group(1)) == Case.objects.visible_to(excluded).count()

    # Others still see it, and the history says who was excluded, by whom and why.
    assert logged_in(cast.team_member).get(case_url(case)).status_code == 404  # not their team
    assert logged_in(cast.superuser).get(case_url(case)).status_code == 200
    history = text(lead_client.get(case_url(case, "history")))
    assert "Bob excluded from the case. Reason: Line manager of the person reported" in history
    assert "Vera excluded from the case. Reason: Is a witness" in history


def test_a_superuser_cannot_be_excluded_and_a_removed_exclusion_gives_access_back(
    cast, lead, case_with_file
):
    case = case_with_file
    lead_client = logged_in(lead)
    page = lead_client.get(case_url(case)).content.decode()
    assert (
        f'value="{cast.superuser.pk}"'
        not in page.split('name="exclude-adviser"')[1].split("</select>")[0]
    )
    refused = exclude(lead_client, case, cast.superuser)
    assert refused.status_code == 200
    assert "Select a valid choice" in text(refused)
    assert "Line manager of the person reported" in text(refused)  # the reason is kept

    exclude(lead_client, case, cast.unassigned)
    exclusion = CaseExclusion.objects.get(case=case)
    removed = lead_client.post(case_url(case), {"action": "unexclude", "exclusion": exclusion.pk})
    assert removed.status_code == 302
    assert not CaseExclusion.objects.filter(case=case).exists()
    assert logged_in(cast.unassigned).get(case_url(case)).status_code == 200  # the team's case
    assert audit.EXCLUSION_REMOVED in history_actions(case)


def test_an_excluded_adviser_cannot_be_given_the_case_afterwards(cast, lead, case_with_file):
    """A new user assigned an excluded adviser to the case; the exclusion must hold."""
    case = case_with_file
    bob = cast.unassigned
    lead_client = logged_in(lead)
    exclude(lead_client, case, bob)
    page = lead_client.get(case_url(case)).content.decode()
    offered = page.split('name="assign-adviser"')[1].split("</select>")[0]
    assert f'value="{bob.pk}"' not in offered
    refused = lead_client.post(
        case_url(case), {"action": "assign", "assign-adviser": bob.pk, "assign-team": ""}
    )
    assert refused.status_code == 200
    case.refresh_from_db()
    assert case.assigned_to is None
    # The service refuses it too, whatever form a site puts in front of it.
    with pytest.raises(cases.CaseActionRefused):
        cases.assign(case, user=lead, adviser=bob, team=None)
    assert logged_in(bob).get(case_url(case)).status_code == 404


def test_excluding_needs_its_own_permission(cast, case_with_file):
    client = logged_in(cast.unassigned)  # a plain adviser who sees the case
    assert "Conflicts of interest" not in text(client.get(case_url(case_with_file)))
    # Wagtail answers PermissionDenied in its admin with a redirect to the dashboard.
    assert exclude(client, case_with_file, cast.assigned)["Location"] == "/admin/"
    assert not CaseExclusion.objects.exists()


def test_no_email_goes_to_an_excluded_adviser(cast, lead, settings):
    settings.WAGTAILADMIN_BASE_URL = "https://reports.example.org"
    case, _code = make_case(adviser=cast.assigned, team=cast.team)
    site_settings = reporting_settings.for_site(case.site_id)
    notice = notifications.NEW_ACTIVITY
    assert notifications.recipients_for(notice, case, site_settings) == ["alice@example.org"]
    exclude(logged_in(lead), case, cast.assigned)
    exclude(logged_in(lead), case, cast.team_member)
    case = Case.objects.get(pk=case.pk)
    # Unassigned by the exclusion; the team's only member is excluded too.
    assert notifications.recipients_for(notice, case, site_settings) == []
    # A run of alerts for the case emails neither of them.
    Case.objects.filter(pk=case.pk).update(
        adviser_alert_pending=True, assigned_to=cast.assigned, created_at="2020-01-01T00:00Z"
    )
    notifications.send_pending_alerts()
    assert not [m for m in mail.outbox if {"alice@example.org", "tess@example.org"} & set(m.to)]


def test_an_overdue_reminder_skips_an_excluded_adviser_and_reaches_the_rest_of_the_team(cast, lead):
    reporting_settings.for_site(None)  # no team address: the team's members are told
    case, _code = make_case(adviser=cast.assigned, team=cast.team)
    other = make_user("toby", groups=["Harassment team"])
    exclude(logged_in(lead), case, cast.assigned)
    exclude(logged_in(lead), case, cast.team_member)
    due = timezone.now() - timedelta(days=1)
    Case.objects.filter(pk=case.pk).update(response_due_at=due, awaiting_since=due)
    mail.outbox.clear()
    result = reminders.scan()
    assert result.reminders == 1
    assert [message.to for message in mail.outbox] == [[other.email]]


def named_adviser():
    user = make_user("rimplicated", groups=[CASE_ADVISERS], last_name="Implicated")
    user.first_name = "Robin"
    user.save()
    return user


def test_an_editor_lets_reporters_name_advisers_who_must_not_see_their_report(
    reporter_site, site_admin, cast
):
    implicated = named_adviser()
    form_page = reporter_site.anonymous_form
    editor = logged_in(site_admin)
    data = form_data(editor.get(page_edit_url(form_page)))
    data["reporters_may_exclude_advisers"] = "on"
    data["action-publish"] = "action-publish"
    assert editor.post(page_edit_url(form_page), data).status_code == 302
    assert ReportFormPage.objects.get(pk=form_page.pk).reporters_may_exclude_advisers

    reporter = Client()
    form = reporter.get(ANONYMOUS_FORM).content.decode()
    assert "Robin Implicated" in form
    assert "rimplicated" not in form  # display names only, never user names
    assert "root" not in form  # superusers cannot be excluded, so are not offered
    response = submit(
        reporter,
        ANONYMOUS_FORM,
        anonymous_answers("My supervisor did it.", excluded_advisers=[str(implicated.pk)]),
    )
    assert response.status_code == 200 and shown_code(response)
    case = Case.objects.order_by("-pk").first()
    assert list(case.exclusions.values_list("user", flat=True)) == [implicated.pk]
    assert logged_in(implicated).get(case_url(case)).status_code == 404
    assert logged_in(cast.unassigned).get(case_url(case)).status_code == 200
    assert "named by the reporter on the form" in text(
        logged_in(site_admin).get(case_url(case, "history"))
    )


def test_the_adviser_list_is_not_on_forms_that_did_not_switch_it_on(reporter_site, cast):
    named_adviser()
    assert "Robin Implicated" not in Client().get(ANONYMOUS_FORM).content.decode()


# --- 2. Reports taken in person or by phone -------------------------------------------------


def test_an_adviser_records_a_phone_report_and_hands_over_a_code_that_works(
    reporter_site, intake_adviser
):
    client = logged_in(intake_adviser)
    assert "Record a report" in text(client.get(LIST_URL))
    form_page = reporter_site.anonymous_form
    start = {"form_page": form_page.pk, "route": "anonymous", "received": "phone"}
    shown = client.get(RECORD_URL, start)
    assert shown.status_code == 200
    token = shown.context["report_form"]["submission_token"].value()
    answers = {
        f"report-{name}": value
        for name, value in anonymous_answers("Told me by phone: the lab door.").items()
        if name != "messaging_opt_in"
    }
    posted = client.post(
        RECORD_URL,
        {**start, **answers, "report-submission_token": token, "report-issue_code": "on"},
    )
    assert posted.status_code == 200
    assert "no-store" in posted["Cache-Control"]
    code = shown_code(posted)
    assert code
    case = Case.objects.get()
    assert case.received == Case.Received.PHONE
    assert case.taken_by == intake_adviser
    assert case.messaging_enabled and code.replace("-", "") not in case.code_hash
    assert audit.REPORT_RECORDED in history_actions(case)
    assert "By phone, recorded by an adviser: Adviser" in text(client.get(case_url(case)))

    reporter = Client()
    assert log_in(reporter, code).status_code == 302
    assert "Told me by phone: the lab door." in text(reporter.get(MESSAGING))


def test_a_report_taken_in_person_with_contact_details_keeps_them_behind_the_permission(
    reporter_site, intake_adviser
):
    client = logged_in(intake_adviser)
    start = {
        "form_page": reporter_site.anonymous_form.pk,
        "route": "contact",
        "received": "in_person",
    }
    token = client.get(RECORD_URL, start).context["report_form"]["submission_token"].value()
    answers = {
        f"report-{name}": value
        for name, value in anonymous_answers("Said in person.").items()
        if name != "messaging_opt_in"
    }
    missing = client.post(RECORD_URL, {**start, **answers, "report-submission_token": token})
    assert missing.status_code == 200
    assert "Enter the reporter&#x27;s name." in text(missing)
    assert "Said in person." in text(missing)  # what was typed is kept
    assert not Case.objects.exists()
    contact = {
        "report-reporter_name": "Sam Person",
        "report-reporter_email": "sam@example.org",
        "report-reporter_phone": "",
        "report-preferred_contact": "email",
    }
    done = client.post(
        RECORD_URL, {**start, **answers, **contact, "report-submission_token": token}
    )
    case = Case.objects.get()
    assert done.status_code == 302 and done["Location"] == case_url(case)
    assert case.route == Case.Route.CONTACT and not case.messaging_enabled
    assert ContactDetails.objects.get(case=case).name == "Sam Person"


def test_recording_a_report_needs_its_permission(reporter_site, cast):
    viewer = make_user("vic", permissions=["access_admin", "view_case", "view_all_cases"])
    for who in (cast.editor, viewer):
        client = logged_in(who)
        assert client.get(RECORD_URL).status_code == 404
        start = {"form_page": reporter_site.anonymous_form.pk, "route": "anonymous"}
        assert client.post(RECORD_URL, {**start, "received": "phone"}).status_code == 404
    assert "Record a report" not in text(logged_in(viewer).get(LIST_URL))
    assert not Case.objects.exists()


# --- 3. Contact details shared later ----------------------------------------------------------


def test_a_reporter_shares_contact_details_later_seen_only_by_the_permissions_holders(
    reporter_site, cast
):
    reporter = Client()
    _response, code = submit_anonymous(reporter, "It started anonymously.")
    log_in(reporter, code)
    conversation = text(reporter.get(MESSAGING))
    assert "Share your contact details" in conversation
    page = text(reporter.get(SHARE_CONTACT))
    assert "This cannot be undone" in page

    details = {
        "reporter_name": "Casey Laterson",
        "reporter_email": "casey@example.org",
        "reporter_phone": "",
        "preferred_contact": "email",
    }
    unconfirmed = reporter.post(SHARE_CONTACT, details)
    assert unconfirmed.status_code == 200
    assert "Tick the box to confirm you understand this cannot be undone." in text(unconfirmed)
    assert "Casey Laterson" in text(unconfirmed)
    assert not ContactDetails.objects.exists()

    shared = reporter.post(SHARE_CONTACT, {**details, "confirm": "on"})
    assert shared.status_code == 302
    case = Case.objects.get()
    stored = ContactDetails.objects.get(case=case)
    assert stored.name == "Casey Laterson" and stored.shared_later_at is not None
    assert case.route == Case.Route.ANONYMOUS
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, email FROM anon_messaging_contactdetails")
        raw = " ".join(cursor.fetchone())
    assert "Casey" not in raw and "casey@" not in raw  # encrypted at rest
    assert audit.CONTACT_SHARED_LATER in history_actions(case)

    # Messaging carries on; sharing twice is not possible.
    assert reporter.post(MESSAGING_SEND, {"body": "Still here."}).status_code == 302
    assert "already shared" in text(reporter.get(SHARE_CONTACT))

    # The intake team's advisers hold the permission; someone without it sees only that
    # details were shared.
    holder = logged_in(cast.unassigned)
    view = text(holder.get(case_url(case)))
    assert "Shared later" in view and "Casey Laterson" not in view
    # The date is not the sentence's end: "10:01 a.m." took a second full stop there.
    assert not re.search(r"[ap]\.m\.\.", view)
    assert "Casey Laterson" in text(holder.get(case_url(case, "contact")))
    without = make_user("wes", permissions=["access_admin", "view_case", "view_all_cases"])
    without_client = logged_in(without)
    view = text(without_client.get(case_url(case)))
    assert "Shared later" in view and "Casey Laterson" not in view
    assert without_client.get(case_url(case, "contact")).status_code in (302, 403)


def test_sharing_contact_details_needs_the_reporters_session(reporter_site):
    page = Client().get(SHARE_CONTACT)
    assert page.status_code == 200 and 'name="code"' in page.content.decode()
    Client().post(SHARE_CONTACT, {"reporter_name": "X", "confirm": "on"})
    assert not ContactDetails.objects.exists()


# --- 4. Redaction -----------------------------------------------------------------------------

SECRET = "Dr Quentin Sentinelname"


def every_decrypted_value():
    """Every encrypted field of every row of the app, decrypted, and every audit line's data."""
    values = []
    for model in apps.get_app_config("anon_messaging").get_models():
        fields = [
            field.name
            for field in model._meta.get_fields()
            if isinstance(field, EncryptedTextField | EncryptedJSONField)
        ]
        for row in model._base_manager.all():
            values.extend(json.dumps(getattr(row, name)) for name in fields)
    values.extend(json.dumps(data) for data in CaseLogEntry.objects.values_list("data", flat=True))
    return "\n".join(values)


def redact(client, case, item, passage=SECRET, reason="Names a third party"):
    return client.post(
        case_url(case),
        {
            "action": "redact",
            "redact-item": item,
            "redact-passage": passage,
            "redact-reason": reason,
        },
    )


def test_redacting_an_answer_a_message_and_a_note_leaves_a_marked_gap_and_no_original(
    reporter_site, cast, lead
):
    reporter = Client()
    _response, code = submit_anonymous(reporter, f"{SECRET} shouted at me in the lab.")
    log_in(reporter, code)
    reporter.post(MESSAGING_SEND, {"body": f"Also, {SECRET} was there on Friday."})
    case = Case.objects.get()
    cases.add_note(case, author=cast.unassigned, body=f"Spoke to {SECRET}'s manager.")
    assert SECRET in every_decrypted_value()

    client = logged_in(lead)
    message = Message.objects.get(case=case)
    note = InternalNote.objects.get(case=case)
    wrong = redact(client, case, f"message-{message.pk}", passage="not in the message")
    assert "That text is not in the part you chose" in text(wrong)
    assert "Names a third party" in text(wrong)

    for item in ("answer-1", f"message-{message.pk}", f"note-{note.pk}"):
        assert redact(client, case, item).status_code == 302, item
    assert SECRET not in every_decrypted_value()
    assert "Quentin" not in every_decrypted_value()

    adviser_view = text(client.get(case_url(case)))
    assert SECRET not in adviser_view
    assert adviser_view.count('<mark class="am-redacted">[redacted]</mark>') == 3
    assert "shouted at me in the lab." in adviser_view
    reporter_view = text(reporter.get(MESSAGING))
    assert SECRET not in reporter_view
    assert reporter_view.count('<mark class="am-redacted">[redacted]</mark>') == 2
    history = text(client.get(case_url(case, "history")))
    assert "Redacted the answer to “What happened?”. Reason: Names a third party" in history
    assert "Redacted a message. Reason: Names a third party" in history
    assert "Lena Lead" in history


def test_a_reporter_cannot_fake_a_redaction(reporter_site):
    reporter = Client()
    _response, code = submit_anonymous(reporter, "A fake \ue000 gap.")
    log_in(reporter, code)
    assert "am-redacted" not in reporter.get(MESSAGING).content.decode()
    assert Case.objects.get().answers[0]["value"] == "A fake  gap."


def test_redacting_an_attachment_deletes_its_content(
    cast, lead, case_with_file, django_capture_on_commit_callbacks
):
    case = case_with_file
    assert len(stored_files()) == 1
    client = logged_in(lead)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            case_url(case),
            {
                "action": "redact_attachment",
                "redact_file-number": "1",
                "redact_file-reason": "Shows a bystander's face",
            },
        )
    assert response.status_code == 302
    assert stored_files() == {}
    attachment = Attachment.objects.get(case=case)
    assert attachment.is_redacted
    assert client.get(f"/admin/anon_messaging/case/attachment/{case.pk}/1/").status_code == 404
    view = text(client.get(case_url(case)))
    assert "Redacted: its content was deleted." in view
    assert "Shows a bystander&#x27;s face" in text(client.get(case_url(case, "history")))

    reporter = Client()
    log_in(reporter, codes.format_code(case.code))
    assert reporter.get("/messaging/attachments/1/").status_code == 404

    # Sent again (a second tab, another adviser): no file is left, and the page says so.
    again = client.post(
        case_url(case),
        {"action": "redact_attachment", "redact_file-number": "1", "redact_file-reason": "Again"},
        follow=True,
    )
    shown = again.content.decode()
    assert "no attachment left whose content can be deleted" in shown
    assert "see the error below" not in shown


def test_redacting_needs_its_own_permission(cast, case_with_file):
    client = logged_in(cast.unassigned)
    assert "Redact the text" not in text(client.get(case_url(case_with_file)))
    assert redact(client, case_with_file, "answer-1", passage="story")["Location"] == "/admin/"
    assert Case.objects.get().answers[0]["value"] == "The story."


# --- 5. Case files ----------------------------------------------------------------------------


def test_a_case_file_holds_the_case_with_redactions_applied_and_each_download_is_recorded(
    reporter_site, cast, lead
):
    reporter = Client()
    _response, code = submit_anonymous(reporter, f"{SECRET} broke the rules in March.")
    log_in(reporter, code)
    reporter.post(MESSAGING_SEND, {"body": "A message from the reporter."})
    case = Case.objects.get()
    cases.add_note(case, author=cast.unassigned, body="An internal note for the file.")
    client = logged_in(lead)
    redact(client, case, "answer-1")

    view = client.get(case_url(case)).content.decode()
    link = re.search(r'<a [^>]*href="([^"]+)"[^>]*>(?:(?!</a>).)*Download case file', view, re.S)
    assert link and link.group(1) == case_url(case, "case_file")
    assert "Include internal notes" in text(client.get(link.group(1)))

    response = client.get(link.group(1), {"download": "1", "notes": "on", "history": "on"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    pages, _reader = pdf_text(response.content)
    everything = "\n".join(pages)
    assert SECRET not in everything and "Quentin" not in everything
    assert "[redacted]" in everything and "broke the rules in March." in everything
    assert "A message from the reporter." in everything
    assert "An internal note for the file." in everything
    assert "Downloaded the case file" not in everything  # recorded after it was made
    for page in pages:
        assert "Made by Lena Lead on" in page
        assert case.reference in page
    assert audit.CASE_FILE_DOWNLOADED in history_actions(case)

    without_notes = client.get(link.group(1), {"download": "1"})
    assert "An internal note for the file." not in "\n".join(pdf_text(without_notes.content)[0])
    assert history_actions(case).count(audit.CASE_FILE_DOWNLOADED) == 2


def test_a_case_file_embeds_images_only_when_asked(cast, case_with_file):
    client = logged_in(cast.unassigned)
    plain = client.get(case_url(case_with_file, "case_file"), {"download": "1"})
    _pages, reader = pdf_text(plain.content)
    assert not any(page.images for page in reader.pages)
    assert "Attachment 1" in "\n".join(_pages)
    with_images = client.get(
        case_url(case_with_file, "case_file"), {"download": "1", "images": "on"}
    )
    _pages, reader = pdf_text(with_images.content)
    assert any(page.images for page in reader.pages)


def test_nobody_who_may_not_see_the_case_gets_its_file(cast, lead, case_with_file):
    exclude(logged_in(lead), case_with_file, cast.unassigned)
    for who in (cast.unassigned, cast.team_member, cast.editor):
        response = logged_in(who).get(case_url(case_with_file, "case_file"), {"download": "1"})
        assert response.status_code == 404, who
    assert audit.CASE_FILE_DOWNLOADED not in history_actions(case_with_file)


@pytest.mark.django_db  # Django 6.1's checks open the connection, as manage.py check does
def test_a_site_without_pango_is_warned_that_case_files_cannot_be_made(monkeypatch):
    # A module set to None in sys.modules raises ImportError when imported, as WeasyPrint
    # does when Pango cannot be loaded.
    monkeypatch.setitem(sys.modules, "weasyprint", None)
    [warning] = [m for m in run_checks() if m.id == "anon_messaging.W640"]
    assert "case files" in warning.msg and "libpango" in warning.hint
    monkeypatch.undo()
    assert not [m for m in run_checks() if m.id == "anon_messaging.W640"]
