"""Page types editors add and word: report forms, the messaging page, support pages.

Each comes as an abstract mixin plus a concrete page, as ``wagtail.contrib.forms``
does, so a site with its own base page class can reuse the behaviour.
"""

import time
from datetime import date, datetime

from django.contrib import messages
from django.db import DatabaseError, models
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from wagtail import blocks
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.forms.models import AbstractFormField, FormMixin
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page, Site

from . import cases, codes, error_reports, forms, throttle
from .conf import get_setting
from .models import Case, Message, ReportingSettings
from .security import ReporterPageMixin
from .security import no_store as _no_store

SESSION_CASE_KEY = "anon_messaging.case"
SESSION_SEEN_KEY = "anon_messaging.seen"


def base_template_context(context):
    context["base_template"] = get_setting("BASE_TEMPLATE")
    return context


def reporting_settings_for_request(request, site_id=None):
    """The reporting settings of the site serving ``request``, or of ``site_id`` if another.

    Wagtail keeps them on the request, so a page and its template tags read them once.
    """
    site = Site.find_for_request(request) if request is not None else None
    if site is not None and site_id in (None, site.pk):
        return ReportingSettings.for_request(request)
    other_site = Site.objects.filter(pk=site_id).first() if site_id else None
    return cases.reporting_settings_for(other_site)


def no_store(response):
    """Keep thank-you, log-in and messaging pages out of every cache and history snapshot."""
    return _no_store(response)


# --- Report forms -----------------------------------------------------------------


class ReportFormField(AbstractFormField):
    page = ParentalKey("ReportFormPage", on_delete=models.CASCADE, related_name="form_fields")


