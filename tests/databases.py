"""One migrated database per test run, and one with the demo seeded, copied wherever a run
needs a fresh one.

Migrating from nothing takes Django over ten seconds here (about 200 migrations, most
of it Python working out the models' states), and a parallel run needed it once per
xdist worker plus once for the browser tests' served site. Now the first that needs
it builds a migrated template with ``manage.py migrate`` (as a new installation is
migrated), under a file lock shared by the run's workers, and everyone copies it:

- SQLite: the template is a file in the run's temporary directory; a worker's
  in-memory test database is filled from it with SQLite's backup API (as Django's own
  parallel test runner does), the browser site's database file is a copy of it.
- PostgreSQL: the template is a database named after the run's test database (plus
  ``_template``); the workers' test databases and the browser site's are created
  ``WITH TEMPLATE`` it, and it is dropped when the run ends.

The process that starts the run starts building them at once, in a thread
(``start_building``), while the workers start and collect the tests.

In the same way a second template holds the demo (``manage.py seed_demo`` on a copy of the
first, its attachment files beside it), for the served sites and for the tests that commit
and need the demo.

On SQLite, both templates are also kept between runs in pytest's cache directory
(``.pytest_cache``, see ``use_cache``), under a key made of everything that decides what
they hold: the day, Python and every installed distribution's version, and the content of
the app, the example site, the tests' settings and test app, and this module. A run whose
key has a copy takes it instead of migrating and seeding (about twelve seconds here, in
which the run's other workers had only waited); a change to any of those builds them
again. ``--cache-clear`` empties the cache first; ``-p no:cacheprovider`` runs without it.
``scripts/test`` starts building them into the cache before the linters run
(``build_into_cache``); the run waits for that build rather than starting its own.
PostgreSQL's templates are built for each run.

A test that commits (``committing()``) cannot be rolled back; after it Django empties every
table. On SQLite the next one starts from a copy of the migrated template
(tests/conftest.py: ``committed_database``), which takes milliseconds; on PostgreSQL
Django's serialized rollback puts back what migrations made, as before.

``install`` (called from tests/conftest.py before pytest-django creates the test
database) puts this in place of the ``migrate`` that Django's test database creation
runs, while it runs; everything else about creating the test database (serialising it
for the tests that roll back to it, for one) is pytest-django's and Django's.
"""

import datetime
import functools
import hashlib
import importlib.metadata
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from filelock import FileLock

REPO_ROOT = Path(__file__).resolve().parents[1]
SQLITE_TEMPLATE = "migrated.sqlite3"
POSTGRES_MARKER = "postgres-template.txt"
SQLITE_DEMO_TEMPLATE = "demo.sqlite3"
POSTGRES_DEMO_MARKER = "postgres-demo-template.txt"
DEMO_FILES = "demo-attachments"
# What the templates are made from (see template_key), and what under them is not.
TEMPLATE_SOURCES = (
    "anon_messaging",
    "example_site",
    "tests/testapp",
    "tests/settings.py",
    "tests/manage.py",
)
NOT_TEMPLATE_SOURCES = {"__pycache__", "db.sqlite3", "media", "private", "static"}
# The template cache's directory in pytest's cache (tests/conftest.py asks pytest for it),
# and where pytest puts it in a checkout: the rootdir's .pytest_cache, "d" for directories.
CACHE_NAME = "anon_messaging-databases"
CHECKOUT_CACHE = REPO_ROOT / ".pytest_cache" / "d" / CACHE_NAME

# Where the SQLite templates are kept between runs (use_cache), or None.
_template_cache = None


def on_sqlite():
    """Whether this run's database is SQLite (DATABASE_URL unset or not PostgreSQL)."""
    return not is_postgres_url(os.environ.get("DATABASE_URL", ""))


def committing():
    """The mark for a test whose writes must be committed (threads, other connections, the
    real WSGI handler see them). On SQLite it starts from a copy of the migrated template
    (tests/conftest.py: ``committed_database``); on PostgreSQL, Django's serialized rollback
    reloads what migrations made before it runs."""
    return pytest.mark.django_db(transaction=True, serialized_rollback=not on_sqlite())


