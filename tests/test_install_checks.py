"""System checks for what docs/install.md asks of a site (anon_messaging.E6xx/W6xx).

Each requirement the guide states is a check whose message says what to change, in the
message itself: a site installed with pip has no docs folder to look in.
"""

import os
import re
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.checks import run_checks
from django.template import Engine
from django.utils import translation
from django.utils.translation import gettext

from anon_messaging import checks as app_checks

# Django 6.1's model checks ask the database what it supports (JSONField), as
# `manage.py check` does: every test here may open the connection.
pytestmark = pytest.mark.django_db

REPO_ROOT = Path(__file__).resolve().parent.parent
INSTALL_IDS = re.compile(r"anon_messaging\.[EW]6\d\d")
SQLITE_WELL_SET = {
    "ENGINE": "django.db.backends.sqlite3",
    "NAME": ":memory:",
    "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
}


def install_messages(deploy=False):
    return [
        message
        for message in run_checks(include_deployment_checks=deploy)
        if INSTALL_IDS.fullmatch(message.id or "")
    ]


def only(check_id, messages=None):
    messages = install_messages() if messages is None else messages
    found = [message for message in messages if message.id == check_id]
    assert len(found) == 1, [(m.id, m.msg) for m in messages]
    return found[0]


def never_points_to_a_file(message):
    """The hint says what to do; a pip user has no docs/ folder to be sent to."""
    text = f"{message.msg} {message.hint or ''}"
    assert "docs/" not in text and ".md" not in text, text


def test_the_example_site_passes_every_installation_check():
    assert install_messages(deploy=True) == []


# --- Apps, run as `manage.py check` on a site that lacks them -----------------------------


def test_manage_py_check_names_every_missing_app_and_says_to_add_it(tmp_path):
    missing = [name for name, _purpose in app_checks.REQUIRED_APPS]
    (tmp_path / "settings_without_apps.py").write_text(
        textwrap.dedent(
            f"""
            from tests.settings import *  # noqa: F403
            from tests.settings import INSTALLED_APPS

            INSTALLED_APPS = [app for app in INSTALLED_APPS if app not in {missing!r}]
            """
        )
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "settings_without_apps",
        "PYTHONPATH": os.pathsep.join(
            [str(tmp_path), str(REPO_ROOT), str(REPO_ROOT / "example_site")]
        ),
    }
    result = subprocess.run(
        [sys.executable, "-m", "django", "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode != 0
    for name in missing:
        assert f"(anon_messaging.E601) INSTALLED_APPS lacks {name!r}" in result.stderr, name
        assert f"HINT: Add {name!r} to INSTALLED_APPS." in result.stderr, name


# --- Middleware and context processors -----------------------------------------------------


@pytest.mark.parametrize("missing", [path for path, _purpose in app_checks.REQUIRED_MIDDLEWARE])
def test_missing_middleware_is_an_error_saying_what_to_add(settings, missing):
    settings.MIDDLEWARE = [path for path in settings.MIDDLEWARE if path != missing]
    error = only("anon_messaging.E602")
    assert missing in error.msg
    assert f"Add {missing!r} to MIDDLEWARE" in error.hint
    never_points_to_a_file(error)


def test_a_subclass_of_the_middleware_will_do(settings):
    settings.MIDDLEWARE = [
        "tests.test_install_checks.OwnSessionMiddleware" if "SessionMiddleware" in path else path
        for path in settings.MIDDLEWARE
    ]
    assert install_messages() == []


class OwnSessionMiddleware(SessionMiddleware):
    """A site's own session middleware, built on Django's."""


@pytest.mark.parametrize(
    ("missing", "check_id"),
    [
        ("django.template.context_processors.request", "anon_messaging.E603"),
        ("django.contrib.messages.context_processors.messages", "anon_messaging.E603"),
        ("django.template.context_processors.i18n", "anon_messaging.W604"),
    ],
)
def test_missing_context_processors_are_named_with_what_to_add(settings, missing, check_id):
    engine = settings.TEMPLATES[0]
    processors = [path for path in engine["OPTIONS"]["context_processors"] if path != missing]
    settings.TEMPLATES = [
        {**engine, "OPTIONS": {**engine["OPTIONS"], "context_processors": processors}}
    ]
    message = only(check_id)
    assert missing in message.msg
    assert f"Add {missing!r} to TEMPLATES[0]['OPTIONS']['context_processors']." == message.hint


# --- The base template ------------------------------------------------------------------------


@pytest.fixture
def site_templates(settings, tmp_path):
    """A template folder of the site's, searched first; returns a function that writes one."""
    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**engine, "DIRS": [tmp_path, *engine["DIRS"]]}]

    def write(name, text, base_template=True):
        (tmp_path / name).write_text(textwrap.dedent(text))
        if base_template:
            settings.ANON_MESSAGING = {**settings.ANON_MESSAGING, "BASE_TEMPLATE": name}

    return write


