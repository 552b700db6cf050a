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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["adviser"].queryset = advisers_who_can_see_cases()
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
