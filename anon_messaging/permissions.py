"""Who may see a case: the one home of the rule (docs/permissions.md).

* Inactive and anonymous users see no case.
* Superusers and holders of ``view_all_cases`` see every case.
* Holders of ``view_case`` see the cases assigned to them or to one of their groups
  (new cases go to the intake team, ``cases.intake_team``).
* Nobody else sees any case.
* Whoever is excluded from a case (``CaseExclusion``, a conflict of interest) does not
  see it, whatever their team or permissions; only superusers cannot be excluded.

Everything that shows or sends something about a case asks here: the admin's list,
case views, history and export (through ``Case.objects.visible_to``), the dashboard,
the audit log's site history, and the notifier when it picks the advisers to tell.
This module knows field names and permission codenames only, so the models can use it.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Q
from django.utils.module_loading import import_string

APP_LABEL = "anon_messaging"
VIEW_CASE = f"{APP_LABEL}.view_case"
VIEW_ALL_CASES = f"{APP_LABEL}.view_all_cases"
VIEW_CONTACT_DETAILS = f"{APP_LABEL}.view_contact_details"
CHANGE_CASE = f"{APP_LABEL}.change_case"
ADD_MESSAGE = f"{APP_LABEL}.add_message"
ADD_INTERNAL_NOTE = f"{APP_LABEL}.add_internalnote"
# Counts only, never a case: the admin's Statistics area (statistics.py suppresses them).
VIEW_STATISTICS = f"{APP_LABEL}.view_statistics"
# Not about cases: publishing an anonymous form with a question that asks who the reporter
# is, once confirmed with a reason (form_rules.py).
CONFIRM_IDENTITY_QUESTIONS = f"{APP_LABEL}.confirm_identity_questions"
# Formal case work (docs/permissions.md): exclude advisers from a case, redact what was
# written, record a report taken in person or by phone.
EXCLUDE_ADVISERS = f"{APP_LABEL}.exclude_advisers"
REDACT_CASE = f"{APP_LABEL}.redact_case"
RECORD_REPORT = f"{APP_LABEL}.record_report"

# The group advisers are put in, and what it may do: reach the admin, see and work on the
# cases assigned to it, read contact details, reply and write notes. Migration 0003 made
# the group with this list as it stood then; ``anon_messaging_setup`` makes it again, with
# this list, on a site where it is missing.
ADVISERS_GROUP = "Case advisers"
ADVISER_PERMISSIONS = [
    ("wagtailadmin", "access_admin"),
    (APP_LABEL, "view_case"),
    (APP_LABEL, "change_case"),
    (APP_LABEL, "view_contact_details"),
    (APP_LABEL, "view_message"),
    (APP_LABEL, "add_message"),
    (APP_LABEL, "view_internalnote"),
    (APP_LABEL, "add_internalnote"),
    (APP_LABEL, "record_report"),
]


def sees_every_case(user):
    return bool(
        user.is_authenticated
        and user.is_active
        and (user.is_superuser or user.has_perm(VIEW_ALL_CASES))
    )


def may_see_cases(user):
    """Whether the user may see any case at all: the admin shows them the case area."""
    return sees_every_case(user) or bool(
        user.is_authenticated and user.is_active and user.has_perm(VIEW_CASE)
    )


def may_see_statistics(user):
    """Whether the user may open the admin's Statistics area. Independent of cases: a
    manager may see the figures and no case."""
    return bool(user.is_authenticated and user.is_active and user.has_perm(VIEW_STATISTICS))


def users_who_may_see_cases():
    """``may_see_cases`` as a queryset of users (Django's ``with_perm``: active users
    holding either permission, superusers included)."""
    users = get_user_model().objects
    holders = Q(pk__in=[])
    # Each backend that can list holders is asked: with several backends (the password
    # throttle's comes first) with_perm must be told which one.
    for backend_path in settings.AUTHENTICATION_BACKENDS:
        if hasattr(import_string(backend_path), "with_perm"):
            for permission in (VIEW_CASE, VIEW_ALL_CASES):
                holders |= Q(pk__in=users.with_perm(permission, backend=backend_path).values("pk"))
    return users.filter(holders)


def ids_of_users_who_may_see_cases():
    """For a run that tells many people about many cases: one query."""
    return set(users_who_may_see_cases().values_list("pk", flat=True))


def teams_who_may_see_cases():
    """Groups whose members see the cases assigned to the group: assigning a case to any
    other group shows it to nobody."""
    return Group.objects.filter(
        permissions__content_type__app_label=APP_LABEL, permissions__codename="view_case"
    ).distinct()


def may_be_excluded(user):
    """Whether exclusions from cases apply to ``user``: to everyone but superusers."""
    return not user.is_superuser


def excluded_user_ids(case):
    """The ids of the users excluded from ``case``: none without a query when the case was
    read with ``has_exclusions`` False; else its (prefetched) ``exclusions``."""
    if not getattr(case, "has_exclusions", True):
        return set()
    return {exclusion.user_id for exclusion in case.exclusions.all()}


def is_excluded(user, case):
    """Whether ``user`` is excluded from ``case`` (superusers never are)."""
    return may_be_excluded(user) and user.pk in excluded_user_ids(case)


def may_see_case(user, case, may_see=may_see_cases, excluded=None):
    """Whether ``user`` may see ``case`` when it is assigned to them or their team: they
    may see cases (``may_see``, a memo in a long run) and are not excluded from it. For
    the notifier, which picks among the assigned adviser and the team's members."""
    if excluded is None:
        excluded = excluded_user_ids(case)
    return may_see(user) and not (user.pk in excluded and may_be_excluded(user))


def visible_cases(queryset, user):
    """Filter a case queryset down to the cases ``user`` may see."""
    if not may_see_cases(user):
        return queryset.none()
    if user.is_superuser:
        return queryset
    if not sees_every_case(user):
        queryset = queryset.filter(Q(assigned_to=user) | Q(assigned_team__in=user.groups.all()))
    return queryset.exclude(exclusions__user=user)
