"""System checks: the app's settings, the task cluster's, and a deployment's.

``check_settings`` runs always (settings that would break pages at the first
report). ``check_cluster_settings`` guards the django-q2 settings that would replay or
duplicate reminders (E4xx/W4xx). ``check_deployment`` runs with ``manage.py check
--deploy``: settings that are fine for a demo but weaken a real site (E5xx/W5xx).

``check_settings_valid`` runs always too: it reports what ``conf.validate()`` finds
in ``ANON_MESSAGING`` (unknown keys, wrong types, numbers out of range) as
anon_messaging.E001 / E002 / E003.

``check_report_forms`` needs the database (``manage.py check --database default``, and
``migrate``): it lists the anonymous report forms whose questions ask who the reporter
is (``form_rules.py``), W601 for each. ``check_identity_words`` warns (W602) about a
language of the site with no identity-asking words, whose questions nothing would flag.

``check_installation`` runs always: every requirement docs/install.md states (apps,
middleware, context processors, the base template and its blocks, SQLite's options, the
task cluster) as E6xx/W6xx. Every message says what to change, in the message itself:
a site installed with pip has no docs folder to look in.

Every message and hint is translated when its check runs, into the active language (the
site's LANGUAGE_CODE under ``manage.py``). Setting names, dotted paths, code and values
are placeholders, kept out of the text translators translate.
"""

import logging
from pathlib import Path

from argon2 import profiles
from cryptography.fernet import Fernet
from django.apps import apps as django_apps
from django.conf import settings
from django.core import checks
from django.core.cache import InvalidCacheBackendError, caches
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.filebased import FileBasedCache
from django.core.cache.backends.locmem import LocMemCache
from django.utils.log import AdminEmailHandler
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy
from django.views.debug import SafeExceptionReporterFilter

from . import conf, form_rules
from .conf import get_setting

# RFC 9106's second recommended option ("low-memory"): argon2id, t=3, 64 MiB.
RFC_9106_LOW_MEMORY = profiles.RFC_9106_LOW_MEMORY

