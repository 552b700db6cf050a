"""Test data built once for a run of tests that ask for it, as Django's TestCase.setUpTestData.

A fixture made with ``@shared`` (the demo, the reporter pages, the reporter pages in three
languages) is built by the first test of a run of tests that ask for it, in a transaction
that stays open while they run one after another. Each test runs in a savepoint inside it
(pytest-django's ``db``), rolled back after the test, and gets its own deep copy of what the
builder returned, so a test that changes an object in memory or in the database changes
nothing for the next. The transaction is rolled back before the first test that does not ask
for the same data. tests/conftest.py sorts the tests that ask for the same data together and
opens the transaction (``shared_data``) before the test's own.

What savepoints do not hold is set back for each test: the attachment files building stored
are copied into the test's own attachment directory, and the emails it sent are in the
test's outbox, as when the data was built for each test.

A test that commits (``databases.committing()``) cannot run inside the transaction: it gets
the data built for itself, after its database is set up.
"""

import copy
import shutil
import sys

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import connection, transaction

BUILDERS = {}
# What tests/conftest.py's ``shared_data`` gives a test that builds its own (a builder may
# return None, as the demo's does, so None cannot say it).
NOT_SHARED = object()


def shared(build):
    """Make ``build`` (no arguments, may use the database) a fixture of the same name and
    docstring whose value is built once for a run of tests that ask for it."""
    BUILDERS[build.__name__] = build

    def fixture(db, shared_data):
        return build() if shared_data is NOT_SHARED else shared_data

    fixture.__name__ = build.__name__
    fixture.__doc__ = build.__doc__
    return pytest.fixture(name=build.__name__)(fixture)


def shared_name(item):
    """The name of the shared fixture ``item`` asks for, or None (at most one per test)."""
    names = [name for name in BUILDERS if name in getattr(item, "fixturenames", ())]
    if len(names) > 1:
        raise pytest.UsageError(f"{item.nodeid} asks for {' and '.join(names)}: choose one")
    return names[0] if names else None


class SharedData:
    """The open transaction, what was built in it, and what the savepoints do not hold."""

    def __init__(self, blocker, files):
        self.blocker = blocker
        self.files = files  # a copy of the attachment files building stored
        self.name = None
        self.value = None
        self.outer = None
        self.emails = []

    def open(self, name, attachment_root):
        """Build ``name`` in a transaction left open; its files and emails are this test's."""
        # The shared transaction must hold the test's: opened first, closed last.
        assert not connection.in_atomic_block, "shared data is built before the test's transaction"
        sent_before = len(mail.outbox)
        outer = transaction.atomic()
        with self.blocker.unblock():
            outer.__enter__()
            try:
                value = BUILDERS[name]()
            except BaseException:
                outer.__exit__(*sys.exc_info())
                raise
        self.outer, self.name, self.value = outer, name, value
        self.emails = mail.outbox[sent_before:]
        shutil.rmtree(self.files, ignore_errors=True)
        shutil.copytree(attachment_root, self.files)
        # What building cached (the sites' root paths, the deadlines) came from rows that
        # only this transaction holds.
        cache.clear()

    def reuse(self, attachment_root):
        """Give the next test what the savepoints do not hold: the files and emails."""
        shutil.copytree(self.files, attachment_root, dirs_exist_ok=True)
        mail.outbox.extend(self.emails)

    def for_test(self):
        """This test's own copy of what was built."""
        return copy.deepcopy(self.value)

    def close(self):
        if self.outer is None:
            return
        outer, self.outer, self.name, self.value = self.outer, None, None, None
        with self.blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
        # Nothing built here is left for the tests that come after.
        assert not connection.in_atomic_block
