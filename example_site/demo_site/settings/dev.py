"""The demo: DEBUG on, mail printed to the console. Never use these settings in production."""

from .base import *  # noqa: F403

DEBUG = True
SECRET_KEY = "demo-only-not-secret-0f6c2b9a7e4d4c1b8a3e5d7f9b1c3e5a"  # noqa: S105
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
