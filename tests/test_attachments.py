"""Evidence attachments through the pages people use: sent with a report or a message,
cleaned, encrypted at rest, stored with what they came with or not at all, opened only
by those who may, and deleted with their case."""

import io
import os
import time
from datetime import timedelta
from unittest import mock

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import DatabaseError
from django.test import Client
from django.utils import timezone
from PIL import Image

from anon_messaging import (
    attachment_storage,
    audit,
    cases,
    file_cleaning,
    retention,
    tasks,
    uploads,
)
from anon_messaging.models import Attachment, Case, CaseLogEntry, Message, ReportingSettings
from tests import evidence_files as files
from tests.admin_support import case_url, make_case
from tests.reporter_journey import (
    ANONYMOUS_FORM,
    CONTACT_FORM,
    MESSAGING,
    MESSAGING_SEND,
    anonymous_answers,
    cases_from_now,
    contact_answers,
    fresh_token,
    log_in,
    shown_code,
)

pytest_plugins = ["tests.admin_fixtures"]


@pytest.fixture
def new_cases(demo_site):
    return cases_from_now()


@pytest.fixture
def new_files(demo_site):
    """``new_files()``: the stored files this test made (the demo stores a photo of its own)."""
    before = set(files.stored_files())

    def made():
        return {path: data for path, data in files.stored_files().items() if path not in before}

    return made


def send_report(client, url=ANONYMOUS_FORM, *, uploads=(), answers=None, **extra):
    answers = answers or (
        anonymous_answers("Photos of the messages.", **extra)
        if url == ANONYMOUS_FORM
        else contact_answers("Photos of the messages.", **extra)
    )
    data = {**answers, "submission_token": fresh_token(client, url)}
    if uploads:
        data["attachments"] = list(uploads)
    return client.post(url, data)


def photo_upload(name=files.PHOTO_NAME, **kwargs):
    return files.upload(name, files.jpeg_photo(**kwargs), "image/jpeg")


def pdf_upload(name=files.PDF_NAME, **kwargs):
    return files.upload(name, files.pdf_document(**kwargs), "application/pdf")


def decrypted(attachment):
    return attachment_storage.read(attachment.storage_key)


def text_of(response):
    return response.content.decode()


def header_set(response):
    return {name.lower(): value for name, value in response.items()}


def download_body(response):
    return b"".join(response.streaming_content)


# --- Sent with a report --------------------------------------------------------------------


def test_a_report_with_a_photo_and_a_pdf_stores_both_cleaned_and_encrypted(
    new_cases, client, new_files
):
    photo, pdf = files.jpeg_photo(), files.pdf_document(with_photo=True)
    response = send_report(
        client,
        uploads=[
            files.upload(files.PHOTO_NAME, photo, "image/jpeg"),
            files.upload(files.PDF_NAME, pdf, "application/pdf"),
        ],
    )
    assert response.status_code == 200, text_of(response)[:3000]
    case = new_cases.get()
    stored = list(case.attachments.order_by("number"))
    assert [(a.number, a.kind, a.extension, a.sender) for a in stored] == [
        (1, "image", "jpg", "reporter"),
        (2, "pdf", "pdf", "reporter"),
    ]
    assert stored[0].neutral_name == f"{case.reference}-attachment-1.jpg"
    # The stored plaintext, decrypted, has none of the identifying details.
    for attachment in stored:
        plaintext = decrypted(attachment)
        assert attachment.size == len(plaintext)
        for sentinel in files.SENTINEL_STRINGS:
            assert sentinel.encode() not in plaintext, sentinel
    assert dict(Image.open(io.BytesIO(decrypted(stored[0]))).getexif()) == {}
    assert "location" in stored[0].removed and "camera" in stored[0].removed
    assert "document_info" in stored[1].removed and "javascript" in stored[1].removed
    # The storage holds no byte sequence of either original, and nothing readable.
    on_disk = new_files()
    assert len(on_disk) == 2
    for content in on_disk.values():
        assert content.startswith(attachment_storage.FORMAT_LINE)
        for original in (photo, pdf):
            for window in files.windows(original):
                assert window not in content
        for sentinel in files.SENTINEL_STRINGS:
            assert sentinel.encode() not in content


