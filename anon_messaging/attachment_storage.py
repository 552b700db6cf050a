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
Content is encrypted as it is written (``SealedFile``: cleaning writes a file straight
into one), into a temporary file of ciphertext that the storage then takes, so a file's
plaintext is never held whole a second time to be encrypted.

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
import io
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


class SealedFile(io.RawIOBase):
    """A file's content, encrypted as it is written, on its way to the storage (``save``).

    Content waits in memory one chunk at most: a full chunk is sealed as a record once
    more content follows it, and the last one when the file is saved. The records go to
    a named temporary file in ``FILE_UPLOAD_TEMP_DIR`` (readable by the site's user
    alone) that never holds a byte of plaintext; a filesystem storage on the same
    filesystem takes it by renaming it, any other storage reads it. A sealed file that
    is closed, or dropped, without being saved deletes its temporary file.

    The storage key is chosen here, as each record's authenticated data names it.
    """

    def __init__(self, ring=None):
        super().__init__()
        self._file_key = (ring or keyring()).newest
        self.key = new_key()
        self.size = 0
        self._index = 0
        self._chunk = bytearray(CHUNK_SIZE)
        self._filled = 0
        self._finished = False
        self._spool = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed by close()
            prefix="anon_messaging-", suffix=".sealed", dir=settings.FILE_UPLOAD_TEMP_DIR
        )
        self._spool.write(FORMAT_LINE)

    def writable(self):
        return True

    def write(self, data):
        if self.closed or self._finished:
            raise ValueError("write to a sealed file that is closed or saved")
        view = memoryview(data).cast("B")
        written = len(view)
        while view:
            if self._filled == CHUNK_SIZE:
                self._seal(last=False)  # more follows, so this record is not the last
            room = min(CHUNK_SIZE - self._filled, len(view))
            self._chunk[self._filled : self._filled + room] = view[:room]
            self._filled += room
            view = view[room:]
        self.size += written
        return written

    def tell(self):
        """How much content has been written (encoders may ask)."""
        return self.size

    def _seal(self, last):
        flags = _LAST if last else 0
        nonce = os.urandom(_NONCE_SIZE)
        sealed = self._file_key.aead.encrypt(
            nonce, memoryview(self._chunk)[: self._filled], _aad(self.key, self._index, flags)
        )
        self._spool.write(
            b"".join(
                [
                    self._file_key.key_id,
                    nonce,
                    bytes([flags]),
                    len(sealed).to_bytes(_LENGTH_SIZE, "big"),
                ]
            )
        )
        self._spool.write(sealed)
        self._index, self._filled = self._index + 1, 0

    def _finish(self):
        """Seal what is left as the last record (an empty file is one empty last record)."""
        if not self._finished:
            self._seal(last=True)
            self._spool.flush()
            self._finished = True
        self._chunk = None
        return _SpooledRecords(self._spool, name=self.key)

    def close(self):
        spool = getattr(self, "_spool", None)  # None when __init__ failed before making it
        if not self.closed and spool is not None:
            self._chunk = None
            # After a save the storage has moved the temporary file away.
            with contextlib.suppress(FileNotFoundError):
                spool.close()
        super().close()


class _SpooledRecords(File):
    """The sealed records' temporary file; ``FileSystemStorage.save`` moves a file that
    has a path rather than copying it."""

    def temporary_file_path(self):
        return self.file.name


def save(content):
    """Encrypt and store ``content`` under the newest key; returns its storage key.

    ``content`` is bytes, or a ``SealedFile`` that was written to (it is closed here).
    """
    if isinstance(content, SealedFile):
        return _store(content)
    return save_chunks([content])


def save_chunks(chunks, ring=None):
    """Encrypt content given a piece at a time (under ``ring``'s newest key) and store it;
    returns the key. A failure part-way leaves nothing in the storage."""
    sealed = SealedFile(ring)
    try:
        for chunk in chunks:
            sealed.write(chunk)
    except BaseException:
        sealed.close()
        raise
    return _store(sealed)


def _store(sealed):
    key = sealed.key
    storage = get_storage()
    try:
        stored = storage.save(key, sealed._finish())
    except BaseException:
        with contextlib.suppress(Exception):
            storage.delete(key)
        raise
    finally:
        sealed.close()
    if stored != key:  # a storage that renamed it: never expected with random keys
        storage.delete(stored)
        raise ImproperlyConfigured("The attachment storage renamed a new file.")
    return key


def _aad(storage_key, index, flags):
    return storage_key.encode() + index.to_bytes(8, "big") + bytes([flags])


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
