import io

import pytest
from django.core.cache import cache
from django.core.management import call_command


@pytest.fixture(autouse=True)
def fresh_cache():
    """Cached calendars and throttle counters from one test never reach the next."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def demo_site(db):
    """The example site's pages, settings and demo users, as a new user gets them."""
    call_command("seed_demo", stdout=io.StringIO())


@pytest.fixture(autouse=True)
def attachment_root(settings, tmp_path_factory):
    """Each test's attachments go to a directory of its own, so a test sees only its files."""
    location = tmp_path_factory.mktemp("attachments")
    settings.STORAGES = {
        **settings.STORAGES,
        "anon_messaging_attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location)},
        },
    }
    return location
