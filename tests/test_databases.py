"""The templates a run copies its databases from, kept between runs (tests/databases.py),
and built in the background from the start of a run.

A template taken from the cache when it should have been built again would run the
suite against a stale schema or demo; these tests pin down when it is taken and what
decides that.
"""

import sqlite3
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.apps import apps

from tests import databases
from tests.conftest import TEMPLATE_BUILDER, unit_to_hand_out


@pytest.fixture(autouse=True)
def run_templates_built(request):
    """Run without xdist, this process is also building the run's own templates in the
    background (conftest: pytest_sessionstart); that is finished before a test here
    replaces what builds them."""
    builder = request.config.stash.get(TEMPLATE_BUILDER, None)
    if builder is not None:
        builder.join()


def built_by(log):
    """A stand-in for ``manage.py migrate`` that records each call and makes a one-table
    database, so that the cache's rules are tested without ten seconds of migrating."""

    def manage(args, database_url, log_path, extra_env=None):
        log.append(args)
        path = database_url.removeprefix("sqlite:///")
        with sqlite3.connect(path) as connection:
            connection.execute("CREATE TABLE built (number INTEGER)")
            connection.execute("INSERT INTO built VALUES (?)", (len(log),))
        connection.close()

    return manage


def built_number(path):
    connection = sqlite3.connect(path)
    try:
        return connection.execute("SELECT number FROM built").fetchone()[0]
    finally:
        connection.close()


def test_a_kept_template_is_copied_by_the_next_run_and_built_again_when_the_key_changes(
    tmp_path, monkeypatch
):
    calls = []
    monkeypatch.setattr(databases, "manage", built_by(calls))
    monkeypatch.setattr(databases, "_template_cache", tmp_path / "cache")
    monkeypatch.setattr(databases, "template_key", lambda: "first")

    first_run = tmp_path / "run1"
    first_run.mkdir()
    assert built_number(databases.sqlite_template(first_run)) == 1
    assert calls == [["migrate", "--noinput"]]
    assert (tmp_path / "cache" / "first" / databases.SQLITE_TEMPLATE).exists()

    # The next run with the same key copies it: nothing is migrated.
    second_run = tmp_path / "run2"
    second_run.mkdir()
    assert built_number(databases.sqlite_template(second_run)) == 1
    assert len(calls) == 1

    # Anything in the key changed: built again, and the old one is not kept.
    monkeypatch.setattr(databases, "template_key", lambda: "second")
    third_run = tmp_path / "run3"
    third_run.mkdir()
    assert built_number(databases.sqlite_template(third_run)) == 2
    assert len(calls) == 2
    assert [path.name for path in (tmp_path / "cache").iterdir()] == ["second"]


def test_without_a_cache_each_run_builds_its_own(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(databases, "manage", built_by(calls))
    monkeypatch.setattr(databases, "_template_cache", None)
    for number in (1, 2):
        run = tmp_path / f"run{number}"
        run.mkdir()
        assert built_number(databases.sqlite_template(run)) == number
    assert len(calls) == 2


def test_the_key_reads_every_migration_and_setting_in_the_checkout():
    read = set(databases._template_files())
    # Installed distributions (the virtualenv may be inside the checkout) count by version.
    migration_files = [
        path
        for config in apps.get_app_configs()
        if Path(config.path).is_relative_to(databases.REPO_ROOT)
        and not Path(config.path).is_relative_to(sys.prefix)
        for path in (Path(config.path) / "migrations").glob("*.py")
    ]
    # The app's, the example site's and the test app's.
    assert len({path.parent for path in migration_files}) >= 3
    assert not set(migration_files) - read
    assert databases.REPO_ROOT / "tests" / "settings.py" in read
    assert Path(databases.__file__) in read
    assert databases.REPO_ROOT / "anon_messaging" / "schedules.py" in read


def test_the_templates_are_built_once_in_the_background_and_whoever_asks_meanwhile_waits(
    tmp_path, monkeypatch
):
    calls = []
    migrating = threading.Event()
    may_finish = threading.Event()

    def manage(args, database_url, log_path, extra_env=None):
        calls.append(args[0])
        path = database_url.removeprefix("sqlite:///")
        if args[0] == "migrate":
            migrating.set()
            assert may_finish.wait(30)
        with sqlite3.connect(path) as connection:
            connection.execute(f"CREATE TABLE {args[0]} (number INTEGER)")
        connection.close()

    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setattr(databases, "manage", manage)
    monkeypatch.setattr(databases, "_template_cache", None)

    builder = databases.start_building(tmp_path)
    assert migrating.wait(30)
    with ThreadPoolExecutor() as pool:
        # A worker's test database, and a served site, asked for while it migrates.
        migrated = pool.submit(databases.sqlite_template, tmp_path)
        demo = pool.submit(databases.sqlite_demo_template, tmp_path)
        time.sleep(0.2)
        assert not migrated.done() and not demo.done()
        may_finish.set()
        assert migrated.result(30) == tmp_path / databases.SQLITE_TEMPLATE
        assert demo.result(30) == tmp_path / databases.SQLITE_DEMO_TEMPLATE
    builder.join(30)
    assert not builder.is_alive()
    assert calls == ["migrate", "seed_demo"]
    tables = sqlite3.connect(tmp_path / databases.SQLITE_DEMO_TEMPLATE).execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
    )
    assert [name for (name,) in tables] == ["migrate", "seed_demo"]


