import io
import os
import shutil

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.utils import translation
from pytest_django.fixtures import validate_django_db

from tests import collector, databases, factories
from tests.shared_data import BUILDERS, NOT_SHARED, SharedData, shared, shared_name

# Under pytest-xdist (scripts/test: -n auto --dist loadgroup) each browser test module runs on
# one worker, as one unit: its tests share a module's state (the accessibility walk, say), and a
# worker that takes one starts its own served site and Chromium (tests/browser/conftest.py), so
# the browser modules, the run's longest units, are spread over the workers. Every other test
# goes to whichever worker is free. (xdist's own xdist_group marker works by rewriting node ids,
# which pytest 9.2 no longer honours, so the groups are named here by path.) The tests of the
# demo need no group: they are handed out one after another (pytest_collection_modifyitems), so
# each worker keeps its one seeding of the demo across the run of them it gets (shared_demo).
MODULE_GROUPS = ("tests/browser/",)


def xdist_group(nodeid):
    """The unit of work a test belongs to: its module under MODULE_GROUPS, else None."""
    if nodeid.startswith(MODULE_GROUPS):
        return nodeid.split("::", 1)[0]
    return None


def unit_to_hand_out(units, templates_building):
    """Of the units of work waiting (in the order tests are sorted), the one to hand out next:
    the first, but while the run's database templates are built (``pytest_sessionstart``)
    the first that is not a browser module, if any is left. A browser module handed out then
    would only wait for the demo's template; the tests after them in the order need no
    database, or only the migrated template, which is built first."""
    if templates_building:
        for unit in units:
            if not unit.startswith(MODULE_GROUPS):
                return unit
    return next(iter(units))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """With --dist loadgroup, the groups above, handed out in the order the tests are sorted
    (``unit_to_hand_out``)."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class PathGroupScheduling(LoadGroupScheduling):
        def _split_scope(self, nodeid):
            return xdist_group(nodeid) or super()._split_scope(nodeid)

        def _assign_work_unit(self, node):
            unit = unit_to_hand_out(self.workqueue, templates_building(config))
            self.workqueue.move_to_end(unit, last=False)
            super()._assign_work_unit(node)

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
    """The browser tests first, then the tests without a database, then the tests that share
    data (tests/shared_data.py), those that ask for the same data one after another, then
    the other tests with a database in pytest-django's order (the tests that commit last).

    pytest-django (whose hook runs first) puts tests in transactions before those that
    commit, and tests without a database last; those can go anywhere. The tests that share
    data are all in transactions, and those that ask for the same data share one building
    of it (shared_data). Under xdist (scripts/test: --no-loadscope-reorder) work is handed
    out in this order, so the browser modules, the longest units, start at once (or as soon
    as the demo template they serve is built: ``pytest_xdist_make_scheduler``), and each
    worker builds each shared fixture about once for the run of its tests it gets.
    """
    mixed = [
        item.nodeid
        for item in items
        if shared_name(item)
        and not commits(item)
        and item.get_closest_marker("django_db") is not None
    ]
    if mixed:
        # The shared transaction is opened before the test's own and closed after it; a
        # django_db mark opens the test's first.
        raise pytest.UsageError(
            "a shared fixture (tests/shared_data.py) brings its own database, in a "
            "transaction: drop the django_db mark from " + ", ".join(mixed)
        )
    shared_names = list(BUILDERS)

    def order(item):
        if item.get_closest_marker("browser"):
            return 0
        if not uses_database(item):
            return 1
        name = shared_name(item)
        if name and not commits(item):
            return 2 + shared_names.index(name)
        return 2 + len(shared_names)

    items.sort(key=order)


def pytest_configure(config):
    """On SQLite, keep the migrated and demo templates between runs in pytest's cache
    (tests/databases.py); there is none under ``-p no:cacheprovider``."""
    cache = getattr(config, "cache", None)
    if cache is not None and databases.on_sqlite():
        databases.use_cache(cache.mkdir(databases.CACHE_NAME))


def pytest_collection_finish(session):
    """Everything imported by now (Django, Wagtail, the test modules) lives for the whole
    run: out of the garbage collector's reach, and the collector runs less often
    (tests/collector.py)."""
    collector.settle()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """pytest-django's hook for changing the test database settings, before it creates the
    test database: copy the run's migrated template instead of migrating (tests/databases.py)."""
    from django.db import connections

    databases.install(connections["default"], databases.shared_dir(tmp_path_factory))


TEMPLATE_BUILDER = pytest.StashKey()


def pytest_sessionstart(session):
    """In the process that starts the run (the xdist controller, or the only process), before
    the workers start: build the run's database templates (or copy them from the cache) in
    the background while the tests are collected (``databases.start_building``)."""
    config = session.config
    if hasattr(config, "workerinput") or config.option.collectonly:
        return
    directory = config._tmp_path_factory.getbasetemp()
    config.stash[TEMPLATE_BUILDER] = databases.start_building(directory)


