"""URLs for the adviser-area tests (tests/test_admin_*.py).

The people and cases they use are built by tests/factories.py; the fixtures built
from those are in tests/admin_fixtures.py.
"""

from tests.factories import CASE_ADVISERS

__all__ = ["CASE_ADVISERS", "LIST_URL", "case_url"]

LIST_URL = "/admin/anon_messaging/case/"


def case_url(case, action="inspect"):
    return f"/admin/anon_messaging/case/{action}/{case.pk}/"

# Moved to tests/factories.py; kept importable here for the tests that name them so.
from tests.factories import PASSWORD, make_case, make_user  # noqa: E402, F401
