"""The adapter: the advisers' area built on wagtail-modeladmin.

Case list, case view, contact details, history, and the outcomes list. Every
wagtail_modeladmin import, URL name and ``modeladmin/*`` template lives here, so the
area can move to Wagtail's own viewsets without touching anything else; the rest
of the app reaches these pages through ``urls.py``.

Visibility: every case URL looks the case up in ``Case.objects.visible_to(user)``
(``permissions.py``) and answers 404 otherwise, so a guessed URL tells nobody
whether a case exists.
"""

from django.contrib import messages
from django.contrib.admin import SimpleListFilter
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.core.paginator import InvalidPage
from django.db import DatabaseError, models
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import re_path, reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.admin.admin_url_finder import register_admin_url_finder
from wagtail_modeladmin.helpers import AdminURLHelper, ButtonHelper, PermissionHelper
from wagtail_modeladmin.options import ModelAdmin, modeladmin_register
from wagtail_modeladmin.views import (
    DeleteView,
    HistoryView,
    IndexView,
    InspectView,
    InstanceSpecificView,
    WMABaseView,
)

from .. import attachments, case_files, cases, codes, form_rules, permissions, reporting_settings
from .. import forms as reporter_forms
from ..deadlines import overdue_q
from ..forms import ask_to_choose_files_again
from ..models import Case, CaseCategory, CaseOutcome, LocationType
from ..pages import ReportFormMixin
from ..security import attachment_response, download_response, neutralise_formula, no_store
from . import forms as admin_forms
from .columns import statutory_cell

CASE_URL_NAME = "anon_messaging_case_modeladmin_{}"
TEMPLATES = "anon_messaging/admin/modeladmin/"


def case_action_url(action, *args):
    """The address of one of the case area's views (``urls.py`` is the public helper)."""
    return reverse(CASE_URL_NAME.format(action), args=args)


ATTACHMENT_ACTION = "attachment"
CASE_FILE_ACTION = "case_file"
RECORD_REPORT_ACTION = "record"


def with_overdue_flag(queryset, now=None):
    """Annotate ``is_overdue`` for the list's column and filter (``needs_reply`` is stored)."""
    return queryset.annotate(
        is_overdue=models.Case(
            models.When(overdue_q(now or timezone.now()), then=models.Value(True)),
            default=models.Value(False),
            output_field=models.BooleanField(),
        )
    )


# A case the user just acted on: the page they are sent back to is not a new "opening".
JUST_ACTED_SESSION_KEY = "anon_messaging.admin.just_acted"


class NumericPkURLHelper(AdminURLHelper):
    """Only digits reach the views, so a mangled id is a plain 404, never a server error."""

    def _get_object_specific_action_url_pattern(self, action):
        return rf"^{self.base_url_path}/{action}/(?P<instance_pk>[0-9]+)/$"


# --- Permissions and buttons ------------------------------------------------------------


class CasePermissionHelper(PermissionHelper):
    """Cases are created by reporters and removed by the retention policy, never by hand."""

    def user_can_list(self, user):
        return permissions.may_see_cases(user)

    def user_can_create(self, user):
        return False

    def user_can_inspect_obj(self, user, obj):
        return Case.objects.visible_to(user).filter(pk=obj.pk).exists()

    def user_can_edit_obj(self, user, obj):
        return False

    def user_can_delete_obj(self, user, obj):
        return False


class CaseButtonHelper(ButtonHelper):
    def get_primary_button(self, obj):
        # Rows come from visible_to() already, so no per-row permission query.
        return {
            "url": self.url_helper.get_action_url("inspect", obj.pk),
            "label": gettext("Open case"),
            "title": gettext("Open case %(reference)s") % {"reference": obj.reference},
        }

    def get_buttons_for_obj(self, obj, *args, **kwargs):
        return []


class CaseURLFinder:
    """Where Wagtail (site history, log entries) links a case: its case view, if visible."""

    def __init__(self, user=None):
        self.user = user

    def get_edit_url(self, instance):
        if self.user is not None and not (
            Case.objects.visible_to(self.user).filter(pk=instance.pk).exists()
        ):
            return None
        return case_action_url("inspect", instance.pk)


# --- List filters -----------------------------------------------------------------------


class CaseListFilter(SimpleListFilter):
    """The list's filters: each titled with a heading (modeladmin's own template has none)."""

    template = TEMPLATES + "filter.html"


class StatusFilter(CaseListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("active", _("Not closed")), *Case.Status.choices]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "active":
            return queryset.exclude(status=Case.Status.CLOSED)
        if value in Case.Status.values:
            return queryset.filter(status=value)
        return queryset