def is_postgres_url(url):
    return url.startswith(("postgres://", "postgresql://"))


def shared_dir(tmp_path_factory):
    """A directory this run's xdist workers share (the run's own when there are none)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def postgres_base_name(url=None):
    """The name the run's test databases start from: TEST_DATABASE_NAME or test_<name>."""
    url = url or os.environ["DATABASE_URL"]
    return os.environ.get("TEST_DATABASE_NAME") or "test_" + urlsplit(url).path.lstrip("/")


def manage(args, database_url, log_path, extra_env=None):
    """``manage.py <args>`` with the test settings on ``database_url`` (and ``extra_env`` on
    top of the environment); its output to the log."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
        "DATABASE_URL": database_url,
        "PYTHONUNBUFFERED": "1",
        **(extra_env or {}),
    }
    env.pop("TEST_DATABASE_NAME", None)  # the URL names the database to work on
    with log_path.open("ab") as log:
        finished = subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
            [sys.executable, "-m", "tests.manage", *args],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=600,
        )
    if finished.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{log_path.read_text()[-4000:]}")


def postgres(admin_url, statement, *names):
    """Run ``statement`` (``{}`` for each database name, quoted) on ``admin_url``'s server."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL(statement).format(*map(sql.Identifier, names)))


def use_cache(directory):
    """Keep the SQLite templates between runs in ``directory`` (tests/conftest.py gives the
    pytest cache's), one subdirectory per ``template_key``."""
    global _template_cache
    _template_cache = Path(directory)


def _template_files():
    for name in TEMPLATE_SOURCES:
        top = REPO_ROOT / name
        if top.is_file():
            yield top
            continue
        for path in top.rglob("*"):
            parts = set(path.relative_to(top).parts)
            if path.is_file() and parts.isdisjoint(NOT_TEMPLATE_SOURCES) and path.suffix != ".pyc":
                yield path
    yield Path(__file__)


@functools.cache
def template_key():
    """A digest of everything the templates are made from. The day is part of it because the
    demo's cases are dated from when they were seeded, as the schedules' first runs are."""
    digest = hashlib.sha256()
    digest.update(f"{datetime.date.today()}\n{sys.version}\n".encode())
    distributions = importlib.metadata.distributions()
    versions = {(dist.metadata["Name"] or "", dist.version) for dist in distributions}
    for name, version in sorted(versions):
        digest.update(f"{name}=={version}\n".encode())
    for path in sorted(_template_files()):
        digest.update(f"{path.relative_to(REPO_ROOT)}\n".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:20]


def _cached(name):
    """The path of ``name`` in the template cache under this run's key, or None (no cache)."""
    if _template_cache is None:
        return None
    return _template_cache / template_key() / name


def _cache_builder_lock():
    """The lock ``build_into_cache`` holds while it builds this key's templates into the cache.

    One instance per file (``is_singleton``), so that the build, which restores from the
    cache as it goes, takes it again in the same thread without waiting for itself."""
    key_directory = _template_cache / template_key()
    key_directory.mkdir(parents=True, exist_ok=True)
    return FileLock(key_directory / "building.lock", is_singleton=True)


def _restore(name, destination):
    """Copy ``name`` from the template cache to ``destination``; whether it was there. A
    build into the cache under way (``build_into_cache``) is waited for: it is further on
    than a build of the run's own would be."""
    cached = _cached(name)
    if cached is None:
        return False
    with _cache_builder_lock():
        if not cached.exists():
            return False
        if cached.is_dir():
            shutil.rmtree(destination, ignore_errors=True)
            shutil.copytree(cached, destination)
        else:
            shutil.copyfile(cached, destination)
    return True