def test_the_thank_you_page_says_what_was_removed_from_each_file(new_cases, client):
    response = send_report(
        client, uploads=[photo_upload(), pdf_upload(), files.upload("notes.txt", b"Copied.\n")]
    )
    html = text_of(response)
    assert "Your files" in html
    assert files.PHOTO_NAME in html  # shown back on this page only
    assert "location, camera details and serial number" in html
    assert "document details (author, title, software, dates)" in html
    assert "scripts" in html
    assert "the file&#x27;s name" in html or "the file's name" in html
    assert "What a file shows is not changed: a face in a photo" in html
    assert "a name in a screenshot or a document, is still there" in html


def test_no_table_log_or_session_holds_the_name_a_file_was_sent_with(new_cases, client, caplog):
    caplog.set_level("DEBUG")
    send_report(client, uploads=[photo_upload(), pdf_upload()])
    code = shown_code(send_report(client, uploads=[photo_upload()]))
    log_in(client, code)
    client.post(MESSAGING_SEND, {"body": "More.", "attachments": [pdf_upload()]})
    assert Attachment.objects.count() == 4 + 1  # and the demo's photo
    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    for name in ("Jane-Doe-Sentinel", files.PHOTO_NAME, files.PDF_NAME):
        assert name not in dump.getvalue()
        assert name not in caplog.text
    for path, content in files.stored_files().items():
        assert b"Jane-Doe" not in content and "Jane" not in str(path)
    cookies = "; ".join(f"{key}={morsel.value}" for key, morsel in client.cookies.items())
    assert "Jane" not in cookies


def test_the_kind_is_told_by_content_not_by_name_or_the_browser(new_cases, client):
    pdf_named_photo = files.upload("photo.jpg", files.pdf_document(), "image/jpeg")
    send_report(client, uploads=[pdf_named_photo])
    (attachment,) = new_cases.get().attachments.all()
    assert (attachment.kind, attachment.extension) == ("pdf", "pdf")

    program = files.upload("photo.jpg", b"MZ\x90\x00" + bytes(range(256)) * 4, "image/jpeg")
    response = send_report(client, uploads=[program])
    html = text_of(response)
    assert "“photo.jpg” is not a kind of file we take" in html
    assert new_cases.count() == 1


REFUSALS = [
    (
        "too large",
        lambda: files.upload("big.txt", b"a" * (10 * 1024 * 1024 + 1)),
        "“big.txt” is 10.0\xa0MB; the limit is 10.0\xa0MB for each file.",
    ),
    (
        "damaged",
        lambda: files.upload("cut.png", files.png_screenshot()[:200], "image/png"),
        "“cut.png” could not be read: it may be damaged or incomplete.",
    ),
    (
        "a decompression bomb",
        lambda: files.upload("huge.png", files.bomb_png(), "image/png"),
        "“huge.png” is too large a picture (the limit is 50 megapixels)",
    ),
    (
        "password-protected",
        lambda: files.upload("locked.pdf", files.pdf_document(password="pw"), "application/pdf"),
        "“locked.pdf” is protected by a password, so we cannot remove the details in it",
    ),
    (
        "a PDF that cannot be cleaned",
        lambda: files.upload("broken.pdf", b"%PDF-1.4\n" + b"\x00\x01" * 300),
        "“broken.pdf” could not be cleaned of the details that could identify you",
    ),
    ("empty", lambda: files.upload("empty.txt", b""), "“empty.txt” is empty."),
]