class CacheBuild:
    """Stand-ins for the commands a build into the cache runs: each makes a table named
    after itself (and seed_demo its attachments directory); ``migrate`` can be held."""

    def __init__(self, monkeypatch, hold_migrate=False):
        self.calls = []
        self.migrating = threading.Event()
        self.may_finish = threading.Event()
        if not hold_migrate:
            self.may_finish.set()
        monkeypatch.delenv("DATABASE_URL", raising=False)
        monkeypatch.setattr(databases, "manage", self.manage)
        monkeypatch.setattr(databases, "template_key", lambda: "today")
        monkeypatch.setattr(databases, "_template_cache", None)  # put back after the test

    def manage(self, args, database_url, log_path, extra_env=None):
        self.calls.append(args[0])
        if args[0] == "migrate":
            self.migrating.set()
            assert self.may_finish.wait(30)
        if extra_env and "TEST_ATTACHMENT_ROOT" in extra_env:
            Path(extra_env["TEST_ATTACHMENT_ROOT"]).mkdir(parents=True)
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as connection:
            connection.execute(f"CREATE TABLE {args[0]} (number INTEGER)")
        connection.close()


def test_templates_built_before_the_run_are_copied_by_the_run(tmp_path, monkeypatch, request):
    """scripts/test builds them (``python -m tests.databases``) while the linters run; the
    run then copies them from the cache, migrating and seeding nothing."""
    # Where the entry point builds them is where the run's own cache keeps them.
    assert request.config.cache.mkdir(databases.CACHE_NAME) == databases.CHECKOUT_CACHE
    build = CacheBuild(monkeypatch)

    cache = tmp_path / "cache"
    assert databases.build_into_cache(cache) == "today"
    assert build.calls == ["migrate", "seed_demo"]
    assert databases.build_into_cache(cache) == "today"  # already there: nothing built
    assert build.calls == ["migrate", "seed_demo"]

    run = tmp_path / "run"
    run.mkdir()
    builder = databases.start_building(run)
    builder.join(30)
    assert build.calls == ["migrate", "seed_demo"]
    tables = sqlite3.connect(run / databases.SQLITE_DEMO_TEMPLATE).execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
    )
    assert [name for (name,) in tables] == ["migrate", "seed_demo"]
    assert databases.demo_files(run).is_dir()


def test_a_run_waits_for_a_build_into_the_cache_under_way_instead_of_building_its_own(
    tmp_path, monkeypatch
):
    """pytest starts while scripts/test's build is still migrating: the run's templates
    wait for it and copy what it made."""
    build = CacheBuild(monkeypatch, hold_migrate=True)
    run = tmp_path / "run"
    run.mkdir()
    with ThreadPoolExecutor() as pool:
        before_the_run = pool.submit(databases.build_into_cache, tmp_path / "cache")
        assert build.migrating.wait(30)
        migrated = pool.submit(databases.sqlite_template, run)
        demo = pool.submit(databases.sqlite_demo_template, run)
        time.sleep(0.2)
        assert not migrated.done() and not demo.done()
        build.may_finish.set()
        assert before_the_run.result(30) == "today"
        assert migrated.result(30) == run / databases.SQLITE_TEMPLATE
        assert demo.result(30) == run / databases.SQLITE_DEMO_TEMPLATE
    assert build.calls == ["migrate", "seed_demo"]
    assert databases.demo_files(run).is_dir()


def test_browser_modules_wait_their_turn_while_the_templates_are_built():
    units = [
        "tests/browser/test_accessibility.py",
        "tests/browser/test_journeys.py",
        "tests/test_codes.py::test_a_code_has_sixteen_characters",
        "tests/test_messaging.py::test_a_reporter_sends_a_message",
    ]
    assert unit_to_hand_out(units, templates_building=False) == units[0]
    assert unit_to_hand_out(units, templates_building=True) == units[2]
    # Nothing else left: a browser module is handed out, to wait for the demo's template.
    assert unit_to_hand_out(units[:2], templates_building=True) == units[0]