class ReportFormMixin(ReporterPageMixin, FormMixin, models.Model):
    """A report form: the editor's questions plus the route's own fields."""

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

    content_panels = Page.content_panels + [
        FieldPanel("reporting_route"),
        FieldPanel("intro"),
        InlinePanel("form_fields", label=_("Questions")),
        MultiFieldPanel(
            [FieldPanel("messaging_question"), FieldPanel("messaging_help")],
            heading=_("Anonymous messaging (anonymous route)"),
        ),
        FieldPanel("contact_intro"),
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
        form_class = type("ReportForm", bases, dict(fields))
        # Set after the class is built, so no question's name can clash with it: the answers'
        # snapshot reads the questions from the form instead of querying them a second time.
        form_class.report_questions = questions
        return form_class

    def get_context(self, request, *args, **kwargs):
        return base_template_context(super().get_context(request, *args, **kwargs))

    def get_messaging_page(self):
        if self.messaging_page_id:
            # Only its URL is needed: the specific class without a second query.
            return self.messaging_page.specific_deferred
        return MessagingPage.objects.live().first()

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

    def serve(self, request, *args, **kwargs):
        error_reports.protect_request(request)  # answers never reach an error report
        if request.method == "POST":
            form = self.get_form(request.POST, page=self, user=request.user)
            if cases.submission_exists(request.POST.get("submission_token", "")):
                return self.render_already_received(request)
            if form.is_valid():
                try:
                    case, code = self.process_report(request, form)
                except cases.DuplicateSubmission:
                    return self.render_already_received(request)
                except DatabaseError:
                    form.add_error(
                        None,
                        gettext(
                            "We could not save your report just now, so nothing was stored. "
                            "Your answers are still here: please try sending again in a moment."
                        ),
                    )
                else:
                    return self.render_landing_page(request, case=case, code=code)
        else:
            form = self.get_form(
                page=self,
                user=request.user,
                initial={"submission_token": forms.new_submission_token()},
            )
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
        return cases.create_case(
            route=self.reporting_route,
            answers=self.snapshot_answers(form),
            site=Site.find_for_request(request),
            form_page=self,
            submission_token=data["submission_token"],
            opt_in=self.is_anonymous_route and bool(data.get("messaging_opt_in")),
            contact=contact,
        )

    def process_form_submission(self, form):  # pragma: no cover - serve() never calls it
        raise NotImplementedError("Report forms store cases through process_report().")

    def render_landing_page(
        self, request, form_submission=None, *args, case=None, code=None, **kwargs
    ):
        context = self.get_context(request)
        context.update(
            {
                "case": case,
                "code": codes.format_code(code) if code else None,
                "messaging_page": self.get_messaging_page(),
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
            return self.render_landing_page(request, code=placeholder)
        return super().serve_preview(request, mode_name)


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

    def get_context(self, request, *args, **kwargs):
        return base_template_context(super().get_context(request, *args, **kwargs))

    def serve(self, request, *args, **kwargs):
        # Neither the typed code nor the session key may reach an error report.
        error_reports.protect_request(request)
        return super().serve(request, *args, **kwargs)

    # Session handling ---------------------------------------------------------------

    def session_case(self, request):
        """The case this browser session logged in to, or None once it has gone idle."""
        case_id = request.session.get(SESSION_CASE_KEY)
        if case_id is None:
            return None
        seen = request.session.get(SESSION_SEEN_KEY, 0)
        if time.time() - seen > get_setting("SESSION_IDLE_SECONDS"):
            self.end_session(request)
            request.anon_messaging_timed_out = True
            return None
        case = Case.objects.filter(pk=case_id, messaging_enabled=True).first()
        if case is None:
            self.end_session(request)
            return None
        request.session[SESSION_SEEN_KEY] = int(time.time())
        return case

    def start_session(self, request, case):
        request.session.cycle_key()  # a new key at log-in defeats session fixation
        request.session[SESSION_CASE_KEY] = case.pk
        request.session[SESSION_SEEN_KEY] = int(time.time())
        request.session.set_expiry(0)  # ends when the browser closes

    def end_session(self, request):
        for key in (SESSION_CASE_KEY, SESSION_SEEN_KEY):
            request.session.pop(key, None)
        request.session.cycle_key()

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
                return redirect(self.url)
            return self.log_in(request)
        if case is None:
            return self.render_login(request, forms.CodeLoginForm())
        return self.render_conversation(request, case, forms.MessageForm())

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
        # The selector look-up comes first, so attempts on a case are counted apart from
        # guesses that match no case: guessing cannot lock a reporter out of their own case.
        code, target_case = cases.find_login_case(form.cleaned_data["code"])
        target = target_case.pk if target_case else throttle.NO_CASE
        decision = throttle.check_login(request, target)
        if not decision.allowed:
            form.add_error("code", throttle.retry_message(decision))
            response = self.render_login(request, form, status=429)
            response["Retry-After"] = str(decision.retry_after)
            return response
        case = cases.verify_login(code, target_case)
        if case is None:
            throttle.record_failure(request, target)
            # One answer for unknown and wrong codes, so neither is told apart.
            form.add_error(
                "code",
                gettext(
                    "That code did not match a report. Check it and try again: letters and "
                    "numbers only, dashes and spaces are optional."
                ),
            )
            return self.render_login(request, form)
        throttle.record_success(request, target)
        self.start_session(request, case)
        return redirect(self.url)

    def render_conversation(self, request, case, form, status=200):
        conversation = list(case.messages.all())
        new_ids = {
            m.pk
            for m in conversation
            if m.sender == Message.Sender.ADVISER and m.read_by_reporter_at is None
        }
        if new_ids:
            Message.objects.filter(pk__in=new_ids).update(read_by_reporter_at=timezone.now())
        response = self.render_page(
            request,
            "anon_messaging/messaging_conversation.html",
            case=case,
            conversation=conversation,
            new_message_ids=new_ids,
            form=form,
            reporting_settings=reporting_settings_for_request(request, case.site_id),
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
            )
        if request.method != "POST":
            return redirect(self.url)
        form = forms.MessageForm(request.POST)
        if case.is_closed:
            form.add_error(
                None,
                gettext(
                    "This case is closed, so it cannot take new messages. If you need to tell "
                    "us more, please make a new report."
                ),
            )
            return self.render_conversation(request, case, form)
        if not form.is_valid():
            return self.render_conversation(request, case, form)
        try:
            cases.post_message(case, sender=Message.Sender.REPORTER, body=form.cleaned_data["body"])
        except DatabaseError:
            form.add_error(
                None,
                gettext(
                    "We could not save your message just now, so it was not sent. It is still "
                    "in the box below: please try again in a moment."
                ),
            )
            return self.render_conversation(request, case, form)
        messages.success(request, gettext("Your message was sent."))
        return redirect(self.url + "#latest")

    @path("logout/", name="logout")
    def logout(self, request):
        if request.method == "POST":
            self.end_session(request)
            return self.render_page(request, "anon_messaging/messaging_logged_out.html")
        return redirect(self.url)


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
    """Questions and answers in rich text; ``{sla}`` shows the site's response time."""

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

    content_panels = Page.content_panels + [FieldPanel("intro"), FieldPanel("body")]

    class Meta:
        abstract = True

    def get_context(self, request, *args, **kwargs):
        return base_template_context(super().get_context(request, *args, **kwargs))

    def serve(self, request, *args, **kwargs):
        error_reports.protect_request(request)  # no address or browser in an error report
        return super().serve(request, *args, **kwargs)


class SupportPage(SupportPageMixin, Page):
    template = "anon_messaging/support_page.html"

    class Meta:
        verbose_name = _("support page")


__all__ = [
    "MessagingPage",
    "MessagingPageMixin",
    "ReportFormField",
    "ReportFormMixin",
    "ReportFormPage",
    "SupportPage",
    "SupportPageMixin",
]