class AssignedFilter(CaseListFilter):
    title = _("assigned to")
    parameter_name = "assigned"

    def lookups(self, request, model_admin):
        return [
            ("me", _("To me")),
            ("team", _("To one of my teams")),
            ("waiting", _("To one of my teams, no adviser yet")),
            ("unassigned", _("To no adviser yet")),
        ]

    def choices(self, changelist):
        choices = list(super().choices(changelist))
        choices[0]["display"] = gettext("Anyone")
        return choices

    def queryset(self, request, queryset):
        value = self.value()
        if value == "me":
            return queryset.filter(assigned_to=request.user)
        if value == "team":
            return queryset.filter(assigned_team__in=request.user.groups.all())
        if value == "waiting":
            return queryset.filter(
                assigned_to__isnull=True, assigned_team__in=request.user.groups.all()
            )
        if value == "unassigned":
            return queryset.filter(assigned_to__isnull=True)
        return queryset


class YesFilter(CaseListFilter):
    """A flag filter: everything, or only the cases with the flag."""

    flag = None

    def lookups(self, request, model_admin):
        return [("yes", _("Yes"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(**{self.flag: True})
        return queryset


class AwaitingReplyFilter(YesFilter):
    title = _("awaiting reply")
    parameter_name = "awaiting"
    flag = "needs_reply"


class OverdueFilter(YesFilter):
    title = _("overdue")
    parameter_name = "overdue"
    flag = "is_overdue"


class RouteFilter(CaseListFilter):
    title = _("route")
    parameter_name = "route"

    def lookups(self, request, model_admin):
        return Case.Route.choices

    def queryset(self, request, queryset):
        if self.value() in Case.Route.values:
            return queryset.filter(route=self.value())
        return queryset


class CategoryFilter(CaseListFilter):
    title = _("category")
    parameter_name = "category"

    def lookups(self, request, model_admin):
        return [(str(category.pk), category.name) for category in CaseCategory.objects.all()]

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(categories=int(value))
        return queryset


class RiskFilter(CaseListFilter):
    title = _("risk level")
    parameter_name = "risk"

    def lookups(self, request, model_admin):
        return [
            ("none" if value == "" else value, label) for value, label in Case.RiskLevel.choices
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "none":
            return queryset.filter(risk_level="")
        if value in Case.RiskLevel.values:
            return queryset.filter(risk_level=value)
        return queryset


class SafeguardingFilter(YesFilter):
    title = _("safeguarding concern")
    parameter_name = "safeguarding"
    flag = "safeguarding_concern"


# --- Views -------------------------------------------------------------------------------


class CaseIndexView(IndexView):
    def preprocess_field_value(self, field, value, export_format):
        # Every CSV cell. Wagtail already writes XLSX formulas as text cells, never formulas.
        value = super().preprocess_field_value(field, value, export_format)
        if export_format == self.FORMAT_CSV:
            return neutralise_formula(value)
        return value

    def get_filters_params(self, params=None):
        # Only our filters' parameters reach the queryset. modeladmin would otherwise
        # apply any other parameter as an ORM lookup (?assigned_to__password__startswith=).
        allowed = {list_filter.parameter_name for list_filter in self.list_filter}
        lookup_params = super().get_filters_params(params)
        return {key: value for key, value in lookup_params.items() if key in allowed}

    def get_ordering(self, request, queryset):
        # modeladmin breaks ties with the newest id first whatever the sort; times a
        # reporter sets are kept to the minute, so ties are common, and "oldest first"
        # must put the newest of a minute last: break ties in the sort's own direction.
        # The column clicked decides; by default the queue's own "longest waiting first".
        ordering = super().get_ordering(request, queryset)
        if len(ordering) > 1 and ordering[-1] == "-" + self.opts.pk.name:
            basis = str(ordering[0] if self.ORDER_VAR in self.params else ordering[-2])
            ordering[-1] = ("-" if basis.startswith("-") else "") + self.opts.pk.name
        return ordering

    # Counted up to here; beyond, the list says "more than 1,000" and pages that far.
    COUNT_LIMIT = 1000

    def get_context_data(self, **kwargs):
        # modeladmin counts the cases three times (all, the filtered, the paginator's own),
        # each a scan of every visible case. Count the filtered cases once, and no further
        # than COUNT_LIMIT; the unfiltered total only when a filter or search is on.
        context = {}
        # modeladmin's dispatch has built the filtered queryset already; building it
        # again would build the filters again, and the category filter reads its choices.
        queryset = self.queryset
        result_count = self.bounded_count(queryset)
        filtered = bool(self.get_filters_params(self.params)) or bool(self.query)
        all_count = self.bounded_count(self.get_base_queryset()) if filtered else result_count
        paginator = self.paginator_class(queryset, self.items_per_page)
        paginator.count = result_count
        try:
            page_obj = paginator.page(self.page_num)
        except InvalidPage:
            page_obj = paginator.page(1)
        context.update(
            view=self,
            all_count=self.count_label(all_count),
            result_count=self.count_label(result_count),
            paginator=paginator,
            page_obj=page_obj,
            elided_page_range=paginator.get_elided_page_range(self.page_num),
            object_list=page_obj.object_list,
            user_can_create=False,
            record_report_url=case_action_url(RECORD_REPORT_ACTION)
            if self.request.user.has_perm(permissions.RECORD_REPORT)
            else None,
            show_search=self.search_handler.show_search_form,
        )
        context.update(kwargs)
        return super(IndexView, self).get_context_data(**context)

    def bounded_count(self, queryset):
        return queryset.order_by()[: self.COUNT_LIMIT + 1].count()

    def count_label(self, count):
        if count > self.COUNT_LIMIT:
            limit = number_format(self.COUNT_LIMIT, force_grouping=True)
            return gettext("more than %(limit)s") % {"limit": limit}
        return count


class VisibleCaseMixin:
    """Looks the case up among those the user may see; 404 for every other id."""

    def dispatch(self, request, *args, **kwargs):
        self.instance = get_object_or_404(
            Case.objects.visible_to(request.user).select_related(
                "assigned_to", "assigned_team", "site", "location_type"
            ),
            pk=self.instance_pk,
        )
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return self.instance.reference


class CaseView(VisibleCaseMixin, InspectView):
    """The case: report, contact details link, conversation, notes, status, assignment."""

    page_title = _("Case")
    ACTIONS = (
        "reply",
        "note",
        "status",
        "assign",
        "responded",
        "triage",
        "exclude",
        "unexclude",
        "redact",
        "redact_attachment",
    )

    def check_action_permitted(self, user):
        return True  # VisibleCaseMixin has checked, with the case itself

    def get(self, request, *args, **kwargs):
        just_acted = request.session.pop(JUST_ACTED_SESSION_KEY, None) == self.instance.pk
        newly_read = cases.open_case(self.instance, user=request.user, log_opening=not just_acted)
        return self.render_case(new_message_ids=newly_read)

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action")
        if action not in self.ACTIONS:
            messages.error(request, gettext("That action is not known. Nothing was changed."))
            return redirect(self.case_url)
        return getattr(self, f"post_{action}")(request)

    # Actions ------------------------------------------------------------------------------

    def require(self, permission):
        if not self.request.user.has_perm(permission):
            raise PermissionDenied

    def post_reply(self, request):
        self.require(permissions.ADD_MESSAGE)
        form = admin_forms.ReplyForm(
            request.POST, request.FILES, prefix="reply", file_limits=self.file_limits()
        )
        valid = form.is_valid()
        body = form.cleaned_data.get("body") if valid else None
        files = [cleaned for _uploaded, cleaned in form.cleaned_data.get("attachments") or ()]
        if (
            valid
            and (body or files)
            and self.run(form, cases.reply, author=request.user, body=body or "", files=files)
        ):
            return self.done(
                gettext("Reply sent. The reporter sees it the next time they look."),
                "conversation-section",
            )
        ask_to_choose_files_again(form)
        return self.render_case(reply_form=form)

    def file_limits(self):
        """What a reply may carry, by the case's site settings; None: no files."""
        site_settings = reporting_settings.for_site(self.instance.site_id)
        return site_settings.file_limits if site_settings.files_in_messages else None

    def post_note(self, request):
        self.require(permissions.ADD_INTERNAL_NOTE)
        form = admin_forms.NoteForm(request.POST, prefix="note")
        body = form.cleaned_data["body"] if form.is_valid() else None
        if body and self.run(form, cases.add_note, author=request.user, body=body):
            return self.done(gettext("Internal note saved."), "notes-section")
        return self.render_case(note_form=form)

    def post_status(self, request):
        self.require(permissions.CHANGE_CASE)
        form = admin_forms.StatusForm(request.POST, prefix="status", case=self.instance)
        changed = form.is_valid() and self.run(
            form,
            cases.change_status,
            user=request.user,
            status=form.cleaned_data["status"],
            outcomes=list(form.cleaned_data["outcomes"]),
        )
        if changed:
            return self.done(
                gettext("Status changed to “%(status)s”.")
                % {"status": changed.get_status_display()},
                "status-section",
            )
        return self.render_case(status_form=form)

    def post_assign(self, request):
        self.require(permissions.CHANGE_CASE)
        form = admin_forms.AssignForm(request.POST, prefix="assign", case=self.instance)
        assigned = form.is_valid() and self.run(
            form,
            cases.assign,
            user=request.user,
            adviser=form.cleaned_data["adviser"],
            team=form.cleaned_data["team"],
        )
        if assigned:
            return self.done(gettext("Assignment saved."), "assignment-section")
        return self.render_case(assign_form=form)

    def post_triage(self, request):
        self.require(permissions.CHANGE_CASE)
        form = admin_forms.TriageForm(request.POST, prefix="triage", case=self.instance)
        saved = form.is_valid() and self.run(
            form,
            cases.set_triage,
            user=request.user,
            categories=list(form.cleaned_data["categories"]),
            location_type=form.cleaned_data["location_type"],
            risk_level=form.cleaned_data["risk_level"],
            safeguarding_concern=form.cleaned_data["safeguarding_concern"],
        )
        if saved:
            return self.done(gettext("Triage saved."), "triage-section")
        return self.render_case(triage_form=form)

    def post_responded(self, request):
        self.require(permissions.CHANGE_CASE)
        try:
            cases.record_response_elsewhere(self.instance, user=request.user)
        except cases.CaseActionRefused as refused:
            messages.error(request, str(refused))
            return redirect(self.case_url)
        return self.done(
            gettext("Recorded that the reporter has had a response."), "status-section"
        )

    def post_exclude(self, request):
        self.require(permissions.EXCLUDE_ADVISERS)
        form = admin_forms.ExcludeAdviserForm(request.POST, prefix="exclude", case=self.instance)
        excluded = form.is_valid() and self.run(
            form,
            cases.exclude_adviser,
            user=request.user,
            adviser=form.cleaned_data["adviser"],
            reason=form.cleaned_data["reason"],
        )
        if excluded:
            return self.done(
                gettext("%(name)s can no longer see this case.")
                % {"name": CaseAdmin._person_name(form.cleaned_data["adviser"])},
                "exclusions-section",
            )
        return self.render_case(exclude_form=form)

    def post_unexclude(self, request):
        self.require(permissions.EXCLUDE_ADVISERS)
        raw = request.POST.get("exclusion", "")
        try:
            removed = cases.remove_exclusion(
                self.instance, user=request.user, exclusion_id=int(raw) if raw.isdigit() else 0
            )
        except cases.CaseActionRefused as refused:
            messages.error(request, str(refused))
            return redirect(self.case_url)
        return self.done(
            gettext("%(name)s may see this case again, as their team and permissions allow.")
            % {"name": CaseAdmin._person_name(removed.user)},
            "exclusions-section",
        )

    def post_redact(self, request):
        self.require(permissions.REDACT_CASE)
        form = admin_forms.RedactForm(request.POST, prefix="redact", items=self.redactable_items())
        redacted = form.is_valid() and self.run(
            form,
            cases.redact_text,
            user=request.user,
            item=form.cleaned_data["item"],
            passage=form.cleaned_data["passage"],
            reason=form.cleaned_data["reason"],
        )
        if redacted:
            return self.done(
                gettext("Redacted. The original text is no longer stored."), "redaction-section"
            )
        return self.render_case(redact_form=form)

    def post_redact_attachment(self, request):
        self.require(permissions.REDACT_CASE)
        numbers = self.redactable_attachments()
        if not numbers:
            # No form is shown for a case with no file left (another adviser may have just
            # deleted the last one), so its error would have nowhere to appear.
            messages.error(
                request, gettext("This case has no attachment left whose content can be deleted.")
            )
            return redirect(f"{self.case_url}#redaction-section")
        form = admin_forms.RedactAttachmentForm(request.POST, prefix="redact_file", numbers=numbers)
        redacted = form.is_valid() and self.run(
            form,
            cases.redact_attachment,
            user=request.user,
            number=form.cleaned_data["number"],
            reason=form.cleaned_data["reason"],
        )
        if redacted:
            return self.done(
                gettext("The attachment's content was deleted for good."), "redaction-section"
            )
        return self.render_case(redact_attachment_form=form)

    def redactable_items(self):
        """The parts of the case a passage can be redacted from, as the form lists them."""
        case = self.instance
        items = [
            (
                f"answer-{number}",
                gettext("Report: %(question)s") % {"question": answer.get("label", "")},
            )
            for number, answer in enumerate(case.answers or [], start=1)
        ]
        for number, message in enumerate(case.messages.all(), start=1):
            sender = message.get_sender_display()
            items.append(
                (
                    f"message-{message.pk}",
                    gettext("Message %(number)d (%(sender)s)")
                    % {"number": number, "sender": sender},
                )
            )
        for number, note in enumerate(case.notes.all(), start=1):
            items.append(
                (f"note-{note.pk}", gettext("Internal note %(number)d") % {"number": number})
            )
        return items

    def redactable_attachments(self):
        return list(
            self.instance.attachments.filter(storage_key__isnull=False).values_list(
                "number", flat=True
            )
        )

    def run(self, form, action, **kwargs):
        """Do the action; on refusal or a database failure, say so on the form, keep the text."""
        try:
            return action(self.instance, **kwargs) or True
        except cases.CaseActionRefused as refused:
            form.add_error(None, str(refused))
        except (DatabaseError, OSError):
            form.add_error(
                None,
                gettext(
                    "This could not be saved just now, so nothing was changed. "
                    "What you typed is still here: please try again in a moment."
                ),
            )
        return None

    def done(self, message, anchor):
        request = self.request
        messages.success(request, message)
        if not Case.objects.visible_to(request.user).filter(pk=self.instance.pk).exists():
            messages.info(request, gettext("The case is no longer assigned to you or your teams."))
            return redirect(self.index_url)
        request.session[JUST_ACTED_SESSION_KEY] = self.instance.pk
        return redirect(f"{self.case_url}#{anchor}")

    # Rendering ----------------------------------------------------------------------------

    @property
    def case_url(self):
        return self.url_helper.get_action_url("inspect", self.instance.pk)

    def render_case(self, new_message_ids=(), **bound_forms):
        case = self.instance
        user = self.request.user
        now = timezone.now()
        forms = {
            "reply_form": admin_forms.ReplyForm(prefix="reply", file_limits=self.file_limits()),
            "note_form": admin_forms.NoteForm(prefix="note"),
            "status_form": admin_forms.StatusForm(prefix="status", case=case),
            "assign_form": admin_forms.AssignForm(
                prefix="assign",
                case=case,
                initial={"adviser": case.assigned_to_id, "team": case.assigned_team_id},
            ),
            "triage_form": admin_forms.TriageForm(
                prefix="triage",
                case=case,
                initial={
                    "categories": [category.pk for category in case.categories.all()],
                    "location_type": case.location_type_id,
                    "risk_level": case.risk_level,
                    "safeguarding_concern": case.safeguarding_concern,
                },
            ),
            **bound_forms,
        }
        can_exclude = user.has_perm(permissions.EXCLUDE_ADVISERS)
        can_redact = user.has_perm(permissions.REDACT_CASE)
        if can_exclude and "exclude_form" not in forms:
            forms["exclude_form"] = admin_forms.ExcludeAdviserForm(prefix="exclude", case=case)
        if can_redact:
            forms.setdefault(
                "redact_form",
                admin_forms.RedactForm(prefix="redact", items=self.redactable_items()),
            )
            forms.setdefault(
                "redact_attachment_form",
                admin_forms.RedactAttachmentForm(
                    prefix="redact_file", numbers=self.redactable_attachments()
                ),
            )
        has_errors = any(form.errors for form in bound_forms.values())
        if has_errors:
            messages.error(self.request, gettext("Nothing was saved: see the error below."))
        conversation = list(case.messages.select_related("author"))
        files_by_message = {}
        for attachment in case.attachments.all():
            attachment.url = case_action_url(ATTACHMENT_ACTION, case.pk, attachment.number)
            files_by_message.setdefault(attachment.message_id, []).append(attachment)
        for message in conversation:
            message.shown_attachments = files_by_message.get(message.pk, [])
        shown_image = self.request.GET.get("show")
        context = self.get_context_data(
            case=case,
            conversation=conversation,
            report_attachments=files_by_message.get(None, []),
            shown_image=int(shown_image) if shown_image and shown_image.isdigit() else None,
            notes=list(case.notes.select_related("author")),
            outcomes=list(case.outcomes.all()) if case.is_closed else [],
            case_categories=list(case.categories.all()),
            reporting_settings=reporting_settings.for_site(case.site_id),
            needs_reply=case.reply_owed,
            is_overdue=case.is_overdue(now),
            can_reply=user.has_perm(permissions.ADD_MESSAGE),
            can_note=user.has_perm(permissions.ADD_INTERNAL_NOTE),
            can_change=user.has_perm(permissions.CHANGE_CASE),
            can_view_contact=user.has_perm(permissions.VIEW_CONTACT_DETAILS),
            contact_details=getattr(case, "contact_details", None),
            contact_url=self.url_helper.get_action_url("contact", case.pk),
            can_exclude=can_exclude,
            exclusions=list(case.exclusions.select_related("user", "excluded_by"))
            if can_exclude
            else [],
            can_redact=can_redact,
            case_file_url=case_action_url(CASE_FILE_ACTION, case.pk),
            history_url=self.url_helper.get_action_url("history", case.pk),
            has_errors=has_errors,
            new_message_ids=set(new_message_ids),
            **forms,
        )
        return TemplateResponse(self.request, self.get_template_names(), context)

    def get_context_data(self, **kwargs):
        # The modeladmin inspect view's field list and buttons are not used here.
        return InstanceSpecificView.get_context_data(self, **kwargs)


class ContactDetailsView(VisibleCaseMixin, InstanceSpecificView):
    """A reporter's contact details, behind their own permission; every viewing is logged."""

    page_title = _("Contact details")

    def check_action_permitted(self, user):
        return user.has_perm(permissions.VIEW_CONTACT_DETAILS)

    def get(self, request, *args, **kwargs):
        case = self.instance
        # Given on the form, or shared later by a reporter who began anonymously.
        details = getattr(case, "contact_details", None)
        if details is None:
            raise Http404
        cases.log_contact_details_viewed(case, user=request.user)
        context = self.get_context_data(
            case=case,
            details=details,
            case_url=self.url_helper.get_action_url("inspect", case.pk),
        )
        return TemplateResponse(request, "anon_messaging/admin/contact_details.html", context)


class AttachmentView(VisibleCaseMixin, InstanceSpecificView):
    """One attachment's content, for an adviser who may see its case (404 for everyone
    else, checked at every request). Each opening is recorded in the case history.
    Sent as a download with a sandboxing CSP; the case view shows an image only when the
    adviser asks to see it."""

    attachment_number = None

    def __init__(self, model_admin, instance_pk, attachment_number):
        super().__init__(model_admin, instance_pk)
        self.attachment_number = attachment_number

    def check_action_permitted(self, user):
        return True  # VisibleCaseMixin has checked, with the case itself

    def get(self, request, *args, **kwargs):
        attachment = attachments.find(self.instance, self.attachment_number)
        if attachment is None:
            raise Http404
        try:
            chunks = attachments.open_for_adviser(attachment, user=request.user)
        except attachments.attachment_storage.UnreadableAttachment:
            raise Http404 from None
        return attachment_response(attachment, chunks)


class CaseFileView(VisibleCaseMixin, InstanceSpecificView):
    """The case file: a page asking what to put in it, then the PDF (each download
    recorded). For anyone who may see the case; 404 for everyone else."""

    page_title = _("Case file")

    def check_action_permitted(self, user):
        return True  # VisibleCaseMixin has checked, with the case itself

    def get(self, request, *args, **kwargs):
        case = self.instance
        form = admin_forms.CaseFileForm(request.GET if "download" in request.GET else None)
        if form.is_bound and form.is_valid():
            options = case_files.CaseFileOptions(**form.cleaned_data)
            pdf = case_files.make_case_file(case, user=request.user, options=options)
            return download_response(pdf, "application/pdf", case_files.file_name(case))
        context = self.get_context_data(
            case=case, form=form, case_url=case_action_url("inspect", case.pk)
        )
        return no_store(
            TemplateResponse(request, "anon_messaging/admin/case_file_options.html", context)
        )


def report_form_pages():
    """The live report forms whose questions an adviser can fill in for a reporter."""
    from wagtail.models import Page

    return Page.objects.live().type(ReportFormMixin).order_by("title")


class RecordReportView(WMABaseView):
    """A report received in person, by phone or on paper, recorded by an adviser.

    First the form whose questions to fill in, the route and how it was received; then
    those questions (and, on the route with contact details, how to reach the reporter);
    on the anonymous route, optionally a messaging code, shown to the adviser once. 404
    for anyone without the permission."""

    page_title = _("Record a report")
    template_name = "anon_messaging/admin/record_report.html"

    def check_action_permitted(self, user):
        return True

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if not (
            user.is_authenticated
            and permissions.may_see_cases(user)
            and user.has_perm(permissions.RECORD_REPORT)
        ):
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        start = admin_forms.RecordReportStartForm(
            request.GET or None, form_pages=report_form_pages()
        )
        if not start.is_bound or not start.is_valid():
            return self.render(start=start)
        report_form = self.report_form(
            start, initial={"submission_token": reporter_forms.new_submission_token()}
        )
        return self.render(start=start, report_form=report_form)

    def post(self, request, *args, **kwargs):
        start = admin_forms.RecordReportStartForm(request.POST, form_pages=report_form_pages())
        if not start.is_valid():
            return self.render(start=start)
        report_form = self.report_form(start, data=request.POST)
        if not report_form.is_valid():
            if "submission_token" in report_form.errors:
                report_form.renew_submission_token()
            return self.render(start=start, report_form=report_form)
        page, route = start.cleaned_data["form_page"].specific, start.cleaned_data["route"]
        data = report_form.cleaned_data
        contact = None
        if route == Case.Route.CONTACT:
            contact = {
                "name": data["reporter_name"],
                "email": data["reporter_email"],
                "phone": data["reporter_phone"],
                "preferred_method": data["preferred_contact"],
            }
        try:
            case, code = cases.record_report(
                user=request.user,
                form_page=page,
                route=route,
                received=start.cleaned_data["received"],
                answers=page.snapshot_answers(report_form),
                site=page.get_site(),
                contact=contact,
                code=data.get("issue_code"),
                submission_token=data["submission_token"],
            )
        except cases.DuplicateSubmission:
            messages.error(request, gettext("This report was recorded already."))
            return redirect(self.index_url)
        except (DatabaseError, OSError, codes.Busy):
            report_form.add_error(
                None,
                gettext(
                    "This could not be saved just now, so nothing was stored. What you typed "
                    "is still here: please try again in a moment."
                ),
            )
            return self.render(start=start, report_form=report_form)
        if code is None:
            messages.success(
                request,
                gettext("Report recorded as case %(reference)s.") % {"reference": case.reference},
            )
            return redirect(case_action_url("inspect", case.pk))
        return self.render(
            template="anon_messaging/admin/record_report_done.html",
            case=case,
            code=codes.format_code(code),
            case_url=case_action_url("inspect", case.pk),
        )

    def report_form(self, start, data=None, initial=None):
        """The chosen form's questions for the chosen route, with the route's own fields."""
        page, route = start.cleaned_data["form_page"].specific, start.cleaned_data["route"]
        questions = page.all_questions()
        if route == Case.Route.ANONYMOUS:
            questions = [
                q for q in questions if q.field_type not in form_rules.IDENTITY_FIELD_TYPES
            ]
        fields = page.form_builder(questions).formfields
        for name in reporter_forms.RESERVED_FIELD_NAMES:
            fields.pop(name, None)
        bases = (reporter_forms.ReportForm,)
        if route == Case.Route.ANONYMOUS:
            fields["issue_code"] = admin_forms.issue_code_field()
        else:
            fields.update(reporter_forms.contact_route_fields())
            fields["reporter_name"].label = _("Reporter's name")
            fields["reporter_name"].error_messages["required"] = _("Enter the reporter's name.")
            fields["preferred_contact"].label = _("How would they prefer to be contacted?")
            bases = (reporter_forms.ContactRouteMixin, reporter_forms.ReportForm)
        form_class = type("RecordedReportForm", bases, dict(fields))
        form_class.report_questions = questions
        return form_class(data, initial=initial, prefix="report")

    def render(self, template=None, **context):
        context = self.get_context_data(**context)
        return no_store(TemplateResponse(self.request, template or self.template_name, context))


class CaseHistoryView(VisibleCaseMixin, HistoryView):
    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["case_url"] = self.url_helper.get_action_url("inspect", self.instance.pk)
        return context


class OutcomeHistoryView(HistoryView):
    # modeladmin's history view checks nothing by itself.
    def check_action_permitted(self, user):
        return self.permission_helper.user_can_edit_obj(user, self.instance)


class OutcomeDeleteView(DeleteView):
    """An outcome recorded on cases stays, so closed cases keep what was recorded."""

    def in_use(self):
        return self.instance.case_set.exists()

    def get_context_data(self, **kwargs):
        return super().get_context_data(in_use=self.in_use(), **kwargs)

    def post(self, request, *args, **kwargs):
        if self.in_use():
            messages.error(
                request,
                gettext(
                    "“%(outcome)s” is recorded on closed cases, so it cannot be deleted. "
                    "Untick “offered when closing” to stop offering it."
                )
                % {"outcome": self.instance.name},
            )
            return redirect(self.url_helper.get_action_url("edit", self.instance.pk))
        return super().post(request, *args, **kwargs)


# --- ModelAdmin classes -------------------------------------------------------------------


class CaseAdmin(ModelAdmin):
    model = Case
    menu_label = _("Cases")
    menu_icon = "clipboard-list"
    menu_order = 150
    list_display = (
        "reference",
        "route",
        "status",
        "assignee",
        "created_at",
        "last_reporter_message_at",
        "awaiting_reply_flag",
        "overdue_flag",
    )
    list_filter = (
        StatusFilter,
        AssignedFilter,
        AwaitingReplyFilter,
        OverdueFilter,
        RouteFilter,
        SafeguardingFilter,
        RiskFilter,
        CategoryFilter,
    )
    # The reference only: report text is encrypted and not searchable.
    search_fields = ("reference",)
    list_per_page = 100
    # Cases awaiting a reply first, the longest waiting first; then the oldest cases.
    ordering = ("-needs_reply", "queue_since")
    list_export = (
        "reference",
        "route_label",
        "status_label",
        "assignee",
        "created_at",
        "last_reporter_message_at",
        "awaiting_reply_text",
        "overdue_text",
    )
    export_filename = "cases"
    inspect_view_enabled = True
    index_view_class = CaseIndexView
    inspect_view_class = CaseView
    history_view_class = CaseHistoryView
    index_template_name = TEMPLATES + "case_index.html"
    inspect_template_name = "anon_messaging/admin/case.html"
    history_template_name = TEMPLATES + "case_history.html"
    permission_helper_class = CasePermissionHelper
    button_helper_class = CaseButtonHelper
    url_helper_class = NumericPkURLHelper

    def get_list_display(self, request):
        # The statutory column only where a site has switched the EU deadlines on. Modeladmin
        # asks once per row, so the answer is kept on the request.
        if not hasattr(request, "_anon_messaging_statutory"):
            request._anon_messaging_statutory = (
                reporting_settings.any_site_shows_statutory_deadlines()
            )
        if request._anon_messaging_statutory:
            return (*self.list_display, "statutory_deadline")
        return self.list_display

    def get_queryset(self, request):
        # Ordered by Case.needs_reply and Case.queue_since (the reporter's first unanswered
        # word, else the report), stored and indexed, so a page never sorts every case.
        return with_overdue_flag(
            Case.objects.visible_to(request.user).select_related("assigned_to", "assigned_team")
        )

    # Columns --------------------------------------------------------------------------------

    @staticmethod
    def _person_name(user):
        return user.get_full_name().strip() or user.get_username()

    def assignee(self, obj):
        parts = []
        if obj.assigned_to:
            parts.append(self._person_name(obj.assigned_to))
        if obj.assigned_team:
            parts.append(gettext("team %(team)s") % {"team": obj.assigned_team.name})
        return ", ".join(parts)

    assignee.short_description = _("assigned to")

    def awaiting_reply_flag(self, obj):
        if obj.needs_reply:
            return format_html('<span class="w-status w-status--primary">{}</span>', _("Awaiting"))
        return ""

    awaiting_reply_flag.short_description = _("awaiting reply")
    awaiting_reply_flag.admin_order_field = "needs_reply"

    def overdue_flag(self, obj):
        if obj.is_overdue:
            return format_html('<span class="w-status w-status--label">{}</span>', _("Overdue"))
        return ""

    overdue_flag.short_description = _("overdue")
    overdue_flag.admin_order_field = "is_overdue"

    def statutory_deadline(self, obj):
        # Acknowledgement and feedback deadlines (EU 2019/1937 art. 9), where the site shows them.
        return statutory_cell(obj)

    statutory_deadline.short_description = _("statutory deadline")

    # Export columns: plain text, no report content.
    def route_label(self, obj):
        return obj.get_route_display()

    route_label.short_description = _("route")

    def status_label(self, obj):
        return obj.get_status_display()

    status_label.short_description = _("status")

    def awaiting_reply_text(self, obj):
        return gettext("yes") if obj.needs_reply else gettext("no")

    awaiting_reply_text.short_description = _("awaiting reply")

    def overdue_text(self, obj):
        return gettext("yes") if obj.is_overdue else gettext("no")

    overdue_text.short_description = _("overdue")

    # Views and URLs ---------------------------------------------------------------------

    def contact_view(self, request, instance_pk):
        return ContactDetailsView.as_view(model_admin=self, instance_pk=instance_pk)(request)

    def case_file_view(self, request, instance_pk):
        return CaseFileView.as_view(model_admin=self, instance_pk=instance_pk)(request)

    def record_report_view(self, request):
        return RecordReportView.as_view(model_admin=self)(request)

    def attachment_view(self, request, instance_pk, number):
        view = AttachmentView.as_view(
            model_admin=self, instance_pk=instance_pk, attachment_number=int(number)
        )
        return view(request)

    def get_admin_urls_for_registration(self):
        # No create, edit or delete: cases come from reporters; the case view does the rest.
        urls = [
            ("index", self.index_view),
            ("inspect", self.inspect_view),
            ("history", self.history_view),
            ("contact", self.contact_view),
            (CASE_FILE_ACTION, self.case_file_view),
        ]
        patterns = [
            re_path(
                self.url_helper.get_action_url_pattern(action),
                view,
                name=self.url_helper.get_action_url_name(action),
            )
            for action, view in urls
        ]
        patterns.append(
            re_path(
                rf"^{self.url_helper.base_url_path}/{ATTACHMENT_ACTION}/"
                r"(?P<instance_pk>[0-9]+)/(?P<number>[0-9]+)/$",
                self.attachment_view,
                name=self.url_helper.get_action_url_name(ATTACHMENT_ACTION),
            )
        )
        patterns.append(
            re_path(
                rf"^{self.url_helper.base_url_path}/{RECORD_REPORT_ACTION}/$",
                self.record_report_view,
                name=self.url_helper.get_action_url_name(RECORD_REPORT_ACTION),
            )
        )
        return tuple(patterns)

    def get_permissions_for_registration(self):
        # What an administrator can grant groups: seeing and working on cases, replying,
        # notes, contact details, seeing every case. Cases are never added or deleted by hand.
        return Permission.objects.filter(
            content_type__app_label="anon_messaging",
            content_type__model__in=["case", "message", "internalnote"],
        ).exclude(codename__in=["add_case", "delete_case"])

    def register_admin_url_finders(self):
        register_admin_url_finder(Case, CaseURLFinder)

    def register_indexing(self):
        # Kept out of Wagtail's reference index, so a form page's "usage" lists no cases.
        pass


class CaseOutcomeAdmin(ModelAdmin):
    model = CaseOutcome
    menu_label = _("Case outcomes")
    menu_icon = "tick-inverse"
    add_to_settings_menu = True
    list_display = ("name", "active", "sort_order")
    ordering = ("sort_order", "name")
    url_helper_class = NumericPkURLHelper
    delete_view_class = OutcomeDeleteView
    history_view_class = OutcomeHistoryView
    delete_template_name = TEMPLATES + "outcome_delete.html"


class TriageListDeleteView(OutcomeDeleteView):
    """A category or location type recorded on cases stays, like an outcome."""

    def in_use(self):
        return self.instance.cases.exists()

    def post(self, request, *args, **kwargs):
        if self.in_use():
            messages.error(
                request,
                gettext(
                    "“%(name)s” is recorded on cases, so it cannot be deleted. Untick “offered "
                    "to advisers” to stop offering it."
                )
                % {"name": self.instance.name},
            )
            return redirect(self.url_helper.get_action_url("edit", self.instance.pk))
        return DeleteView.post(self, request, *args, **kwargs)


class CaseCategoryAdmin(ModelAdmin):
    model = CaseCategory
    menu_label = _("Case categories")
    menu_icon = "tag"
    add_to_settings_menu = True
    list_display = ("name", "active", "sort_order")
    ordering = ("sort_order", "name")
    url_helper_class = NumericPkURLHelper
    delete_view_class = TriageListDeleteView
    history_view_class = OutcomeHistoryView
    delete_template_name = TEMPLATES + "triage_list_delete.html"


class LocationTypeAdmin(CaseCategoryAdmin):
    model = LocationType
    menu_label = _("Location types")
    menu_icon = "site"


def register():
    """Called from wagtail_hooks.py."""
    modeladmin_register(CaseAdmin)
    modeladmin_register(CaseOutcomeAdmin)
    modeladmin_register(CaseCategoryAdmin)
    modeladmin_register(LocationTypeAdmin)
