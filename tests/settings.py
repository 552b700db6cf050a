"""Test settings: the example site with the cheapest argon2 profile and synchronous tasks."""

import os
import tempfile
from pathlib import Path

from argon2 import profiles
from demo_site.settings.base import *  # noqa: F403
from demo_site.settings.base import DATABASES, INSTALLED_APPS, Q_CLUSTER, TEMPLATES

SECRET_KEY = "tests-only-secret-key-7d1c2e3f4a5b6c7d8e9f0a1b2c3d4e5f"  # noqa: S105
DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

ANON_MESSAGING = {
    "ARGON2": {
        "time_cost": profiles.CHEAPEST.time_cost,
        "memory_cost": profiles.CHEAPEST.memory_cost,
        "parallelism": profiles.CHEAPEST.parallelism,
    },
}
# A served site under a flood of requests (tests/test_security_floods.py): the production
# argon2 cost, and the client address read from the header the test sends.
if os.environ.get("TEST_PRODUCTION_ARGON2"):
    ANON_MESSAGING.pop("ARGON2")
if os.environ.get("TEST_CLIENT_IP_HEADER"):
    ANON_MESSAGING["CLIENT_IP_HEADER"] = os.environ["TEST_CLIENT_IP_HEADER"]

# A site's own page classes built on the app's mixins (tests/testapp), for the tests only.
INSTALLED_APPS = ["tests.testapp", *INSTALLED_APPS]

# A served site inside a new Wagtail project's base.html, through docs/install.md's adapter
# (tests/browser/test_base_templates.py): the project's templates and static files first.
if os.environ.get("TEST_STARTER_PROJECT"):
    _starter = Path(os.environ["TEST_STARTER_PROJECT"])
    TEMPLATES = [{**TEMPLATES[0], "DIRS": [_starter / "templates", *TEMPLATES[0]["DIRS"]]}]
    STATICFILES_DIRS = [_starter / "static"]
    ANON_MESSAGING["BASE_TEMPLATE"] = "reporting_base.html"

# Tasks run inline so tests see their effects; the broker paths have their own tests.
Q_CLUSTER = {**Q_CLUSTER, "sync": True}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Attachments go to a directory of this run's own (a served site gets one from its test).
ATTACHMENT_ROOT = os.environ.get("TEST_ATTACHMENT_ROOT") or tempfile.mkdtemp(
    prefix="anon_messaging_test_attachments_"
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "anon_messaging_attachments": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": ATTACHMENT_ROOT},
    },
}

# Several runs may share one PostgreSQL server; each can name its own test database.
if os.environ.get("TEST_DATABASE_NAME"):
    DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ["TEST_DATABASE_NAME"]
