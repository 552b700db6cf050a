import pytest
from django.core.cache import cache

from tests import factories


@pytest.fixture(autouse=True)
def fresh_cache():
    """Cached calendars and throttle counters from one test never reach the next."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def reporter_site(db):
    """The reporter pages at the demo's addresses, built for this test alone (no users, no
    cases); see ``tests.factories.reporter_site``. The demo itself is in tests/test_demo.py."""
    return factories.reporter_site()


@pytest.fixture
def site_admin(db):
    """A superuser named ``admin``, as the demo has; password ``factories.PASSWORD``."""
    return factories.make_superuser("admin")


@pytest.fixture
def intake_adviser(db):
    """A member of the intake team named ``adviser`` (adviser@example.org), as the demo has."""
    return factories.make_adviser("adviser")
