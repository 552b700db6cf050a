"""The cases panel on the admin's home page, and the admin's Forms menu.

Both are wired up by ``wagtail_hooks.py``.
"""

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.components import Component

from .. import permissions
from ..deadlines import overdue_q
from ..models import Case
from ..pages import ReportFormMixin
from .urls import case_list_url


class CaseDashboardPanel(Component):
    """On the admin home: open safeguarding concerns first, then new cases waiting for
    someone in the adviser's teams, their own open cases, replies they owe, overdue cases,
    and every case they can see; each row with its count, in one query, and a link to the
    list showing just those cases."""

    name = "anon_messaging_cases"
    template_name = "anon_messaging/admin/dashboard_panel.html"
    order = 50

    def get_context_data(self, parent_context):
        user = parent_context["request"].user
        now = timezone.now()
        not_closed = ~Q(status=Case.Status.CLOSED)
        mine = Q(assigned_to=user) & not_closed
        # A new report goes to the intake team with no adviser: it waits here until
        # someone in the team takes it (the list's "waiting" filter is the same rule).
        waiting = Q(assigned_to__isnull=True, assigned_team__in=user.groups.all()) & not_closed
        counts = Case.objects.visible_to(user).aggregate(
            waiting=Count("pk", filter=waiting),
            open_mine=Count("pk", filter=mine),
            awaiting_mine=Count("pk", filter=mine & Q(needs_reply=True)),
            overdue=Count("pk", filter=overdue_q(now)),
            safeguarding=Count("pk", filter=Q(safeguarding_concern=True) & not_closed),
            everything=Count("pk"),
        )
        rows = [
            # First: someone may be at risk of harm.
            (
                _("Open safeguarding concerns I can see"),
                counts["safeguarding"],
                case_list_url(safeguarding="yes", status="active"),
            ),
            (
                _("New cases waiting in my teams, no adviser yet"),
                counts["waiting"],
                case_list_url(assigned="waiting", status="active"),
            ),
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
            (_("All cases you can see"), counts["everything"], case_list_url()),
        ]
        return {"rows": rows}


def add_case_dashboard_panel(request, panels):
    """For the ``construct_homepage_panels`` hook."""
    if permissions.may_see_cases(request.user):
        panels.append(CaseDashboardPanel())


# --- Wagtail's Forms menu ---------------------------------------------------------------


def hide_report_forms_from_submissions(user, editable_forms):
    """For ``filter_form_submissions_for_user``: report forms store cases, never submissions.

    Listing them under "Forms" would show editors an always-empty submissions page
    and suggest reports could be read there.
    """
    return editable_forms.not_type(ReportFormMixin)
