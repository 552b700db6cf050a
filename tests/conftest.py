import io
import os
import shutil
import sys

import pytest
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import translation

from tests import databases, factories

# Under pytest-xdist (scripts/test: -n auto --dist loadgroup) the tests under each of these
# paths run on one worker, as one unit: the browser tests share one served site and one
# Chromium. Every other test goes to whichever worker is free. (xdist's own xdist_group
# marker works by rewriting node ids, which pytest 9.2 no longer honours, so the groups are
# named here by path.) The tests of the demo need no group: they are handed out one after
# another (pytest_collection_modifyitems), so each worker keeps its one seeding of the demo
# across the run of them it gets (shared_demo).
XDIST_GROUPS = {
    "tests/browser/": "browser",
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


def uses_demo(item):
    return item is not None and "demo_site" in getattr(item, "fixturenames", ())


def pytest_collection_modifyitems(items):
    """The browser tests first, then the tests without a database, then the tests of the
    demo, one after another, then the other tests with a database in pytest-django's order.

    pytest-django (whose hook runs first) puts tests in transactions before those that
    commit, and tests without a database last; those can go anywhere, and going first
    they keep a second core busy while the first builds the run's migrated template
    (tests/databases.py). The tests of the demo are all in transactions, and together they
    share one seeding (shared_demo). Under xdist (scripts/test: --no-loadscope-reorder)
    work is handed out in this order, so the browser tests, the longest unit, start at once.
    """
    mixed = [
        item.nodeid
        for item in items
        if uses_demo(item)
        and (
            item.get_closest_marker("django_db") is not None
            or not DATABASE_FIXTURES.isdisjoint(set(item.fixturenames) - {"db"})
        )
    ]
    if mixed:
        # The demo's transaction is opened before the test's own and closed after it; a
        # django_db mark opens the test's first, and a test that commits cannot be inside it.
        raise pytest.UsageError(
            "demo_site brings its own database, in a transaction: drop the django_db mark "
            "and the committing fixtures from " + ", ".join(mixed)
        )

    def order(item):
        if item.get_closest_marker("browser"):
            return 0
        if not uses_database(item):
            return 1
        return 2 if uses_demo(item) else 3

    items.sort(key=order)


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
    cases); see ``tests.factories.reporter_site``. The demo itself is ``demo_site``."""
    return factories.reporter_site()


@pytest.fixture
def site_admin(db):
    """A superuser named ``admin``, as the demo has; password ``factories.PASSWORD``."""
    return factories.make_superuser("admin")


@pytest.fixture
def intake_adviser(db):
    """A member of the intake team named ``adviser`` (adviser@example.org), as the demo has."""
    return factories.make_adviser("adviser")


class DemoSeeding:
    """The demo, seeded once in a transaction that stays open while the tests that ask for
    it run one after another, each in a savepoint of its own inside it (as Django's
    TestCase.setUpTestData does), rolled back after the test; the transaction is rolled
    back before the first test after them that does not ask for the demo.

    What the savepoints do not hold is set back for each test: the demo's attachment
    files are copied into the test's own attachment directory, and the emails seeding
    sent are in the test's outbox, as when the demo was seeded for each test.
    """

    def __init__(self, blocker, files):
        self.blocker = blocker
        self.files = files  # a copy of the attachment files seeding stored
        self.outer = None
        self.emails = []

    @property
    def is_open(self):
        return self.outer is not None

    def open(self, attachment_root):
        """Seed the demo, in a transaction left open; its files and emails are this test's."""
        # The demo's transaction must hold the test's: opened first, closed last.
        assert not connection.in_atomic_block, "the demo is seeded before the test's transaction"
        sent_before = len(mail.outbox)
        outer = transaction.atomic()
        with self.blocker.unblock():
            outer.__enter__()
            try:
                call_command("seed_demo", stdout=io.StringIO())
            except BaseException:
                outer.__exit__(*sys.exc_info())
                raise
        self.outer = outer
        self.emails = mail.outbox[sent_before:]
        shutil.rmtree(self.files, ignore_errors=True)
        shutil.copytree(attachment_root, self.files)
        # What seeding cached (the sites' root paths, the deadlines) came from rows that
        # only this transaction holds.
        cache.clear()

    def reuse(self, attachment_root):
        """Give the next test what the savepoints do not hold: the demo's files and emails."""
        shutil.copytree(self.files, attachment_root, dirs_exist_ok=True)
        mail.outbox.extend(self.emails)

    def close(self):
        if self.outer is None:
            return
        outer, self.outer = self.outer, None
        with self.blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
        # Nothing of the demo is left for the tests that come after.
        assert not connection.in_atomic_block


NEXT_ITEM = pytest.StashKey()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item, nextitem):
    """Before the test's fixtures are torn down: shared_demo keeps the demo for the next test
    only if it asks for it too."""
    item.config.stash[NEXT_ITEM] = nextitem


@pytest.fixture(scope="session")
def demo_seeding(django_db_setup, django_db_blocker, tmp_path_factory):
    seeding = DemoSeeding(django_db_blocker, tmp_path_factory.mktemp("demo") / "attachments")
    yield seeding
    seeding.close()  # a run stopped part way (-x, Ctrl-C) may have left it open


@pytest.fixture(autouse=True)
def shared_demo(request, attachment_root, fresh_cache, site_language):
    """For a test that asks for ``demo_site``: the demo, seeded by the first test of a run of
    them and kept for the next (DemoSeeding). Autouse so that it comes before the test's own
    transaction (pytest-django's ``db``), which is a savepoint inside the demo's."""
    if not uses_demo(request.node):
        yield
        return
    seeding = request.getfixturevalue("demo_seeding")
    if seeding.is_open:
        seeding.reuse(attachment_root)
    else:
        seeding.open(attachment_root)
    yield
    # After the test's transaction is rolled back (it was set up after this fixture).
    if not uses_demo(request.config.stash.get(NEXT_ITEM, None)):
        seeding.close()


@pytest.fixture
def demo_site(db):
    """The whole demo (pages, settings, users, cases), as ``seed_demo`` builds it. Slower
    than the factories: for tests about what the demo itself shows. Seeded once for a run
    of tests that ask for it (shared_demo), before any of a test's own fixtures, so none of
    them changes how it is seeded; what a test changes is rolled back after it."""


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
