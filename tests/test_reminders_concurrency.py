"""Two clusters scanning at the same moment send each reminder and escalation once, and
each address one email of each kind.

Each worker is a thread with its own database connection. They start together at a
barrier, and each holds its transaction open right after its claim SELECT until the other
has run its own (or OVERLAP_WAIT_SECONDS have passed: the reminders' TaskLock makes the
second scan wait for the first one's claim), so the two scans run at the same time every
time.
"""

import os
import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail
from django.db import connection
from django.utils import timezone
from wagtail.models import Site

from anon_messaging import reminders
from anon_messaging.models import Case, CaseLogEntry, ReportingSettings
from tests import databases

POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not POSTGRES,
        reason=(
            "Needs PostgreSQL (DATABASE_URL): two writers at once only happen on a database "
            "with row locks. SQLite lets one writer in at a time, so the race cannot occur "
            "there; .ci/run's PostgreSQL pass runs this test."
        ),
    ),
]

CASES_EACH = 40
# Long enough for the other worker to reach its SELECT; only waited out if it blocks.
OVERLAP_WAIT_SECONDS = 10


# Each worker commits, as separate clusters do; the migrations' data (the default site)
# is put back for the test.
@databases.committing()
def test_two_workers_at_once_send_one_reminder_and_one_escalation_per_case():
    site = Site.objects.get(is_default_site=True)
    site_settings = ReportingSettings.for_site(site)
    site_settings.manager_emails = "boss@example.org"
    site_settings.save()
    adviser = get_user_model().objects.create_user("adviser1", "adviser1@example.org", "pw")
    # An adviser who may see cases (permissions.py); without the group the notifier would
    # pass them over for the managers.
    adviser.groups.add(Group.objects.get(name="Case advisers"))
    due = timezone.now() - timedelta(days=10)

    def overdue_case(reminded):
        return Case(
            route=Case.Route.ANONYMOUS,
            site=site,
            answers=[],
            awaiting_reply=True,
            awaiting_since=due - timedelta(days=3),
            response_due_at=due,
            assigned_to=adviser,
            reminder_sent_at=due if reminded else None,
        )

    # Half need their reminder; half were reminded long ago and need their escalation.
    Case.objects.bulk_create(
        [overdue_case(reminded=False) for _ in range(CASES_EACH)]
        + [overdue_case(reminded=True) for _ in range(CASES_EACH)]
    )

    start = threading.Barrier(2)
    # selected[worker][phase]: the worker ran its locking SELECT (reminders, escalations).
    selected = [[threading.Event(), threading.Event()] for _ in range(2)]
    results, errors = [None, None], []

    def run(me):
        other = 1 - me
        phase = 0

        def hold_locks_until_the_other_selects(execute, sql, params, many, context):
            nonlocal phase
            result = execute(sql, params, many, context)
            # The scan's two claim SELECTs (reminders, then escalations), locking or not.
            if phase < 2 and sql.startswith("SELECT") and 'FROM "anon_messaging_case"' in sql:
                selected[me][phase].set()
                selected[other][phase].wait(OVERLAP_WAIT_SECONDS)
                phase += 1
            return result

        try:
            start.wait()
            with connection.execute_wrapper(hold_locks_until_the_other_selects):
                results[me] = reminders.scan()
        except Exception as exc:  # reported below, in the test's own thread
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert errors == []
    # Both really scanned: each ran both claim SELECTs, the second scan's as soon as the
    # first one's claim let it.
    assert all(event.is_set() for events in selected for event in events)
    assert sum(r.reminders for r in results) == CASES_EACH
    assert sum(r.escalations for r in results) == CASES_EACH
    # One email per address for the lot, not one per case, and not one per scan: the
    # cases are never split between the two scans (issue 13).
    assert Counter(tuple(m.to) for m in mail.outbox) == {
        ("adviser1@example.org",): 1,
        ("boss@example.org",): 1,
    }
    sends = Counter(CaseLogEntry.objects.values_list("case_id", "action"))
    assert len(sends) == 2 * CASES_EACH
    assert set(sends.values()) == {1}
    assert not Case.objects.filter(reminder_sent_at__isnull=True).exists()
    assert Case.objects.filter(escalation_sent_at__isnull=False).count() == CASES_EACH
