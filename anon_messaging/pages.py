"""Page types editors add and word: report forms, the messaging page, support pages.

Each comes as an abstract mixin plus a concrete page, as ``wagtail.contrib.forms``
does, so a site with its own base page class can reuse the behaviour.
"""

import math
from datetime import date, datetime

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db import DatabaseError, models
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from wagtail import blocks
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel, Panel
from wagtail.contrib.forms.models import AbstractFormField, FormMixin
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page, Site

from . import (
    attachments,
    cases,
    codes,
    deadlines,
    form_rules,
    forms,
    login,
    reporting_settings,
    statistics,
)
from .models import Case, CaseCategory, ContactDetails, Message
from .security import ReporterPageMixin, attachment_response, no_store

# --- Report forms -----------------------------------------------------------------

# Question types whose answers are options an editor wrote, so they can map to categories.
CHOICE_QUESTION_TYPES = ("checkboxes", "radio", "dropdown", "multiselect")


class ReportFormField(AbstractFormField):
    page = ParentalKey("ReportFormPage", on_delete=models.CASCADE, related_name="form_fields")
    error_message = models.CharField(
        _("message when not answered"),
        max_length=255,
        blank=True,
        help_text=_(
            "For a required question: what to do, naming the question, such as “Enter what "
            "happened”. Blank gives “Enter your answer to” and the question."
        ),
    )

    panels = AbstractFormField.panels + [FieldPanel("error_message")]


class ReportFormPageForm(WagtailAdminPageForm):
    """The page editor's form for report form pages: anonymous forms stay anonymous.

    The rule is ``form_rules.py``'s. On the anonymous route a question of an identity type
    is refused whenever the page is saved; a question whose label asks who the reporter
    is may be saved as a draft (the editor flags it) but is refused when the page is
    published or submitted for moderation, unless someone allowed to confirms it with a
    reason, which ``ReportFormMixin.save_revision`` records in the page's history.
    """

    # The buttons of Wagtail's page editor that make a page live, or ask for it to be.
    PUBLISHING_ACTIONS = ("action-publish", "action-submit")

    identity_confirmation = django_forms.CharField(
        label=_("Reason this anonymous form asks who the reporter is"),
        required=False,
        max_length=1000,
        widget=django_forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Only for someone allowed to confirm such questions. Recorded with your name in "
            "the page's history."
        ),
    )

    @property
    def publishing(self):
        return any(name in self.data for name in self.PUBLISHING_ACTIONS)

    def clean(self):
        cleaned = super().clean()
        anonymous = cleaned.get("reporting_route", self.instance.reporting_route) == (
            Case.Route.ANONYMOUS
        )
        questions = self._questions()
        found = form_rules.unconfirmed(
            form_rules.findings([question for question, _form in questions], anonymous=anonymous),
            self.instance,
        )
        forms_by_label = {}
        for question, question_form in questions:
            forms_by_label.setdefault(question.label, []).append(question_form)
        asking = []
        for finding in found:
            if finding.refused_type:
                for question_form in forms_by_label.get(finding.label, []):
                    question_form.add_error("field_type", finding.describe())
            else:
                asking.append(finding)
        self._clean_category_question(cleaned, [form for _question, form in questions])
        if not asking or not self.publishing:
            return cleaned  # a draft may keep them: the editor flags them
        may_confirm = form_rules.may_confirm(self.for_user)
        reason = (cleaned.get("identity_confirmation") or "").strip()
        if may_confirm and reason:
            self.instance.identity_confirmation = (
                self.for_user,
                reason,
                sorted({finding.label for finding in asking}),
            )
            return cleaned
        for finding in asking:
            for question_form in forms_by_label.get(finding.label, []):
                question_form.add_error("label", self._publish_refusal(finding, may_confirm))
        if may_confirm:
            self.add_error(
                "identity_confirmation",
                gettext(
                    "Give the reason this anonymous form must ask who the reporter is, or "
                    "reword the questions marked above."
                ),
            )
        return cleaned

    def _clean_category_question(self, cleaned, question_forms):
        """The category question names one choice question of the form."""
        label = (cleaned.get("category_question") or "").strip()
        if not label:
            return
        choice_options = {
            form.cleaned_data["label"]: form.cleaned_data.get("field_type")
            for form in question_forms
        }
        if label not in choice_options:
            self.add_error(
                "category_question",
                gettext("Give the question exactly as it is written on this form."),
            )
            return
        field_type = choice_options[label]
        if field_type not in CHOICE_QUESTION_TYPES:
            self.add_error(
                "category_question",
                gettext(
                    "The category question must be one whose answers are options: checkboxes, "
                    "radio buttons, a drop-down or a multiple select."
                ),
            )

    @staticmethod
    def _publish_refusal(finding, may_confirm):
        if may_confirm:
            return gettext(
                "%(problem)s Reword the question, or give the reason it is needed below."
            ) % {"problem": finding.describe()}
        return gettext(
            "%(problem)s An anonymous form cannot ask this: reword the question, or ask "
            "someone allowed to confirm such questions to publish it."
        ) % {"problem": finding.describe()}

    def _questions(self):
        """``[(question, its form)]`` for the questions the page will have."""
        formset = self.formsets.get("form_fields")
        if formset is None:
            return []
        questions = []
        for question_form in formset.forms:
            if not question_form.is_valid():
                continue  # its own errors say what is wrong
            data = question_form.cleaned_data
            if data.get("DELETE") or not data.get("label"):
                continue
            questions.append(
                (
                    form_rules.Question(data.get("label", ""), data.get("field_type", "")),
                    question_form,
                )
            )
        return questions


