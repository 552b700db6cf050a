"""People, cases and URLs for the adviser-area tests (tests/test_admin_*.py).

The fixtures built from these are in tests/admin_fixtures.py.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from anon_messaging import cases
from anon_messaging.models import Case

CASE_ADVISERS = "Case advisers"
LIST_URL = "/admin/anon_messaging/case/"


def case_url(case, action="inspect"):
    return f"/admin/anon_messaging/case/{action}/{case.pk}/"


def make_user(username, *, groups=(), permissions=(), **flags):
    user = get_user_model().objects.create_user(
        username=username,
        email=f"{username}@example.org",
        password="not-used-in-tests",  # noqa: S106
        first_name=username.capitalize(),
        **flags,
    )
    for name in groups:
        user.groups.add(Group.objects.get(name=name))
    for codename in permissions:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    return user


def make_case(
    *,
    route=Case.Route.ANONYMOUS,
    adviser=None,
    team=None,
    what_happened="Something happened.",
    opt_in=True,
    contact=None,
):
    """A case as a reporter's submission makes it, then assigned as given. Returns (case, code)."""
    if route == Case.Route.CONTACT and contact is None:
        contact = {
            "name": "Rowan Reporter",
            "email": "rowan@example.net",
            "phone": "+44 20 7946 0001",
            "preferred_method": "email",
        }
    case, code = cases.create_case(
        route=route,
        answers=[{"label": "What happened?", "type": "multiline", "value": what_happened}],
        site=None,
        form_page=None,
        submission_token=None,
        opt_in=opt_in and route == Case.Route.ANONYMOUS,
        contact=contact,
    )
    Case.objects.filter(pk=case.pk).update(assigned_to=adviser, assigned_team=team)
    case.refresh_from_db()
    return case, code
