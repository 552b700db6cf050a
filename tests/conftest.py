import io
import os

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.utils import translation

from tests import databases, factories

# Under pytest-xdist (scripts/test: -n auto --dist loadgroup) the tests under each of these
# paths run on one worker, as one unit: the browser tests share one served site and one
# Chromium, the demo tests one seeding of the demo. Every other test goes to whichever
# worker is free. (xdist's own xdist_group marker works by rewriting node ids, which
# pytest 9.2 no longer honours, so the groups are named here by path.)
XDIST_GROUPS = {
    "tests/browser/": "browser",
    "tests/test_demo.py::": "demo",
}


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """With --dist loadgroup, the groups above; the largest units are handed out first."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class PathGroupScheduling(LoadGroupScheduling):
        def _split_scope(self, nodeid):
            for prefix, group in XDIST_GROUPS.items():
                if nodeid.startswith(prefix):
                    return group
            return super()._split_scope(nodeid)

    return PathGroupScheduling(config, log)


DATABASE_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
    "live_server",
}


def uses_database(item):
    return item.get_closest_marker("django_db") is not None or not DATABASE_FIXTURES.isdisjoint(
        item.fixturenames
    )


def pytest_collection_modifyitems(items):
    """The browser tests first, then the tests without a database, then pytest-django's order.

    pytest-django (whose hook runs first) puts tests in transactions before those that
    commit, and tests without a database last; those can go anywhere, and going first
    they keep a second core busy while the first builds the run's migrated template
    (tests/databases.py). Under xdist (scripts/test: --no-loadscope-reorder) work is
    handed out in this order, so the browser tests, the longest unit, start at once.
    """
    items.sort(
        key=lambda item: 0 if item.get_closest_marker("browser") else int(uses_database(item)) + 1
    )


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """pytest-django's hook for changing the test database settings, before it creates the
    test database: copy the run's migrated template instead of migrating (tests/databases.py)."""
    from django.db import connections

    databases.install(connections["default"], databases.shared_dir(tmp_path_factory))


def pytest_sessionfinish(session):
    """After the whole run (the xdist controller, or the only process): drop the PostgreSQL
    template, if the run made one."""
    if hasattr(session.config, "workerinput"):
        return
    if databases.is_postgres_url(os.environ.get("DATABASE_URL", "")):
        databases.drop_postgres_template(session.config._tmp_path_factory.getbasetemp())


@pytest.fixture(autouse=True)
def site_language():
    """Each test starts, and leaves the next one, in the site's language: a request to a
    page under /cy/ or /ar/ leaves its language active in the thread, as Django does."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


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


@pytest.fixture
def demo_site(db):
    """The whole demo (pages, settings, users, cases), seeded for this test alone. Slower
    than the factories: for tests about what the demo itself shows. tests/test_demo.py
    seeds it once for its module instead."""
    call_command("seed_demo", stdout=io.StringIO())


@pytest.fixture(autouse=True)
def attachment_root(settings, tmp_path_factory):
    """Each test's attachments go to a directory of its own, so a test sees only its files."""
    location = tmp_path_factory.mktemp("attachments")
    settings.STORAGES = {
        **settings.STORAGES,
        "anon_messaging_attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location)},
        },
    }
    return location