def _keep(source, name):
    """Copy ``source`` into the template cache as ``name`` (a file or a directory), where
    another run finds it whole or not at all; entries of other keys are removed."""
    cached = _cached(name)
    if cached is None:
        return
    for stale in _template_cache.glob("*"):
        if stale.name != cached.parent.name:
            shutil.rmtree(stale, ignore_errors=True)
    cached.parent.mkdir(parents=True, exist_ok=True)
    partial = cached.with_name(f"{cached.name}.{os.getpid()}.partial")
    if source.is_dir():
        shutil.copytree(source, partial)
    else:
        shutil.copyfile(source, partial)
    try:
        partial.rename(cached)
    except OSError:  # another run kept it first
        if partial.is_dir():
            shutil.rmtree(partial, ignore_errors=True)
        else:
            partial.unlink()


def sqlite_template(directory):
    """The path of this run's migrated SQLite database, built by the first to ask (or taken
    from the template cache)."""
    path = directory / SQLITE_TEMPLATE
    with FileLock(f"{path}.lock"):
        if not path.exists():
            building = directory / f"{SQLITE_TEMPLATE}.building"
            building.unlink(missing_ok=True)
            if not _restore(SQLITE_TEMPLATE, building):
                manage(["migrate", "--noinput"], f"sqlite:///{building}", directory / "migrate.log")
                _keep(building, SQLITE_TEMPLATE)
            building.rename(path)
    return path


def postgres_template(directory, admin_url=None):
    """The name of this run's migrated PostgreSQL template database, built by the first to ask."""
    admin_url = admin_url or os.environ["DATABASE_URL"]
    name = postgres_base_name(admin_url) + "_template"
    marker = directory / POSTGRES_MARKER
    with FileLock(f"{marker}.lock"):
        if not marker.exists():
            # A run that was killed may have left its template behind.
            postgres(admin_url, "DROP DATABASE IF EXISTS {} WITH (FORCE)", name)
            postgres(admin_url, "CREATE DATABASE {}", name)
            url = urlsplit(admin_url)._replace(path="/" + name).geturl()
            manage(["migrate", "--noinput"], url, directory / "migrate.log")
            marker.write_text(name)
    return name


def demo_files(directory):
    """The attachment files that seeding the demo templates stored (a copy goes with each copy)."""
    return directory / DEMO_FILES


def seed_demo(database_url, directory):
    """``manage.py seed_demo`` on ``database_url``, its attachment files into ``demo_files``."""
    files = demo_files(directory)
    shutil.rmtree(files, ignore_errors=True)
    manage(
        ["seed_demo"],
        database_url,
        directory / "seed_demo.log",
        {"TEST_ATTACHMENT_ROOT": str(files)},
    )


def sqlite_demo_template(directory):
    """The path of this run's migrated SQLite database with the demo seeded in it (``seed_demo``,
    as a new installation's demo is seeded), built by the first to ask (or taken from the
    template cache, with its attachment files)."""
    path = directory / SQLITE_DEMO_TEMPLATE
    with FileLock(f"{path}.lock"):
        if not path.exists():
            building = directory / f"{SQLITE_DEMO_TEMPLATE}.building"
            if not (
                _restore(SQLITE_DEMO_TEMPLATE, building)
                and _restore(DEMO_FILES, demo_files(directory))
            ):
                shutil.copyfile(sqlite_template(directory), building)
                seed_demo(f"sqlite:///{building}", directory)
                _keep(demo_files(directory), DEMO_FILES)
                _keep(building, SQLITE_DEMO_TEMPLATE)
            building.rename(path)
    return path


def postgres_demo_template(directory, admin_url=None):
    """The name of this run's PostgreSQL template database with the demo seeded in it, built
    by the first to ask (a copy of the migrated template, then ``seed_demo``)."""
    admin_url = admin_url or os.environ["DATABASE_URL"]
    name = postgres_base_name(admin_url) + "_demo_template"
    marker = directory / POSTGRES_DEMO_MARKER
    with FileLock(f"{marker}.lock"):
        if not marker.exists():
            migrated = postgres_template(directory, admin_url)
            postgres(admin_url, "DROP DATABASE IF EXISTS {} WITH (FORCE)", name)
            postgres(admin_url, "CREATE DATABASE {} TEMPLATE {}", name, migrated)
            seed_demo(urlsplit(admin_url)._replace(path="/" + name).geturl(), directory)
            marker.write_text(name)
    return name


