"""System checks: the app's settings, the task cluster's, and a deployment's.

``check_settings`` runs always (settings that would break pages at the first
report). ``check_cluster_settings`` guards the django-q2 settings that would replay or
duplicate reminders (E4xx/W4xx). ``check_deployment`` runs with ``manage.py check
--deploy``: settings that are fine for a demo but weaken a real site (E5xx/W5xx).

``check_settings_valid`` runs always too: it reports what ``conf.validate()`` finds
in ``ANON_MESSAGING`` (unknown keys, wrong types, numbers out of range) as
anon_messaging.E001 / E002 / E003.
"""

import logging
from pathlib import Path

from argon2 import profiles
from cryptography.fernet import Fernet
from django.conf import settings
from django.core import checks
from django.core.cache import InvalidCacheBackendError, caches
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.filebased import FileBasedCache
from django.core.cache.backends.locmem import LocMemCache
from django.utils.log import AdminEmailHandler
from django.utils.module_loading import import_string
from django.views.debug import SafeExceptionReporterFilter

from . import conf
from .conf import get_setting

# RFC 9106's second recommended option ("low-memory"): argon2id, t=3, 64 MiB.
RFC_9106_LOW_MEMORY = profiles.RFC_9106_LOW_MEMORY


SETTINGS_CHECK_IDS = {
    conf.UNKNOWN_KEY: "anon_messaging.E001",
    conf.WRONG_TYPE: "anon_messaging.E002",
    conf.BAD_VALUE: "anon_messaging.E003",
}


def check_settings_valid(app_configs=None, **kwargs):
    """Each problem ``conf.validate()`` finds in ANON_MESSAGING, as an error."""
    return [
        checks.Error(problem.message, hint=problem.hint, id=SETTINGS_CHECK_IDS[problem.kind])
        for problem in conf.validate()
    ]


def _wrong_type(name):
    """Whether ANON_MESSAGING[name] holds a value of the wrong type (anon_messaging.E002).

    The checks below skip such a setting rather than fail on it: Django runs checks in no
    set order, and a check that raised would hide the E002 that says what to fix.
    """
    prefix = f"ANON_MESSAGING[{name!r}]"
    return any(
        problem.kind == conf.WRONG_TYPE and problem.setting.startswith(prefix)
        for problem in conf.validate()
    )


def check_settings(app_configs=None, **kwargs):
    errors = [
        *_csrf_middleware_errors(),
        *_throttle_cache_errors(),
        *_attachment_storage_errors(),
        *_upload_handler_warnings(),
    ]
    keys = [] if _wrong_type("ENCRYPTION_KEYS") else get_setting("ENCRYPTION_KEYS")
    for position, key in enumerate(keys):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            errors.append(
                checks.Error(
                    f"ANON_MESSAGING['ENCRYPTION_KEYS'][{position}] is not a Fernet key.",
                    hint="Generate keys with cryptography's Fernet.generate_key(); each is 32 "
                    "bytes in URL-safe base64 (44 characters).",
                    id="anon_messaging.E502",
                )
            )
    return errors


def _attachment_storage_errors():
    """The attachments' directory must not be one a web server serves: their files are
    encrypted, but a listing would still show how many there are and when they came."""
    from . import attachment_storage

    if _wrong_type("ATTACHMENT_STORAGE"):
        return []
    try:
        location = attachment_storage.filesystem_location()
    except Exception:  # a storage that cannot be built is Django's own error to report
        return []
    if location is None:
        return []
    served = [
        (name, Path(value).resolve())
        for name in ("MEDIA_ROOT", "STATIC_ROOT")
        if (value := getattr(settings, name, None))
    ]
    return [
        checks.Error(
            f"The attachment storage's directory is inside {name}, which is served to "
            "anyone who asks.",
            hint="Give the storage in STORAGES[ANON_MESSAGING['ATTACHMENT_STORAGE']] a "
            "'location' outside MEDIA_ROOT and STATIC_ROOT (docs/attachments.md).",
            id="anon_messaging.E508",
        )
        for name, root in served
        if location == root or root in location.parents
    ]


def _upload_handler_warnings():
    from .uploads import HANDLER_PATH

    handlers = list(getattr(settings, "FILE_UPLOAD_HANDLERS", []))
    if handlers[:1] == [HANDLER_PATH]:
        return []
    return [
        checks.Warning(
            "Reporters' files over 2.5 MB would be written to a temporary file on disk, "
            "unencrypted and with all their metadata, while their request lasts, and a "
            "file of any size would be read whole.",
            hint=f"Put {HANDLER_PATH!r} first in FILE_UPLOAD_HANDLERS (docs/attachments.md).",
            id="anon_messaging.W510",
        )
    ]


