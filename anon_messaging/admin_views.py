"""Admin pieces beside the modeladmin area: the dashboard panel and what hooks call.

The case list, case view and history live in ``modeladmin.py``; the hooks are
registered in ``wagtail_hooks.py``.
"""

from django.db import models
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.components import Component

from .deadlines import awaiting_response_q as awaiting_reply_q
from .deadlines import overdue_q
from .models import Case

CASE_INDEX_URL_NAME = "anon_messaging_case_modeladmin_index"


def user_can_see_cases(user):
    """Whether the admin shows this user the case area at all."""
    return user.is_active and (
        user.is_superuser
        or user.has_perm("anon_messaging.view_case")
        or user.has_perm("anon_messaging.view_all_cases")
    )


def with_reply_flags(queryset, now=None):
    """Annotate ``is_overdue`` for list columns and filters (``needs_reply`` is a stored field)."""
    now = now or timezone.now()

    def flag(condition):
        return models.Case(
            models.When(condition, then=models.Value(True)),
            default=models.Value(False),
            output_field=models.BooleanField(),
        )

    return queryset.annotate(is_overdue=flag(overdue_q(now)))


def case_list_url(**filters):
    url = reverse(CASE_INDEX_URL_NAME)
    return f"{url}?{urlencode(filters)}" if filters else url


# --- Dashboard --------------------------------------------------------------------------


class CaseDashboardPanel(Component):
    """On the admin home: the adviser's own open cases, replies they owe, overdue cases."""

    name = "anon_messaging_cases"
    template_name = "anon_messaging/admin/dashboard_panel.html"
    order = 50

    def get_context_data(self, parent_context):
        user = parent_context["request"].user
        now = timezone.now()
        mine = Q(assigned_to=user) & ~Q(status=Case.Status.CLOSED)
        counts = Case.objects.visible_to(user).aggregate(
            open_mine=Count("pk", filter=mine),
            awaiting_mine=Count("pk", filter=mine & awaiting_reply_q()),
            overdue=Count("pk", filter=overdue_q(now)),
        )
        rows = [
            (
                _("My open cases"),
                counts["open_mine"],
                case_list_url(assigned="me", status="active"),
            ),
            (
                _("Awaiting my reply"),
                counts["awaiting_mine"],
                case_list_url(assigned="me", awaiting="yes"),
            ),
            (
                _("Overdue cases I can see"),
                counts["overdue"],
                case_list_url(overdue="yes"),
            ),
        ]
        return {"rows": rows, "all_cases_url": case_list_url()}


def add_case_dashboard_panel(request, panels):
    """For the ``construct_homepage_panels`` hook."""
    if user_can_see_cases(request.user):
        panels.append(CaseDashboardPanel())


# --- Wagtail's Forms menu ---------------------------------------------------------------


def hide_report_forms_from_submissions(user, editable_forms):
    """For ``filter_form_submissions_for_user``: report forms store cases, never submissions.

    Listing them under "Forms" would show editors an always-empty submissions page
    and suggest reports could be read there.
    """
    from .pages import ReportFormMixin

    return editable_forms.not_type(ReportFormMixin)
