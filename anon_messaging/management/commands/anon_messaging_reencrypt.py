"""Re-encrypt every encrypted value under the newest key, so older keys can be removed.

Key rotation: put a new key first in ``ANON_MESSAGING["ENCRYPTION_KEYS"]`` (old
values still read, new ones use it), run this command, then remove the old key.
``--check`` only counts what is not under the newest key yet, and fails if any is.

Every model field built on ``EncryptedTextField`` is covered, found through the
app registry. Rows are rewritten in small transactions holding row locks, so
values written meanwhile are never overwritten with stale ones. Attachments' stored
files are rotated too: each is written anew under the newest key, its row is moved
to the new file under a row lock, and the old file is deleted once that commits. The
command prints counts only, never a value or a file's content.
"""

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import models, transaction
from django.db.models.functions import Cast

from anon_messaging import attachment_storage
from anon_messaging.conf import get_setting
from anon_messaging.fields import EncryptedTextField, derived_key, newest_key
from anon_messaging.models import Attachment


def encrypted_fields():
    """``(model, [fields])`` for every model with encrypted fields."""
    found = []
    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if fields:
            found.append((model, fields))
    return found


class Command(BaseCommand):
    help = "Re-encrypt all encrypted report data under the newest key in ENCRYPTION_KEYS."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="Change nothing; fail if any value is not under the newest key yet.",
        )
        parser.add_argument(
            "--include-demo-key",
            action="store_true",
            help="Also read values written under the key derived from SECRET_KEY, for a "
            "site that ran without ENCRYPTION_KEYS.",
        )
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, check=False, include_demo_key=False, batch_size=500, **options):
        keys = list(get_setting("ENCRYPTION_KEYS")) or [derived_key(settings.SECRET_KEY)]
        if include_demo_key:
            keys.append(derived_key(settings.SECRET_KEY))
        self.keys = keys
        try:
            self.readers = MultiFernet([Fernet(key) for key in keys])
            self.newest = Fernet(newest_key())
        except ValueError as exc:
            raise CommandError("ENCRYPTION_KEYS must hold Fernet keys.") from exc

        stale_total = unreadable_total = 0
        for model, fields in encrypted_fields():
            for field in fields:
                current, stale, unreadable = self.process(model, field, check, batch_size)
                stale_total += stale
                unreadable_total += unreadable
                verb = "not under the newest key" if check else "re-encrypted"
                self.stdout.write(
                    f"{model._meta.label}.{field.name}: {stale} {verb}, "
                    f"{current} already under the newest key"
                    + (f", {unreadable} unreadable with every configured key" if unreadable else "")
                )

        current, stale, unreadable = self.process_attachments(check)
        stale_total += stale
        unreadable_total += unreadable
        verb = "not under the newest key" if check else "re-encrypted"
        self.stdout.write(
            f"anon_messaging.Attachment files: {stale} {verb}, "
            f"{current} already under the newest key"
            + (f", {unreadable} unreadable with every configured key" if unreadable else "")
        )

        if unreadable_total:
            raise CommandError(
                f"{unreadable_total} values could not be read with any configured key. Add the "
                "key they were written with (or --include-demo-key) and run this again."
            )
        if check and stale_total:
            raise CommandError(
                f"{stale_total} values are not under the newest key yet: run this command "
                "without --check before removing an older key."
            )
        self.stdout.write(self.style.SUCCESS("Every encrypted value is under the newest key."))

    def token_is_current(self, token):
        try:
            self.newest.decrypt(token.encode("ascii"))
        except InvalidToken:
            return False
        return True

    def process(self, model, field, check, batch_size):
        """Walk one column in primary-key order; returns (current, stale, unreadable)."""
        # Cast to plain text, so the field's own decryption is bypassed and tokens come raw.
        raw = Cast(field.attname, output_field=models.TextField())
        queryset = model._base_manager.exclude(**{f"{field.attname}__isnull": True}).order_by("pk")
        current = stale = unreadable = 0
        last_pk = None
        while True:
            batch = queryset if last_pk is None else queryset.filter(pk__gt=last_pk)
            with transaction.atomic():
                rows = list(
                    batch.select_for_update()
                    .annotate(raw_token=raw)
                    .values_list("pk", "raw_token")[:batch_size]
                )
                for pk, token in rows:
                    if not token or self.token_is_current(token):
                        current += 1
                        continue
                    try:
                        rotated = self.readers.rotate(token.encode("ascii"))
                    except InvalidToken:
                        unreadable += 1
                        continue
                    stale += 1
                    if not check:
                        model._base_manager.filter(pk=pk).update(
                            **{
                                field.attname: models.Value(
                                    rotated.decode("ascii"), output_field=models.TextField()
                                )
                            }
                        )
            if len(rows) < batch_size:
                return current, stale, unreadable
            last_pk = rows[-1][0]

    def process_attachments(self, check):
        """Rotate every attachment's file; returns (current, stale, unreadable)."""
        ring = attachment_storage.Keyring(self.keys)
        current = stale = unreadable = 0
        # A redacted attachment has no content left to rotate.
        rows = Attachment.objects.filter(storage_key__isnull=False).order_by("pk")
        for pk, key in rows.values_list("pk", "storage_key"):
            try:
                if attachment_storage.is_current(key, ring):
                    current += 1
                    continue
                if check:
                    # Stale only if some configured key can read it; unreadable otherwise.
                    for _chunk in attachment_storage.open_chunks(key, ring):
                        pass
                    stale += 1
                    continue
                new_key = attachment_storage.rewrite(key, ring)
            except attachment_storage.UnreadableAttachment:
                unreadable += 1
                continue
            with transaction.atomic():
                moved = (
                    Attachment.objects.select_for_update()
                    .filter(pk=pk, storage_key=key)
                    .update(storage_key=new_key)
                )
                # Deleted meanwhile: the new copy goes instead of the old file.
                old_key = key if moved else new_key
                transaction.on_commit(lambda old=old_key: attachment_storage.delete(old))
            stale += 1
        return current, stale, unreadable
