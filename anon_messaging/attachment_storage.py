"""Attachments' content at rest: encrypted, in a private storage no URL serves.

Keys: the app's key list, ``ANON_MESSAGING["ENCRYPTION_KEYS"]`` (newest first; the
demo key derived from SECRET_KEY without it), the same list as the encrypted fields,
so adding a key and running ``anon_messaging_reencrypt`` rotates files too. Each
Fernet key gives the files a key of their own through HKDF-SHA256, used with
AES-256-GCM: a 10 MB file is encrypted in about 10 ms, where Fernet (AES-CBC,
HMAC and base64, made for short values) takes 70 ms and stores a third more.

Storage: written through Django's storage API to the storage that
``ANON_MESSAGING["ATTACHMENT_STORAGE"]`` names in ``settings.STORAGES``; without such
an entry, a ``FileSystemStorage`` in ``default_location()``, beside the media
directory and never inside it. docs/attachments.md shows an S3-compatible store.

Format: a format line, then one record per chunk of up to ``CHUNK_SIZE`` bytes of
content, so a file is encrypted, decrypted and streamed a chunk at a time::

    key id (8 bytes) | nonce (12) | flags (1) | length (4, big-endian) | ciphertext and tag

The authenticated data of each record is the file's storage key, the record's number
and its flags (1: the last record), so records cannot be reordered, dropped, cut off
at the end or moved to another file without decryption failing. A key says nothing
about the case or the file: ``<2 hex>/<32 hex>``, random.
"""

import contextlib
import hashlib
import os
import tempfile
import uuid
from datetime import UTC
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files import File
from django.core.files.storage import FileSystemStorage, InvalidStorageError, storages

from .conf import get_setting
from .fields import derived_key

FORMAT_LINE = b"anon_messaging-attachment-v2\n"
CHUNK_SIZE = 1024 * 1024
_KEY_ID_SIZE, _NONCE_SIZE, _LENGTH_SIZE = 8, 12, 4
_HEADER_SIZE = _KEY_ID_SIZE + _NONCE_SIZE + 1 + _LENGTH_SIZE
_LAST = 1
_TAG_SIZE = 16
# Encrypted content is kept in memory up to this size while it is written, then on disk.
_SPOOL_SIZE = 2 * 1024 * 1024
_HKDF_INFO = b"anon_messaging attachments v2"


class UnreadableAttachment(Exception):
    """The stored file is missing, damaged, or no configured key can read it."""


# --- Keys ------------------------------------------------------------------------------------


class FileKey:
    """The AES-256-GCM key one configured key gives attachments, and its id."""

    def __init__(self, fernet_key):
        material = fernet_key.encode() if isinstance(fernet_key, str) else fernet_key
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(
            material
        )
        self.key_id = hashlib.sha256(derived).digest()[:_KEY_ID_SIZE]
        self.aead = AESGCM(derived)


class Keyring:
    """Keys for attachments, newest first: files are written under the first."""

    def __init__(self, fernet_keys):
        if not fernet_keys:
            raise ImproperlyConfigured("No encryption key for attachments.")
        self.keys = [FileKey(key) for key in fernet_keys]
        self.by_id = {key.key_id: key for key in reversed(self.keys)}

    @property
    def newest(self):
        return self.keys[0]


def configured_keys():
    """The key list the encrypted fields use: ENCRYPTION_KEYS, or the demo key."""
    return tuple(get_setting("ENCRYPTION_KEYS")) or (derived_key(settings.SECRET_KEY),)


@lru_cache(maxsize=8)
def _keyring(keys):
    return Keyring(keys)


def keyring():
    return _keyring(configured_keys())


# --- Storage -----------------------------------------------------------------------------------


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
        return _default_storage(str(default_location()))


@lru_cache(maxsize=4)
def _default_storage(location):
    return FileSystemStorage(
        location=location,
        # Readable by the site's own user alone.
        file_permissions_mode=0o600,
        directory_permissions_mode=0o700,
    )


def filesystem_location(storage=None):
    """The directory of a filesystem storage, or None for any other kind."""
    storage = storage or get_storage()
    return Path(storage.location).resolve() if isinstance(storage, FileSystemStorage) else None


def new_key():
    name = uuid.uuid4().hex
    return f"{name[:2]}/{name}"


# --- Writing -----------------------------------------------------------------------------------


def _chunks_of(data):
    view = memoryview(data)
    return (view[start : start + CHUNK_SIZE] for start in range(0, len(data), CHUNK_SIZE))


def save(data):
    """Encrypt ``data`` (bytes) under the newest key and store it; returns its storage key."""
    return save_chunks(_chunks_of(data))