# The blocks of a new Wagtail project's base.html.
STARTER_LIKE_BASE = """
    <!DOCTYPE html>
    <html><head><title>{% block title %}{% endblock %}</title>
    {% block extra_css %}{% endblock %}</head>
    <body class="{% block body_class %}{% endblock %}">
    {% block content %}{% endblock %}</body></html>
"""


def test_a_base_template_that_does_not_exist_is_an_error(settings):
    settings.ANON_MESSAGING = {**settings.ANON_MESSAGING, "BASE_TEMPLATE": "nowhere/base.html"}
    error = only("anon_messaging.E610")
    assert "'nowhere/base.html'" in error.msg
    assert "anon_messaging/base.html" in error.hint
    never_points_to_a_file(error)


def test_a_base_template_that_cannot_be_read_is_an_error_showing_the_adapter(site_templates):
    # What the old guide's adapter became in a new project's base.html, where "content"
    # is the page block too.
    site_templates("base.html", STARTER_LIKE_BASE, base_template=False)
    site_templates(
        "reporting_base.html",
        """
        {% extends "base.html" %}
        {% block content %}{% block quick_exit %}{% endblock %}
        {% block content %}{% endblock %}{% endblock %}
        """,
    )
    error = only("anon_messaging.E610")
    assert "appears more than once" in error.msg
    assert app_checks.STARTER_ADAPTER in error.hint


def test_a_new_projects_base_html_named_directly_lacks_extra_head(site_templates):
    site_templates("base.html", STARTER_LIKE_BASE)
    warning = only("anon_messaging.W612")
    assert "'base.html'" in warning.msg and "stylesheet" in warning.msg
    assert app_checks.STARTER_ADAPTER in warning.hint
    never_points_to_a_file(warning)


def test_the_guides_adapter_passes(site_templates):
    from scripts import install_guide

    site_templates("base.html", STARTER_LIKE_BASE, base_template=False)
    site_templates("reporting_base.html", install_guide.block("adapter"))
    assert install_messages() == []


def test_a_base_template_without_a_content_block_is_an_error(site_templates):
    site_templates(
        "plain.html",
        "<html><head><title>{% block title %}{% endblock %}{% block extra_head %}{% endblock %}"
        "</title></head><body>{% block main %}{% endblock %}</body></html>",
    )
    error = only("anon_messaging.E611")
    assert "'content'" in error.msg and "empty" in error.msg
    assert error.hint == "Add {% block content %}{% endblock %} where the page goes, inside <body>."


def test_a_base_template_without_a_title_block_is_flagged(site_templates):
    site_templates(
        "untitled.html",
        "<html><head><title>Reports</title>{% block extra_head %}{% endblock %}</head>"
        "<body>{% block content %}{% endblock %}</body></html>",
    )
    assert "'Error:'" in only("anon_messaging.W613").msg


def test_a_missing_title_block_is_told_in_the_active_language(site_templates):
    site_templates(
        "untitled.html",
        "<html><head><title>Reports</title>{% block extra_head %}{% endblock %}</head>"
        "<body>{% block content %}{% endblock %}</body></html>",
    )
    with translation.override("cy"):
        warning = only("anon_messaging.W613")
        assert warning.msg == gettext(
            "%(setting)s names %(template)r, which has no block named %(block)r: a reporter's "
            "browser tab and screen reader would not say '%(error)s' when a form has one."
        ) % {
            "setting": "ANON_MESSAGING['BASE_TEMPLATE']",
            "template": "untitled.html",
            "block": "title",
            "error": gettext("Error:"),
        }
        assert warning.hint == gettext("Put %(tags)s inside <head>.") % {
            "tags": "<title>{% block title %}{% endblock %}</title>"
        }
    # The word Welsh reporter pages put before their title, as they show it.
    assert "'Gwall:'" in warning.msg


def test_a_base_template_placing_the_quick_exit_itself_is_flagged(site_templates):
    site_templates(
        "old.html",
        "<html><head><title>{% block title %}{% endblock %}</title>{% block extra_head %}"
        "{% endblock %}</head><body>{% block quick_exit %}{% endblock %}"
        "{% block content %}{% endblock %}</body></html>",
    )
    warning = only("anon_messaging.W614")
    assert "twice" in warning.msg
    assert warning.hint == "Remove the quick_exit block from that template."


# --- Which blocks a base template offers ------------------------------------------------------


def blocks_of(name, **templates):
    engine = Engine(loaders=[("django.template.loaders.locmem.Loader", templates)])
    return app_checks.rendered_blocks(engine.get_template(name))


def test_blocks_of_a_parent_are_offered_through_a_child():
    assert blocks_of(
        "child.html",
        **{
            "parent.html": "{% block title %}{% endblock %}{% block content %}{% endblock %}",
            "child.html": '{% extends "parent.html" %}{% block title %}x{% endblock %}',
        },
    ) == {"title", "content"}


def test_a_block_the_parent_lacks_is_not_offered():
    assert blocks_of(
        "child.html",
        **{
            "parent.html": "{% block content %}{% endblock %}",
            "child.html": '{% extends "parent.html" %}{% block extra_head %}{% endblock %}',
        },
    ) == {"content"}


