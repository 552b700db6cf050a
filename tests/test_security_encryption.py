"""Data at rest: a database dump reveals no report text; keys rotate without losing data.

Reports, contact details and messages are sent through the pages, notes and
replies written as advisers write them; then the raw columns, and every other
table too, are read with plain SQL and searched for the text. Rotation puts a
new key first, checks old rows still read through the reporter's pages, runs
``anon_messaging_reencrypt`` and removes the old key.
"""

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client

from anon_messaging import cases
from anon_messaging.fields import derived_key
from anon_messaging.models import Case, ContactDetails, InternalNote, Message
from tests import factories
from tests.reporter_journey import case_for_code
from tests.security_support import (
    ANONYMOUS_FORM,
    CONTACT_FORM,
    MESSAGING,
    MESSAGING_SEND,
    log_in,
    random_text,
    report_form_data,
    send_anonymous_report,
)

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()

ENCRYPTED_COLUMNS = [
    (Case, "answers"),
    (ContactDetails, "name"),
    (ContactDetails, "email"),
    (ContactDetails, "phone"),
    (Message, "body"),
    (InternalNote, "body"),
]


def use_keys(settings, keys):
    settings.ANON_MESSAGING = {**settings.ANON_MESSAGING, "ENCRYPTION_KEYS": keys}


def site_under(settings, keys):
    """The reporter pages, an adviser, and cases already there (one each way, with a
    conversation and a note), all made while ``keys`` are configured."""
    use_keys(settings, keys)
    factories.reporter_site()
    adviser = factories.make_adviser()
    for route in (Case.Route.ANONYMOUS, Case.Route.CONTACT):
        case, _code = factories.make_case(route=route, what_happened=f"Earlier {route} report.")
        cases.post_message(case, sender=Message.Sender.REPORTER, body="An earlier message.")
        cases.post_message(
            case, sender=Message.Sender.ADVISER, body="An earlier reply.", author=adviser
        )
        InternalNote.objects.create(case=case, author=adviser, body="An earlier note.")


def raw_column(model, field_name):
    """The column's values exactly as the database holds them, without the ORM."""
    table = connection.ops.quote_name(model._meta.db_table)
    column = connection.ops.quote_name(model._meta.get_field(field_name).column)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table}")  # noqa: S608 - names from the models
        return [value for (value,) in cursor.fetchall() if value]


def whole_database_text():
    """Every value of every table, as one string: what a dump would show."""
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        value = bytes(value).decode("latin-1")
                    parts.append(str(value))
    return "\n".join(parts)


def write_everything(marker):
    """One of each encrypted thing, through the pages where reporters write them.

    Returns the reporter's client (logged in) and the texts written.
    """
    texts = {
        "answer": f"answer-{marker}",
        "name": f"Name {marker}",
        "email": f"{marker}@example.org",
        "phone": "+44 20 7946 0991",
        "reporter message": f"message-{marker}",
        "adviser reply": f"reply-{marker}",
        "note": f"note-{marker}",
    }
    reporter = Client()
    code = send_anonymous_report(reporter, texts["answer"])
    contact_data = report_form_data(
        reporter,
        CONTACT_FORM,
        texts["answer"] + " contact",
        reporter_name=texts["name"],
        reporter_email=texts["email"],
        reporter_phone=texts["phone"],
    )
    assert reporter.post(CONTACT_FORM, contact_data).status_code == 200
    log_in(reporter, code)
    assert reporter.post(MESSAGING_SEND, {"body": texts["reporter message"]}).status_code == 302
    case = case_for_code(code)
    adviser = get_user_model().objects.get(username="adviser")
    cases.post_message(
        case, sender=Message.Sender.ADVISER, body=texts["adviser reply"], author=adviser
    )
    InternalNote.objects.create(case=case, author=adviser, body=texts["note"])
    return reporter, texts


