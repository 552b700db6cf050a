"""Forms on the adviser's case view. Errors are specific; what was typed is kept."""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import models
from django.utils.translation import gettext_lazy as _

from .. import permissions
from ..conf import get_setting
from ..forms import LengthLimitedCharField, add_files_to_message_form, clean_message_with_files
from ..models import Case, CaseCategory, CaseOutcome, LocationType


def _text_field(label, required_message, rows):
    limit = get_setting("MESSAGE_MAX_LENGTH")
    return LengthLimitedCharField(
        label=label,
        limit=limit,
        help_text=_("Up to %(limit)d characters.") % {"limit": limit},
        error_messages={"required": required_message},
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class _TextForm(forms.Form):
    """One text box, limited like the reporter's messages (MESSAGE_MAX_LENGTH)."""

    label = required_message = None
    rows = 4

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"] = _text_field(self.label, self.required_message, self.rows)


class ReplyForm(_TextForm):
    label = _("Reply to the reporter")
    required_message = _("Write a reply before sending.")
    rows = 6

    def __init__(self, *args, file_limits=None, **kwargs):
        super().__init__(*args, **kwargs)
        if file_limits:
            add_files_to_message_form(self, file_limits)

    def clean(self):
        return clean_message_with_files(self, super().clean())


class NoteForm(_TextForm):
    label = _("Internal note (advisers only, never shown to the reporter)")
    required_message = _("Write a note before saving.")


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("New status"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a status.")},
    )
    outcomes = forms.ModelMultipleChoiceField(
        label=_("Outcomes"),
        queryset=CaseOutcome.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Needed to close the case: choose one or more."),
    )

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.case = case
        # A new case becomes open when someone opens it; nobody sets "new" by hand.
        self.fields["status"].choices = [
            (value, label)
            for value, label in Case.Status.choices
            if value not in (Case.Status.NEW, case.status)
        ]
        self.fields["outcomes"].queryset = CaseOutcome.objects.filter(active=True)

    def clean(self):
        cleaned = super().clean()
        status = cleaned.get("status")
        outcomes = cleaned.get("outcomes")
        if status == Case.Status.CLOSED and not outcomes:
            self.add_error("outcomes", _("Choose at least one outcome to close the case."))
        elif status and status != Case.Status.CLOSED and outcomes:
            self.add_error(
                "outcomes", _("Outcomes are recorded only when closing: untick them or close.")
            )
        return cleaned


def advisers_who_can_see_cases():
    """The people a case can be assigned to: those who may see cases (permissions.py)."""
    user_model = get_user_model()
    return permissions.users_who_may_see_cases().order_by(
        "first_name", "last_name", user_model.USERNAME_FIELD
    )


class AdviserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        full_name = obj.get_full_name().strip()
        return f"{full_name} ({obj.get_username()})" if full_name else obj.get_username()


class AssignForm(forms.Form):
    adviser = AdviserChoiceField(
        label=_("Adviser"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label=_("No adviser"),
    )
    team = forms.ModelChoiceField(
        label=_("Team"),
        queryset=Group.objects.none(),
        required=False,
        empty_label=_("No team"),
        help_text=_("Everyone in the team can see the case."),
    )

    def __init__(self, *args, case=None, **kwargs):
        super().__init__(*args, **kwargs)
        advisers = advisers_who_can_see_cases()
        if case is not None:
            # Those excluded from the case are not offered (cases.assign refuses them too).
            advisers = advisers.exclude(case_exclusions__case=case, is_superuser=False)
        self.fields["adviser"].queryset = advisers
        self.fields["team"].queryset = permissions.teams_who_may_see_cases().order_by("name")


class TriageForm(forms.Form):
    """What the case is about, where, how serious: from the lists administrators edit."""

    categories = forms.ModelMultipleChoiceField(
        label=_("Categories"),
        queryset=CaseCategory.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    location_type = forms.ModelChoiceField(
        label=_("Location type"),
        queryset=LocationType.objects.none(),
        required=False,
        empty_label=_("Not recorded"),
    )
    risk_level = forms.ChoiceField(
        label=_("Risk level"), choices=Case.RiskLevel.choices, required=False
    )
    safeguarding_concern = forms.BooleanField(
        label=_("Safeguarding concern"),
        required=False,
        help_text=_("Someone may be at risk of harm: the case shows first on the dashboard."),
    )

    def __init__(self, *args, case=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Retired entries stay offered on the cases that already have them.
        current_categories = [c.pk for c in case.categories.all()] if case is not None else []
        self.fields["categories"].queryset = CaseCategory.objects.filter(
            models.Q(active=True) | models.Q(pk__in=current_categories)
        )
        current_location = case.location_type_id if case is not None else None
        self.fields["location_type"].queryset = LocationType.objects.filter(
            models.Q(active=True) | models.Q(pk=current_location)
        )


# --- Formal case work --------------------------------------------------------------------


def _reason_field(label, required_message):
    return forms.CharField(
        label=label,
        max_length=500,
        error_messages={
            "required": required_message,
            "max_length": _(
                "Keep the reason to %(limit_value)d characters (it has %(show_value)d)."
            ),
        },
        widget=forms.TextInput,
    )


class ExcludeAdviserForm(forms.Form):
    """Exclude an adviser from the case (a conflict of interest), with a reason."""

    adviser = AdviserChoiceField(
        label=_("Adviser to exclude"),
        queryset=get_user_model().objects.none(),
        empty_label=_("Choose an adviser"),
        error_messages={"required": _("Choose the adviser to exclude.")},
    )
    reason = _reason_field(
        _("Reason (shown in the case history)"), _("Give the reason for excluding them.")
    )

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        # Superusers see every case and cannot be excluded; those already excluded are not
        # offered again.
        self.fields["adviser"].queryset = (
            advisers_who_can_see_cases()
            .filter(is_superuser=False)
            .exclude(case_exclusions__case=case)
        )


class RedactForm(forms.Form):
    """Redact a passage of one answer, message or note, for good."""

    item = forms.ChoiceField(
        label=_("Where"), error_messages={"required": _("Choose what to redact from.")}
    )
    passage = forms.CharField(
        label=_("Text to redact"),
        help_text=_(
            "Copy the words exactly as they appear. Every place they appear in the part you "
            "chose becomes a marked gap, for the reporter too. This cannot be undone."
        ),
        max_length=10_000,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Give the text to redact.")},
    )
    reason = _reason_field(
        _("Reason (shown in the case history)"), _("Give the reason for the redaction.")
    )

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = [("", _("Choose a part of the case")), *items]


class RedactAttachmentForm(forms.Form):
    """Delete one attachment's content, for good."""

    number = forms.TypedChoiceField(
        label=_("Attachment"),
        coerce=int,
        error_messages={"required": _("Choose the attachment to redact.")},
    )
    reason = _reason_field(
        _("Reason (shown in the case history)"), _("Give the reason for the redaction.")
    )

    def __init__(self, *args, numbers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["number"].choices = [
            ("", _("Choose an attachment")),
            *[(number, _("Attachment %(number)d") % {"number": number}) for number in numbers],
        ]


class CaseFileForm(forms.Form):
    """What a case file holds beyond the report, the conversation and the attachment list."""

    images = forms.BooleanField(label=_("Show images in the file"), required=False)
    notes = forms.BooleanField(label=_("Include internal notes"), required=False)
    history = forms.BooleanField(label=_("Include the case history"), required=False)


class RecordReportStartForm(forms.Form):
    """A report taken in person, by phone or on paper: which form's questions, which route."""

    form_page = forms.ModelChoiceField(
        label=_("Form whose questions to fill in"),
        queryset=None,
        empty_label=_("Choose a form"),
        error_messages={"required": _("Choose the form whose questions you will fill in.")},
    )
    route = forms.ChoiceField(
        label=_("Route"),
        choices=Case.Route.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "Anonymous: you record nothing that says who the reporter is, and may give them a "
            "messaging code. With contact details: you record how to reach them."
        ),
        error_messages={"required": _("Choose the route.")},
    )
    received = forms.ChoiceField(
        label=_("How was the report received?"),
        choices=[choice for choice in Case.Received.choices if choice[0] != Case.Received.ONLINE],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how the report was received.")},
    )

    def __init__(self, *args, form_pages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["form_page"].queryset = form_pages


def issue_code_field():
    return forms.BooleanField(
        label=_("Give the reporter a messaging code"),
        help_text=_(
            "The code is shown to you once, on the next page, for you to hand over. It is "
            "never stored in a form anyone could read, so it cannot be shown again."
        ),
        required=False,
    )
