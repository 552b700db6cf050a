"""Anonymous forms stay anonymous: through the page editor, as editors and moderators use it.

On the anonymous route a question of an identity type (email, web address, hidden) cannot
be added; a question whose label asks who the reporter is can be saved as a draft, is
flagged in the editor, and is refused at publish and at submission for moderation unless
someone holding the permission confirms it with a reason, which goes into the page's
history. A system check lists pages that already break the rule.
"""

import io
import re

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.test import Client
from wagtail.models import PageLogEntry

from anon_messaging import audit
from anon_messaging.pages import ReportFormField, ReportFormPage
from tests.admin_forms import (
    add_question,
    anonymous_form_page,
    form_data,
    form_read_once,
    page_edit_url,
)
from tests.admin_support import make_user
from tests.reporter_journey import ANONYMOUS_FORM, CONTACT_FORM

CONFIRM = "confirm_identity_questions"
EMAIL_QUESTION = "Your university email"


@pytest.fixture
def people(demo_site):
    """The demo's editor (edits, submits for moderation), a moderator who may publish,
    and a moderator who may also confirm identity questions."""
    moderator = make_user("mona", groups=["Moderators"])
    confirmer = make_user("carl", groups=["Moderators"], permissions=[CONFIRM])
    return {"editor": "editor", "moderator": moderator, "confirmer": confirmer}


@pytest.fixture
def editor_form_once(request):
    """``editor_form`` for the variations of a parametrised test: each starts from the same
    demo and adds its own question to the form it reads, so the form is read through the
    editor once; another reader or another revision of the page is read again."""

    def read(client, user, page):
        revision = page.latest_revision
        state = (request.node.originalname, user.username, revision.pk, revision.created_at)
        return form_read_once(client, page_edit_url(page), state)

    return read


def logged_in(user):
    client = Client()
    if isinstance(user, str):
        assert client.login(username=user, password="changeme")  # noqa: S106
    else:
        client.force_login(user)
    return client


def editor_form(client, page):
    """The page editor's form as it stands: what the browser would send unchanged."""
    response = client.get(page_edit_url(page))
    assert response.status_code == 200
    return form_data(response)


def editor_data(client, page, *questions, action=None, form=None, **changes):
    """The page editor's form as it stands, with ``questions`` added and ``changes`` made.

    ``form``: the form as ``client`` already read it (``editor_form``), when nothing has
    been saved since (a refused save changes nothing), rather than reading it again."""
    data = dict(form) if form is not None else editor_form(client, page)
    for label, field_type in questions:
        add_question(data, label, field_type, required=True)
    data.update(changes)
    if action:
        data[action] = "1"
    return data


def question_errors(response):
    formset = response.context["form"].formsets["form_fields"]
    return {form["label"].value(): form.errors for form in formset.forms if form.errors}


def live_labels(page):
    page.refresh_from_db()
    return [field.label for field in ReportFormPage.objects.get(pk=page.pk).form_fields.all()]


# --- Question types that collect identity ---------------------------------------------------


@pytest.mark.parametrize("field_type", ["email", "url", "hidden"])
def test_an_identity_question_type_cannot_be_added_even_to_a_draft(
    people, editor_form_once, field_type
):
    page = anonymous_form_page()
    client = logged_in(people["confirmer"])
    form = editor_form_once(client, people["confirmer"], page)
    data = editor_data(client, page, ("Anything else?", field_type), form=form)  # a draft save

    response = client.post(page_edit_url(page), data)

    assert response.status_code == 200  # the editor again, with the error
    html = response.content.decode()
    assert "An anonymous form cannot have a question of this type" in html
    assert "The page could not be saved" in html
    page.refresh_from_db()
    assert not page.has_unpublished_changes
    assert "Anything else?" not in live_labels(page)


def test_the_contact_route_may_ask_who_the_reporter_is(people):
    page = ReportFormPage.objects.get(slug="with-contact-details", locale__language_code="en-gb")
    client = logged_in(people["moderator"])
    data = editor_data(
        client,
        page,
        (EMAIL_QUESTION, "email"),
        ("Staff number", "singleline"),
        action="action-publish",
    )

    assert client.post(page_edit_url(page), data).status_code == 302
    form_html = Client().get(CONTACT_FORM).content.decode()
    assert EMAIL_QUESTION in form_html and "Staff number" in form_html


def test_an_identity_type_saved_before_the_rule_is_never_shown_to_reporters(demo_site):
    page = anonymous_form_page()
    ReportFormField.objects.create(
        page=page, sort_order=9, label="Hidden tag", field_type="hidden", default_value="x"
    )
    ReportFormField.objects.create(page=page, sort_order=10, label="Web page", field_type="url")

    html = Client().get(ANONYMOUS_FORM).content.decode()

    assert 'type="hidden" name="hidden_tag"' not in html
    assert "Web page" not in html and 'type="url"' not in html


# --- Questions that ask who the reporter is ----------------------------------------------------


