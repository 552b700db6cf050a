"""Fixtures for the adviser-area tests, loaded with ``pytest_plugins``.

The cast covers the permission matrix: a superuser, the adviser a case is
assigned to, an adviser it is not assigned to, a member of the team it is
assigned to, an adviser who may see every case, a content editor (Wagtail's
Editors group); "nobody logged in" needs no fixture.
"""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group

from tests.admin_support import CASE_ADVISERS
from tests.factories import make_case, make_user


@pytest.fixture
def cast(db):
    """Everyone in the permission matrix, and a team with the advisers' permissions."""
    advisers = Group.objects.get(name=CASE_ADVISERS)
    team = Group.objects.create(name="Harassment team")
    team.permissions.set(advisers.permissions.all())
    return SimpleNamespace(
        superuser=make_user("root", is_superuser=True, is_staff=True),
        assigned=make_user("alice", groups=[CASE_ADVISERS]),
        unassigned=make_user("bob", groups=[CASE_ADVISERS]),
        team_member=make_user("tess", groups=["Harassment team"]),
        view_all=make_user("vera", groups=[CASE_ADVISERS], permissions=["view_all_cases"]),
        editor=make_user("eddie", groups=["Editors"]),
        team=team,
        advisers=advisers,
    )


@pytest.fixture
def assigned_case(cast):
    """An anonymous case with messaging, assigned to alice and the Harassment team only."""
    case, _code = make_case(adviser=cast.assigned, team=cast.team, what_happened="Case A text.")
    return case