def test_a_block_nested_in_an_override_is_offered():
    assert blocks_of(
        "adapter.html",
        **{
            "base.html": "{% block extra_css %}{% endblock %}{% block content %}{% endblock %}",
            "adapter.html": '{% extends "base.html" %}'
            "{% block extra_css %}{% block extra_head %}{% endblock %}{% endblock %}",
        },
    ) == {"extra_css", "extra_head", "content"}


def test_a_block_an_override_drops_is_not_offered_unless_it_keeps_the_parents():
    templates = {
        "base.html": "{% block body %}{% block content %}{% endblock %}{% endblock %}",
        "dropping.html": '{% extends "base.html" %}{% block body %}<p>{% endblock %}',
        "keeping.html": '{% extends "base.html" %}{% block body %}{{ block.super }}{% endblock %}',
    }
    assert blocks_of("dropping.html", **templates) == {"body"}
    assert blocks_of("keeping.html", **templates) == {"body", "content"}


def test_blocks_inside_tags_such_as_if_count():
    assert blocks_of(
        "base.html",
        **{"base.html": "{% if x %}{% block content %}{% endblock %}{% endif %}"},
    ) == {"content"}


def test_a_parent_chosen_while_rendering_cannot_be_told():
    assert blocks_of("child.html", **{"child.html": "{% extends parent %}"}) is None


# --- The throttle's cache, SQLite, the task cluster --------------------------------------------


def test_a_throttle_cache_missing_from_caches_is_an_error_without_deploy(settings):
    settings.ANON_MESSAGING = {**settings.ANON_MESSAGING, "THROTTLE": {"cache_alias": "counters"}}
    errors = [m for m in run_checks() if m.id == "anon_messaging.E504"]
    assert len(errors) == 1
    assert "'counters'" in errors[0].msg
    assert "Add a cache named 'counters' to CACHES" in errors[0].hint


def set_databases(settings, databases):
    """``settings.DATABASES = databases``, without Django's warning that overriding it can
    surprise: these checks only read the setting, and no query runs under it."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Overriding setting DATABASES", UserWarning)
        settings.DATABASES = databases


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"timeout": 20},
        {"transaction_mode": "IMMEDIATE"},
        {"transaction_mode": "IMMEDIATE", "timeout": 5},
        {"transaction_mode": "DEFERRED", "timeout": 30},
    ],
)
def test_sqlite_without_the_locking_options_is_flagged(settings, options):
    set_databases(settings, {"default": {**SQLITE_WELL_SET, "OPTIONS": options}})
    warning = only("anon_messaging.W620")
    assert "database is locked" in warning.msg
    assert "{'transaction_mode': 'IMMEDIATE', 'timeout': 20}" in warning.hint


def test_sqlite_with_the_locking_options_and_postgresql_pass(settings):
    set_databases(
        settings,
        {
            "default": SQLITE_WELL_SET,
            "reports": {"ENGINE": "django.db.backends.postgresql", "NAME": "reports"},
        },
    )
    assert install_messages() == []


def test_no_task_cluster_settings_is_flagged_once(settings):
    del settings.Q_CLUSTER
    warning = only("anon_messaging.W630")
    assert "'orm': 'default'" in warning.hint and "qcluster" in warning.hint
    ids = [message.id for message in run_checks()]
    # Not also "catch_up is not False": the one warning says all there is to do.
    assert "anon_messaging.W401" not in ids
    # The defaults need nothing more: the reminder scan's timeout is below django-q2's
    # default retry.
    assert "anon_messaging.E402" not in ids


def test_no_hint_of_the_apps_checks_points_to_a_file(settings):
    """Every check the app has, provoked at once, says what to do without a docs/ path."""
    settings.ANON_MESSAGING = {"ENCRYPTION_KEYS": [], "ARGON2": {"time_cost": 1}}
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    settings.ADMINS = [("Admin", "admin@example.org")]
    settings.SESSION_COOKIE_SAMESITE = "Lax"
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    settings.WAGTAILADMIN_USER_LOGIN_FORM = "wagtail.admin.forms.auth.LoginForm"
    settings.CSRF_COOKIE_AGE = 3600
    settings.DEFAULT_EXCEPTION_REPORTER_FILTER = "django.views.debug.SafeExceptionReporterFilter"
    settings.AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
    settings.FILE_UPLOAD_HANDLERS = [
        "django.core.files.uploadhandler.MemoryFileUploadHandler",
        "django.core.files.uploadhandler.TemporaryFileUploadHandler",
    ]
    settings.STORAGES = {
        **settings.STORAGES,
        "anon_messaging_attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(settings.MEDIA_ROOT)},
        },
    }
    messages = [
        m for m in run_checks(include_deployment_checks=True) if m.id.startswith("anon_messaging.")
    ]
    provoked = {message.id for message in messages}
    assert {"anon_messaging.E508", "anon_messaging.W510", "anon_messaging.W511"} <= provoked
    assert len(messages) >= 9
    for message in messages:
        never_points_to_a_file(message)
