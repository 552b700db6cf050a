"""What the browser tests count as a page's failure (tests/browser/conftest.py)."""

from types import SimpleNamespace

import pytest

from tests.browser.conftest import declined_autosave

EDIT_URL = "http://127.0.0.1:8000/admin/pages/6/edit/"


def answer(status=400, url=EDIT_URL, method="POST", accept="application/json"):
    request = SimpleNamespace(method=method, headers={"accept": accept})
    return SimpleNamespace(status=status, url=url, request=request)


def test_the_admin_declining_a_background_save_is_not_a_failure():
    assert declined_autosave(answer())


@pytest.mark.parametrize(
    "response",
    [
        answer(accept="text/html,application/xhtml+xml"),  # the editor's own save
        answer(method="GET"),
        answer(status=500),
        answer(status=403),
        answer(url="http://127.0.0.1:8000/messaging/"),  # a reporter page
    ],
    ids=["form-post", "get", "server-error", "forbidden", "reporter-page"],
)
def test_every_other_error_answer_still_fails_the_test(response):
    assert not declined_autosave(response)
