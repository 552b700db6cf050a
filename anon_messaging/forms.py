"""Forms reporters fill in. Errors are specific; what was typed is kept."""

import re
import secrets
from datetime import datetime

from django import forms
from django.core import signing
from django.core.validators import validate_email
from django.template.defaultfilters import filesizeformat
from django.utils import formats
from django.utils.functional import lazy
from django.utils.text import Truncator, format_lazy, get_text_list
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from wagtail.contrib.forms.forms import BaseForm, FormBuilder

from . import attachment_storage, codes, file_cleaning, permissions
from .conf import get_setting
from .models import ContactDetails

# Names of the fields this app adds to an editor's form; editor fields use other names.
RESERVED_FIELD_NAMES = {
    "submission_token",
    "attachments",
    "messaging_opt_in",
    "reporter_name",
    "reporter_email",
    "reporter_phone",
    "preferred_contact",
    "excluded_advisers",
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


def advisers_a_reporter_may_name():
    """The advisers a reporter may name as not to see their report, as ``(id, display
    name)``: everyone who may see cases and can be excluded (not superusers), by their
    full name only. An account without a full name is not listed: a user name is never
    shown to reporters."""
    users = (
        permissions.users_who_may_see_cases()
        .filter(is_active=True, is_superuser=False)
        .order_by("first_name", "last_name", "pk")
    )
    named = [(user.pk, user.get_full_name().strip()) for user in users]
    return [(pk, name) for pk, name in named if name]


def excluded_advisers_field():
    """The report form's optional list of advisers who must not see the report."""
    return forms.TypedMultipleChoiceField(
        label=_("Is there an adviser who must not see your report?"),
        help_text=_(
            "Optional. If someone below is involved in what happened, or you would not want "
            "them to read your report, tick their name. They will never see your report "
            "or your messages."
        ),
        choices=advisers_a_reporter_may_name(),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": _(
                "One of the advisers you ticked is no longer listed: please tick again."
            )
        },
    )


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