class IdentityQuestionsPanel(Panel):
    """In the page editor: the questions of an anonymous form that ask who the reporter
    is, and, for someone allowed to confirm them, the box for the reason."""

    def get_form_options(self):
        # The reason box is this panel's to show (to those allowed), nobody else's.
        return {"fields": ["identity_confirmation"]}

    class BoundPanel(Panel.BoundPanel):
        template_name = "anon_messaging/admin/identity_questions_panel.html"

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            page = self.instance
            context.update(
                findings=form_rules.page_findings(page),
                anonymous=page.is_anonymous_route,
                may_confirm=form_rules.may_confirm(self.request.user),
                confirmation_field=self.form["identity_confirmation"],
            )
            return context


class ReportFormMixin(ReporterPageMixin, FormMixin, models.Model):
    """A report form: the editor's questions plus the route's own fields.

    An anonymous form never asks who the reporter is (``form_rules.py``): the page
    editor's form (``base_form_class``) refuses such questions, ``publish`` refuses a
    revision that still has them, and questions of an identity type are never shown.
    """

    base_form_class = ReportFormPageForm
    form_builder = forms.ReportFormBuilder

    reporting_route = models.CharField(
        _("route"),
        max_length=16,
        choices=Case.Route.choices,
        default=Case.Route.ANONYMOUS,
        help_text=_(
            "Anonymous forms ask nothing identifying and offer anonymous messaging. "
            "Forms with contact details also ask for a name and a way to get in touch."
        ),
    )
    intro = RichTextField(_("introduction"), blank=True)
    messaging_question = models.CharField(
        _("messaging question"),
        max_length=255,
        default=_("Would you like to use anonymous messaging?"),
    )
    messaging_help = models.CharField(
        _("messaging question help text"),
        max_length=500,
        blank=True,
        default=_(
            "If you say yes, you will get a code when you send this report. "
            "With it you can read your report and talk to a case adviser without telling "
            "us who you are."
        ),
    )
    contact_intro = RichTextField(_("introduction to the contact details"), blank=True)
    reporters_may_exclude_advisers = models.BooleanField(
        _("reporters may name advisers who must not see their report"),
        default=False,
        help_text=_(
            "For conflicts of interest: the form lists the case advisers by their display "
            "names (never their user names), and those the reporter ticks can never see "
            "the case. Advisers without a full name in their account are not listed."
        ),
    )
    submit_button_text = models.CharField(
        _("submit button text"), max_length=100, default=_("Send report")
    )
    thank_you_text = RichTextField(_("thank-you text"), blank=True)
    code_text = RichTextField(
        _("text beside the code"),
        blank=True,
        help_text=_("Shown with the code after an anonymous report with messaging."),
    )
    already_received_text = RichTextField(
        _("text when a report is sent twice"),
        blank=True,
        help_text=_("Shown when the same form is sent again, for example after a reload."),
    )
    messaging_page = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("messaging page"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Where the “Log in” button beside a new code leads."),
    )

    category_question = models.CharField(
        _("category question"),
        max_length=255,
        blank=True,
        help_text=_(
            "Optional: the label of one choice question on this form whose answers say what "
            "the report is about, so new cases arrive with their categories. An option gives "
            "the category of the same name, or the one whose “form options” list it "
            "(Settings, Case categories). Advisers can correct them."
        ),
    )

    content_panels = Page.content_panels + [
        FieldPanel("reporting_route"),
        FieldPanel("intro"),
        InlinePanel("form_fields", label=_("Questions")),
        FieldPanel("category_question"),
        IdentityQuestionsPanel(
            heading=_("Questions that would tell us who the reporter is"),
            classname="am-identity-questions",
        ),
        MultiFieldPanel(
            [FieldPanel("messaging_question"), FieldPanel("messaging_help")],
            heading=_("Anonymous messaging (anonymous route)"),
        ),
        FieldPanel("contact_intro"),
        FieldPanel("reporters_may_exclude_advisers"),
        FieldPanel("submit_button_text"),
        MultiFieldPanel(
            [
                FieldPanel("thank_you_text"),
                FieldPanel("code_text"),
                FieldPanel("already_received_text"),
                FieldPanel("messaging_page", heading=_("messaging page")),
            ],
            heading=_("After sending"),
        ),
    ]

    preview_modes = [("form", _("Form")), ("landing", _("Thank-you page"))]

    class Meta:
        abstract = True

    @property
    def is_anonymous_route(self):
        return self.reporting_route == Case.Route.ANONYMOUS

    def get_form_fields(self):
        """The page's questions; on the anonymous route, never one of a type that
        collects identity (``form_rules.IDENTITY_FIELD_TYPES``), even on a page saved
        before the rule (``checks.check_report_forms`` lists those)."""
        questions = self.all_questions()
        if self.is_anonymous_route:
            return [q for q in questions if q.field_type not in form_rules.IDENTITY_FIELD_TYPES]
        return questions

    def all_questions(self):
        """Every question saved on the page, shown or not (Wagtail's ``get_form_fields``)."""
        return super().get_form_fields()

    def save_revision(self, *args, **kwargs):
        revision = super().save_revision(*args, **kwargs)
        confirmation = getattr(self, "identity_confirmation", None)
        if confirmation:
            # Set by the page editor's form when someone allowed to confirmed the
            # questions; written before the revision is published, so publish() finds it.
            user, reason, labels = confirmation
            form_rules.record_confirmation(
                self, user=user, reason=reason, labels=labels, revision=revision
            )
            self.identity_confirmation = None
        return revision

    def publish(self, revision, *args, **kwargs):
        # Whatever path publishes the page (the editor, a moderator's approval, a bulk
        # action, a schedule), an anonymous form that asks who the reporter is stays
        # unpublished unless its questions were confirmed.
        form_rules.check_publishable(revision.as_object())
        return super().publish(revision, *args, **kwargs)

    def categories_for(self, answers):
        """The categories a new case gets from its answers to the category question
        (``CaseCategory.for_options``)."""
        if not self.category_question:
            return []
        chosen = []
        for answer in answers:
            if answer.get("label") == self.category_question:
                value = answer.get("value")
                chosen = value if isinstance(value, list) else [value] if value else []
        return CaseCategory.for_options(chosen)

    def get_form_class(self):
        questions = list(self.get_form_fields())
        fields = self.form_builder(questions).formfields
        for name in forms.RESERVED_FIELD_NAMES:
            fields.pop(name, None)
        bases = (forms.ReportForm,)
        if self.is_anonymous_route:
            fields.update(
                forms.anonymous_route_fields(self.messaging_question, self.messaging_help)
            )
        else:
            fields.update(forms.contact_route_fields())
            bases = (forms.ContactRouteMixin, forms.ReportForm)
        if self.reporters_may_exclude_advisers:
            excluded = forms.excluded_advisers_field()
            if excluded.choices:
                fields["excluded_advisers"] = excluded
        form_class = type("ReportForm", bases, dict(fields))
        # Set after the class is built, so no question's name can clash with it: the answers'
        # snapshot reads the questions from the form instead of querying them a second time.
        form_class.report_questions = questions
        return form_class

    def get_messaging_page(self):
        """Where "Log in" beside a new code leads: the chosen messaging page (or the
        first live one) in this page's language, where it has one."""
        page = self.messaging_page if self.messaging_page_id else None
        if page is None:
            page = MessagingPage.objects.live().first()
        if page is None:
            return None
        if getattr(page, "locale_id", None) != getattr(self, "locale_id", None):
            translated = page.get_translation_or_none(self.locale_id)
            if translated is not None and translated.live:
                page = translated
        # Only its URL is needed: the specific class without a second query.
        return page.specific_deferred

    def snapshot_answers(self, form):
        """Question labels and answers as submitted, so later edits change nothing."""
        snapshot = []
        for field in getattr(form, "report_questions", None) or self.get_form_fields():
            name = field.clean_name or field.get_field_clean_name()
            if name in forms.RESERVED_FIELD_NAMES or name not in form.fields:
                continue
            snapshot.append(
                {
                    "label": field.label,
                    "type": field.field_type,
                    "value": _json_value(form.cleaned_data.get(name)),
                }
            )
        return snapshot

    def add_attachments_field(self, form, request):
        """The file input, after the questions, where the site's settings allow files."""
        site_settings = reporting_settings.for_request(request)
        if not site_settings.files_on_report_forms:
            return form
        questions = [
            field.clean_name
            for field in getattr(form, "report_questions", ())
            if field.clean_name in form.fields
        ]
        return forms.add_attachments_field(
            form, site_settings.file_limits, after=questions[-1] if questions else None
        )

    def serve(self, request, *args, **kwargs):
        if request.method == "POST":
            form = self.get_form(request.POST, request.FILES, page=self, user=request.user)
            self.add_attachments_field(form, request)
            token = forms.submission_token_value(request.POST.get("submission_token", ""))
            if cases.submission_exists(token):
                return self.render_already_received(request)
            if form.is_valid():
                try:
                    case, code = self.process_report(request, form)
                except cases.DuplicateSubmission:
                    return self.render_already_received(request)
                except cases.CodeLimitReached as limit:
                    form.add_error("messaging_opt_in", code_limit_message(limit.retry_after))
                except (DatabaseError, OSError, codes.Busy):
                    form.add_error(
                        None,
                        gettext(
                            "We could not save your report just now, so nothing was stored. "
                            "Your answers are still here: please try sending again in a moment."
                        ),
                    )
                else:
                    return self.render_landing_page(
                        request, case=case, code=code, files=form.cleaned_data.get("attachments")
                    )
            if "submission_token" in form.errors:
                form.renew_submission_token()
            forms.ask_to_choose_files_again(form)
        else:
            form = self.get_form(
                page=self,
                user=request.user,
                initial={"submission_token": forms.new_submission_token()},
            )
            self.add_attachments_field(form, request)
        context = self.get_context(request)
        context["form"] = form
        return no_store(TemplateResponse(request, self.get_template(request), context))

    def process_report(self, request, form):
        """Create the case (never a FormSubmission, never an email with its content)."""
        data = form.cleaned_data
        contact = None
        if not self.is_anonymous_route:
            contact = {
                "name": data["reporter_name"],
                "email": data["reporter_email"],
                "phone": data["reporter_phone"],
                "preferred_method": data["preferred_contact"],
            }
        answers = self.snapshot_answers(form)
        return cases.submit_report(
            request,
            route=self.reporting_route,
            answers=answers,
            categories=self.categories_for(answers),
            site=Site.find_for_request(request),
            form_page=self,
            submission_token=data["submission_token"],
            opt_in=self.is_anonymous_route and bool(data.get("messaging_opt_in")),
            contact=contact,
            files=[cleaned for _uploaded, cleaned in data.get("attachments") or ()],
            excluded_advisers=self.excluded_advisers(data.get("excluded_advisers") or ()),
        )

    def excluded_advisers(self, ids):
        """The advisers the reporter named as not to see the report, among those listed."""
        if not ids or not self.reporters_may_exclude_advisers:
            return []
        listed = {pk for pk, _name in forms.advisers_a_reporter_may_name()}
        return list(get_user_model().objects.filter(pk__in=set(ids) & listed))

    def process_form_submission(self, form):  # pragma: no cover - serve() never calls it
        raise NotImplementedError("Report forms store cases through process_report().")

    def render_landing_page(
        self, request, form_submission=None, *args, case=None, code=None, files=None, **kwargs
    ):
        context = self.get_context(request)
        context.update(
            {
                "case": case,
                "code": codes.format_code(code) if code else None,
                "messaging_page": self.get_messaging_page(),
                # What was removed from each file, beside the name it was chosen under
                # (shown on this page only; the name is never stored).
                "cleaned_files": [
                    {
                        "name": forms.shown_name(uploaded),
                        "kind": cleaned.kind,
                        "removed": attachments.removed_words(cleaned.removed),
                    }
                    for uploaded, cleaned in files or ()
                ],
            }
        )
        return no_store(TemplateResponse(request, self.get_landing_page_template(request), context))

    def render_already_received(self, request):
        context = self.get_context(request)
        context["messaging_page"] = self.get_messaging_page()
        return no_store(
            TemplateResponse(request, "anon_messaging/report_already_received.html", context)
        )

    def serve_preview(self, request, mode_name):
        if mode_name == "landing":
            # render_landing_page groups the code itself; grouping it here too mangled it.
            placeholder = "0" * codes.current_format().length
            return self.render_landing_page(
                request, code=placeholder, case=self.sample_case(request)
            )
        return super().serve_preview(request, mode_name)

    def sample_case(self, request):
        """An unsaved case as if sent now, so the preview shows "what happens next" with
        the day a reply would be due."""
        site = Site.find_for_request(request)
        now = timezone.now()
        return Case(
            route=self.reporting_route,
            site=site,
            messaging_enabled=self.is_anonymous_route,
            created_at=now,
            awaiting_reply=True,
            awaiting_since=now,
            response_due_at=deadlines.response_due_at(site, now),
        )


