"""Settings shared by the demo, the tests and the production example.

The database comes from DATABASE_URL (SQLite next to manage.py when unset), and
django-q2 uses the database as its broker unless REDIS_URL is set.
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent

INSTALLED_APPS = [
    "home",
    "anon_messaging",
    "wagtail_modeladmin",
    "wagtail.contrib.forms",
    # Pages in several languages: editors translate a page with "Translate" in its menu.
    "wagtail.contrib.simple_translation",
    "wagtail.locales",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_q",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language of a page comes from its address (/cy/..., /ar/...; English has none).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Django's CSRF check, also accepting the "Origin: null" that reporter pages' no-referrer
    # policy makes browsers send; the CSRF token still decides.
    "anon_messaging.security.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "demo_site.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

WSGI_APPLICATION = "demo_site.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}", conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # One writer at a time, waiting rather than failing when the cluster writes too; in
    # write-ahead-log mode, so readers never wait for the writer (bench/load measures it).
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Wagtail's search index uses PostgreSQL's GIN indexes, which Django 6.1 checks
    # django.contrib.postgres is installed for.
    INSTALLED_APPS.append("django.contrib.postgres")

# Advisers' and administrators' passwords guard every case: Django's full set of checks.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
# Pages in several languages (Wagtail's internationalisation): each language the app ships a
# translation for, named in itself. English pages keep their addresses; the others are
# under /cy/, /ar/ and so on (demo_site/urls.py).
WAGTAIL_I18N_ENABLED = True
LANGUAGES = WAGTAIL_CONTENT_LANGUAGES = [
    ("en-gb", "English"),
    ("cy", "Cymraeg"),
    ("fr", "Français"),
    ("de", "Deutsch"),
    ("es", "Español"),
    ("pl", "Polski"),
    ("uk", "Українська"),
    ("zh-hans", "简体中文"),
    ("ar", "العربية"),
]
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = BASE_DIR / "media"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

WAGTAIL_SITE_NAME = "Report and Support (demo)"
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
# No Gravatar images in the admin: each would send an adviser's email hash to another host.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
# The admin dashboard would otherwise ask another host for the latest Wagtail version.
WAGTAIL_ENABLE_UPDATE_CHECK = False
# Every password form (the admin's, Wagtail's /_util/login/) refuses an account or an
# address after repeated wrong passwords, counted under keyed hashes in the cache like the
# code log-in's throttle; the admin's form says how long to wait.
AUTHENTICATION_BACKENDS = [
    "anon_messaging.admin_login.PasswordThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
WAGTAILADMIN_USER_LOGIN_FORM = "anon_messaging.admin_login.ThrottledLoginForm"

# Reporter sessions: never readable by scripts, never sent on cross-site requests.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Strict"
CSRF_COOKIE_SAMESITE = "Strict"
# The CSRF cookie a report form hands out ends with the browser session, like the session
# cookie: a cookie kept for a year would be a trace of the visit on a shared device.
CSRF_COOKIE_AGE = None
# Database sessions whose reporter sessions expire after the idle time (not two weeks).
SESSION_ENGINE = "anon_messaging.sessions"
X_FRAME_OPTIONS = "DENY"
# For the admin and other non-reporter responses; reporter pages send no-referrer
# (ANON_MESSAGING["REFERRER_POLICY"]). Either way no other site gets a referrer.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
# W003 looks for Django's CSRF middleware by name; the app's subclass replaces it above,
# and the app's own checks (anon_messaging.E505/E506) make sure a CSRF middleware runs.
SILENCED_SYSTEM_CHECKS = ["security.W003"]
# A reporter whose form fails the CSRF check is told that nothing was sent and what to do.
CSRF_FAILURE_VIEW = "anon_messaging.security.csrf_failure"
# Error reports keep the traceback and the path, never what was sent or who sent it: no
# form data, cookies, headers or addresses. Under DEBUG too, for all but the admin's
# requests, since DEBUG shows the report as the error page.
DEFAULT_EXCEPTION_REPORTER_FILTER = "anon_messaging.error_reports.ReporterExceptionReporterFilter"

ANON_MESSAGING = {}

# Files sent to reporter pages and the case view stay in memory, never in a temporary file
# on disk, and are read no further than the site's limits (anon_messaging/uploads.py).
FILE_UPLOAD_HANDLERS = [
    "anon_messaging.uploads.AttachmentUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = "reports@example.org"

# django-q2: the database is the broker unless a Redis URL is given.
Q_CLUSTER = {
    "name": "anon_messaging",
    "workers": 2,
    "timeout": 60,
    "retry": 120,
    "catch_up": False,
    "max_attempts": 3,
    "orm": "default",
    "poll": 2,
}
if os.environ.get("REDIS_URL"):
    Q_CLUSTER.pop("orm")
    Q_CLUSTER["redis"] = os.environ["REDIS_URL"]

# Request lines are logged without client addresses; see docs/deployment.md.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "django-q": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
