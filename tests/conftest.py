import io

import pytest
from django.core.management import call_command


@pytest.fixture
def demo_site(db):
    """The example site's pages, settings and demo users, as a new user gets them."""
    call_command("seed_demo", stdout=io.StringIO())
