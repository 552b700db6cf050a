"""A starting point for a real deployment. Every secret comes from the environment."""

import os

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
ALLOWED_HOSTS = [host for host in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if host]

SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_SSL_REDIRECT = True
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True

ANON_MESSAGING = {
    # Comma-separated Fernet keys, newest first (Fernet.generate_key()).
    "ENCRYPTION_KEYS": [k for k in os.environ.get("ANON_MESSAGING_KEYS", "").split(",") if k],
    # Behind a reverse proxy: the META key of the header it writes the client address to,
    # e.g. HTTP_X_FORWARDED_FOR (docs/deployment.md). Unset: REMOTE_ADDR.
    "CLIENT_IP_HEADER": os.environ.get("ANON_MESSAGING_CLIENT_IP_HEADER") or None,
}

# The log-in throttle's counters must be shared by every worker process, counted
# atomically and forgotten when they expire (they hold keyed hashes and counts only,
# never an address): Redis. The app's checks refuse the database cache for them.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
    }
}

# Evidence attachments: encrypted files in a directory no web server serves, readable by
# the site's user alone. An S3-compatible store instead: docs/attachments.md.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "anon_messaging_attachments": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": os.environ.get(
                "ANON_MESSAGING_ATTACHMENT_DIR", "/var/lib/anon_messaging/attachments"
            ),
            "file_permissions_mode": 0o600,
            "directory_permissions_mode": 0o700,
        },
    },
}