def _throttle_cache_errors():
    """The throttle's counters hold keyed hashes of an address and a case: a cache that
    keeps them past their expiry (a table, files) would keep that link, and its ``incr``
    is not atomic, so the caps would not hold under parallel requests."""
    if _wrong_type("THROTTLE"):
        return []
    alias = get_setting("THROTTLE")["cache_alias"]
    try:
        cache = caches[alias]
    except InvalidCacheBackendError:
        return []  # E504 says so
    if not isinstance(cache, DatabaseCache | FileBasedCache):
        return []
    return [
        checks.Error(
            f"The throttle's cache {alias!r} is a {type(cache).__name__}: it keeps expired "
            "counters (keyed hashes of an address and a case) and does not count atomically.",
            hint="Use Redis (django.core.cache.backends.redis.RedisCache) or Memcached for "
            "the cache in ANON_MESSAGING['THROTTLE']['cache_alias']; LocMemCache will do "
            "for a single process.",
            id="anon_messaging.E507",
        )
    ]


def _csrf_middleware_errors():
    """A CSRF middleware must run, and under no-referrer it must be the app's own.

    Django's security.W003 looks for its middleware by name only, so a site using the
    app's subclass silences W003; this check takes its place.
    """
    from django.conf import settings
    from django.middleware.csrf import CsrfViewMiddleware as DjangoCsrfViewMiddleware
    from django.utils.module_loading import import_string

    from .security import CsrfViewMiddleware

    classes = []
    for path in settings.MIDDLEWARE:
        try:
            middleware = import_string(path)
        except ImportError:
            continue
        if isinstance(middleware, type):
            classes.append(middleware)
    if not any(issubclass(cls, DjangoCsrfViewMiddleware) for cls in classes):
        return [
            checks.Error(
                "No CSRF middleware is in MIDDLEWARE: reporters' and advisers' forms could "
                "be posted from other sites.",
                hint="Add anon_messaging.security.CsrfViewMiddleware to MIDDLEWARE.",
                id="anon_messaging.E506",
            )
        ]
    if get_setting("REFERRER_POLICY") == "no-referrer" and not any(
        issubclass(cls, CsrfViewMiddleware) for cls in classes
    ):
        return [
            checks.Error(
                "Reporter pages use Referrer-Policy: no-referrer, but MIDDLEWARE lacks "
                "anon_messaging.security.CsrfViewMiddleware, so browsers' report and message "
                "posts (sent with Origin: null) would all fail the CSRF check.",
                hint="Replace django.middleware.csrf.CsrfViewMiddleware with "
                "anon_messaging.security.CsrfViewMiddleware in MIDDLEWARE, or set "
                "ANON_MESSAGING['REFERRER_POLICY'] = 'same-origin'.",
                id="anon_messaging.E505",
            )
        ]
    return []


def check_deployment(app_configs=None, **kwargs):
    return [
        *_encryption_key_warnings(),
        *_argon2_warnings(),
        *_throttle_cache_warnings(),
        *_cookie_warnings(),
        *_session_engine_warnings(),
        *_error_email_warnings(),
        *_admin_login_warnings(),
        *_csrf_cookie_warnings(),
    ]


def _encryption_key_warnings():
    if get_setting("ENCRYPTION_KEYS"):
        return []
    return [
        checks.Warning(
            "ANON_MESSAGING['ENCRYPTION_KEYS'] is empty, so report text is encrypted with a "
            "key derived from SECRET_KEY.",
            hint="Set at least one key of its own (Fernet.generate_key()), kept apart from "
            "SECRET_KEY and from database backups. See docs/deployment.md.",
            id="anon_messaging.W501",
        )
    ]


def _argon2_warnings():
    if _wrong_type("ARGON2"):
        return []
    params = get_setting("ARGON2")
    weaker = [
        f"{name}={params[name]} (at least {minimum})"
        for name, minimum in (
            ("time_cost", RFC_9106_LOW_MEMORY.time_cost),
            ("memory_cost", RFC_9106_LOW_MEMORY.memory_cost),
        )
        if params[name] < minimum
    ]
    if not weaker:
        return []
    return [
        checks.Warning(
            "ANON_MESSAGING['ARGON2'] is below RFC 9106's low-memory profile: "
            + ", ".join(weaker)
            + ".",
            hint="Codes are hashed with these parameters; use t=3, 64 MiB (65536) or more. "
            "Raising them later is safe: hashes are upgraded at the next log-in.",
            id="anon_messaging.W503",
        )
    ]


def _throttle_cache_warnings():
    if _wrong_type("THROTTLE"):
        return []
    alias = get_setting("THROTTLE")["cache_alias"]
    try:
        cache = caches[alias]
    except InvalidCacheBackendError:
        return [
            checks.Error(
                f"The throttle's cache {alias!r} cannot be used.",
                hint="Set ANON_MESSAGING['THROTTLE']['cache_alias'] to a cache in CACHES.",
                id="anon_messaging.E504",
            )
        ]
    if isinstance(cache, DummyCache):
        problem = "keeps nothing, so failed code log-ins are never throttled"
    elif isinstance(cache, LocMemCache):
        problem = "is per process, so each worker counts failed code log-ins on its own"
    else:
        return []
    return [
        checks.Warning(
            f"The throttle's cache {alias!r} ({type(cache).__name__}) {problem}.",
            hint="Use a cache all workers share and that counts atomically, such as Redis "
            "(django.core.cache.backends.redis.RedisCache) or Memcached.",
            id="anon_messaging.W504",
        )
    ]