# Names the messages quote, kept out of the translated text (they stay as they are written).
PACKAGE = "anon_messaging"
APP_CSRF_MIDDLEWARE = "anon_messaging.security.CsrfViewMiddleware"
THROTTLING_AUTH_BACKEND = "anon_messaging.admin_login.PasswordThrottleBackend"
THROTTLED_LOGIN_FORM = "anon_messaging.admin_login.ThrottledLoginForm"
REDIS_CACHE = "django.core.cache.backends.redis.RedisCache"
THROTTLE_CACHE_ALIAS = "ANON_MESSAGING['THROTTLE']['cache_alias']"


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
                    _("%(setting)s is not a Fernet key.")
                    % {"setting": f"ANON_MESSAGING['ENCRYPTION_KEYS'][{position}]"},
                    hint=_(
                        # Translators: %(function)s is Fernet.generate_key(), kept as is.
                        "Generate keys with cryptography's %(function)s; each is 32 bytes in "
                        "URL-safe base64 (44 characters)."
                    )
                    % {"function": "Fernet.generate_key()"},
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
            _(
                # Translators: %(setting)s is MEDIA_ROOT or STATIC_ROOT.
                "The attachment storage's directory is inside %(setting)s, which is served to "
                "anyone who asks."
            )
            % {"setting": name},
            hint=_(
                # Translators: %(option)r is the storage's option 'location', kept as is;
                # %(example)s is a path in Python, BASE_DIR / 'private' / 'attachments'.
                "Give the storage in %(storage)s a %(option)r outside %(media_root)s and "
                "%(static_root)s, in a directory only the site's processes can read, such as "
                "%(example)s."
            )
            % {
                "storage": "STORAGES[ANON_MESSAGING['ATTACHMENT_STORAGE']]",
                "option": "location",
                "media_root": "MEDIA_ROOT",
                "static_root": "STATIC_ROOT",
                "example": "BASE_DIR / 'private' / 'attachments'",
            },
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
            _(
                "Reporters' files over 2.5 MB would be written to a temporary file on disk, "
                "unencrypted and with all their metadata, while their request lasts, and a "
                "file of any size would be read whole."
            ),
            hint=_(
                # Translators: %(handler)r is the app's upload handler's dotted path;
                # %(memory)s and %(temporary)s are the names of Django's two upload handlers.
                "Put %(handler)r first in %(setting)s, before Django's %(memory)s and "
                "%(temporary)s."
            )
            % {
                "handler": HANDLER_PATH,
                "setting": "FILE_UPLOAD_HANDLERS",
                "memory": "MemoryFileUploadHandler",
                "temporary": "TemporaryFileUploadHandler",
            },
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
        names = {"alias": alias, "caches": "CACHES", "setting": THROTTLE_CACHE_ALIAS}
        if settings.CACHES:
            hint = _(
                "Add a cache named %(alias)r to %(caches)s, or set %(setting)s to one of "
                "%(aliases)s."
            ) % {**names, "aliases": ", ".join(repr(name) for name in settings.CACHES)}
        else:
            hint = (
                _("Add a cache named %(alias)r to %(caches)s, or set %(setting)s to one of yours.")
                % names
            )
        return [
            checks.Error(
                _(
                    # Translators: %(alias)r is the name of a cache, in quotes.
                    "The throttle's cache %(alias)r is not in %(setting)s, so every code "
                    "log-in would fail."
                )
                % {"alias": alias, "setting": "CACHES"},
                hint=hint,
                id="anon_messaging.E504",
            )
        ]
    if not isinstance(cache, DatabaseCache | FileBasedCache):
        return []
    return [
        checks.Error(
            _(
                # Translators: %(alias)r is the name of a cache, in quotes; %(backend)s the name
                # of its Python class, such as DatabaseCache.
                "The throttle's cache %(alias)r is a %(backend)s: it keeps expired counters "
                "(keyed hashes of an address and a case) and does not count atomically."
            )
            % {"alias": alias, "backend": type(cache).__name__},
            hint=_(
                "Use Redis (%(redis)s) or Memcached for the cache in %(setting)s; %(locmem)s "
                "will do for a single process."
            )
            % {
                "redis": REDIS_CACHE,
                "setting": THROTTLE_CACHE_ALIAS,
                "locmem": "LocMemCache",
            },
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
                _(
                    "No CSRF middleware is in %(setting)s: reporters' and advisers' forms "
                    "could be posted from other sites."
                )
                % {"setting": "MIDDLEWARE"},
                # Translators: %(name)s is a dotted path or a piece of Python, kept as is;
                # %(setting)s the setting to add it to.
                hint=_("Add %(name)s to %(setting)s.")
                % {"name": APP_CSRF_MIDDLEWARE, "setting": "MIDDLEWARE"},
                id="anon_messaging.E506",
            )
        ]
    if get_setting("REFERRER_POLICY") == "no-referrer" and not any(
        issubclass(cls, CsrfViewMiddleware) for cls in classes
    ):
        return [
            checks.Error(
                _(
                    # Translators: %(policy)s and %(origin)s are HTTP headers with their values,
                    # kept as is.
                    "Reporter pages use %(policy)s, but %(setting)s lacks %(middleware)s, so "
                    "browsers' report and message posts (sent with %(origin)s) would all fail "
                    "the CSRF check."
                )
                % {
                    "policy": "Referrer-Policy: no-referrer",
                    "setting": "MIDDLEWARE",
                    "middleware": APP_CSRF_MIDDLEWARE,
                    "origin": "Origin: null",
                },
                hint=_(
                    # Translators: %(assignment)s is a line of Python settings, kept as is.
                    "Replace %(django_middleware)s with %(middleware)s in %(setting)s, or set "
                    "%(assignment)s."
                )
                % {
                    "django_middleware": "django.middleware.csrf.CsrfViewMiddleware",
                    "middleware": APP_CSRF_MIDDLEWARE,
                    "setting": "MIDDLEWARE",
                    "assignment": "ANON_MESSAGING['REFERRER_POLICY'] = 'same-origin'",
                },
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
            _(
                "%(setting)s is empty, so report text is encrypted with a key derived from "
                "%(secret_key)s."
            )
            % {"setting": "ANON_MESSAGING['ENCRYPTION_KEYS']", "secret_key": "SECRET_KEY"},
            hint=_(
                # Translators: %(assignment)s is a line of Python settings and %(command)s a
                # shell command, both kept as is.
                "Set %(assignment)s with a key made by %(command)s, read from the environment "
                "and kept apart from %(secret_key)s and from database backups."
            )
            % {
                "assignment": "ANON_MESSAGING['ENCRYPTION_KEYS'] = ['<key>']",
                "command": 'python -c "from cryptography.fernet import Fernet; '
                'print(Fernet.generate_key().decode())"',
                "secret_key": "SECRET_KEY",
            },
            id="anon_messaging.W501",
        )
    ]


