"""Forms reporters fill in. Errors are specific; what was typed is kept."""

import re
import secrets
from datetime import datetime

from django import forms
from django.core import signing
from django.core.validators import validate_email
from django.utils import formats
from django.utils.functional import lazy
from django.utils.text import get_text_list
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from wagtail.contrib.forms.forms import BaseForm, FormBuilder

from . import codes
from .conf import get_setting
from .models import ContactDetails

# Names of the fields this app adds to an editor's form; editor fields use other names.
RESERVED_FIELD_NAMES = {
    "submission_token",
    "messaging_opt_in",
    "reporter_name",
    "reporter_email",
    "reporter_phone",
    "preferred_contact",
}

# A report form's submission token: random, signed with the time the form was shown, so
# only a form this site rendered (within a day) can be sent. Only the random part is
# stored with the case, never the time.
_TOKEN_SIGNER = signing.TimestampSigner(salt="anon_messaging.forms.submission_token")
SUBMISSION_TOKEN_MAX_AGE = 24 * 60 * 60
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
_PHONE_RE = re.compile(r"^\+?[0-9 ()\-.]{6,30}$")


def new_submission_token():
    return _TOKEN_SIGNER.sign(secrets.token_urlsafe(24))


def submission_token_value(token, max_age=None):
    """The random part of a token this site issued (within ``max_age`` s), else None."""
    if not isinstance(token, str) or len(token) > 200:
        return None
    try:
        value = _TOKEN_SIGNER.unsign(token, max_age=max_age)
    except signing.BadSignature:
        return None
    return value if _TOKEN_RE.match(value) else None


def too_long_template(limit):
    # The placeholder names are those Django's MaxLengthValidator fills in.
    return ngettext(
        "This is %(show_value)d characters long; the limit is %(limit_value)d character. "
        "Please shorten it; your text is kept below.",
        "This is %(show_value)d characters long; the limit is %(limit_value)d characters. "
        "Please shorten it; your text is kept below.",
        limit,
    )


def too_long_message(limit, length):
    return too_long_template(limit) % {"show_value": length, "limit_value": limit}


def named_too_long_template(label, limit):
    """``too_long_template`` for the question ``label``, so the error summary says which."""
    # Django fills the placeholders in later: a "%" in the label must stay a "%".
    return (
        gettext("“%(label)s” is too long.") % {"label": label.replace("%", "%%")}
        + " "
        + too_long_template(limit)
    )


# --- The editor's questions: errors that name them ------------------------------------

# What to do when a required question is left unanswered, the GOV.UK way: say what to do
# and name the question. Editors may word their own (ReportFormField.error_message).
_REQUIRED_MESSAGES = {
    "checkboxes": _("Select at least one answer to “%(label)s”."),
    "multiselect": _("Select at least one answer to “%(label)s”."),
    "radio": _("Select an answer to “%(label)s”."),
    "dropdown": _("Select an answer to “%(label)s”."),
    "checkbox": _("Select “%(label)s” to go on."),
    "date": _("Enter a date for “%(label)s”."),
    "datetime": _("Enter a date and time for “%(label)s”."),
    "number": _("Enter a number for “%(label)s”."),
}
_REQUIRED_MESSAGE = _("Enter your answer to “%(label)s”.")
_INVALID_MESSAGES = {
    "date": _("“%(label)s” must be a real date, like %(example)s."),
    "datetime": _("“%(label)s” must be a real date and time, like %(example)s."),
    "number": _("“%(label)s” must be a number, like 3 or 2.5."),
    "email": _(
        "Enter an email address in the correct format, like name@example.com, for “%(label)s”."
    ),
    "url": _(
        "Enter a web address in the correct format, like https://example.com, for “%(label)s”."
    ),
}
_EXAMPLE_MOMENT = datetime(2026, 3, 27, 14, 30)


def _input_example(field_type):
    """A date (and time) written in the first format the form accepts in this language."""
    name = "DATETIME_INPUT_FORMATS" if field_type == "datetime" else "DATE_INPUT_FORMATS"
    return _EXAMPLE_MOMENT.strftime(formats.get_format(name)[0])


def question_error_messages(question):
    """The error messages of an editor's question (a ``ReportFormField``), each naming it."""
    label = question.label
    required = getattr(question, "error_message", "") or (
        _REQUIRED_MESSAGES.get(question.field_type, _REQUIRED_MESSAGE) % {"label": label}
    )
    messages = {
        "required": required,
        # Django fills in the wrong value; the label's own "%" must survive that.
        "invalid_choice": gettext("Select one of the answers given for “%(label)s”.")
        % {"label": label.replace("%", "%%")},
        "invalid_list": gettext("Select the answers to “%(label)s” from those given.")
        % {"label": label},
    }
    invalid = _INVALID_MESSAGES.get(question.field_type)
    if invalid is not None:
        messages["invalid"] = invalid % {
            "label": label,
            "example": _input_example(question.field_type),
        }
    return messages


class ReportFormBuilder(FormBuilder):
    """Wagtail's form builder, with an error message for each question that names it."""

    def get_field_options(self, field):
        options = super().get_field_options(field)
        options["error_messages"] = question_error_messages(field)
        return options