def _cookie_warnings():
    if getattr(settings, "SESSION_COOKIE_SAMESITE", None) == "Strict":
        return []
    return [
        checks.Warning(
            "SESSION_COOKIE_SAMESITE is not 'Strict'.",
            hint="A reporter's session should never travel with a request another site "
            "starts. Set SESSION_COOKIE_SAMESITE = 'Strict'.",
            id="anon_messaging.W505",
        )
    ]


def _session_engine_warnings():
    from importlib import import_module

    from .sessions import SessionStore

    try:
        engine = import_module(settings.SESSION_ENGINE).SessionStore
    except (ImportError, AttributeError):
        engine = None
    if isinstance(engine, type) and issubclass(engine, SessionStore):
        return []
    return [
        checks.Warning(
            "SESSION_ENGINE is not anon_messaging.sessions, so a reporter's session row, "
            "which maps a session to a case, stays for SESSION_COOKIE_AGE (two weeks by "
            "default) after the reporter leaves.",
            hint="Set SESSION_ENGINE = 'anon_messaging.sessions' (database sessions whose "
            "reporter sessions expire after ANON_MESSAGING['SESSION_IDLE_SECONDS']).",
            id="anon_messaging.W509",
        )
    ]


def _error_email_warnings():
    if not getattr(settings, "ADMINS", None):
        return []
    emailing = [
        name
        for name in ("django", "django.request", "django.security")
        if any(isinstance(h, AdminEmailHandler) for h in logging.getLogger(name).handlers)
    ]
    if not emailing:
        return []
    reporter_filter = import_string(settings.DEFAULT_EXCEPTION_REPORTER_FILTER)
    if (
        reporter_filter.get_safe_request_meta
        is not SafeExceptionReporterFilter.get_safe_request_meta
    ):
        return []  # the site's filter decides what an error report says about the request
    return [
        checks.Warning(
            "Error emails to ADMINS are switched on, and error reports list the request's "
            "headers: the client's address, user agent and referrer.",
            hint="Set DEFAULT_EXCEPTION_REPORTER_FILTER to "
            "'anon_messaging.error_reports.ReporterExceptionReporterFilter', or route the "
            "'django' logger away from mail_admins, or leave ADMINS empty "
            "(docs/deployment.md).",
            id="anon_messaging.W506",
        )
    ]


def _admin_login_warnings():
    """The admin's log-in form must be the throttled one (or a subclass of it)."""
    from .admin_login import ThrottledLoginForm

    path = getattr(settings, "WAGTAILADMIN_USER_LOGIN_FORM", None)
    try:
        form = import_string(path) if path else None
    except ImportError:
        form = None
    if isinstance(form, type) and issubclass(form, ThrottledLoginForm):
        return []
    return [
        checks.Warning(
            "WAGTAILADMIN_USER_LOGIN_FORM is not anon_messaging.admin_login.ThrottledLoginForm "
            "(or a subclass), so advisers' and administrators' passwords can be guessed at "
            "the admin's log-in without limit.",
            hint="Set WAGTAILADMIN_USER_LOGIN_FORM = "
            "'anon_messaging.admin_login.ThrottledLoginForm' (docs/install.md).",
            id="anon_messaging.W507",
        )
    ]


def _csrf_cookie_warnings():
    if getattr(settings, "CSRF_USE_SESSIONS", False):
        return []
    if getattr(settings, "CSRF_COOKIE_AGE", None) is None:
        return []
    return [
        checks.Warning(
            "CSRF_COOKIE_AGE is set, so the CSRF cookie a report form hands out outlives the "
            "browser session: a trace of the visit left on a shared device.",
            hint="Set CSRF_COOKIE_AGE = None, so that the cookie ends when the browser "
            "closes (or CSRF_USE_SESSIONS = True).",
            id="anon_messaging.W508",
        )
    ]


def check_cluster_settings(app_configs=None, **kwargs):
    """Warn about django-q2 settings that would replay or duplicate reminders."""
    errors = []
    cluster = getattr(settings, "Q_CLUSTER", {})
    if cluster.get("catch_up", True):
        errors.append(
            checks.Warning(
                "Q_CLUSTER['catch_up'] is not False.",
                hint="Set it to False so a cluster that was down does not replay every "
                "missed reminder scan at start.",
                id="anon_messaging.W401",
            )
        )
    retry = cluster.get("retry", 60)
    for name, timeout in (
        ("Q_CLUSTER['timeout']", cluster.get("timeout")),
        ("ANON_MESSAGING['REMINDER_TASK_TIMEOUT']", get_setting("REMINDER_TASK_TIMEOUT")),
    ):
        # None is no timeout; another type is reported by anon_messaging.E002.
        if isinstance(timeout, int | float) and timeout >= retry:
            errors.append(
                checks.Error(
                    f"{name} ({timeout}) is not below Q_CLUSTER['retry'] ({retry}).",
                    hint="A task still running when 'retry' passes is handed to another "
                    "worker. Keep the timeout below it.",
                    id="anon_messaging.E402",
                )
            )
    return errors
