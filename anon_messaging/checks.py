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
from django.views.debug import SafeExceptionReporterFilter

from . import conf, form_rules
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
            "'location' outside MEDIA_ROOT and STATIC_ROOT, in a directory only the site's "
            "processes can read, such as BASE_DIR / 'private' / 'attachments'.",
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
            hint=f"Put {HANDLER_PATH!r} first in FILE_UPLOAD_HANDLERS, before Django's "
            "MemoryFileUploadHandler and TemporaryFileUploadHandler.",
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
        return [
            checks.Error(
                f"The throttle's cache {alias!r} is not in CACHES, so every code log-in "
                "would fail.",
                hint=f"Add a cache named {alias!r} to CACHES, or set "
                "ANON_MESSAGING['THROTTLE']['cache_alias'] to one of "
                f"{', '.join(repr(name) for name in settings.CACHES) or 'yours'}.",
                id="anon_messaging.E504",
            )
        ]
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
            hint="Set ANON_MESSAGING['ENCRYPTION_KEYS'] = ['<key>'] with a key made by "
            'python -c "from cryptography.fernet import Fernet; '
            'print(Fernet.generate_key().decode())", read from the environment and kept '
            "apart from SECRET_KEY and from database backups.",
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
        return []  # anon_messaging.E504, which runs without --deploy too, says so
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
            "'django' logger away from mail_admins, or leave ADMINS empty.",
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
                "AUTHENTICATION_BACKENDS does not start with "
                "anon_messaging.admin_login.PasswordThrottleBackend, so passwords can be "
                "guessed without limit at log-in forms other than the admin's (such as "
                "Wagtail's /_util/login/).",
                hint="Put 'anon_messaging.admin_login.PasswordThrottleBackend' first in "
                "AUTHENTICATION_BACKENDS, before 'django.contrib.auth.backends.ModelBackend'.",
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
            "WAGTAILADMIN_USER_LOGIN_FORM is not anon_messaging.admin_login.ThrottledLoginForm "
            "(or a subclass), so advisers' and administrators' passwords can be guessed at "
            "the admin's log-in without limit.",
            hint="Set WAGTAILADMIN_USER_LOGIN_FORM = "
            "'anon_messaging.admin_login.ThrottledLoginForm'.",
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
    cluster = getattr(settings, "Q_CLUSTER", None)
    if cluster is None:
        cluster = {}  # anon_messaging.W630 says so; the timeout below still applies
    elif cluster.get("catch_up", True):
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
    state = "live" if page.live else "not live"
    return checks.Warning(
        f"The anonymous report form “{page.title}” (page {page.pk}, {page.url_path}, {state}) "
        "asks who the reporter is: " + " ".join(finding.describe() for finding in found),
        hint="Reword or remove these questions in the page editor; email, web address and "
        "hidden questions are never shown on an anonymous form. If the form truly needs "
        "one, someone with the permission to confirm such questions gives the reason when "
        "publishing, in the page editor's publish dialogue.",
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
            f"ANON_MESSAGING['IDENTITY_WORDS'] has no words for the site's language {code!r}, "
            "so questions in it that ask who the reporter is are not flagged.",
            hint=f"Add ANON_MESSAGING['IDENTITY_WORDS'][{code.split('-')[0]!r}]: the words "
            "for a name, an email address, a phone number, a student or staff number and an "
            "address in that language.",
            id="anon_messaging.W602",
        )
        for code in missing
    ]


# --- What docs/install.md asks of a site (E6xx/W6xx) ----------------------------------------

# The apps the app needs besides Wagtail's own, and what each is for.
REQUIRED_APPS = [
    ("wagtail_modeladmin", "for the advisers' case list and case view"),
    ("wagtail.contrib.forms", "for the question builder of report forms"),
    ("wagtail.contrib.routable_page", "for the messaging page's log-in, send and log-out"),
    ("wagtail.contrib.settings", "for each site's Reporting settings"),
    ("django_q", "to alert advisers, send reminders and delete closed cases after retention"),
    ("django.contrib.sessions", "for a reporter's messaging session"),
    ("django.contrib.messages", "for notices such as 'Your message was sent.'"),
]

REQUIRED_MIDDLEWARE = [
    (
        "django.contrib.sessions.middleware.SessionMiddleware",
        "a reporter's messaging session",
    ),
    (
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "advisers' log-in to the case list",
    ),
    (
        "django.contrib.messages.middleware.MessageMiddleware",
        "notices such as 'Your message was sent.'",
    ),
]