def templates_building(config):
    """Whether the run's database templates are still being built (in the process that
    started the run)."""
    builder = config.stash.get(TEMPLATE_BUILDER, None)
    return builder is not None and builder.is_alive()


def pytest_sessionfinish(session):
    """After the whole run (the xdist controller, or the only process): wait for the templates'
    building, then drop the PostgreSQL templates, if the run made any."""
    if hasattr(session.config, "workerinput"):
        return
    builder = session.config.stash.get(TEMPLATE_BUILDER, None)
    if builder is not None:
        builder.join()
    if databases.is_postgres_url(os.environ.get("DATABASE_URL", "")):
        databases.drop_postgres_template(session.config._tmp_path_factory.getbasetemp())


COMMITTING_FIXTURES = {"transactional_db", "django_db_reset_sequences", "live_server"}


def commits(item):
    """Whether the test's writes are committed: pytest-django's own rule for a transactional
    test (a django_db mark with transaction or reset_sequences, or a committing fixture)."""
    marker = item.get_closest_marker("django_db")
    if marker is not None:
        transaction_asked, reset_sequences, *_rest = validate_django_db(marker)
        if transaction_asked or reset_sequences:
            return True
    return not COMMITTING_FIXTURES.isdisjoint(item.fixturenames)


@pytest.fixture(autouse=True)
def committed_database(request, tmp_path_factory):
    """On SQLite, a test that commits starts from a copy of the run's migrated template: Django
    empties every table after such a test, and copying the template back (SQLite's backup API)
    takes milliseconds where serialized rollback took a second or more. On PostgreSQL the
    test's mark asks for serialized rollback instead (``databases.committing``)."""
    if not commits(request.node) or not databases.on_sqlite():
        yield
        return
    # After pytest-django has opened the test's database (this fixture is set up after it
    # and torn down before Django empties the tables).
    request.getfixturevalue("_django_db_helper")
    databases.copy_into(
        connection, databases.sqlite_template(databases.shared_dir(tmp_path_factory))
    )
    cache.clear()
    yield


@pytest.fixture
def committed_demo(transactional_db, committed_database, attachment_root, tmp_path_factory):
    """The demo, committed, for a test that commits: on SQLite a copy of the run's demo template
    (tests/databases.py) and of its attachment files; on PostgreSQL, ``seed_demo`` run here."""
    if not databases.on_sqlite():
        call_command("seed_demo", stdout=io.StringIO())
        return
    directory = databases.shared_dir(tmp_path_factory)
    databases.copy_into(connection, databases.sqlite_demo_template(directory))
    shutil.copytree(databases.demo_files(directory), attachment_root, dirs_exist_ok=True)
    # What was cached (the sites' root paths, the deadlines) came from the rows just replaced.
    cache.clear()


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


@shared
def reporter_site():
    """The reporter pages at the demo's addresses (no users, no cases), built once for a run
    of tests that ask for them (shared_data); see ``tests.factories.reporter_site``. The demo
    itself is ``demo_site``."""
    return factories.reporter_site()


@pytest.fixture
def site_admin(db):
    """A superuser named ``admin``, as the demo has; password ``factories.PASSWORD``."""
    return factories.make_superuser("admin")


@pytest.fixture
def intake_adviser(db):
    """A member of the intake team named ``adviser`` (adviser@example.org), as the demo has."""
    return factories.make_adviser("adviser")


NEXT_ITEM = pytest.StashKey()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item, nextitem):
    """Before the test's fixtures are torn down: shared_data keeps what it built for the next
    test only if that test asks for the same."""
    item.config.stash[NEXT_ITEM] = nextitem


@pytest.fixture(scope="session")
def shared_data_store(django_db_setup, django_db_blocker, tmp_path_factory):
    store = SharedData(django_db_blocker, tmp_path_factory.mktemp("shared") / "attachments")
    yield store
    store.close()  # a run stopped part way (-x, Ctrl-C) may have left it open


@pytest.fixture(autouse=True)
def shared_data(request, attachment_root, fresh_cache, site_language):
    """For a test that asks for a ``@shared`` fixture (tests/shared_data.py): its value, built
    by the first test of a run of them and kept for the next; ``NOT_SHARED`` for any other
    test, and for a test that commits (which builds its own). Autouse so that it comes before the
    test's own transaction (pytest-django's ``db``), which is a savepoint inside this one."""
    name = shared_name(request.node)
    if name is None or commits(request.node):
        yield NOT_SHARED
        return
    store = request.getfixturevalue("shared_data_store")
    if store.name != name:
        store.close()
        store.open(name, attachment_root)
    else:
        store.reuse(attachment_root)
    yield store.for_test()
    # After the test's transaction is rolled back (it was set up after this fixture).
    if shared_name(request.config.stash.get(NEXT_ITEM, None)) != name:
        store.close()


@shared
def demo_site():
    """The whole demo (pages, settings, users, cases), as ``seed_demo`` builds it. Slower
    than the factories: for tests about what the demo itself shows. Seeded once for a run
    of tests that ask for it (shared_data), before any of a test's own fixtures, so none of
    them changes how it is seeded; what a test changes is rolled back after it."""
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