@pytest.mark.parametrize(("rule", "make", "message"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_a_refused_file_is_named_with_its_rule_and_nothing_is_stored(
    new_cases, client, rule, make, message, new_files
):
    response = send_report(client, uploads=[make()])
    assert response.status_code == 200
    html = text_of(response)
    assert message.replace("“", "&ldquo;") in html.replace("“", "&ldquo;") or message in html
    assert "There is a problem" in html
    # The typed answers stay.
    assert "Photos of the messages." in html
    assert new_cases.count() == 0
    assert new_files() == {}


def test_too_many_files_are_refused_with_the_limit(new_cases, client, new_files):
    uploads = [files.upload(f"note-{n}.txt", b"note\n") for n in range(6)]
    html = text_of(send_report(client, uploads=uploads))
    assert "You chose 6 files; you can send up to 5 files at once." in html
    assert new_cases.count() == 0
    assert new_files() == {}


def test_files_that_were_fine_in_a_failed_form_are_named_to_choose_again(
    new_cases, client, new_files
):
    data = anonymous_answers("")  # "What happened?" is required
    response = send_report(
        client,
        answers=data,
        uploads=[photo_upload("first.jpg"), files.upload("x.exe", b"MZ\x90\x00\x03")],
    )
    html = text_of(response)
    assert "Choose “first.jpg” again before sending" in html
    assert "“x.exe” is not a kind of file we take" in html
    # The file input is there, empty, for choosing them again.
    assert 'type="file" name="attachments"' in html and "multiple" in html
    assert 'enctype="multipart/form-data"' in html
    assert new_cases.count() == 0
    assert new_files() == {}


def test_a_storage_failure_part_way_stores_neither_the_report_nor_any_file(
    new_cases, client, new_files
):
    original_save = attachment_storage.save
    calls = []

    def failing_second_save(data):
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk full")
        return original_save(data)

    with mock.patch.object(attachment_storage, "save", failing_second_save):
        response = send_report(client, uploads=[photo_upload(), pdf_upload()])
    html = text_of(response)
    assert "We could not save your report just now, so nothing was stored." in html
    assert "Photos of the messages." in html
    assert new_cases.count() == 0
    assert new_files() == {}


def test_a_database_failure_after_the_files_are_written_deletes_them(new_cases, client, new_files):
    with mock.patch.object(
        Attachment.objects, "bulk_create", side_effect=DatabaseError("connection lost")
    ):
        response = send_report(client, uploads=[photo_upload(), pdf_upload()])
    assert "nothing was stored" in text_of(response)
    assert new_cases.count() == 0
    assert new_files() == {}


def test_the_contact_route_takes_files_too(new_cases, client):
    response = send_report(client, CONTACT_FORM, uploads=[photo_upload()])
    assert response.status_code == 200
    case = new_cases.get()
    assert case.route == Case.Route.CONTACT
    assert case.attachments.count() == 1


def test_editors_set_per_site_whether_forms_take_files_and_how_many(new_cases, client):
    ReportingSettings.objects.update(files_on_report_forms=False)
    response = client.get(ANONYMOUS_FORM)
    assert "attachments" not in response.context["form"].fields
    assert 'type="file"' not in text_of(response)
    ReportingSettings.objects.update(files_on_report_forms=True, max_files=2, max_file_megabytes=1)
    response = client.get(ANONYMOUS_FORM)
    assert "Up to 2 files, 1.0\xa0MB each" in text_of(response)
    html = text_of(send_report(client, uploads=[files.upload(f"{n}.txt", b"n") for n in range(3)]))
    assert "you can send up to 2 files at once" in html


def test_the_site_setting_cannot_exceed_the_ceiling(demo_site, settings):
    settings.ANON_MESSAGING = {**settings.ANON_MESSAGING, "ATTACHMENT_MAX_FILE_MB": 15}
    site_settings = ReportingSettings.objects.get()
    site_settings.max_file_megabytes = 16
    with pytest.raises(Exception) as refused:
        site_settings.full_clean()
    assert "at most 15" in str(refused.value)
    # A value stored before the ceiling was lowered is held to it.
    site_settings.save()
    assert site_settings.file_limits == (5, 15 * 1024 * 1024)


# --- In the conversation -----------------------------------------------------------------


@pytest.fixture
def reporter(new_cases, client):
    code = shown_code(send_report(client, uploads=[photo_upload()]))
    log_in(client, code)
    client.case = new_cases.get()
    return client


def test_the_files_sent_with_the_report_are_listed_with_it_after_log_in(reporter):
    html = text_of(reporter.get(MESSAGING))
    report_part = html.split("Your report", 1)[1]
    assert f"{reporter.case.reference}-attachment-1.jpg" in report_part
    assert f'href="{MESSAGING}attachments/1/"' in reporter.get(MESSAGING).content.decode()


def test_a_reporter_sends_files_with_a_message_and_opens_their_own(reporter):
    response = reporter.post(
        MESSAGING_SEND,
        {
            "body": "The screenshots.",
            "attachments": [files.upload("s.png", files.png_screenshot())],
        },
    )
    assert response.status_code == 302
    message = Message.objects.get(case=reporter.case, sender=Message.Sender.REPORTER)
    (attachment,) = message.attachments.all()
    assert attachment.number == 2  # the report's photo is 1
    page = reporter.get(MESSAGING)
    html = text_of(page)
    assert "Details that could identify you were removed from your files" in html
    assert f"{reporter.case.reference}-attachment-2.png" in html
    assert "Removed before storing: location" in html
    download = reporter.get(f"{MESSAGING}attachments/2/")
    assert download.status_code == 200
    headers = header_set(download)
    assert headers["content-type"] == "image/png"
    assert headers["content-disposition"] == (
        f'attachment; filename="{reporter.case.reference}-attachment-2.png"'
    )
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["content-security-policy"].startswith("sandbox;")
    assert "no-store" in headers["cache-control"]
    assert download_body(download) == decrypted(attachment)
    # The report's own photo too.
    assert reporter.get(f"{MESSAGING}attachments/1/").status_code == 200


def test_a_message_may_be_files_alone_but_not_nothing(reporter):
    response = reporter.post(MESSAGING_SEND, {"body": "", "attachments": [photo_upload()]})
    assert response.status_code == 302
    assert Message.objects.get(case=reporter.case).body == ""
    html = text_of(reporter.post(MESSAGING_SEND, {"body": ""}))
    assert "Write a message before sending. Or choose a file to send on its own." in html


def test_a_refused_file_in_a_message_keeps_the_text_and_stores_nothing(reporter):
    before = files.stored_files()
    html = text_of(
        reporter.post(
            MESSAGING_SEND,
            {"body": "Keep this text.", "attachments": [files.upload("a.pdf", b"%PDF-1.4 x")]},
        )
    )
    assert "“a.pdf” could not be cleaned" in html
    assert "Keep this text." in html
    assert not Message.objects.filter(case=reporter.case).exists()
    assert files.stored_files() == before


def test_a_reporter_opens_an_advisers_file_but_nothing_of_another_case(reporter, demo_site):
    adviser = Client()
    adviser.force_login(get_user_model().objects.get(username="admin"))
    reply = adviser.post(
        case_url(reporter.case),
        {"action": "reply", "reply-body": "See this.", "reply-attachments": [pdf_upload()]},
    )
    assert reply.status_code == 302, text_of(reply)[:2000]
    adviser_file = reporter.case.attachments.get(sender="adviser")
    assert adviser_file.author.username == "admin"
    assert reporter.get(f"{MESSAGING}attachments/{adviser_file.number}/").status_code == 200
    # Another case's attachment under the same number is not reachable.
    other, _code = make_case(what_happened="Other case.")
    cases.post_message(
        other,
        sender=Message.Sender.REPORTER,
        body="x",
        files=[attachment_file() for _ in range(4)],
    )
    assert reporter.get(f"{MESSAGING}attachments/4/").status_code == 404
    assert reporter.get(f"{MESSAGING}attachments/99/").status_code == 404
    # Nobody logged in reaches any attachment.
    assert Client().get(f"{MESSAGING}attachments/1/").status_code == 404


def attachment_file():
    return file_cleaning.clean_file(b"A plain note.\n")


# --- Advisers -------------------------------------------------------------------------------


def case_with_files(cast):
    case, _code = make_case(adviser=cast.assigned, team=cast.team)
    cases.post_message(
        case,
        sender=Message.Sender.REPORTER,
        body="Evidence.",
        files=[
            file_cleaning.clean_file(files.jpeg_photo()),
            attachment_file(),
        ],
    )
    return case


def attachment_url(case, number):
    return f"/admin/anon_messaging/case/attachment/{case.pk}/{number}/"


def test_advisers_see_each_attachment_and_images_stay_hidden_until_shown(client, cast):
    case = case_with_files(cast)
    client.force_login(cast.assigned)
    html = text_of(client.get(case_url(case)))
    assert "Attachment 1" in html and "Attachment 2" in html
    assert "Image" in html and "Text file" in html
    assert "location, camera details and serial number" in html
    assert "Hidden until you choose to see it" in html
    assert "<img" not in html.split('id="attachment-1"')[1].split("</li>")[0]
    shown = text_of(client.get(case_url(case) + "?show=1"))
    section = shown.split('id="attachment-1"')[1].split("</li>")[0]
    assert f'<img class="am-attachment__image" src="{attachment_url(case, 1)}"' in section
    assert "Hide image" in section


def test_every_opening_is_checked_and_recorded_in_the_case_history(client, cast):
    case = case_with_files(cast)
    client.force_login(cast.assigned)
    response = client.get(attachment_url(case, 1))
    assert response.status_code == 200
    headers = header_set(response)
    assert headers["content-type"] == "image/jpeg"
    assert headers["content-disposition"].startswith("attachment;")
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["content-security-policy"].startswith("sandbox;")
    body = download_body(response)
    assert files.SERIAL.encode() not in body
    client.get(attachment_url(case, 2))
    lines = CaseLogEntry.objects.filter(case_id=case.pk, action=audit.ATTACHMENT_OPENED)
    assert sorted(line.data["attachment"] for line in lines) == [1, 2]
    assert {line.user_id for line in lines} == {cast.assigned.pk}
    assert "Opened attachment 1" in {str(line.message) for line in lines}


@pytest.mark.parametrize("who", ["unassigned", "editor"])
def test_those_who_may_not_see_the_case_get_404(client, cast, who):
    case = case_with_files(cast)
    client.force_login(getattr(cast, who))
    assert client.get(attachment_url(case, 1)).status_code == 404
    assert client.get(attachment_url(case, 9)).status_code == 404
    assert not CaseLogEntry.objects.filter(action=audit.ATTACHMENT_OPENED).exists()


def test_an_unknown_attachment_number_is_404_and_nobody_logged_out_gets_anything(client, cast):
    case = case_with_files(cast)
    client.force_login(cast.assigned)
    assert client.get(attachment_url(case, 3)).status_code == 404
    anonymous = Client()
    response = anonymous.get(attachment_url(case, 1))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_an_advisers_reply_can_carry_files(client, cast):
    case, _code = make_case(adviser=cast.assigned, team=cast.team)
    client.force_login(cast.assigned)
    response = client.post(
        case_url(case),
        {"action": "reply", "reply-body": "", "reply-attachments": [photo_upload()]},
    )
    assert response.status_code == 302
    attachment = case.attachments.get()
    assert (attachment.sender, attachment.author_id) == ("adviser", cast.assigned.pk)
    line = CaseLogEntry.objects.get(case_id=case.pk, action=audit.REPLIED)
    assert line.data["attachments"] == 1
    refused = client.post(
        case_url(case),
        {"action": "reply", "reply-body": "Text", "reply-attachments": [files.upload("z", b"\0")]},
    )
    assert "“z” is not a kind of file we take" in text_of(refused)


# --- Deleted with the case, and orphans -----------------------------------------------------


def test_retention_deletes_the_files_and_the_history_counts_them(
    cast, django_capture_on_commit_callbacks
):
    case = case_with_files(cast)
    Case.objects.filter(pk=case.pk).update(
        status=Case.Status.CLOSED, closed_at=timezone.now() - timedelta(days=400)
    )
    assert len(files.stored_files()) == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert retention.delete_expired_cases() == 1
    assert files.stored_files() == {}
    assert not Attachment.objects.exists()
    line = CaseLogEntry.objects.get(case_id=case.pk, action=audit.DELETED_AFTER_RETENTION)
    assert line.data == {"retention_days": 365, "attachments": 2}
    assert "2 attachments" in str(line.message)


def test_deleting_a_case_any_other_way_deletes_its_files(cast, django_capture_on_commit_callbacks):
    case = case_with_files(cast)
    with django_capture_on_commit_callbacks(execute=True):
        Case.objects.filter(pk=case.pk).delete()
    assert files.stored_files() == {}


def test_the_sweep_deletes_files_a_crash_left_and_nothing_else(cast, attachment_root):
    case = case_with_files(cast)
    orphan = attachment_storage.save(b"left by a crash")
    fresh = attachment_storage.save(b"being written right now")
    old = time.time() - 2 * 3600
    os.utime(attachment_root / orphan, (old, old))
    for attachment in case.attachments.all():
        os.utime(attachment_root / attachment.storage_key, (old, old))
    assert tasks.delete_orphaned_attachments() == {"deleted": 1}
    assert not (attachment_root / orphan).exists()
    assert (attachment_root / fresh).exists()
    for attachment in case.attachments.all():
        assert decrypted(attachment)


def test_the_sweep_is_scheduled_hourly(db):
    from django_q.models import Schedule

    from anon_messaging import schedules

    schedules.create_schedules()
    schedule = Schedule.objects.get(name=schedules.ATTACHMENT_ORPHANS.name)
    assert schedule.func == "anon_messaging.tasks.delete_orphaned_attachments"
    assert schedule.schedule_type == Schedule.HOURLY


# --- Keys --------------------------------------------------------------------------------------


def test_reencrypt_rotates_attachment_files(cast, settings, django_capture_on_commit_callbacks):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.ANON_MESSAGING = {**settings.ANON_MESSAGING, "ENCRYPTION_KEYS": [old_key]}
    case = case_with_files(cast)
    contents = {a.number: decrypted(a) for a in case.attachments.all()}
    old_keys = set(case.attachments.values_list("storage_key", flat=True))
    settings.ANON_MESSAGING = {**settings.ANON_MESSAGING, "ENCRYPTION_KEYS": [new_key, old_key]}
    with pytest.raises(Exception, match="not under the newest key"):
        call_command("anon_messaging_reencrypt", "--check", stdout=io.StringIO())
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("anon_messaging_reencrypt", stdout=out)
    assert "anon_messaging.Attachment files: 2 re-encrypted" in out.getvalue()
    settings.ANON_MESSAGING = {**settings.ANON_MESSAGING, "ENCRYPTION_KEYS": [new_key]}
    for attachment in case.attachments.all():
        assert attachment.storage_key not in old_keys
        assert decrypted(attachment) == contents[attachment.number]
    assert len(files.stored_files()) == 2  # the old files are gone
    call_command("anon_messaging_reencrypt", "--check", stdout=io.StringIO())


def test_a_missing_or_damaged_stored_file_is_not_found_never_a_server_error(
    client, cast, attachment_root
):
    case = case_with_files(cast)
    first, second = case.attachments.order_by("number")
    (attachment_root / first.storage_key).unlink()
    (attachment_root / second.storage_key).write_bytes(b"not what was stored")
    client.force_login(cast.assigned)
    assert client.get(attachment_url(case, 1)).status_code == 404
    assert client.get(attachment_url(case, 2)).status_code == 404
    assert client.get(case_url(case)).status_code == 200


def test_a_storage_inside_media_root_is_a_check_error(settings, tmp_path):
    from anon_messaging import checks

    settings.MEDIA_ROOT = str(tmp_path)
    settings.STORAGES = {
        **settings.STORAGES,
        "anon_messaging_attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private")},
        },
    }
    assert "anon_messaging.E508" in [error.id for error in checks.check_settings()]
    settings.MEDIA_ROOT = str(tmp_path / "media")
    assert "anon_messaging.E508" not in [error.id for error in checks.check_settings()]