DJANGO_TEMPLATES = "django.template.backends.django.DjangoTemplates"
CONTEXT_PROCESSORS = [
    (
        "django.template.context_processors.request",
        "the pages read the site's Reporting settings (the {sla} response time, the quick "
        "exit address) from the request; without it they show the defaults",
        checks.Error,
        "anon_messaging.E603",
    ),
    (
        "django.contrib.messages.context_processors.messages",
        "a reporter would never see notices such as 'Your message was sent.'",
        checks.Error,
        "anon_messaging.E603",
    ),
    (
        "django.template.context_processors.i18n",
        "the app's base template could not give the page's language in <html lang>",
        checks.Warning,
        "anon_messaging.W604",
    ),
]

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
            f"INSTALLED_APPS lacks {name!r}, which anon_messaging needs {purpose}.",
            hint=f"Add {name!r} to INSTALLED_APPS.",
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
                    f"MIDDLEWARE lacks {path}, which anon_messaging needs for {purpose}.",
                    hint=f"Add {path!r} to MIDDLEWARE, in the order a new Wagtail project "
                    "has it (sessions, then authentication, then messages).",
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
                "TEMPLATES has no Django template engine, in which anon_messaging's pages "
                "are written.",
                hint=f"Add {{'BACKEND': {DJANGO_TEMPLATES!r}, 'APP_DIRS': True, ...}} to "
                "TEMPLATES.",
                id="anon_messaging.E603",
            )
        ]
    configured = engine.get("OPTIONS", {}).get("context_processors", [])
    return [
        level(
            f"TEMPLATES' context processors lack {path}: {why}.",
            hint=f"Add {path!r} to TEMPLATES[{position}]['OPTIONS']['context_processors'].",
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
    setting = "ANON_MESSAGING['BASE_TEMPLATE']"
    try:
        template = get_template(name)
    except TemplateDoesNotExist:
        return [
            checks.Error(
                f"{setting} names {name!r}, which no template folder holds, so every "
                "reporter page would fail.",
                hint="Create the template in a folder of TEMPLATES['DIRS'] (in a new Wagtail "
                "project, mysite/templates/), or remove the setting to use the app's own "
                "'anon_messaging/base.html'.",
                id="anon_messaging.E610",
            )
        ]
    except TemplateSyntaxError as error:
        return [
            checks.Error(
                f"{setting} names {name!r}, which cannot be read: {error}.",
                hint="A base template for reporter pages fills its parent's head block with "
                "'extra_head' and nothing else; for a new Wagtail project's base.html the "
                f"whole template is: {STARTER_ADAPTER}",
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
                f"{setting} names {name!r}, which has no block named 'content' inside "
                "<body>: every reporter page would be empty.",
                hint="Add {% block content %}{% endblock %} where the page goes, inside <body>.",
                id="anon_messaging.E611",
            )
        )
    if BLOCK_EXTRA_HEAD not in blocks:
        problems.append(
            checks.Warning(
                f"{setting} names {name!r}, which has no block named 'extra_head': the "
                "app's stylesheet and script would not load, and reporter pages would lose "
                "their layout and the quick exit's Escape key.",
                hint="Put {% block extra_head %}{% endblock %} inside <head>, or inside the "
                "block your base template has there; for a new Wagtail project's base.html "
                f"the whole template is: {STARTER_ADAPTER}",
                id="anon_messaging.W612",
            )
        )
    if BLOCK_TITLE not in blocks:
        problems.append(
            checks.Warning(
                f"{setting} names {name!r}, which has no block named 'title': a reporter's "
                "browser tab and screen reader would not say 'Error:' when a form has one.",
                hint="Put <title>{% block title %}{% endblock %}</title> inside <head>.",
                id="anon_messaging.W613",
            )
        )
    if BLOCK_OLD_QUICK_EXIT in blocks:
        problems.append(
            checks.Warning(
                f"{setting} names {name!r}, which has a block named 'quick_exit': reporter "
                "pages place the 'Exit this page' link themselves, so it would show twice.",
                hint="Remove the quick_exit block from that template.",
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
                f"DATABASES[{alias!r}] is SQLite without transaction_mode 'IMMEDIATE' and a "
                f"timeout of at least {SQLITE_TIMEOUT_SECONDS} seconds, so a write while the "
                "task cluster writes (publishing a page, sending a report) can fail with "
                "'database is locked'.",
                hint=f"Set DATABASES[{alias!r}]['OPTIONS'] = {{'transaction_mode': "
                f"'IMMEDIATE', 'timeout': {SQLITE_TIMEOUT_SECONDS}}}, or use PostgreSQL.",
                id="anon_messaging.W620",
            )
        )
    return warnings


def _task_cluster_warnings():
    if getattr(settings, "Q_CLUSTER", None) is not None:
        return []
    return [
        checks.Warning(
            "Q_CLUSTER is not set, so django-q2 looks for Redis on this machine as its "
            "broker: without a running cluster no adviser is alerted, no reminder is sent "
            "and no closed case is deleted after its retention period.",
            hint="Set Q_CLUSTER = {'name': 'anon_messaging', 'workers': 2, 'timeout': 60, "
            "'retry': 120, 'catch_up': False, 'max_attempts': 3, 'orm': 'default'} and run "
            "'python manage.py qcluster' beside the web server.",
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
                f"WeasyPrint cannot be loaded ({exc}), so advisers cannot download case files.",
                hint="Install Pango from the system, for example 'apt-get install "
                "libpango-1.0-0 libpangoft2-1.0-0' on Debian or Ubuntu.",
                id="anon_messaging.W640",
            )
        ]
    return []