def test_the_issues_question_is_flagged_in_the_editor_and_refused_at_publish(people):
    """The editor's "Your university email" question: a draft keeps it, flagged; publishing
    it is refused for a moderator without the permission, and reporters never see it."""
    page = anonymous_form_page()
    editor = logged_in(people["editor"])
    draft = editor_data(editor, page, (EMAIL_QUESTION, "singleline"))
    assert editor.post(page_edit_url(page), draft).status_code == 302

    flagged = editor.get(page_edit_url(page)).content.decode()
    assert "An anonymous form must not ask who the reporter is." in flagged
    assert f"“{EMAIL_QUESTION}” asks for “email”" in flagged
    # The editor cannot confirm: no reason box for them.
    assert 'name="identity_confirmation"' not in flagged

    moderator = logged_in(people["moderator"])
    publish = editor_data(moderator, page, action="action-publish")
    response = moderator.post(page_edit_url(page), publish)

    assert response.status_code == 200
    errors = question_errors(response)
    assert list(errors) == [EMAIL_QUESTION]
    assert "An anonymous form cannot ask this" in str(errors[EMAIL_QUESTION])
    assert EMAIL_QUESTION not in live_labels(page)
    assert EMAIL_QUESTION not in Client().get(ANONYMOUS_FORM).content.decode()


def test_the_demo_editor_cannot_submit_it_for_moderation(people):
    page = anonymous_form_page()
    editor = logged_in(people["editor"])
    data = editor_data(editor, page, ("What is your name?", "singleline"), action="action-submit")

    response = editor.post(page_edit_url(page), data)

    assert response.status_code == 200
    assert "What is your name?" in question_errors(response)
    page.refresh_from_db()
    assert page.current_workflow_state is None  # nothing went to the moderators


def test_someone_allowed_confirms_with_a_reason_recorded_in_the_pages_history(people):
    page = anonymous_form_page()
    confirmer = logged_in(people["confirmer"])
    label = "Your student number (only if you want us to check your records)"

    form = editor_form(confirmer, page)
    without_reason = editor_data(
        confirmer, page, (label, "singleline"), action="action-publish", form=form
    )
    response = confirmer.post(page_edit_url(page), without_reason)
    assert response.status_code == 200
    assert "Give the reason this anonymous form must ask who the reporter is" in (
        response.content.decode()
    )
    assert label not in live_labels(page)

    reason = "Disability services need it to arrange support; the question is optional."
    with_reason = editor_data(
        confirmer,
        page,
        (label, "singleline"),
        action="action-publish",
        form=form,  # the refusal saved nothing: the same form
        identity_confirmation=reason,
    )
    assert confirmer.post(page_edit_url(page), with_reason).status_code == 302

    assert label in live_labels(page)
    entry = PageLogEntry.objects.get(page=page, action=audit.IDENTITY_QUESTIONS_CONFIRMED)
    assert entry.user == people["confirmer"]
    assert entry.data == {"reason": reason, "questions": [label]}
    history = confirmer.get(f"/admin/pages/{page.pk}/history/").content.decode()
    assert reason in history.replace("&#x27;", "'")
    assert label in Client().get(ANONYMOUS_FORM).content.decode()

    # Confirmed once: a later publish by someone without the permission keeps it.
    moderator = logged_in(people["moderator"])
    again = editor_data(moderator, page, action="action-publish", title="Report anonymously")
    assert moderator.post(page_edit_url(page), again).status_code == 302
    # Reworded, it needs confirming again.
    data = editor_data(moderator, page, action="action-publish")
    question = next(k for k, v in data.items() if v == label)
    data[question] = "Your student number"
    response = moderator.post(page_edit_url(page), data)
    assert response.status_code == 200
    assert "Your student number" in question_errors(response)


def test_publishing_a_flagged_draft_outside_the_editor_is_refused(people):
    """A draft kept with its flagged question cannot go live by another path either."""
    page = anonymous_form_page()
    editor = logged_in(people["editor"])
    draft = editor_data(editor, page, ("Your phone", "singleline"))
    assert editor.post(page_edit_url(page), draft).status_code == 302
    revision = ReportFormPage.objects.get(pk=page.pk).latest_revision

    from wagtail.actions.publish_revision import PublishPermissionError

    with pytest.raises(PublishPermissionError, match="“Your phone” asks for “phone”"):
        revision.publish(user=people["moderator"])
    assert "Your phone" not in live_labels(page)


@pytest.mark.parametrize(
    ("label", "flagged"),
    [
        ("Your name", True),
        ("Surname", True),
        ("Your e-mail address", True),
        ("Mobile number", True),
        ("Staff ID", True),
        ("Home address", True),
        ("Your initials", True),
        ("Where do you live?", True),
        ("How old are you?", True),
        ("What happened?", False),
        ("How old is this problem?", False),
        ("Where did it happen?", False),
        ("Renamed team", False),  # a word inside another is not the word
    ],
)
def test_which_labels_ask_who_the_reporter_is(people, editor_form_once, label, flagged):
    page = anonymous_form_page()
    client = logged_in(people["moderator"])
    form = editor_form_once(client, people["moderator"], page)
    data = editor_data(client, page, (label, "singleline"), action="action-publish", form=form)
    response = client.post(page_edit_url(page), data)
    assert (response.status_code == 200) is flagged
    assert (label in live_labels(page)) is not flagged