def _page_number(raw, highest=10_000):
    """A page number from a query string: a small whole number, else 0."""
    return int(raw) if isinstance(raw, str) and raw.isdigit() and int(raw) <= highest else 0


def code_limit_message(retry_after):
    minutes = max(1, math.ceil(retry_after / 60))
    return ngettext(
        "We cannot give out another messaging code from your connection just now. You can "
        "send your report without messaging, or try again in %(minutes)d minute: your "
        "answers are still here.",
        "We cannot give out another messaging code from your connection just now. You can "
        "send your report without messaging, or try again in %(minutes)d minutes: your "
        "answers are still here.",
        minutes,
    ) % {"minutes": minutes}


def _json_value(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [str(item) for item in value]
    if value is None or isinstance(value, bool | str):
        return value
    return str(value)


class ReportFormPage(ReportFormMixin, Page):
    template = "anon_messaging/report_form_page.html"
    landing_page_template = "anon_messaging/report_form_page_landing.html"
    subpage_types = []

    class Meta:
        verbose_name = _("report form page")
        permissions = [
            (
                "confirm_identity_questions",
                _("Can publish anonymous forms with questions that ask who the reporter is"),
            ),
        ]


# --- Messaging ---------------------------------------------------------------------


class MessagingPageMixin(ReporterPageMixin, RoutablePageMixin, models.Model):
    """Code log-in, the reporter's conversation and log-out, all without JavaScript."""

    intro = RichTextField(_("introduction"), blank=True)
    login_help = RichTextField(
        _("log-in help"), blank=True, help_text=_("Shown above the code box.")
    )
    conversation_help = RichTextField(
        _("conversation help"), blank=True, help_text=_("Shown above the conversation.")
    )
    logout_text = RichTextField(
        _("logged-out text"), blank=True, help_text=_("Shown after a reporter logs out.")
    )

    content_panels = Page.content_panels + [
        FieldPanel("intro"),
        FieldPanel("login_help"),
        FieldPanel("conversation_help"),
        FieldPanel("logout_text"),
    ]

    class Meta:
        abstract = True

    # The session and the log-in are the service's (login.py); these stay overridable.

    def session_case(self, request):
        """The case this browser session logged in to, or None (login.session_case)."""
        return login.session_case(request)

    def end_session(self, request):
        login.end_session(request)

    def own_address(self, request):
        """This page's address for redirects, as seen from ``request``: a path when the
        request came to this page's site. ``Page.url`` names the host once a second site
        exists, and that host (the default site's record) may not be the one the
        reporter reached: the log-in would send them somewhere that does not answer."""
        return self.get_url(request) or self.url

    # Views ----------------------------------------------------------------------------

    def render_page(self, request, template, **extra):
        context = self.get_context(request)
        context.update(extra)
        return no_store(TemplateResponse(request, template, context))

    @path("")
    def index(self, request):
        case = self.session_case(request)
        if request.method == "POST":
            if case is not None:
                # A code posted while logged in to a case: leave that case first, so
                # nobody can keep a reporter inside a case of someone else's choosing.
                self.end_session(request)
            return self.log_in(request)
        if case is None:
            return self.render_login(request, forms.CodeLoginForm())
        return self.render_conversation(
            request, case, forms.MessageForm(file_limits=self.message_file_limits(request))
        )

    def message_file_limits(self, request):
        """``(files, bytes per file)`` a message may carry, or None where the site takes
        no files in messages."""
        site_settings = reporting_settings.for_request(request)
        return site_settings.file_limits if site_settings.files_in_messages else None

    def render_login(self, request, form, status=200, **extra):
        response = self.render_page(
            request,
            "anon_messaging/messaging_login.html",
            form=form,
            timed_out=getattr(request, "anon_messaging_timed_out", False),
            **extra,
        )
        response.status_code = status
        return response

    def log_in(self, request):
        form = forms.CodeLoginForm(request.POST)
        if not form.is_valid():
            return self.render_login(request, form)
        result = login.log_in(request, form.cleaned_data["code"])
        if result.case is not None:
            return redirect(self.own_address(request))
        form.add_error("code", result.error)
        if result.refused:
            response = self.render_login(request, form, status=503 if result.busy else 429)
            response["Retry-After"] = str(result.retry_after)
            return response
        return self.render_login(request, form)

    def render_conversation(self, request, case, form, status=200, **extra):
        earlier = _page_number(request.GET.get("earlier"))
        conversation, has_earlier = cases.conversation_window(case, earlier)
        files_by_message = {}
        shown_ids = [message.pk for message in conversation]
        # The report's own files (no message) and those of the messages shown.
        for attachment in case.attachments.filter(
            models.Q(message_id__in=shown_ids) | models.Q(message__isnull=True)
        ):
            files_by_message.setdefault(attachment.message_id, []).append(attachment)
        for message in conversation:
            message.shown_attachments = files_by_message.get(message.pk, [])
        new_ids = {
            m.pk
            for m in conversation
            if m.sender == Message.Sender.ADVISER and m.read_by_reporter_at is None
        }
        if new_ids:
            cases.mark_read_by_reporter(new_ids)
        response = self.render_page(
            request,
            "anon_messaging/messaging_conversation.html",
            case=case,
            conversation=conversation,
            earlier=earlier,
            has_earlier=has_earlier,
            new_message_ids=new_ids,
            report_attachments=files_by_message.get(None, []),
            form=form,
            reporting_settings=reporting_settings.for_request(request, case.site_id),
            **extra,
        )
        response.status_code = status
        return response

    @path("send/", name="send")
    def send(self, request):
        case = self.session_case(request)
        if case is None:
            return self.render_login(
                request,
                forms.CodeLoginForm(),
                expired_message=gettext(
                    "Your session had ended, so your message was not sent. Log in again to send it."
                ),
                # Shown back, never kept: the person can copy it before logging in.
                unsent_message=request.POST.get("body", "").strip(),
            )
        if request.method != "POST":
            return redirect(self.own_address(request))
        form = forms.MessageForm(
            request.POST, request.FILES, file_limits=self.message_file_limits(request)
        )
        if case.is_closed:
            form.add_error(
                None,
                gettext(
                    "This case is closed, so it cannot take new messages. If you need to tell "
                    "us more, please make a new report."
                ),
            )
            return self.render_conversation(
                request, case, form, unsent_message=request.POST.get("body", "").strip()
            )
        if not form.is_valid():
            forms.ask_to_choose_files_again(form)
            return self.render_conversation(request, case, form)
        files = [cleaned for _uploaded, cleaned in form.cleaned_data.get("attachments") or ()]
        try:
            cases.post_message(
                case,
                sender=Message.Sender.REPORTER,
                body=form.cleaned_data["body"],
                files=files,
            )
        except (DatabaseError, OSError):
            form.add_error(
                None,
                gettext(
                    "We could not save your message just now, so it was not sent. It is still "
                    "in the box below: please try again in a moment."
                ),
            )
            forms.ask_to_choose_files_again(form)
            return self.render_conversation(request, case, form)
        if files:
            # Generic words only: Django's messages may sit in a cookie or the session,
            # where no file name may go. Each file shows what was removed beside it.
            messages.success(
                request,
                gettext(
                    "Your message was sent. Details that could identify you were removed from "
                    "your files before they were stored: each file below says which. What the "
                    "files show is not changed."
                ),
            )
        else:
            messages.success(request, gettext("Your message was sent."))
        return redirect(self.own_address(request) + "#latest")

    @path("contact-details/", name="share_contact")
    def share_contact(self, request):
        """A reporter logged in with their code shares how to reach them, after a plain
        warning that this cannot be undone. Messaging carries on as before."""
        case = self.session_case(request)
        if case is None:
            return self.render_login(request, forms.CodeLoginForm())
        already = ContactDetails.objects.filter(case=case).exists()
        if already:
            return self.render_page(
                request, "anon_messaging/messaging_share_contact.html", case=case, already=True
            )
        if request.method != "POST":
            return self.render_page(
                request,
                "anon_messaging/messaging_share_contact.html",
                case=case,
                form=forms.ContactDetailsForm(),
            )
        form = forms.ContactDetailsForm(request.POST)
        if form.is_valid():
            try:
                cases.share_contact_details(case, contact=form.contact())
            except cases.CaseActionRefused as refused:
                form.add_error(None, str(refused))
            except DatabaseError:
                form.add_error(
                    None,
                    gettext(
                        "We could not save your details just now, so nothing was shared. They "
                        "are still here: please try again in a moment."
                    ),
                )
            else:
                messages.success(
                    request,
                    gettext(
                        "Your contact details were shared with the advisers handling your "
                        "report. You can keep sending messages here."
                    ),
                )
                return redirect(self.own_address(request))
        return self.render_page(
            request, "anon_messaging/messaging_share_contact.html", case=case, form=form
        )

    @path("attachments/<int:number>/", name="attachment")
    def attachment(self, request, number):
        """An attachment on the reporter's own case (theirs or an adviser's); 404 for
        anything else, and for everyone not logged in to that case."""
        case = self.session_case(request)
        found = attachments.find(case, number) if case is not None else None
        if found is None:
            raise Http404
        try:
            chunks = attachments.open_for_reporter(found)
        except attachments.attachment_storage.UnreadableAttachment:
            raise Http404 from None
        return attachment_response(found, chunks)

    @path("logout/", name="logout")
    def logout(self, request):
        if request.method == "POST":
            self.end_session(request)
            return self.render_page(request, "anon_messaging/messaging_logged_out.html")
        return redirect(self.own_address(request))


class MessagingPage(MessagingPageMixin, Page):
    template = "anon_messaging/messaging_login.html"
    subpage_types = []
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("messaging page")


# --- Support and FAQ pages -----------------------------------------------------------


class QuestionBlock(blocks.StructBlock):
    question = blocks.CharBlock(label=_("question"))
    answer = blocks.RichTextBlock(label=_("answer"))

    class Meta:
        icon = "help"
        label = _("Question and answer")
        template = "anon_messaging/blocks/question_block.html"


class SupportPageMixin(ReporterPageMixin, models.Model):
    """Questions and answers in rich text; ``{sla}`` shows the site's response time.

    Below them, a list of the live pages under this one (``show_child_pages``): the
    demo's ``/report/`` lists its report forms this way, and ``/support/`` its pages.
    """

    intro = RichTextField(_("introduction"), blank=True)
    body = StreamField(
        [
            ("question", QuestionBlock()),
            (
                "text",
                blocks.RichTextBlock(
                    label=_("text"), template="anon_messaging/blocks/text_block.html"
                ),
            ),
        ],
        blank=True,
        verbose_name=_("content"),
    )

    show_child_pages = models.BooleanField(
        _("list the pages below this one"),
        default=True,
        help_text=_(
            "Each live page below this one is listed after the content, with its title and "
            "its search description (Promote tab) as a summary."
        ),
    )

    content_panels = Page.content_panels + [
        FieldPanel("intro"),
        FieldPanel("body"),
        FieldPanel("show_child_pages"),
    ]

    class Meta:
        abstract = True

    def listed_pages(self):
        """The live pages below this one that anyone may see, in the editors' order."""
        return self.get_children().live().public()


class SupportPage(SupportPageMixin, Page):
    template = "anon_messaging/support_page.html"

    class Meta:
        verbose_name = _("support page")


# --- Published statistics --------------------------------------------------------------


class StatisticsPageForm(WagtailAdminPageForm):
    """The page editor's form: the tables as tick boxes, stored as their keys in order."""

    tables = django_forms.MultipleChoiceField(
        label=_("tables"),
        choices=statistics.FIGURES,
        required=False,
        widget=django_forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every table."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.tables and not self.is_bound:
            self.initial["tables"] = self.instance.tables.split(",")

    def clean_tables(self):
        chosen = set(self.cleaned_data.get("tables") or ())
        return ",".join(key for key in statistics.FIGURE_KEYS if key in chosen)


class StatisticsPageMixin(ReporterPageMixin, models.Model):
    """Figures an editor publishes: a chosen academic year, by month or term, and the tables
    they pick. Only suppressed counts (``statistics.py``), never a case, so an editor needs
    no access to cases to place or publish it. The figures are cached
    (``STATISTICS_CACHE_SECONDS``)."""

    intro = RichTextField(_("introduction"), blank=True)
    first_year = models.PositiveSmallIntegerField(
        _("academic year starting in"),
        null=True,
        blank=True,
        help_text=_(
            "The calendar year the academic year starts in, for example 2025 for 2025 to "
            "2026. Blank: the current academic year, moving on by itself."
        ),
    )
    granularity = models.CharField(
        _("show"), max_length=8, choices=statistics.GRANULARITIES, default=statistics.BY_TERM
    )
    # The keys of statistics.FIGURES, comma-separated (StatisticsPageForm); blank: all.
    tables = models.CharField(_("tables"), max_length=255, blank=True)

    base_form_class = StatisticsPageForm

    content_panels = Page.content_panels + [
        FieldPanel("intro"),
        FieldPanel("first_year"),
        FieldPanel("granularity"),
        FieldPanel("tables"),
    ]

    class Meta:
        abstract = True

    def chosen_figures(self):
        return [key for key in self.tables.split(",") if key in statistics.FIGURE_KEYS] or None

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        site = Site.find_for_request(request)
        report = statistics.cached_report(
            site.pk if site is not None else None,
            first_year=self.first_year,
            granularity=self.granularity,
            figures=self.chosen_figures(),
        )
        context["report"] = report
        context["shown_figures"] = statistics.for_display(report)
        return context


class StatisticsPage(StatisticsPageMixin, Page):
    template = "anon_messaging/statistics_page.html"
    subpage_types = []

    class Meta:
        verbose_name = _("statistics page")


__all__ = [
    "MessagingPage",
    "MessagingPageMixin",
    "ReportFormField",
    "ReportFormMixin",
    "ReportFormPage",
    "StatisticsPage",
    "StatisticsPageMixin",
    "SupportPage",
    "SupportPageMixin",
]