def start_building(directory):
    """Build the run's templates (the migrated one, then the demo) in a thread of the process
    that starts the run, as soon as it starts; returns the thread, to be joined before the
    run ends.

    Every test database and served site is a copy of them, so until they exist no test with
    a database can start: built by the first worker to need one, after collecting the tests,
    they kept the other worker waiting for a dozen seconds. Built from the start, they are
    ready about when the workers have collected. Whoever asks before then waits on the
    same lock as before; if building fails here, the first test that needs them builds
    them again and reports why."""

    def build():
        try:
            if on_sqlite():
                sqlite_demo_template(directory)
            else:
                postgres_demo_template(directory)
        except Exception:  # noqa: BLE001, S110 - reported by the test that builds it again
            pass

    thread = threading.Thread(target=build, name="database templates", daemon=True)
    thread.start()
    return thread


def build_into_cache(cache_directory=CHECKOUT_CACHE):
    """Build the SQLite templates into the template cache at ``cache_directory``, outside a
    test run, and return their key (nothing to do when the cache holds them already).

    ``scripts/test`` starts this (``python -m tests.databases``) in the background before
    the linters, on the second core they leave idle, and pytest after them. The run copies
    the templates from the cache, waiting (in ``_restore``) for this build to finish if it
    has not, instead of building its own from the start."""
    use_cache(cache_directory)
    with _cache_builder_lock(), tempfile.TemporaryDirectory() as directory:
        sqlite_demo_template(Path(directory))
    return template_key()


def drop_postgres_template(directory, admin_url=None):
    """Drop the templates this run made, if it made any (at the end of the run)."""
    for marker in (directory / POSTGRES_DEMO_MARKER, directory / POSTGRES_MARKER):
        if marker.exists():
            postgres(
                admin_url or os.environ["DATABASE_URL"],
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                marker.read_text(),
            )
            marker.unlink()


def copy_into(connection, path):
    """Replace the whole content of ``connection``'s SQLite database with the file at ``path``
    (SQLite's backup API, as Django's own parallel test runner copies databases)."""
    connection.ensure_connection()
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        source.backup(connection.connection)
    finally:
        source.close()


def install(connection, directory):
    """Let Django's test database creation on ``connection`` copy the template, not migrate."""
    from django.core import management

    if connection.vendor == "postgresql":
        template = postgres_template(directory)
        connection.settings_dict.setdefault("TEST", {})["TEMPLATE"] = template
    elif connection.vendor == "sqlite":
        template = sqlite_template(directory)
    else:
        return

    def copy_instead_of_migrating(call_command):
        def replacement(name, *args, **kwargs):
            if name != "migrate" or kwargs.get("database", "default") != connection.alias:
                return call_command(name, *args, **kwargs)
            if connection.vendor == "sqlite":
                # The test database (in memory, or a file) takes the template's content.
                copy_into(connection, template)
            # PostgreSQL: created WITH TEMPLATE, it is migrated already.
            return None

        return replacement

    create_test_db = connection.creation.create_test_db

    def create_from_template(*args, **kwargs):
        # Django's create_test_db imports call_command when it runs; only while it runs
        # is migrate replaced, so tests that run migrate themselves still migrate.
        call_command = management.call_command
        management.call_command = copy_instead_of_migrating(call_command)
        try:
            return create_test_db(*args, **kwargs)
        finally:
            management.call_command = call_command

    connection.creation.create_test_db = create_from_template


if __name__ == "__main__":
    # python -m tests.databases: what scripts/test runs before pytest, on SQLite.
    if not on_sqlite():
        sys.exit("The templates kept between runs are SQLite's: unset DATABASE_URL.")
    try:
        key = build_into_cache(CHECKOUT_CACHE)
    except Exception as error:  # noqa: BLE001 - said, and the run builds them itself
        sys.exit(f"Building the database templates before the run failed:\n{error}")
    print(f"Database templates ready in {CHECKOUT_CACHE} (key {key})")