class LengthLimitedCharField(forms.CharField):
    """A CharField whose length error says how long the text is and what to do."""

    def __init__(self, *args, limit, **kwargs):
        self.limit = limit
        super().__init__(*args, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        if value and len(value) > self.limit:
            raise forms.ValidationError(too_long_message(self.limit, len(value)), code="max_length")
        return value

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        # No maxlength attribute: the browser would cut pasted text off silently.
        attrs.pop("maxlength", None)
        return attrs


class ReportForm(BaseForm):
    """Base for the form built from an editor's questions; the page adds route fields."""

    submission_token = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if getattr(field, "max_length", None):
                # A maxlength attribute makes the browser cut pasted text off without a
                # word; the server checks the length and says what to shorten instead.
                field.widget.attrs.pop("maxlength", None)
                field.error_messages["max_length"] = named_too_long_template(
                    str(field.label), field.max_length
                )

    def clean_submission_token(self):
        value = submission_token_value(
            self.cleaned_data.get("submission_token") or "", max_age=SUBMISSION_TOKEN_MAX_AGE
        )
        if value is None:
            raise forms.ValidationError(
                _(
                    "This form was open for more than a day, or did not come from this "
                    "site, so your report was not sent. Your answers are still here: "
                    "please check them and send the form again."
                ),
                code="submission_token",
            )
        return value

    def renew_submission_token(self):
        """Give a bound form a fresh token, for when it is shown again after an error."""
        self.data = self.data.copy()
        self.data[self.add_prefix("submission_token")] = new_submission_token()

    def clean(self):
        cleaned = super().clean()
        limit = get_setting("ANSWER_MAX_LENGTH")
        for name, value in list(cleaned.items()):
            if name in RESERVED_FIELD_NAMES:
                continue
            if isinstance(value, str) and len(value) > limit:
                self.add_error(
                    name,
                    named_too_long_template(str(self.fields[name].label), limit)
                    % {"show_value": len(value), "limit_value": limit},
                )
        return cleaned


def anonymous_route_fields(question, help_text):
    return {
        "messaging_opt_in": forms.TypedChoiceField(
            label=question,
            help_text=help_text,
            choices=[("yes", _("Yes, give me a code for anonymous messaging")), ("no", _("No"))],
            coerce=lambda value: value == "yes",
            widget=forms.RadioSelect,
            required=True,
            error_messages={
                "required": _("Choose whether you would like to use anonymous messaging.")
            },
        )
    }


def contact_route_fields():
    return {
        "reporter_name": forms.CharField(
            label=_("Your name"),
            max_length=200,
            error_messages={"required": _("Enter your name.")},
            widget=forms.TextInput(attrs={"autocomplete": "name"}),
        ),
        "reporter_email": forms.CharField(
            label=_("Email address"),
            required=False,
            max_length=254,
            help_text=_("Give an email address, a phone number or both."),
            widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        ),
        "reporter_phone": forms.CharField(
            label=_("Phone number"),
            required=False,
            max_length=40,
            widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
        ),
        "preferred_contact": forms.ChoiceField(
            label=_("How would you prefer us to contact you?"),
            choices=ContactDetails.Method.choices,
            widget=forms.RadioSelect,
            error_messages={"required": _("Choose how you would prefer us to contact you.")},
        ),
    }


class ContactRouteMixin:
    def clean(self):
        cleaned = super().clean()
        email = (cleaned.get("reporter_email") or "").strip()
        phone = (cleaned.get("reporter_phone") or "").strip()
        if email:
            try:
                validate_email(email)
            except forms.ValidationError:
                self.add_error(
                    "reporter_email",
                    _("Enter an email address in the correct format, like name@example.com."),
                )
        if phone and not _PHONE_RE.match(phone):
            self.add_error(
                "reporter_phone",
                _("Enter a phone number using digits, spaces and an optional + at the start."),
            )
        if not email and not phone and "reporter_email" not in self.errors:
            self.add_error("reporter_email", _("Give an email address or a phone number."))
        method = cleaned.get("preferred_contact")
        if (
            method == ContactDetails.Method.EMAIL
            and not email
            and "reporter_email" not in self.errors
        ):
            self.add_error("reporter_email", _("Give an email address, as you prefer email."))
        if (
            method == ContactDetails.Method.PHONE
            and not phone
            and "reporter_phone" not in self.errors
        ):
            self.add_error("reporter_phone", _("Give a phone number, as you prefer a phone call."))
        cleaned["reporter_email"], cleaned["reporter_phone"] = email, phone
        return cleaned


def _code_lengths_text():
    """The lengths a code may have, as words: "16", or "16 or 20" while two formats live."""
    return get_text_list([str(length) for length in codes.code_lengths()], _("or"))


def _code_label():
    return _("Your %(length)s-character code") % {"length": _code_lengths_text()}


def _code_required():
    return _("Enter your %(length)s-character code.") % {"length": _code_lengths_text()}


class CodeLoginForm(forms.Form):
    code = forms.CharField(
        # The length comes from codes.FORMATS, when the page is drawn.
        label=lazy(_code_label, str)(),
        max_length=64,
        strip=True,
        error_messages={"required": lazy(_code_required, str)()},
        # A password field lets password managers store and fill the code (WCAG 3.3.8);
        # paste is never blocked and the value is never sent back in the page.
        widget=forms.PasswordInput(
            attrs={
                "autocomplete": "current-password",
                "spellcheck": "false",
                "autocapitalize": "characters",
            }
        ),
    )


class MessageForm(forms.Form):
    body = LengthLimitedCharField(
        label=_("Your message"),
        limit=1,
        error_messages={"required": _("Write a message before sending.")},
        widget=forms.Textarea(attrs={"rows": 6}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit = get_setting("MESSAGE_MAX_LENGTH")
        self.fields["body"].limit = limit
        self.fields["body"].help_text = _("Up to %(limit)d characters.") % {"limit": limit}
