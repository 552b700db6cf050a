"""The reminder scan through a Redis broker: configuration only, against the real Redis on
127.0.0.1:6379 (``TEST_REDIS_URL`` to point elsewhere). Marked ``redis``; never skipped: a
missing Redis fails the run (.ci/run makes sure one is running).

Parallel runs (pytest-xdist) do not share anything in Redis: each worker uses a database of
its own (the URL's database number plus the worker's number), and each test a queue of its
own, deleted afterwards.

django-q2 reads ``Q_CLUSTER`` once at import, so the test switches its ``Conf`` to Redis,
as a site's settings would with ``"redis": "redis://..."``. The scheduler puts the task
on the Redis queue and django-q2's own pusher, worker and monitor take it off and run it
in this process, as a cluster's processes would.
"""

import os
import uuid
from datetime import timedelta
from multiprocessing import Event, Value
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.brokers.redis_broker import Redis
from django_q.conf import Conf
from django_q.models import Schedule, Success
from django_q.monitor import monitor
from django_q.pusher import pusher
from django_q.queues import Queue
from django_q.scheduler import scheduler
from django_q.tasks import async_task
from django_q.worker import worker
from wagtail.models import Site

from anon_messaging import schedules
from anon_messaging.models import Case
from tests import databases

pytestmark = pytest.mark.redis

# Redis has databases 0 to 15; the tests use 4 and up, one for each xdist worker.
FIRST_DATABASE, DATABASES = 4, 16
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")  # gw0, gw1, ... under pytest-xdist


def redis_url_for_this_worker(url, worker=WORKER):
    """``url`` with its database number moved on by the xdist worker's number."""
    parts = urlsplit(url)
    database = int(parts.path.strip("/") or FIRST_DATABASE)
    if worker.startswith("gw"):
        span = DATABASES - FIRST_DATABASE
        database = FIRST_DATABASE + (database - FIRST_DATABASE + int(worker[2:])) % span
    return parts._replace(path=f"/{database}").geturl()


REDIS_URL = redis_url_for_this_worker(
    os.environ.get("TEST_REDIS_URL", f"redis://127.0.0.1:6379/{FIRST_DATABASE}")
)


def test_each_xdist_worker_has_a_redis_database_of_its_own():
    urls = {redis_url_for_this_worker("redis://127.0.0.1:6379/4", f"gw{n}") for n in range(12)}
    assert len(urls) == 12
    assert redis_url_for_this_worker("redis://127.0.0.1:6379/4", "") == "redis://127.0.0.1:6379/4"
    assert redis_url_for_this_worker("redis://h:6379/6", "gw1") == "redis://h:6379/7"


@pytest.fixture
def redis_broker(monkeypatch):
    """A Redis-configured django-q2 with a queue of its own, emptied afterwards."""
    monkeypatch.setattr(Conf, "SYNC", False)
    monkeypatch.setattr(Conf, "ORM", None)
    monkeypatch.setattr(Conf, "DJANGO_REDIS", None)
    monkeypatch.setattr(Conf, "REDIS", REDIS_URL)
    broker = get_broker(list_key=f"anon_messaging_test_{WORKER or 'main'}_{uuid.uuid4().hex}")
    assert isinstance(broker, Redis)
    try:
        broker.ping()
    except Exception as error:  # a missing Redis fails the test, with what to do about it
        pytest.fail(
            f"No Redis at {REDIS_URL} ({error}). The tests marked redis need one: start it "
            "(see .ci/run) or point TEST_REDIS_URL at one."
        )
    yield broker
    broker.delete_queue()


def run_queued_tasks(broker):
    """What a cluster does with queued tasks: pusher, one worker, monitor."""
    tasks, results = Queue(), Queue()
    stop = Event()
    stop.set()  # pull what is queued now, then return
    pusher(tasks, stop, broker=broker)
    count = tasks.qsize()
    tasks.put("STOP")
    worker(tasks, results, Value("f", -1))
    results.put("STOP")
    monitor(results, broker)
    return count


@pytest.fixture
def overdue_case():
    adviser = get_user_model().objects.create_user("adviser1", "adviser1@example.org", "pw")
    adviser.groups.add(Group.objects.get(name="Case advisers"))
    due = timezone.now() - timedelta(hours=1)
    return Case.objects.create(
        route=Case.Route.ANONYMOUS,
        site=Site.objects.get(is_default_site=True),
        answers=[],
        awaiting_reply=True,
        awaiting_since=due - timedelta(days=3),
        response_due_at=due,
        assigned_to=adviser,
    )


# Committed transactions, as a separate cluster process would see them; the data the
# migrations made (the default site) is put back for each test.
transactional = databases.committing()


@transactional
def test_a_scan_enqueued_on_redis_runs_on_a_worker(redis_broker, overdue_case):
    task_id = async_task(schedules.OVERDUE_REMINDERS.func, broker=redis_broker)

    assert redis_broker.queue_size() == 1
    assert run_queued_tasks(redis_broker) == 1

    assert redis_broker.queue_size() == 0
    assert Success.objects.get(id=task_id).result["reminders"] == 1
    assert [m.to for m in mail.outbox] == [["adviser1@example.org"]]
    overdue_case.refresh_from_db()
    assert overdue_case.reminder_sent_at is not None


@transactional
def test_the_schedule_reaches_a_worker_through_redis(redis_broker, overdue_case):
    call_command("migrate", verbosity=0)
    # Only the reminder schedule is due, so only its task goes on the queue.
    Schedule.objects.update(next_run=timezone.now() + timedelta(hours=1))
    Schedule.objects.filter(name=schedules.OVERDUE_REMINDERS.name).update(
        next_run=timezone.now() - timedelta(seconds=1)
    )

    scheduler(broker=redis_broker)

    assert redis_broker.queue_size() == 1
    run_queued_tasks(redis_broker)
    assert [m.to for m in mail.outbox] == [["adviser1@example.org"]]
    # A second scan of the same episode, through the same path, sends nothing.
    async_task(schedules.OVERDUE_REMINDERS.func, broker=redis_broker)
    run_queued_tasks(redis_broker)
    assert len(mail.outbox) == 1