def test_the_words_of_every_language_the_site_has_are_matched(people, settings):
    page = anonymous_form_page()
    client = logged_in(people["moderator"])
    french = "Votre courriel"  # "courriel" is French only
    data = editor_data(client, page, (french, "singleline"), action="action-publish")

    settings.WAGTAIL_CONTENT_LANGUAGES = [("en-gb", "English"), ("fr", "French")]
    settings.LANGUAGES = [("en-gb", "English"), ("fr", "French")]
    assert client.post(page_edit_url(page), data).status_code == 200

    settings.WAGTAIL_CONTENT_LANGUAGES = [("en-gb", "English")]
    assert client.post(page_edit_url(page), data).status_code == 302


def test_the_words_are_a_setting(people, settings):
    # A site in English only: the words of the example site's other languages (German
    # and Spanish "email") would flag "Your email" whatever the English words are.
    settings.WAGTAIL_CONTENT_LANGUAGES = [("en-gb", "English")]
    settings.ANON_MESSAGING = {**settings.ANON_MESSAGING, "IDENTITY_WORDS": {"en": ["matric"]}}
    page = anonymous_form_page()
    client = logged_in(people["moderator"])
    form = editor_form(client, page)
    refused = editor_data(
        client, page, ("Your matric", "singleline"), action="action-publish", form=form
    )
    assert client.post(page_edit_url(page), refused).status_code == 200
    # Refused, nothing was saved: the same form, with the other question.
    allowed = editor_data(
        client, page, ("Your email", "singleline"), action="action-publish", form=form
    )
    assert client.post(page_edit_url(page), allowed).status_code == 302


def test_the_permission_is_offered_in_the_group_editor(people):
    client = logged_in(make_user("root", is_superuser=True, is_staff=True))
    html = client.get("/admin/groups/new/").content.decode()
    assert "Can publish anonymous forms with questions that ask who the reporter is" in html
    assert Permission.objects.filter(
        content_type__app_label="anon_messaging", codename=CONFIRM
    ).exists()


# --- The system check ---------------------------------------------------------------------


def run_database_checks():
    out = io.StringIO()
    call_command("check", "--database", "default", stdout=out, stderr=out)
    return out.getvalue()


def test_the_system_check_lists_pages_that_break_the_rule(people):
    assert "anon_messaging.W601" not in run_database_checks()
    page = anonymous_form_page()
    ReportFormField.objects.create(
        page=page, sort_order=9, label="Your phone number", field_type="singleline"
    )
    ReportFormField.objects.create(page=page, sort_order=10, label="Email", field_type="email")
    contact = ReportFormPage.objects.get(
        slug="with-contact-details", locale__language_code="en-gb"
    )
    ReportFormField.objects.create(
        page=contact, sort_order=9, label="Your name", field_type="email"
    )

    output = run_database_checks()

    warnings = re.findall(r"anon_messaging\.W601", output)
    assert len(warnings) == 1  # one page: the contact route may ask
    assert f"“{page.title}” (page {page.pk}, {page.url_path}, live)" in output
    assert "“Your phone number” asks for “phone”" in output
    assert "question of this type (email)" in output
    # A plain start-up does not query pages.
    plain = io.StringIO()
    call_command("check", stdout=plain, stderr=plain)
    assert "W601" not in plain.getvalue()


@pytest.mark.django_db  # Django 6.1's checks open the connection
def test_a_language_without_words_is_flagged(settings):
    settings.WAGTAIL_CONTENT_LANGUAGES = [("en", "English"), ("sv", "Swedish")]
    settings.LANGUAGES = [("en", "English"), ("sv", "Swedish")]
    out = io.StringIO()
    call_command("check", stdout=out, stderr=out)
    assert "anon_messaging.W602" in out.getvalue()
    assert "'sv'" in out.getvalue()


def test_a_new_anonymous_form_is_held_to_the_rule_too(people):
    """Adding a report form page: the same refusal, and the confirmation is recorded in
    the new page's history once it exists."""
    parent = anonymous_form_page().get_parent()
    add_url = f"/admin/pages/add/anon_messaging/reportformpage/{parent.pk}/"
    confirmer = logged_in(people["confirmer"])
    data = form_data(confirmer.get(add_url))
    data.update({"title": "Report a hate incident", "slug": "hate-incident"})
    data["reporting_route"] = "anonymous"
    add_question(data, "What happened?", "multiline", required=True)
    add_question(data, "Your phone number", "singleline")
    data["action-publish"] = "1"

    refused = confirmer.post(add_url, data)
    assert refused.status_code == 200
    assert not ReportFormPage.objects.filter(slug="hate-incident").exists()

    data["identity_confirmation"] = "Hate-crime reports may be passed to the police if asked."
    assert confirmer.post(add_url, data).status_code == 302
    page = ReportFormPage.objects.get(slug="hate-incident")
    assert page.live
    entry = PageLogEntry.objects.get(page=page, action=audit.IDENTITY_QUESTIONS_CONFIRMED)
    assert entry.data["questions"] == ["Your phone number"]