def save_chunks(chunks, ring=None):
    """Encrypt each chunk of content as one record and store them; returns the key.

    A filesystem storage is handed the records as they are sealed; another storage (an
    object store) gets them from a temporary file, in memory up to 2 MB. A failure
    part-way deletes what was written of the file.
    """
    file_key = (ring or keyring()).newest
    key = new_key()
    storage = get_storage()
    content = _sealed(file_key, key, chunks)
    try:
        if isinstance(storage, FileSystemStorage):
            stored = storage.save(key, _StreamedFile(content, key))
        else:
            with tempfile.SpooledTemporaryFile(max_size=_SPOOL_SIZE) as spool:
                for piece in content:
                    spool.write(piece)
                spool.seek(0)
                stored = storage.save(key, File(spool, name=key))
    except BaseException:
        with contextlib.suppress(Exception):
            storage.delete(key)
        raise
    if stored != key:  # a storage that renamed it: never expected with random keys
        storage.delete(stored)
        raise ImproperlyConfigured("The attachment storage renamed a new file.")
    return key


def _sealed(file_key, key, chunks):
    """The stored file's bytes, a record at a time. Each record is sealed knowing whether
    it is the last, so an empty file is one empty last record."""
    yield FORMAT_LINE
    chunks = iter(chunks)
    pending, index = next(chunks, b""), 0
    while True:
        following = next(chunks, None)
        yield _seal(file_key, key, index, pending, last=following is None)
        if following is None:
            return
        pending, index = following, index + 1


class _StreamedFile(File):
    """Content that is made as it is written (``FileSystemStorage`` reads only chunks)."""

    def __init__(self, pieces, name):
        super().__init__(None, name)
        self._pieces = pieces

    def chunks(self, chunk_size=None):
        yield from self._pieces

    def multiple_chunks(self, chunk_size=None):
        return True


def _aad(storage_key, index, flags):
    return storage_key.encode() + index.to_bytes(8, "big") + bytes([flags])


def _seal(file_key, storage_key, index, chunk, last):
    flags = _LAST if last else 0
    nonce = os.urandom(_NONCE_SIZE)
    sealed = file_key.aead.encrypt(nonce, bytes(chunk), _aad(storage_key, index, flags))
    return b"".join(
        [
            file_key.key_id,
            nonce,
            bytes([flags]),
            len(sealed).to_bytes(_LENGTH_SIZE, "big"),
            sealed,
        ]
    )


# --- Reading -----------------------------------------------------------------------------------


def records(key):
    """``(key id, nonce, flags, sealed)`` of each record of ``key``, checked for shape."""
    storage = get_storage()
    try:
        handle = storage.open(key, "rb")
    except OSError as exc:
        raise UnreadableAttachment(key) from exc
    with handle:
        if handle.read(len(FORMAT_LINE)) != FORMAT_LINE:
            raise UnreadableAttachment(key)
        while True:
            header = handle.read(_HEADER_SIZE)
            if not header:
                # Ended without its last record: cut off.
                raise UnreadableAttachment(key)
            if len(header) != _HEADER_SIZE:
                raise UnreadableAttachment(key)
            key_id = header[:_KEY_ID_SIZE]
            nonce = header[_KEY_ID_SIZE : _KEY_ID_SIZE + _NONCE_SIZE]
            flags = header[_KEY_ID_SIZE + _NONCE_SIZE]
            length = int.from_bytes(header[-_LENGTH_SIZE:], "big")
            if length < _TAG_SIZE or length > CHUNK_SIZE + _TAG_SIZE:
                raise UnreadableAttachment(key)
            sealed = handle.read(length)
            if len(sealed) != length:
                raise UnreadableAttachment(key)
            yield key_id, nonce, flags, sealed
            if flags & _LAST:
                if handle.read(1):
                    raise UnreadableAttachment(key)  # something after the last record
                return


def open_chunks(key, ring=None):
    """The decrypted content of ``key``, a chunk at a time (for streaming to a browser)."""
    ring = ring or keyring()
    for index, (key_id, nonce, flags, sealed) in enumerate(records(key)):
        file_key = ring.by_id.get(key_id)
        if file_key is None:
            raise UnreadableAttachment(key)
        try:
            yield file_key.aead.decrypt(nonce, sealed, _aad(key, index, flags))
        except InvalidTag as exc:
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


# --- Rotation ----------------------------------------------------------------------------------


def is_current(key, ring):
    """Whether every record of ``key`` is under ``ring``'s newest key."""
    return all(key_id == ring.newest.key_id for key_id, _n, _f, _s in records(key))


def rewrite(key, ring):
    """A copy of ``key`` under ``ring``'s newest key, read with any of its keys; returns the
    new key. The old file stays until the caller has recorded the new key, so a failure
    between the two leaves an orphan for the sweep, never a row without its file."""
    return save_chunks(open_chunks(key, ring), ring=ring)