def test_database_dump_reveals_no_report_text(db, settings):
    site_under(settings, [OLD_KEY])
    _reporter, texts = write_everything(random_text())

    for model, field_name in ENCRYPTED_COLUMNS:
        stored = raw_column(model, field_name)
        assert stored, (model, field_name)
        for value in stored:
            # A Fernet token under the configured key, not text.
            Fernet(OLD_KEY).decrypt(value.encode("ascii"))
    dump = whole_database_text()
    for what, text in texts.items():
        assert text not in dump, what
    # The ORM reads it all back.
    assert texts["note"] in {note.body for note in InternalNote.objects.all()}
    assert texts["email"] in {details.email for details in ContactDetails.objects.all()}
    # Each encryption is randomised, so equal texts give different tokens: nothing to match.
    assert not ContactDetails.objects.filter(email=texts["email"]).exists()


def test_rotation_keeps_old_rows_readable_and_reencrypt_moves_them(db, settings):
    site_under(settings, [OLD_KEY])
    reporter, old_texts = write_everything(random_text())

    # A new key first: old rows still read, through the reporter's own pages too.
    use_keys(settings, [NEW_KEY, OLD_KEY])
    conversation = reporter.get(MESSAGING).content.decode()
    for what in ("answer", "reporter message", "adviser reply"):
        assert old_texts[what] in conversation, what
    assert old_texts["note"] not in conversation  # notes are never shown to reporters
    _second_reporter, new_texts = write_everything(random_text())
    with pytest.raises(CommandError, match="not under the newest key"):
        call_command("anon_messaging_reencrypt", "--check", stdout=_Sink())

    output = _Sink()
    call_command("anon_messaging_reencrypt", stdout=output)
    assert "Every encrypted value is under the newest key." in output.text
    for text in (*old_texts.values(), *new_texts.values()):
        assert text not in output.text  # counts only, never a value
    for model, field_name in ENCRYPTED_COLUMNS:
        for value in raw_column(model, field_name):
            Fernet(NEW_KEY).decrypt(value.encode("ascii"))
            with pytest.raises(InvalidToken):
                Fernet(OLD_KEY).decrypt(value.encode("ascii"))
    call_command("anon_messaging_reencrypt", "--check", stdout=_Sink())

    # The old key can go: everything still reads.
    use_keys(settings, [NEW_KEY])
    conversation = reporter.get(MESSAGING).content.decode()
    for what in ("answer", "reporter message", "adviser reply"):
        assert old_texts[what] in conversation, what
    everything = [
        str(getattr(obj, field_name))
        for model, field_name in ENCRYPTED_COLUMNS
        for obj in model.objects.all()
    ]
    for texts in (old_texts, new_texts):
        assert texts["note"] in everything
        assert texts["email"] in everything


def test_reencrypt_refuses_values_no_key_can_read(db, settings):
    site_under(settings, [OLD_KEY])
    write_everything(random_text())
    use_keys(settings, [NEW_KEY])
    with pytest.raises(CommandError, match="could not be read with any configured key"):
        call_command("anon_messaging_reencrypt", stdout=_Sink())


def test_reencrypt_moves_a_site_off_the_demo_key(db, settings):
    site_under(settings, [])
    reporter, texts = write_everything(random_text())
    for value in raw_column(Message, "body"):
        Fernet(derived_key(settings.SECRET_KEY)).decrypt(value.encode("ascii"))

    use_keys(settings, [NEW_KEY])
    call_command("anon_messaging_reencrypt", "--include-demo-key", stdout=_Sink())
    assert texts["reporter message"] in reporter.get(MESSAGING).content.decode()


def test_report_forms_store_encrypted_answers_only(db, settings):
    site_under(settings, [OLD_KEY])
    marker = random_text()
    client = Client()
    assert (
        client.post(
            ANONYMOUS_FORM, report_form_data(client, ANONYMOUS_FORM, f"plain {marker}")
        ).status_code
        == 200
    )
    assert marker not in whole_database_text()


class _Sink:
    """A stdout for call_command that keeps what was written."""

    def __init__(self):
        self.text = ""

    def write(self, text):
        self.text += text

    def flush(self):
        pass