def _argon2_warnings():
    if _wrong_type("ARGON2"):
        return []
    params = get_setting("ARGON2")
    weaker = [
        # Translators: one of the list after "is below RFC 9106's low-memory profile:",
        # such as "time_cost=1 (at least 3)"; %(name)s is the parameter's name, kept as is.
        _("%(name)s=%(value)s (at least %(minimum)s)")
        % {"name": name, "value": params[name], "minimum": minimum}
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
            _("%(setting)s is below RFC 9106's low-memory profile: %(parameters)s.")
            % {"setting": "ANON_MESSAGING['ARGON2']", "parameters": ", ".join(weaker)},
            hint=_(
                "Codes are hashed with these parameters; use t=3, 64 MiB (65536) or more. "
                "Raising them later is safe: hashes are upgraded at the next log-in."
            ),
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
        return []  # anon_messaging.E504, which runs without --deploy too, says so
    names = {"alias": alias, "backend": type(cache).__name__}
    if isinstance(cache, DummyCache):
        message = _(
            # Translators: %(alias)r is the name of a cache, in quotes; %(backend)s the name of
            # its Python class, DummyCache.
            "The throttle's cache %(alias)r (%(backend)s) keeps nothing, so failed code "
            "log-ins are never throttled."
        )
    elif isinstance(cache, LocMemCache):
        message = _(
            # Translators: %(alias)r is the name of a cache, in quotes; %(backend)s the name of
            # its Python class, LocMemCache.
            "The throttle's cache %(alias)r (%(backend)s) is per process, so each worker "
            "counts failed code log-ins on its own."
        )
    else:
        return []
    return [
        checks.Warning(
            message % names,
            hint=_(
                "Use a cache all workers share and that counts atomically, such as Redis "
                "(%(redis)s) or Memcached."
            )
            % {"redis": REDIS_CACHE},
            id="anon_messaging.W504",
        )
    ]


def _cookie_warnings():
    if getattr(settings, "SESSION_COOKIE_SAMESITE", None) == "Strict":
        return []
    return [
        checks.Warning(
            # Translators: %(value)s is a Python value, kept as is, such as 'Strict' or False.
            _("%(setting)s is not %(value)s.")
            % {"setting": "SESSION_COOKIE_SAMESITE", "value": repr("Strict")},
            hint=_(
                # Translators: %(assignment)s is a line of Python settings, kept as is.
                "A reporter's session should never travel with a request another site starts. "
                "Set %(assignment)s."
            )
            % {"assignment": "SESSION_COOKIE_SAMESITE = 'Strict'"},
            id="anon_messaging.W505",
        )
    ]


def _names_a_subclass(path, base):
    """Whether the dotted ``path`` a setting holds imports as ``base`` or a subclass of it."""
    try:
        found = import_string(path) if path else None
    except ImportError:
        found = None
    return isinstance(found, type) and issubclass(found, base)


def _session_engine_warnings():
    from .sessions import SessionStore

    if _names_a_subclass(f"{settings.SESSION_ENGINE}.SessionStore", SessionStore):
        return []
    return [
        checks.Warning(
            _(
                # Translators: %(engine)s is a dotted path; %(age_setting)s the setting that
                # says how long a session lasts.
                "%(setting)s is not %(engine)s, so a reporter's session row, which maps a "
                "session to a case, stays for %(age_setting)s (two weeks by default) after the "
                "reporter leaves."
            )
            % {
                "setting": "SESSION_ENGINE",
                "engine": "anon_messaging.sessions",
                "age_setting": "SESSION_COOKIE_AGE",
            },
            hint=_(
                # Translators: %(assignment)s is a line of Python settings, kept as is.
                "Set %(assignment)s (database sessions whose reporter sessions expire after "
                "%(idle_setting)s)."
            )
            % {
                "assignment": "SESSION_ENGINE = 'anon_messaging.sessions'",
                "idle_setting": "ANON_MESSAGING['SESSION_IDLE_SECONDS']",
            },
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
            _(
                "Error emails to %(setting)s are switched on, and error reports list the "
                "request's headers: the client's address, user agent and referrer."
            )
            % {"setting": "ADMINS"},
            hint=_(
                # Translators: %(filter)r is a dotted path; %(logger)r the name of Python's
                # logger 'django' and %(handler)s the name of Django's handler mail_admins.
                "Set %(setting)s to %(filter)r, or route the %(logger)r logger away from "
                "%(handler)s, or leave %(admins)s empty."
            )
            % {
                "setting": "DEFAULT_EXCEPTION_REPORTER_FILTER",
                "filter": "anon_messaging.error_reports.ReporterExceptionReporterFilter",
                "logger": "django",
                "handler": "mail_admins",
                "admins": "ADMINS",
            },
            id="anon_messaging.W506",
        )
    ]


def _admin_login_warnings():
    """Every password form is throttled (the backend first in AUTHENTICATION_BACKENDS),
    and the admin's log-in form is the throttled one (or a subclass), which says how
    long to wait."""
    from .admin_login import PasswordThrottleBackend, ThrottledLoginForm

    warnings = []
    backends = list(getattr(settings, "AUTHENTICATION_BACKENDS", []))
    if not backends or not _names_a_subclass(backends[0], PasswordThrottleBackend):
        warnings.append(
            checks.Warning(
                _(
                    # Translators: %(backend)s is a dotted path; %(path)s the address of
                    # Wagtail's own log-in page.
                    "%(setting)s does not start with %(backend)s, so passwords can be guessed "
                    "without limit at log-in forms other than the admin's (such as Wagtail's "
                    "%(path)s)."
                )
                % {
                    "setting": "AUTHENTICATION_BACKENDS",
                    "backend": THROTTLING_AUTH_BACKEND,
                    "path": "/_util/login/",
                },
                # Translators: %(backend)r and %(model_backend)r are dotted paths, in quotes.
                hint=_("Put %(backend)r first in %(setting)s, before %(model_backend)r.")
                % {
                    "backend": THROTTLING_AUTH_BACKEND,
                    "setting": "AUTHENTICATION_BACKENDS",
                    "model_backend": "django.contrib.auth.backends.ModelBackend",
                },
                id="anon_messaging.W511",
            )
        )
    if _names_a_subclass(
        getattr(settings, "WAGTAILADMIN_USER_LOGIN_FORM", None), ThrottledLoginForm
    ):
        return warnings
    return [
        *warnings,
        checks.Warning(
            _(
                # Translators: %(form)s is a dotted path.
                "%(setting)s is not %(form)s (or a subclass), so advisers' and administrators' "
                "passwords can be guessed at the admin's log-in without limit."
            )
            % {
                "setting": "WAGTAILADMIN_USER_LOGIN_FORM",
                "form": THROTTLED_LOGIN_FORM,
            },
            # Translators: %(assignment)s is a line of Python settings, kept as is.
            hint=_("Set %(assignment)s.")
            % {"assignment": f"WAGTAILADMIN_USER_LOGIN_FORM = {THROTTLED_LOGIN_FORM!r}"},
            id="anon_messaging.W507",
        ),
    ]


def _csrf_cookie_warnings():
    if getattr(settings, "CSRF_USE_SESSIONS", False):
        return []
    if getattr(settings, "CSRF_COOKIE_AGE", None) is None:
        return []
    return [
        checks.Warning(
            _(
                "%(setting)s is set, so the CSRF cookie a report form hands out outlives the "
                "browser session: a trace of the visit left on a shared device."
            )
            % {"setting": "CSRF_COOKIE_AGE"},
            hint=_(
                # Translators: %(assignment)s and %(alternative)s are lines of Python settings,
                # kept as is.
                "Set %(assignment)s, so that the cookie ends when the browser closes (or "
                "%(alternative)s)."
            )
            % {
                "assignment": "CSRF_COOKIE_AGE = None",
                "alternative": "CSRF_USE_SESSIONS = True",
            },
            id="anon_messaging.W508",
        )
    ]


def check_cluster_settings(app_configs=None, **kwargs):
    """Warn about django-q2 settings that would replay or duplicate reminders."""
    errors = []
    cluster = getattr(settings, "Q_CLUSTER", None)
    if cluster is None:
        cluster = {}  # anon_messaging.W630 says so; the timeout below still applies
    elif cluster.get("catch_up", True):
        errors.append(
            checks.Warning(
                _("%(setting)s is not %(value)s.")
                % {"setting": "Q_CLUSTER['catch_up']", "value": "False"},
                hint=_(
                    # Translators: %(value)s is Python's False, kept as is.
                    "Set it to %(value)s so a cluster that was down does not replay every "
                    "missed reminder scan at start."
                )
                % {"value": "False"},
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
                    # Translators: %(setting)s and %(retry_setting)s are settings, each
                    # followed by its value in brackets.
                    _("%(setting)s (%(timeout)s) is not below %(retry_setting)s (%(retry)s).")
                    % {
                        "setting": name,
                        "timeout": timeout,
                        "retry_setting": "Q_CLUSTER['retry']",
                        "retry": retry,
                    },
                    hint=_(
                        # Translators: %(retry)r is the name of django-q2's setting 'retry'.
                        "A task still running when %(retry)r passes is handed to another "
                        "worker. Keep the timeout below it."
                    )
                    % {"retry": "retry"},
                    id="anon_messaging.E402",
                )
            )
    return errors


# --- Anonymous forms stay anonymous ---------------------------------------------------


def check_report_forms(app_configs=None, databases=None, **kwargs):
    """W601: each page of a report form type that breaks ``form_rules``' rule as saved.

    Registered with the database tag, so it runs when asked for with a database
    (``check --database default``, ``migrate``), never on a plain start-up.
    """
    if not databases:
        return []
    from django.db import DatabaseError

    from .pages import ReportFormMixin

    warnings = []
    try:
        page_classes = [
            model
            for model in django_apps.get_models()
            if issubclass(model, ReportFormMixin) and not model._meta.abstract
        ]
        for page_class in page_classes:
            pages = page_class.objects.filter(reporting_route="anonymous").prefetch_related(
                "form_fields"
            )
            for page in pages.order_by("path"):
                found = form_rules.page_findings(page)
                if found:
                    warnings.append(_report_form_warning(page, found))
    except DatabaseError:
        return []  # not migrated yet: nothing to list
    return warnings


def _report_form_warning(page, found):
    if page.live:
        message = _(
            # Translators: %(title)s is the page's title, %(id)s its number and %(path)s its
            # place in the page tree; %(findings)s says, question by question, what is wrong.
            "The anonymous report form “%(title)s” (page %(id)s, %(path)s, live) asks who "
            "the reporter is: %(findings)s"
        )
    else:
        message = _(
            # Translators: %(title)s is the page's title, %(id)s its number and %(path)s its
            # place in the page tree; %(findings)s says, question by question, what is wrong.
            "The anonymous report form “%(title)s” (page %(id)s, %(path)s, not live) asks "
            "who the reporter is: %(findings)s"
        )
    return checks.Warning(
        message
        % {
            "title": page.title,
            "id": page.pk,
            "path": page.url_path,
            "findings": " ".join(finding.describe() for finding in found),
        },
        hint=_(
            "Reword or remove these questions in the page editor; email, web address and "
            "hidden questions are never shown on an anonymous form. If the form truly needs "
            "one, someone with the permission to confirm such questions gives the reason when "
            "publishing, in the page editor's publish dialogue."
        ),
        obj=page,
        id="anon_messaging.W601",
    )


def check_identity_words(app_configs=None, **kwargs):
    """W602: a language of the site with no identity-asking words."""
    if _wrong_type("IDENTITY_WORDS"):
        return []
    words = get_setting("IDENTITY_WORDS")
    missing = [
        code for code in conf.site_languages() if not conf.words_for_languages(words, [code])
    ]
    return [
        checks.Warning(
            _(
                # Translators: %(code)r is a language code, such as 'cy', in quotes.
                "%(setting)s has no words for the site's language %(code)r, so questions in it "
                "that ask who the reporter is are not flagged."
            )
            % {"setting": "ANON_MESSAGING['IDENTITY_WORDS']", "code": code},
            hint=_(
                # Translators: %(setting)s is the setting to add, such as
                # ANON_MESSAGING['IDENTITY_WORDS']['cy'].
                "Add %(setting)s: the words for a name, an email address, a phone number, a "
                "student or staff number and an address in that language."
            )
            % {"setting": f"ANON_MESSAGING['IDENTITY_WORDS'][{code.split('-')[0]!r}]"},
            id="anon_messaging.W602",
        )
        for code in missing
    ]


# --- What docs/install.md asks of a site (E6xx/W6xx) ----------------------------------------

# The notice the messages framework carries to a reporter, quoted in what the apps, the
# middleware and the context processors below are for: the pages' own translation of it.
SENT_NOTICE = gettext_lazy("Your message was sent.")

# The apps the app needs besides Wagtail's own, and what each is for: each ends "INSTALLED_APPS
# lacks 'django_q', which anon_messaging needs ...", and may quote %(notice)s.
REQUIRED_APPS = [
    (
        "wagtail_modeladmin",
        pgettext_lazy(
            "what the app needs another app for", "for the advisers' case list and case view"
        ),
    ),
    (
        "wagtail.contrib.forms",
        pgettext_lazy(
            "what the app needs another app for", "for the question builder of report forms"
        ),
    ),
    (
        "wagtail.contrib.routable_page",
        pgettext_lazy(
            "what the app needs another app for",
            "for the messaging page's log-in, send and log-out",
        ),
    ),
    (
        "wagtail.contrib.settings",
        pgettext_lazy("what the app needs another app for", "for each site's Reporting settings"),
    ),
    (
        "django_q",
        pgettext_lazy(
            "what the app needs another app for",
            "to alert advisers, send reminders and delete closed cases after retention",
        ),
    ),
    (
        "django.contrib.sessions",
        pgettext_lazy("what the app needs another app for", "for a reporter's messaging session"),
    ),
    (
        "django.contrib.messages",
        # Translators: %(notice)s is the notice "Your message was sent." as reporters see it.
        pgettext_lazy("what the app needs another app for", "for notices such as '%(notice)s'"),
    ),
]

# Each purpose ends "MIDDLEWARE lacks <dotted path>, which anon_messaging needs for ...".
REQUIRED_MIDDLEWARE = [
    (
        "django.contrib.sessions.middleware.SessionMiddleware",
        pgettext_lazy("what the app needs a middleware for", "a reporter's messaging session"),
    ),
    (
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        pgettext_lazy("what the app needs a middleware for", "advisers' log-in to the case list"),
    ),
    (
        "django.contrib.messages.middleware.MessageMiddleware",
        # Translators: %(notice)s is the notice "Your message was sent." as reporters see it.
        pgettext_lazy("what the app needs a middleware for", "notices such as '%(notice)s'"),
    ),
]

DJANGO_TEMPLATES = "django.template.backends.django.DjangoTemplates"
# Each reason ends "TEMPLATES' context processors lack <dotted path>: ...".
CONTEXT_PROCESSORS = [
    (
        "django.template.context_processors.request",
        pgettext_lazy(
            "what goes wrong without a context processor",
            # Translators: %(sla)s is {sla}, the placeholder editors write in the Reporting
            # settings' texts, kept as is.
            "the pages read the site's Reporting settings (the %(sla)s response time, the "
            "quick exit address) from the request; without it they show the defaults",
        ),
        checks.Error,
        "anon_messaging.E603",
    ),
    (
        "django.contrib.messages.context_processors.messages",
        pgettext_lazy(
            "what goes wrong without a context processor",
            # Translators: %(notice)s is the notice "Your message was sent." as reporters see
            # it.
            "a reporter would never see notices such as '%(notice)s'",
        ),
        checks.Error,
        "anon_messaging.E603",
    ),
    (
        "django.template.context_processors.i18n",
        pgettext_lazy(
            "what goes wrong without a context processor",
            "the app's base template could not give the page's language in <html lang>",
        ),
        checks.Warning,
        "anon_messaging.W604",
    ),
]


def _purpose(words):
    """One of the purposes above, in the active language, its placeholders filled."""
    return str(words) % {"notice": str(SENT_NOTICE), "sla": "{sla}"}


# The base template's blocks the app's layout (templates/anon_messaging/layout.html) fills.
BLOCK_CONTENT = "content"
BLOCK_EXTRA_HEAD = "extra_head"
BLOCK_TITLE = "title"
# Base templates written for versions before 0.2 placed the quick exit themselves.
BLOCK_OLD_QUICK_EXIT = "quick_exit"
STARTER_ADAPTER = (
    '{% extends "base.html" %}'
    "{% block extra_css %}{% block extra_head %}{% endblock %}{% endblock %}"
)

SQLITE_ENGINE = "django.db.backends.sqlite3"
SQLITE_TIMEOUT_SECONDS = 20


def check_installation(app_configs=None, **kwargs):
    """Every requirement of docs/install.md, each saying what to change."""
    return [
        *_app_errors(),
        *_middleware_errors(),
        *_context_processor_problems(),
        *_base_template_problems(),
        *_sqlite_warnings(),
        *_task_cluster_warnings(),
        *_case_file_warnings(),
    ]


def _app_errors():
    from django.apps import apps

    return [
        checks.Error(
            # Translators: %(app)r is an app's dotted name, in quotes; %(package)s is this
            # app's name, anon_messaging; %(purpose)s says what for, such as "for each
            # site's Reporting settings".
            _("%(setting)s lacks %(app)r, which %(package)s needs %(purpose)s.")
            % {
                "setting": "INSTALLED_APPS",
                "app": name,
                "package": PACKAGE,
                "purpose": _purpose(purpose),
            },
            # Translators: %(name)r is a dotted name, in quotes; %(setting)s the setting to
            # add it to.
            hint=_("Add %(name)r to %(setting)s.") % {"name": name, "setting": "INSTALLED_APPS"},
            id="anon_messaging.E601",
        )
        for name, purpose in REQUIRED_APPS
        if not apps.is_installed(name)
    ]


def _middleware_errors():
    classes = []
    for path in settings.MIDDLEWARE:
        try:
            middleware = import_string(path)
        except ImportError:
            continue
        if isinstance(middleware, type):
            classes.append(middleware)
    errors = []
    for path, purpose in REQUIRED_MIDDLEWARE:
        required = import_string(path)
        if not any(issubclass(cls, required) for cls in classes):
            errors.append(
                checks.Error(
                    # Translators: %(middleware)s is a dotted path; %(package)s is this
                    # app's name, anon_messaging; %(purpose)s says what for, such as "a
                    # reporter's messaging session".
                    _("%(setting)s lacks %(middleware)s, which %(package)s needs for %(purpose)s.")
                    % {
                        "setting": "MIDDLEWARE",
                        "middleware": path,
                        "package": PACKAGE,
                        "purpose": _purpose(purpose),
                    },
                    hint=_(
                        "Add %(name)r to %(setting)s, in the order a new Wagtail project has it "
                        "(sessions, then authentication, then messages)."
                    )
                    % {"name": path, "setting": "MIDDLEWARE"},
                    id="anon_messaging.E602",
                )
            )
    return errors


def _context_processor_problems():
    """The first Django template engine, which renders the app's templates, needs them."""
    position, engine = next(
        (
            (position, engine)
            for position, engine in enumerate(settings.TEMPLATES)
            if engine.get("BACKEND") == DJANGO_TEMPLATES
        ),
        (None, None),
    )
    if engine is None:
        return [
            checks.Error(
                _(
                    # Translators: %(package)s is this app's name, anon_messaging.
                    "%(setting)s has no Django template engine, in which %(package)s's pages "
                    "are written."
                )
                % {"setting": "TEMPLATES", "package": PACKAGE},
                hint=_("Add %(name)s to %(setting)s.")
                % {
                    "name": f"{{'BACKEND': {DJANGO_TEMPLATES!r}, 'APP_DIRS': True, ...}}",
                    "setting": "TEMPLATES",
                },
                id="anon_messaging.E603",
            )
        ]
    configured = engine.get("OPTIONS", {}).get("context_processors", [])
    return [
        level(
            # Translators: %(path)s is a context processor's dotted path; %(why)s what
            # would go wrong without it.
            _("%(setting)s' context processors lack %(path)s: %(why)s.")
            % {"setting": "TEMPLATES", "path": path, "why": _purpose(why)},
            hint=_("Add %(name)r to %(setting)s.")
            % {
                "name": path,
                "setting": f"TEMPLATES[{position}]['OPTIONS']['context_processors']",
            },
            id=check_id,
        )
        for path, why, level, check_id in CONTEXT_PROCESSORS
        if path not in configured
    ]


def _base_template_problems():
    """The template named by BASE_TEMPLATE loads and has the blocks the layout fills."""
    from django.template import TemplateDoesNotExist, TemplateSyntaxError
    from django.template.loader import get_template

    if _wrong_type("BASE_TEMPLATE"):
        return []
    name = get_setting("BASE_TEMPLATE")
    # %(setting)s and %(template)r of every message below.
    names = {"setting": "ANON_MESSAGING['BASE_TEMPLATE']", "template": name}
    # The hints' template tags and file names, kept out of the translated text.
    starter = {"base": "base.html", "template": STARTER_ADAPTER}
    try:
        template = get_template(name)
    except TemplateDoesNotExist:
        return [
            checks.Error(
                _(
                    # Translators: %(template)r is a template's name, in quotes.
                    "%(setting)s names %(template)r, which no template folder holds, so every "
                    "reporter page would fail."
                )
                % names,
                hint=_(
                    # Translators: %(folder)s is a folder in a new Wagtail project and %(default)r
                    # the app's own base template, in quotes.
                    "Create the template in a folder of %(dirs)s (in a new Wagtail project, "
                    "%(folder)s), or remove the setting to use the app's own %(default)r."
                )
                % {
                    "dirs": "TEMPLATES['DIRS']",
                    "folder": "mysite/templates/",
                    "default": conf.DEFAULTS["BASE_TEMPLATE"],
                },
                id="anon_messaging.E610",
            )
        ]
    except TemplateSyntaxError as error:
        return [
            checks.Error(
                # Translators: %(error)s is the template engine's own message.
                _("%(setting)s names %(template)r, which cannot be read: %(error)s.")
                % {**names, "error": error},
                hint=_(
                    # Translators: %(block)r is a template block's name, in quotes; %(base)s a
                    # template's file name; %(template)s a whole template, kept as is.
                    "A base template for reporter pages fills its parent's head block with "
                    "%(block)r and nothing else; for a new Wagtail project's %(base)s the whole "
                    "template is: %(template)s"
                )
                % {**starter, "block": BLOCK_EXTRA_HEAD},
                id="anon_messaging.E610",
            )
        ]
    blocks = rendered_blocks(template)
    if blocks is None:
        return []  # not a Django template, or its parent is chosen while it renders
    problems = []
    if BLOCK_CONTENT not in blocks:
        problems.append(
            checks.Error(
                _(
                    # Translators: %(block)r is a template block's name, in quotes.
                    "%(setting)s names %(template)r, which has no block named %(block)r inside "
                    "<body>: every reporter page would be empty."
                )
                % {**names, "block": BLOCK_CONTENT},
                # Translators: %(tags)s are template tags, kept as is.
                hint=_("Add %(tags)s where the page goes, inside <body>.")
                % {"tags": "{% block content %}{% endblock %}"},
                id="anon_messaging.E611",
            )
        )
    if BLOCK_EXTRA_HEAD not in blocks:
        problems.append(
            checks.Warning(
                _(
                    "%(setting)s names %(template)r, which has no block named %(block)r: the "
                    "app's stylesheet and script would not load, and reporter pages would lose "
                    "their layout and the quick exit's Escape key."
                )
                % {**names, "block": BLOCK_EXTRA_HEAD},
                hint=_(
                    # Translators: %(tags)s are template tags, %(base)s a template's file name and
                    # %(template)s a whole template, all kept as is.
                    "Put %(tags)s inside <head>, or inside the block your base template has "
                    "there; for a new Wagtail project's %(base)s the whole template is: "
                    "%(template)s"
                )
                % {**starter, "tags": "{% block extra_head %}{% endblock %}"},
                id="anon_messaging.W612",
            )
        )
    if BLOCK_TITLE not in blocks:
        problems.append(
            checks.Warning(
                _(
                    # Translators: %(error)s is "Error:" as reporter pages put it before their
                    # title.
                    "%(setting)s names %(template)r, which has no block named %(block)r: a "
                    "reporter's browser tab and screen reader would not say '%(error)s' when a "
                    "form has one."
                )
                % {**names, "block": BLOCK_TITLE, "error": _("Error:")},
                # Translators: %(tags)s are HTML and template tags, kept as is.
                hint=_("Put %(tags)s inside <head>.")
                % {"tags": "<title>{% block title %}{% endblock %}</title>"},
                id="anon_messaging.W613",
            )
        )
    if BLOCK_OLD_QUICK_EXIT in blocks:
        problems.append(
            checks.Warning(
                _(
                    # Translators: %(link)s is the text of the quick exit link on reporter pages.
                    "%(setting)s names %(template)r, which has a block named %(block)r: "
                    "reporter pages place the '%(link)s' link themselves, so it would show "
                    "twice."
                )
                % {**names, "block": BLOCK_OLD_QUICK_EXIT, "link": _("Exit this page")},
                # Translators: %(block)s is a template block's name.
                hint=_("Remove the %(block)s block from that template.")
                % {"block": BLOCK_OLD_QUICK_EXIT},
                id="anon_messaging.W614",
            )
        )
    return problems


def rendered_blocks(template):
    """Names of the blocks a template extending ``template`` can fill, or None when that
    cannot be told without rendering (another engine, or ``{% extends variable %}``).

    A block a child template defines is rendered only where its ancestors have a block
    of that name, and a block nested in an overridden block only if the overriding
    definition keeps it (or calls ``block.super``); this follows the same rules.
    """
    from django.template import Context
    from django.template.base import Template, Variable, VariableNode
    from django.template.loader_tags import BlockNode, ExtendsNode

    leaf = getattr(template, "template", template)
    if not isinstance(leaf, Template):
        return None
    chain = [leaf]
    context = Context()
    while True:
        extends = next((n for n in chain[-1].nodelist if isinstance(n, ExtendsNode)), None)
        if extends is None:
            break
        parent = extends.parent_name
        if parent.filters or not isinstance(parent.var, str):
            return None
        # As when rendering: the search skips the templates already in the chain, so a
        # base.html may extend another base.html.
        context.template = chain[-1]
        chain.append(extends.find_template(parent.var, context))
    definitions = {}
    for each in chain:  # most derived first
        for block in each.nodelist.get_nodes_by_type(BlockNode):
            definitions.setdefault(block.name, []).append(block)

    def uses_super(block):
        return any(
            isinstance(node.filter_expression.var, Variable)
            and node.filter_expression.var.var == "block.super"
            for node in block.nodelist.get_nodes_by_type(VariableNode)
        )

    def direct_blocks(nodelist):
        for node in nodelist:
            if isinstance(node, BlockNode):
                yield node
                continue
            for attribute in node.child_nodelists:
                yield from direct_blocks(getattr(node, attribute, None) or [])

    rendered = set()

    def visit(nodelist):
        for block in direct_blocks(nodelist):
            if block.name in rendered:
                continue
            rendered.add(block.name)
            for definition in definitions[block.name]:
                visit(definition.nodelist)
                if not uses_super(definition):
                    break

    visit(chain[-1].nodelist)
    return rendered


def _sqlite_warnings():
    warnings = []
    for alias, database in settings.DATABASES.items():
        if database.get("ENGINE") != SQLITE_ENGINE:
            continue
        options = database.get("OPTIONS", {})
        timeout = options.get("timeout")
        if options.get("transaction_mode") == "IMMEDIATE" and (
            isinstance(timeout, int | float) and timeout >= SQLITE_TIMEOUT_SECONDS
        ):
            continue
        warnings.append(
            checks.Warning(
                ngettext(
                    # Translators: %(mode)s is an option of SQLite with its value and %(error)r
                    # SQLite's own error message, in quotes, both kept as is.
                    "%(setting)s is SQLite without %(mode)s and a timeout of at least "
                    "%(seconds)s second, so a write while the task cluster writes (publishing "
                    "a page, sending a report) can fail with %(error)r.",
                    "%(setting)s is SQLite without %(mode)s and a timeout of at least "
                    "%(seconds)s seconds, so a write while the task cluster writes (publishing "
                    "a page, sending a report) can fail with %(error)r.",
                    SQLITE_TIMEOUT_SECONDS,
                )
                % {
                    "setting": f"DATABASES[{alias!r}]",
                    "mode": "transaction_mode 'IMMEDIATE'",
                    "seconds": SQLITE_TIMEOUT_SECONDS,
                    "error": "database is locked",
                },
                # Translators: %(assignment)s is a line of Python settings, kept as is.
                hint=_("Set %(assignment)s, or use PostgreSQL.")
                % {
                    "assignment": f"DATABASES[{alias!r}]['OPTIONS'] = {{'transaction_mode': "
                    f"'IMMEDIATE', 'timeout': {SQLITE_TIMEOUT_SECONDS}}}"
                },
                id="anon_messaging.W620",
            )
        )
    return warnings


def _task_cluster_warnings():
    if getattr(settings, "Q_CLUSTER", None) is not None:
        return []
    return [
        checks.Warning(
            _(
                "%(setting)s is not set, so django-q2 looks for Redis on this machine as its "
                "broker: without a running cluster no adviser is alerted, no reminder is sent "
                "and no closed case is deleted after its retention period."
            )
            % {"setting": "Q_CLUSTER"},
            # Translators: %(assignment)s is a line of Python settings and %(command)r a
            # shell command, in quotes, both kept as is.
            hint=_("Set %(assignment)s and run %(command)r beside the web server.")
            % {
                "assignment": "Q_CLUSTER = {'name': 'anon_messaging', 'workers': 2, "
                "'timeout': 60, 'retry': 120, 'catch_up': False, 'max_attempts': 3, "
                "'orm': 'default'}",
                "command": "python manage.py qcluster",
            },
            id="anon_messaging.W630",
        )
    ]


def _case_file_warnings():
    """Case files are made with WeasyPrint, which needs the Pango library from the system."""
    try:
        import weasyprint  # noqa: F401 - loading it is the check
    except (ImportError, OSError) as exc:
        return [
            checks.Warning(
                _(
                    # Translators: %(error)s is the error Python gave, kept as is.
                    "WeasyPrint cannot be loaded (%(error)s), so advisers cannot download case "
                    "files."
                )
                % {"error": exc},
                hint=_(
                    # Translators: %(command)r is a shell command, in quotes, kept as is.
                    "Install Pango from the system, for example %(command)r on Debian or Ubuntu."
                )
                % {"command": "apt-get install libpango-1.0-0 libpangoft2-1.0-0"},
                id="anon_messaging.W640",
            )
        ]
    return []
