"""Benchmark settings: the example site's base settings, production argon2, a throwaway database.

The database is ``DATABASE_URL`` when set (PostgreSQL; ``bench/run.py`` insists on a
dedicated database, see bench/README.md), otherwise a SQLite file that ``bench/run.py``
creates in a temporary directory and deletes afterwards. The argon2 parameters are NOT
overridden: log-in and submission are measured with the production defaults from
``anon_messaging/conf.py`` (RFC 9106 low-memory), unlike the test settings.
"""

import os
import tempfile
from pathlib import Path

from demo_site.settings.base import *  # noqa: F403
from demo_site.settings.base import DATABASES, INSTALLED_APPS, Q_CLUSTER

SECRET_KEY = "bench-only-secret-key-4b7e0c1d2a3f5e6d7c8b9a0f1e2d3c4b"  # noqa: S105
DEBUG = False
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]

# A bare Wagtail AbstractForm page to compare the report form with, and a plain modeladmin
# list to compare the advisers' case list with; both bench-only.
INSTALLED_APPS = [*INSTALLED_APPS, "bench.bare_forms", "bench.plain_admin"]

if not os.environ.get("DATABASE_URL"):
    # Never the demo's db.sqlite3: a file of the harness's own, same options as the base.
    DATABASES["default"] = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("BENCH_SQLITE_PATH")
        or str(Path(tempfile.gettempdir()) / f"anon_messaging_bench_{os.getpid()}.sqlite3"),
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        "CONN_MAX_AGE": 0,
    }

# Production argon2 parameters: the conf.py defaults, deliberately not overridden. The
# harness sends many reports with codes and log-ins from one address to time them, so the
# throttle's caps on codes and verifications are switched off (0) here, and only here.
ANON_MESSAGING = {
    "THROTTLE": {
        "address_max_code_issues": 0,
        "max_code_issues": 0,
        "address_max_verifications": 0,
        "case_max_verifications": 0,
        "no_case_max_verifications": 0,
    }
}

# Tasks run inline so the reminder scan's sends happen inside the measured call.
Q_CLUSTER = {**Q_CLUSTER, "sync": True}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "ERROR"},
}

# Attachments: a throwaway directory of the run's own (bench/run.py sets and removes it).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "anon_messaging_attachments": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": os.environ.get("BENCH_ATTACHMENT_ROOT")
            or str(Path(tempfile.gettempdir()) / f"anon_messaging_bench_files_{os.getpid()}")
        },
    },
}
