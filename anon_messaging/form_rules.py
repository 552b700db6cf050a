"""Anonymous forms stay anonymous: which questions would ask who the reporter is.

The one home of the rule. On the anonymous route:

* A question of a type that collects identity (``IDENTITY_FIELD_TYPES``: email, web
  address, hidden) cannot be saved at all, and is never shown to reporters.
* A question whose label asks for a name, an email address, a phone number, a student or
  staff number, an address... (``ANON_MESSAGING["IDENTITY_WORDS"]``, in every language
  the site has) is flagged in the page editor and refused at publish (and at submission
  for moderation), unless someone holding ``permissions.CONFIRM_IDENTITY_QUESTIONS``
  confirms it with a reason. The confirmation, with the reason and the labels it covers,
  is a line in the page's history (Wagtail's audit log, ``audit.py``); a confirmed label
  stays confirmed until it is reworded.

The page editor's form (``pages.ReportFormPageForm``) applies the rule as people edit,
``ReportFormMixin.publish`` refuses what slipped past the form (a bulk publish, an old
submission approved), and ``checks.check_report_forms`` lists pages already breaking it.
"""

import re
from collections import namedtuple
from dataclasses import dataclass
from functools import lru_cache

from django.contrib.auth.models import Permission
from django.utils.translation import gettext
from wagtail.actions.publish_revision import PublishPermissionError

from . import audit
from .conf import get_setting, site_languages, words_for_languages
from .permissions import CONFIRM_IDENTITY_QUESTIONS

# Wagtail's form-builder types that exist to collect who someone is.
IDENTITY_FIELD_TYPES = frozenset({"email", "url", "hidden"})

# A question as the rule sees it; a saved ReportFormField has the same two attributes.
Question = namedtuple("Question", ["label", "field_type"])


@dataclass(frozen=True)
class Finding:
    """A question that breaks the rule on an anonymous form."""

    label: str
    field_type: str
    # The identity word the label asks for; None when the question's type is refused.
    word: str | None = None

    @property
    def refused_type(self):
        return self.word is None

    def describe(self):
        """What is wrong, in a sentence an editor can act on."""
        if self.refused_type:
            return refused_type_message(self.field_type)
        return gettext(
            "“%(label)s” asks for “%(word)s”, which would tell us who the reporter is."
        ) % {"label": self.label, "word": self.word}


def refused_type_message(field_type):
    return gettext(
        "An anonymous form cannot have a question of this type (%(type)s): it exists to "
        "collect who someone is. Choose another type, or use the route with contact details."
    ) % {"type": field_type}


def identity_words(languages=None):
    """The identity-asking words of every language the site has."""
    return words_for_languages(get_setting("IDENTITY_WORDS"), languages or site_languages())


@lru_cache(maxsize=16)
def _pattern(words):
    alternatives = "|".join(
        re.escape(word.strip()).replace(r"\ ", r"\s+")
        for word in sorted(words, key=len, reverse=True)
        if word.strip()
    )
    if not alternatives:
        return None
    return re.compile(rf"(?<!\w)({alternatives})(?!\w)", re.IGNORECASE)


def asked_identity_word(label, words=None):
    """The identity word ``label`` asks for (as written in the label), or None."""
    pattern = _pattern(tuple(identity_words() if words is None else words))
    match = pattern.search(label or "") if pattern is not None else None
    return match.group(1) if match else None


def findings(questions, *, anonymous, words=None):
    """The ``Finding``s among ``questions`` (anything with ``label`` and ``field_type``)
    on a form of the anonymous route (``anonymous``); [] on the other route."""
    if not anonymous:
        return []
    words = identity_words() if words is None else words
    found = []
    for question in questions:
        if question.field_type in IDENTITY_FIELD_TYPES:
            found.append(Finding(question.label, question.field_type))
            continue
        word = asked_identity_word(question.label, words)
        if word:
            found.append(Finding(question.label, question.field_type, word))
    return found


def _normal(label):
    return " ".join((label or "").split()).casefold()


def confirmed_labels(page):
    """The labels someone allowed to has confirmed on ``page``, from its history."""
    if page is None or not page.pk:
        return set()
    entries = audit.history(page, actions=[audit.IDENTITY_QUESTIONS_CONFIRMED])
    return {
        _normal(label)
        for data in entries.values_list("data", flat=True)
        for label in (data or {}).get("questions", [])
    }


def unconfirmed(found, page):
    """The findings not covered by a confirmation in ``page``'s history. A refused type is
    never covered."""
    confirmed = confirmed_labels(page)
    return [f for f in found if f.refused_type or _normal(f.label) not in confirmed]


def may_confirm(user):
    return bool(user is not None and user.is_active and user.has_perm(CONFIRM_IDENTITY_QUESTIONS))


def permissions_to_register():
    """For the ``register_permissions`` hook: the permission, in Wagtail's group editor."""
    app_label, codename = CONFIRM_IDENTITY_QUESTIONS.split(".")
    return Permission.objects.filter(content_type__app_label=app_label, codename=codename)


def record_confirmation(page, *, user, reason, labels, revision=None):
    """A line in ``page``'s history: ``user`` confirmed ``labels``, for ``reason``."""
    return audit.record(
        page,
        audit.IDENTITY_QUESTIONS_CONFIRMED,
        user=user,
        data={"reason": reason, "questions": list(labels)},
        revision=revision,
    )


def page_findings(page):
    """What breaks the rule on ``page`` as it stands (a report form page, its questions
    in memory or saved), confirmations in its history taken into account."""
    found = findings(page.all_questions(), anonymous=page.is_anonymous_route)
    return unconfirmed(found, page)


def check_publishable(page):
    """Refuse to publish ``page`` (a report form page as it will go live) while it
    breaks the rule: Wagtail's own ``PublishPermissionError``, naming the questions."""
    found = page_findings(page)
    if found:
        raise PublishPermissionError(
            gettext("This anonymous form cannot be published: %(problems)s")
            % {"problems": " ".join(f.describe() for f in found)}
        )
