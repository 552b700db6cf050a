"""The example site as production runs it, for the load test (bench/load/run.py).

DEBUG off, the production argon2 cost, and the client address read from
X-Forwarded-For, which the load test sets per simulated person (all traffic comes
from 127.0.0.1, and each person is someone else to the throttle). With
LOAD_DATABASE_URL on PostgreSQL, Redis is the cache and django-q2's broker;
on SQLite, the embedded defaults: a file in write-ahead-log mode, the database as
the broker, and each worker's own memory as the cache.
"""

import os

import dj_database_url
from demo_site.settings.base import *  # noqa: F403
from demo_site.settings.base import Q_CLUSTER

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
SECRET_KEY = "load-test-only-" + "k" * 40  # noqa: S105 - a throwaway key for a local run
WAGTAILADMIN_BASE_URL = os.environ.get("LOAD_BASE_URL", "http://127.0.0.1:8100")

DATABASES = {"default": dj_database_url.parse(os.environ["LOAD_DATABASE_URL"], conn_max_age=60)}
ON_SQLITE = DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
if ON_SQLITE:
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    Q_CLUSTER = {**Q_CLUSTER, "orm": "default"}
else:
    REDIS_URL = os.environ.get("LOAD_REDIS_URL", "redis://127.0.0.1:6379/7")
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    Q_CLUSTER = {key: value for key, value in Q_CLUSTER.items() if key != "orm"}
    Q_CLUSTER["redis"] = REDIS_URL

# The production throttle, but for its ceiling on codes issued to everyone together (200 an
# hour): a run sends that many in minutes, and past it reports would go without a code,
# changing the mix being measured. Each simulated person stays under the per-address caps.
ANON_MESSAGING = {
    "CLIENT_IP_HEADER": "HTTP_X_FORWARDED_FOR",
    "THROTTLE": {"max_code_issues": 0},
}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "ERROR"}}