def test_without_a_storage_entry_files_go_beside_media_root_never_inside(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.STORAGES = {
        key: value
        for key, value in settings.STORAGES.items()
        if key != "anon_messaging_attachments"
    }
    key = attachment_storage.save(b"x")
    assert (tmp_path / "private" / "anon_messaging_attachments" / key).exists()
    assert attachment_storage.read(key) == b"x"
    assert (
        oct((tmp_path / "private" / "anon_messaging_attachments" / key).stat().st_mode)[-3:]
        == "600"
    )


def test_the_demo_seeds_one_case_with_a_cleaned_photo(demo_site):
    (photo,) = Attachment.objects.all()
    assert (photo.kind, photo.extension, photo.sender) == ("image", "jpg", "reporter")
    assert {"location", "camera"} <= set(photo.removed)
    content = decrypted(photo)
    assert b"DemoPhone" not in content and b"Demo Model X" not in content
    assert Image.open(io.BytesIO(content)).size == (480, 640)


def test_files_are_received_in_memory_never_in_a_temporary_file(new_cases, client):
    from django.core.files import uploadedfile

    # Over Django's FILE_UPLOAD_MAX_MEMORY_SIZE (2.5 MB), past which it would use a file.
    big = files.jpeg_photo(size=(1800, 1400)) + b"\0" * (3 * 1024 * 1024)
    with mock.patch.object(
        uploadedfile.TemporaryUploadedFile, "__init__", side_effect=AssertionError("on disk")
    ):
        response = send_report(client, uploads=[files.upload("big.jpg", big, "image/jpeg")])
    assert response.status_code == 200
    (attachment,) = new_cases.get().attachments.all()
    # Received in pieces, the photo was read whole: all of its pixels were stored.
    assert Image.open(io.BytesIO(decrypted(attachment))).size == (1800, 1400)


def test_an_upload_is_kept_in_pieces_that_go_once_read_and_are_blanked_after(settings):
    data = os.urandom(2 * uploads.PIECE_SIZE + 10)
    received = uploads.ReceivedFile()
    for start in range(0, len(data), 65_536):
        received.append(data[start : start + 65_536])
    assert received.size == len(data)
    received.seek(uploads.PIECE_SIZE - 3)
    assert received.read(6) == data[uploads.PIECE_SIZE - 3 : uploads.PIECE_SIZE + 3]
    into = bytearray(uploads.PIECE_SIZE + 2)
    received.seek(5)
    assert received.readinto(into) == len(into) and bytes(into) == data[5 : 5 + len(into)]
    assert received.seek(0, io.SEEK_END) == len(data) and received.read() == b""
    # A decoder reading it through lets go of each piece it has passed.
    received.seek(0)
    received.release_as_read()
    assert received.read(uploads.PIECE_SIZE + 1) == data[: uploads.PIECE_SIZE + 1]
    received.seek(0)
    with pytest.raises(OSError):
        received.read(1)
    received.seek(uploads.PIECE_SIZE)
    assert received.read() == data[uploads.PIECE_SIZE :]
    # The pieces kept for the next upload hold nothing of this one.
    received.close()
    assert uploads._spare_pieces
    assert all(piece[:] == bytes(uploads.PIECE_SIZE) for piece in uploads._spare_pieces)


def test_nothing_of_a_sent_file_is_left_on_disk_but_in_the_storage(
    new_cases, client, settings, tmp_path, new_files
):
    """Cleaned files are encrypted as they are written, into temporary files that the
    storage takes or that go with the request."""
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    # A fine photo in a form with a problem: never stored, nothing left.
    refused = files.upload("x.exe", b"MZ\x90\x00\x03")
    response = send_report(client, uploads=[photo_upload("first.jpg"), refused])
    assert "Choose “first.jpg” again before sending" in text_of(response)
    assert list(tmp_path.iterdir()) == []
    assert new_files() == {}
    response = send_report(client, uploads=[photo_upload(), pdf_upload()])
    assert response.status_code == 200
    assert new_cases.get().attachments.count() == 2
    assert list(tmp_path.iterdir()) == []
    assert len(new_files()) == 2


def test_a_file_over_the_limit_is_measured_but_not_kept(new_cases, client):
    huge = files.upload("huge.txt", b"x" * (30 * 1024 * 1024))
    html = text_of(send_report(client, uploads=[huge]))
    assert "“huge.txt” is 30.0\xa0MB; the limit is 10.0\xa0MB for each file." in html
    assert new_cases.count() == 0


def test_a_site_without_the_upload_handler_is_warned(settings):
    from anon_messaging import checks

    assert "anon_messaging.W510" not in [error.id for error in checks.check_settings()]
    settings.FILE_UPLOAD_HANDLERS = settings.FILE_UPLOAD_HANDLERS[1:]
    assert "anon_messaging.W510" in [error.id for error in checks.check_settings()]
