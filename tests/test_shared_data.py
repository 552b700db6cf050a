"""Data built once for many tests (tests/shared_data.py) comes back as built for each test."""

import os

import pytest
from django.db import connection, transaction
from wagtail.models import Page

from tests import databases, factories
from tests.shared_data import SharedData, shared

# The tests (by pytest's PYTEST_CURRENT_TEST) during whose set-up ``nothing_built`` was built.
BUILDINGS = []


@shared
def nothing_built():
    """Shared data whose builder returns nothing, as ``demo_site``'s does."""
    BUILDINGS.append(os.environ["PYTEST_CURRENT_TEST"].rsplit(" ", 1)[0])


@pytest.mark.parametrize("turn", [1, 2])
def test_data_whose_builder_returns_nothing_is_built_once_for_a_run_of_tests(
    nothing_built, turn, request
):
    """The first test of a run of them builds it, once, and the next takes it as built
    (under xdist either may be the first on its worker)."""
    assert nothing_built is None
    assert BUILDINGS.count(request.node.nodeid) <= 1


# Outside any transaction of pytest-django's, as the shared transaction is opened before
# a test's own.
@databases.committing()
def test_what_one_test_changes_in_shared_pages_is_gone_for_the_next(
    django_db_blocker, attachment_root, tmp_path
):
    store = SharedData(django_db_blocker, tmp_path / "files")
    store.open("reporter_site", attachment_root)
    try:
        first = store.for_test()
        title, children = first.home.title, first.support.numchild
        with django_db_blocker.unblock(), transaction.atomic():
            # As a test in its savepoint (pytest-django's db): change the database and the
            # objects in memory, then roll back.
            first.home.title = "Changed by the first test"
            first.home.save()
            factories.support_page(first.support, slug="added-by-the-first-test")
            transaction.set_rollback(True)

        second = store.for_test()
        assert second.home is not first.home
        assert (second.home.title, second.support.numchild) == (title, children)
        with django_db_blocker.unblock():
            assert Page.objects.get(pk=second.home.pk).title == title
            assert not Page.objects.filter(slug="added-by-the-first-test").exists()
            # The copy's tree position is right: a page added under it is stored.
            factories.support_page(second.support, slug="added-by-the-second-test")
            assert Page.objects.get(pk=second.support.pk).numchild == children + 1
    finally:
        store.close()
    # Closing rolls back the building too: nothing is left for the tests that come after.
    with django_db_blocker.unblock():
        assert not connection.in_atomic_block
        assert not Page.objects.filter(pk=second.home.pk).exists()
