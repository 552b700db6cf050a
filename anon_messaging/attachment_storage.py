"""Attachments' content at rest: encrypted, in a private storage no URL serves.

Content is encrypted with the app's key list (``fields.get_fernet``, the same
MultiFernet as encrypted fields, so ``anon_messaging_reencrypt`` rotates files too)
and written through Django's storage API to the storage that
``ANON_MESSAGING["ATTACHMENT_STORAGE"]`` names in ``settings.STORAGES``. Without such
an entry it is a ``FileSystemStorage`` in ``default_location()``, beside the media
directory and never inside it; docs/attachments.md shows an S3-compatible store
through django-storages.

A stored file is a format line and then one Fernet token per line, each for up to
``CHUNK_SIZE`` bytes of content, so a file is encrypted, decrypted and streamed to a
browser a chunk at a time rather than held whole in memory twice. A key is random
(``<2 hex>/<32 hex>``) and says nothing about the case or the file.
"""

import tempfile
import uuid
from datetime import UTC
from pathlib import Path

from cryptography.fernet import InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files import File
from django.core.files.storage import FileSystemStorage, InvalidStorageError, storages

from .conf import get_setting
from .fields import get_fernet

FORMAT_LINE = b"anon_messaging-attachment-v1\n"
CHUNK_SIZE = 1024 * 1024
# Encrypted data is kept in memory up to this size while it is written, then on disk.
_SPOOL_SIZE = 4 * 1024 * 1024


class UnreadableAttachment(Exception):
    """The stored file is missing, or no configured key can read it."""


def default_location():
    """Where the embedded default keeps files: ``private/anon_messaging_attachments``
    beside ``MEDIA_ROOT``, which a web server serves; this directory it must not."""
    media_root = Path(settings.MEDIA_ROOT or ".").resolve()
    return media_root.parent / "private" / "anon_messaging_attachments"


def get_storage():
    """The attachments' storage (``ANON_MESSAGING["ATTACHMENT_STORAGE"]`` in STORAGES)."""
    alias = get_setting("ATTACHMENT_STORAGE")
    try:
        return storages[alias]
    except InvalidStorageError:
        return _default_storage()


_default = {}


def _default_storage():
    location = str(default_location())
    storage = _default.get(location)
    if storage is None:
        storage = _default[location] = FileSystemStorage(
            location=location,
            # Readable by the site's own user alone.
            file_permissions_mode=0o600,
            directory_permissions_mode=0o700,
        )
    return storage


def filesystem_location(storage=None):
    """The directory of a filesystem storage, or None for any other kind."""
    storage = storage or get_storage()
    return Path(storage.location).resolve() if isinstance(storage, FileSystemStorage) else None


def new_key():
    name = uuid.uuid4().hex
    return f"{name[:2]}/{name}"


def save(data):
    """Encrypt ``data`` (bytes) under the newest key and store it; returns its storage key."""
    return save_chunks(
        data[start : start + CHUNK_SIZE] for start in range(0, len(data), CHUNK_SIZE)
    )


def save_chunks(chunks, fernet=None):
    """Encrypt each chunk of content as one token and store them; returns the key."""
    fernet = fernet or get_fernet()
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_SIZE) as spool:
        spool.write(FORMAT_LINE)
        for chunk in chunks:
            spool.write(fernet.encrypt(chunk))
            spool.write(b"\n")
        spool.seek(0)
        key = new_key()
        stored = get_storage().save(key, File(spool, name=key))
    if stored != key:  # a storage that renamed it: never expected with random keys
        get_storage().delete(stored)
        raise ImproperlyConfigured("The attachment storage renamed a new file.")
    return key


def tokens(key):
    """The stored tokens of ``key``, one at a time."""
    storage = get_storage()
    try:
        handle = storage.open(key, "rb")
    except (FileNotFoundError, OSError) as exc:
        raise UnreadableAttachment(key) from exc
    with handle:
        lines = iter(handle)
        first = next(lines, b"")
        if first != FORMAT_LINE:
            raise UnreadableAttachment(key)
        for line in lines:
            line = line.rstrip(b"\n")
            if line:
                yield line


def open_chunks(key):
    """The decrypted content of ``key``, a chunk at a time (for streaming to a browser)."""
    fernet = get_fernet()
    for token in tokens(key):
        try:
            yield fernet.decrypt(token)
        except InvalidToken as exc:
            raise UnreadableAttachment(key) from exc


def read(key):
    return b"".join(open_chunks(key))


def delete(key):
    get_storage().delete(key)


def exists(key):
    return get_storage().exists(key)


def stored_keys():
    """Every key in the storage (the orphan sweep compares them with the table)."""
    storage = get_storage()
    try:
        directories, _files = storage.listdir("")
    except FileNotFoundError:
        return []
    keys = []
    for directory in directories:
        _subdirectories, files = storage.listdir(directory)
        keys.extend(f"{directory}/{name}" for name in files)
    return keys


def modified_at(key):
    """When ``key`` was written, as an aware datetime (storages may give naive UTC)."""
    when = get_storage().get_modified_time(key)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def rewrite(key, readers, newest):
    """A copy of ``key`` with every token under ``newest``; returns ``(new key, changed)``.

    The old file stays until the caller has recorded the new key, so a failure between
    the two leaves an orphan for the sweep, never a row without its file.
    """
    changed = False

    def rotated():
        nonlocal changed
        for token in tokens(key):
            try:
                newest.decrypt(token)
            except InvalidToken:
                changed = True
            try:
                yield readers.decrypt(token)
            except InvalidToken as exc:
                raise UnreadableAttachment(key) from exc

    new = save_chunks(rotated(), fernet=newest)
    if not changed:
        delete(new)
        return key, False
    return new, True


def is_current(key, newest):
    """Whether every token of ``key`` is under ``newest`` already."""
    try:
        for token in tokens(key):
            newest.decrypt(token)
    except InvalidToken:
        return False
    return True


__all__ = [
    "CHUNK_SIZE",
    "UnreadableAttachment",
    "default_location",
    "delete",
    "exists",
    "filesystem_location",
    "get_storage",
    "is_current",
    "modified_at",
    "open_chunks",
    "read",
    "rewrite",
    "save",
    "stored_keys",
]
