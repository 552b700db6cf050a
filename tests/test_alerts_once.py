"""One email per adviser per burst, even across restarts and two task clusters.

Restarting the demo (``scripts/demo`` runs ``seed_demo`` and starts the cluster) used to
send the adviser several identical emails in the same second: one per case with activity,
and the seeded overdue cases re-armed at every start. Now each address gets one email of
a kind per run, runs of one kind take turns (``models.TaskLock``), and what went out is
not sent again after a restart.
"""

import io
import os
import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_q.models import Schedule
from django_q.scheduler import scheduler

from anon_messaging import notifications
from anon_messaging.models import Case
from tests import databases
from tests.admin_support import make_case, make_user
from tests.reporter_journey import MESSAGING_SEND, log_in, submit, submit_anonymous

POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
ALERT = str(notifications.NEW_ACTIVITY.subject)


@pytest.fixture
def quiet_now(settings):
    """No quiet period, so the first scheduled run after a burst sends its alert."""
    settings.ANON_MESSAGING = {**settings.ANON_MESSAGING, "ALERT_QUIET_MINUTES": 0}


def start_the_cluster():
    """What a (re)started cluster's scheduler does: every schedule is due, and runs."""
    Schedule.objects.update(next_run=timezone.now() - timedelta(seconds=1))
    scheduler()


def restart_the_demo():
    """``scripts/demo``: seed_demo, then the cluster starts."""
    call_command("seed_demo", stdout=io.StringIO())
    start_the_cluster()


def emails():
    return Counter((tuple(message.to), message.subject) for message in mail.outbox)


def test_restarting_the_demo_sends_each_adviser_one_email(demo_site, quiet_now):
    # A burst of reporter activity while the cluster is down: three reports and messages,
    # all to the intake team, whose only member with an email is the demo's adviser.
    reporter = Client()
    _response, code = submit_anonymous(reporter, "First.")
    submit_anonymous(Client(), "Second.", opt_in=False)
    submit_anonymous(Client(), "Third.")
    log_in(reporter, code)
    for text in ("One more thing.", "And another."):
        assert reporter.post(MESSAGING_SEND, {"body": text}).status_code == 302
    assert mail.outbox == []

    start_the_cluster()
    start_the_cluster()
    restart_the_demo()
    restart_the_demo()
    start_the_cluster()

    sent = emails()
    assert sent[(("adviser@example.org",), ALERT)] == 1
    # Reminders and escalations of the seeded overdue cases, and any other, once each.
    assert sent, "the demo's first start sends its reminders"
    assert set(sent.values()) == {1}, sent
    per_address = Counter(to for to, _subject in sent)
    assert all(count <= 2 for count in per_address.values()), per_address  # alert + reminder


def test_many_cases_in_one_run_give_each_address_one_email(db, quiet_now):
    adviser = make_user("ada", groups=["Case advisers"])
    for _ in range(4):
        make_case(adviser=adviser)
    result = notifications.send_pending_alerts()
    assert result["sent"] == 4  # four cases dealt with...
    assert [m.to for m in mail.outbox] == [["ada@example.org"]]  # ...in one email
    assert not Case.objects.filter(adviser_alert_pending=True).exists()


def test_a_contact_report_and_an_anonymous_one_give_one_email(demo_site, quiet_now):
    from tests.reporter_journey import CONTACT_FORM, contact_answers

    submit_anonymous(Client(), "Anonymous.")
    submit(Client(), CONTACT_FORM, contact_answers("With contact details."))
    start_the_cluster()
    assert emails()[(("adviser@example.org",), ALERT)] == 1


@pytest.mark.postgres
@pytest.mark.skipif(
    not POSTGRES,
    reason=(
        "Needs PostgreSQL (DATABASE_URL): two runs at once need a database with row locks; "
        "SQLite lets one writer in at a time. .ci/run's PostgreSQL pass runs this test."
    ),
)
@databases.committing()
def test_two_clusters_running_the_alerts_at_once_send_each_adviser_one_email(settings):
    settings.ANON_MESSAGING = {**settings.ANON_MESSAGING, "ALERT_QUIET_MINUTES": 0}
    adviser = make_user("ada", groups=["Case advisers"])
    cases = [make_case(adviser=adviser)[0] for _ in range(20)]
    start = threading.Barrier(2)
    selected = [threading.Event(), threading.Event()]
    results, errors = [None, None], []

    def run(me):
        other = 1 - me

        def hold_until_the_other_tries(execute, sql, params, many, context):
            result = execute(sql, params, many, context)
            if sql.startswith("SELECT") and "adviser_alert_pending" in sql:
                # Each run's read of the due cases stays open until the other run has
                # tried to read them too (or its lock kept it waiting).
                selected[me].set()
                selected[other].wait(3)
            return result

        try:
            start.wait()
            with connection.execute_wrapper(hold_until_the_other_tries):
                results[me] = notifications.send_pending_alerts()
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
    assert all(event.is_set() for event in selected)
    assert sum(result["sent"] for result in results) == len(cases)
    assert [m.to for m in mail.outbox] == [["ada@example.org"]]
