"""Fuzzing the upload endpoints: random bytes under image and PDF names, truncated and
mutated real files, pictures that claim huge dimensions. Every answer must be a page
(never a server error), and every request stores a report or message with all of its
files, or nothing at all."""

import struct
import zlib

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anon_messaging.models import Attachment, Case, Message
from tests import evidence_files as files
from tests.reporter_journey import (
    ANONYMOUS_FORM,
    MESSAGING,
    MESSAGING_SEND,
    anonymous_answers,
    fresh_token,
    log_in,
    shown_code,
)

NAMES = ["photo.jpg", "scan.png", "image.webp", "anim.gif", "letter.pdf", "notes.txt", "x"]
ORIGINALS = [
    files.jpeg_photo((48, 32)),
    files.png_screenshot((24, 16)),
    files.webp_image(),
    files.animated_gif(2),
    files.pdf_document(),
]
FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)


def huge_header(kind, width, height):
    """A real file's start, with the dimensions in its header changed."""
    if kind == "png":
        header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
        ihdr = b"IHDR" + header
        return (
            b"\x89PNG\r\n\x1a\n"
            + struct.pack(">I", 13)
            + ihdr
            + struct.pack(">I", zlib.crc32(ihdr))
            + struct.pack(">I", 12)
            + b"IDAT"
            + zlib.compress(b"\x00" * 8)
            + b"\x00\x00\x00\x00IEND\xaeB`\x82"
        )
    gif = files.animated_gif(1)
    return gif[:6] + struct.pack("<HH", width % 65536, height % 65536) + gif[10:]


def truncated(data):
    return st.integers(min_value=0, max_value=len(data)).map(lambda cut: data[:cut])


def mutated(data):
    return st.tuples(
        st.integers(min_value=0, max_value=len(data) - 1), st.integers(min_value=0, max_value=255)
    ).map(lambda change: data[: change[0]] + bytes([change[1]]) + data[change[0] + 1 :])


file_contents = st.one_of(
    st.binary(max_size=2048),
    st.binary(max_size=64).map(lambda tail: b"\xff\xd8\xff\xe0" + tail),
    st.binary(max_size=64).map(lambda tail: b"%PDF-1.7\n" + tail),
    st.binary(max_size=64).map(lambda tail: b"\x89PNG\r\n\x1a\n" + tail),
    st.sampled_from(ORIGINALS).flatmap(truncated),
    st.sampled_from(ORIGINALS).flatmap(mutated),
    st.builds(
        huge_header,
        st.sampled_from(["png", "gif"]),
        st.integers(min_value=1, max_value=2**31 - 1),
        st.integers(min_value=1, max_value=2**31 - 1),
    ),
)
uploads = st.lists(st.tuples(st.sampled_from(NAMES), file_contents), min_size=1, max_size=4)


def stored_state():
    return (
        Case.objects.count(),
        Message.objects.count(),
        Attachment.objects.count(),
        len(files.stored_files()),
    )


def check_all_or_nothing(before, after, response, *, made):
    cases, messages, attachments, stored = before
    assert response.status_code in (200, 302), response.status_code
    if made:
        # Stored whole: every file has its row and its file, nothing else.
        assert after[2] - attachments == after[3] - stored
        assert after[2] > attachments
    else:
        assert after == before, (before, after)


@FUZZ
@given(chosen=uploads)
def test_the_report_form_never_fails_and_never_stores_part_of_a_report(demo_site_once, chosen):
    client = Client()
    data = {
        **anonymous_answers("Fuzzed report.", opt_in=False),
        "submission_token": fresh_token(client, ANONYMOUS_FORM),
        "attachments": [files.upload(name, content) for name, content in chosen],
    }
    before = stored_state()
    response = client.post(ANONYMOUS_FORM, data)
    after = stored_state()
    made = "Your report has been sent" in response.content.decode()
    check_all_or_nothing(before, after, response, made=made)
    if made:
        assert after[0] == before[0] + 1
        assert after[2] - before[2] == len(chosen)
    else:
        assert "There is a problem" in response.content.decode()


@FUZZ
@given(chosen=uploads)
def test_the_conversation_never_fails_and_never_stores_part_of_a_message(
    logged_in_reporter, chosen
):
    data = {"body": "Fuzzed.", "attachments": [files.upload(n, c) for n, c in chosen]}
    before = stored_state()
    response = logged_in_reporter.post(MESSAGING_SEND, data)
    after = stored_state()
    made = response.status_code == 302
    check_all_or_nothing(before, after, response, made=made)
    if made:
        assert after[1] == before[1] + 1
        assert after[2] - before[2] == len(chosen)
    else:
        assert "There is a problem" in response.content.decode()


@pytest.fixture
def demo_site_once(demo_site):
    return demo_site


@pytest.fixture
def logged_in_reporter(demo_site):
    client = Client()
    response = client.post(
        ANONYMOUS_FORM,
        {
            **anonymous_answers("Report to fuzz messages on."),
            "submission_token": fresh_token(client, ANONYMOUS_FORM),
        },
    )
    log_in(client, shown_code(response))
    assert client.get(MESSAGING).status_code == 200
    return client