class ContactDetailsForm(ContactRouteMixin, forms.Form):
    """A reporter's contact details, shared later from the conversation page; only after
    ticking that they understand it cannot be undone."""

    confirm = forms.BooleanField(
        label=_(
            "I understand that once I share these details, the advisers handling my report "
            "will know who I am, and this cannot be undone."
        ),
        error_messages={
            "required": _("Tick the box to confirm you understand this cannot be undone.")
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        confirm = self.fields.pop("confirm")
        self.fields.update(contact_route_fields())
        self.fields["confirm"] = confirm

    def contact(self):
        """The details as ``cases`` stores them."""
        data = self.cleaned_data
        return {
            "name": data["reporter_name"],
            "email": data["reporter_email"],
            "phone": data["reporter_phone"],
            "preferred_method": data["preferred_contact"],
        }


def _code_lengths_text():
    """The lengths a code may have, as words: "16", or "16 or 20" while two formats live."""
    return get_text_list([str(length) for length in codes.code_lengths()], _("or"))


def _code_label():
    return _("Your %(length)s-character code") % {"length": _code_lengths_text()}


def _code_required():
    return _("Enter your %(length)s-character code.") % {"length": _code_lengths_text()}


def _code_too_long():
    return _(
        "That is much longer than a code, which has %(length)s letters and numbers. Paste or "
        "type only the code."
    ) % {"length": _code_lengths_text()}


def _code_null():
    return _(
        "A code has only letters and numbers, and what was entered had a character that is "
        "neither. Type the code again."
    )


class CodeLoginForm(forms.Form):
    code = forms.CharField(
        # The length comes from codes.FORMATS, when the page is drawn.
        label=lazy(_code_label, str)(),
        max_length=64,
        strip=True,
        error_messages={
            "required": lazy(_code_required, str)(),
            "max_length": lazy(_code_too_long, str)(),
            "null_characters_not_allowed": lazy(_code_null, str)(),
        },
        # A password field lets password managers store and fill the code (WCAG 3.3.8);
        # paste is never blocked and the value is never sent back in the page.
        widget=forms.PasswordInput(
            attrs={
                "autocomplete": "current-password",
                "spellcheck": "false",
                "autocapitalize": "characters",
                # A code is typed left to right, on a right-to-left page too.
                "dir": "ltr",
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

    def __init__(self, *args, file_limits=None, **kwargs):
        super().__init__(*args, **kwargs)
        limit = get_setting("MESSAGE_MAX_LENGTH")
        self.fields["body"].limit = limit
        self.fields["body"].help_text = _("Up to %(limit)d characters.") % {"limit": limit}
        if file_limits:
            add_files_to_message_form(self, file_limits)

    def clean(self):
        return clean_message_with_files(self, super().clean())


def add_files_to_message_form(form, file_limits):
    """Files beside a message's text: a message may then be files alone."""
    add_attachments_field(form, file_limits)
    form.fields["body"].required = False


def clean_message_with_files(form, cleaned):
    """A message needs text, files or both; ``body`` is then required only without files."""
    if "attachments" not in form.fields or "body" in form.errors:
        return cleaned
    if not cleaned.get("body") and not cleaned.get("attachments") and not form.errors:
        required = form.fields["body"].error_messages["required"]
        form.add_error(
            "body", format_lazy("{} {}", required, _("Or choose a file to send on its own."))
        )
    return cleaned


# --- Files -----------------------------------------------------------------------------------

# What the browser's file picker offers first. The server decides by content alone; this
# only helps people pick, and makes phones convert HEIC photos to JPEG as they upload.
ACCEPT = ",".join(
    [
        "image/jpeg",
        "image/png",
        "image/webp",
        "image/gif",
        "application/pdf",
        "text/plain",
        ".jpg",
        ".jpeg",
        ".png",
        ".webp",
        ".gif",
        ".pdf",
        ".txt",
    ]
)


def shown_name(uploaded):
    """The name a file was chosen under, shortened for an error message. It is shown back
    to the person who chose it on this one page, and never stored or logged."""
    return Truncator(uploaded.name or _("(no name)")).chars(60)


def file_error(uploaded, rule, **params):
    """The message for one refused file: it names the file and the rule."""
    name = shown_name(uploaded)
    messages = {
        "empty": _("“%(name)s” is empty. Choose the file again, or another one."),
        file_cleaning.NotAcceptedKind.code: _(
            "“%(name)s” is not a kind of file we take. Send photos or screenshots (JPEG, "
            "PNG, WebP or GIF), PDF documents or plain text files."
        ),
        file_cleaning.CorruptFile.code: _(
            "“%(name)s” could not be read: it may be damaged or incomplete. Open it on your "
            "device to check it, or take a screenshot of it and send that instead."
        ),
        file_cleaning.TooManyPixels.code: _(
            "“%(name)s” is too large a picture (%(megapixels)s megapixels; the limit is "
            "%(limit)s). Send a smaller copy or a screenshot of it."
        ),
        "pixels_unknown": _(
            "“%(name)s” is too large a picture (the limit is %(limit)s megapixels). Send a "
            "smaller copy or a screenshot of it."
        ),
        "encrypted": _(
            "“%(name)s” is protected by a password, so we cannot remove the details in it "
            "that could identify you. Save a copy without the password and send that."
        ),
        "damaged": _(
            "“%(name)s” could not be cleaned of the details that could identify you: it may "
            "be damaged. Print it to a new PDF, or take screenshots of it, and send those."
        ),
        "size": _("“%(name)s” is %(size)s; the limit is %(limit)s for each file."),
    }
    return forms.ValidationError(messages[rule] % {"name": name, **params}, code=f"file_{rule}")


class MultipleFileInput(forms.FileInput):
    """A plain ``<input type="file" multiple>``: works without JavaScript."""

    allow_multiple_selected = True

    def __init__(self, attrs=None):
        super().__init__({"multiple": True, "accept": ACCEPT, **(attrs or {})})


class AttachmentsField(forms.FileField):
    """Up to ``max_files`` files of up to ``max_bytes`` each, cleaned as they are checked.

    ``clean`` returns ``[(uploaded, CleanedFile)]``: the cleaned files with the upload each
    came from (its name is shown back on the page after sending, never stored). Every file
    that is refused gets its own error, naming it and the rule. ``accepted`` keeps the
    files that passed, so a form with other errors can say which to choose again.
    """

    widget = MultipleFileInput

    def __init__(self, *, max_files, max_bytes, max_pixels=None, **kwargs):
        self.max_files = max_files
        self.max_bytes = max_bytes
        self.max_pixels = max_pixels or get_setting("ATTACHMENT_MAX_PIXELS")
        self.accepted = []
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Files (optional)"))
        kwargs.setdefault(
            "help_text",
            _(
                "Up to %(count)d files, %(size)s each: photos or screenshots (JPEG, PNG, WebP, "
                "GIF), PDFs or plain text. Before we store them we remove details that could "
                "identify you, such as a photo's location and camera, a document's author and "
                "the file's name. What a file shows is not changed."
            )
            % {"count": max_files, "size": filesizeformat(max_bytes)},
        )
        super().__init__(**kwargs)

    def to_python(self, data):
        return data

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            uploads = [item for item in data if item]
        else:
            uploads = [data] if data else []
        self.accepted = []
        if not uploads:
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return []
        if len(uploads) > self.max_files:
            raise forms.ValidationError(
                ngettext(
                    "You chose %(chosen)d files; you can send up to %(limit)d file at once. "
                    "Choose fewer files.",
                    "You chose %(chosen)d files; you can send up to %(limit)d files at once. "
                    "Choose fewer files.",
                    self.max_files,
                )
                % {"chosen": len(uploads), "limit": self.max_files},
                code="file_count",
            )
        errors, cleaned = [], []
        for uploaded in uploads:
            try:
                cleaned.append((uploaded, self.clean_one(uploaded)))
            except forms.ValidationError as error:
                errors.append(error)
        self.accepted = cleaned
        if errors:
            raise forms.ValidationError(errors)
        return cleaned

    def clean_one(self, uploaded):
        size = getattr(uploaded, "size", None) or 0
        if size > self.max_bytes:
            return self._refuse(
                uploaded,
                "size",
                size=filesizeformat(size),
                limit=filesizeformat(self.max_bytes),
            )
        # The cleaned file is encrypted as cleaning writes it, never held whole beside the
        # pixels it is made from; the sealed file is stored with the report or message.
        sealed = attachment_storage.SealedFile()
        try:
            return self._clean_into(uploaded, sealed)
        except BaseException:
            sealed.close()
            raise

    def _clean_into(self, uploaded, sealed):
        try:
            # The upload's own file, not a copy of its bytes; cleaning closes it once read,
            # so a photo's compressed bytes and its decoded pixels are not held at once.
            return file_cleaning.clean_file(
                uploaded.file, max_pixels=self.max_pixels, output=sealed
            )
        except file_cleaning.TooManyPixels as refused:
            raise file_error(
                uploaded,
                refused.code if refused.pixels else "pixels_unknown",
                megapixels=f"{refused.pixels / 1_000_000:.0f}",
                limit=f"{refused.limit / 1_000_000:.0f}",
            ) from None
        except file_cleaning.PdfNotCleanable as refused:
            raise file_error(uploaded, refused.reason) from None
        except file_cleaning.FileRejected as refused:
            raise file_error(uploaded, refused.code) from None

    def _refuse(self, uploaded, rule, **params):
        raise file_error(uploaded, rule, **params)


def add_attachments_field(form, limits, *, after=None):
    """Give ``form`` an ``attachments`` field with ``limits`` (files, bytes per file),
    placed after the field named ``after`` (or last)."""
    max_files, max_bytes = limits
    form.fields["attachments"] = AttachmentsField(max_files=max_files, max_bytes=max_bytes)
    if after is not None:
        order = []
        for name in list(form.fields):
            if name == "attachments":
                continue
            order.append(name)
            if name == after:
                order.append("attachments")
        form.order_fields(order)
    return form


def ask_to_choose_files_again(form):
    """A form with errors loses the files chosen in it (a browser cannot put them back in a
    file input), so the files that were fine are named: the person chooses them again."""
    field = form.fields.get("attachments")
    if field is None or not form.errors or not field.accepted:
        return
    for _uploaded, cleaned in field.accepted:
        # Never to be stored: the encrypted copy goes now, not whenever memory is collected.
        if cleaned.output is not None:
            cleaned.output.close()
    names = get_text_list(
        [f"“{shown_name(uploaded)}”" for uploaded, _c in field.accepted], _("and")
    )
    form.add_error(
        "attachments",
        forms.ValidationError(
            ngettext(
                "Choose %(names)s again before sending: the file was fine, but a browser "
                "cannot keep a chosen file while the form shows a problem.",
                "Choose %(names)s again before sending: the files were fine, but a browser "
                "cannot keep chosen files while the form shows a problem.",
                len(field.accepted),
            )
            % {"names": names},
            code="choose_again",
        ),
    )
