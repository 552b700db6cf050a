"""The attachments' encrypted format (anon_messaging/attachment_storage.py): what a copy of
the storage holds, and that a changed file is refused rather than read."""

import os

import pytest
from cryptography.fernet import Fernet

from anon_messaging import attachment_storage

CHUNK = attachment_storage.CHUNK_SIZE


def test_content_of_any_size_comes_back_whole_and_is_stored_encrypted(attachment_root):
    for content in (b"", b"x", os.urandom(CHUNK), os.urandom(2 * CHUNK + 17)):
        key = attachment_storage.save(content)
        assert attachment_storage.read(key) == content
        stored = (attachment_root / key).read_bytes()
        assert stored.startswith(attachment_storage.FORMAT_LINE)
        # A byte or two can turn up in any random ciphertext; 32 cannot by chance.
        if len(content) >= 32:
            assert content[:32] not in stored
    # Keys are random and say nothing about the content.
    first, second = attachment_storage.save(b"same"), attachment_storage.save(b"same")
    assert first != second
    assert (attachment_root / first).read_bytes() != (attachment_root / second).read_bytes()


def records_of(data):
    """The records of a stored file's bytes, as (start, end) offsets."""
    position, found = len(attachment_storage.FORMAT_LINE), []
    while position < len(data):
        length = int.from_bytes(data[position + 21 : position + 25], "big")
        found.append((position, position + 25 + length))
        position += 25 + length
    return found


def test_a_tampered_reordered_or_cut_off_file_does_not_decrypt(attachment_root):
    content = os.urandom(3 * CHUNK)
    key = attachment_storage.save(content)
    path = attachment_root / key
    original = path.read_bytes()
    first, second, third = records_of(original)
    header = original[: first[0]]

    def unreadable(data):
        path.write_bytes(data)
        with pytest.raises(attachment_storage.UnreadableAttachment):
            attachment_storage.read(key)

    flipped = bytearray(original)
    flipped[second[0] + 40] ^= 1
    unreadable(bytes(flipped))
    swapped = header + original[slice(*second)] + original[slice(*first)] + original[slice(*third)]
    unreadable(swapped)
    unreadable(original[: third[0]])  # the last record dropped
    unreadable(original[: third[1] - 5])  # cut inside the last record
    unreadable(original + b"extra")
    # A whole file moved under another file's key fails too.
    other = attachment_storage.save(b"other")
    path.write_bytes((attachment_root / other).read_bytes())
    with pytest.raises(attachment_storage.UnreadableAttachment):
        attachment_storage.read(key)
    path.write_bytes(original)
    assert attachment_storage.read(key) == content


def test_files_are_read_with_any_configured_key_and_rewritten_under_the_newest(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.ANON_MESSAGING = {**settings.ANON_MESSAGING, "ENCRYPTION_KEYS": [old]}
    key = attachment_storage.save(b"evidence" * 100_000)
    settings.ANON_MESSAGING = {**settings.ANON_MESSAGING, "ENCRYPTION_KEYS": [new, old]}
    ring = attachment_storage.keyring()
    assert attachment_storage.read(key) == b"evidence" * 100_000
    assert not attachment_storage.is_current(key, ring)
    rotated = attachment_storage.rewrite(key, ring)
    assert attachment_storage.is_current(rotated, ring)
    settings.ANON_MESSAGING = {**settings.ANON_MESSAGING, "ENCRYPTION_KEYS": [new]}
    assert attachment_storage.read(rotated) == b"evidence" * 100_000
    with pytest.raises(attachment_storage.UnreadableAttachment):
        attachment_storage.read(key)


def test_a_failure_while_writing_leaves_no_partial_file(attachment_root):
    def failing_chunks():
        yield b"a" * CHUNK
        raise OSError("the disk is full")

    with pytest.raises(OSError):
        attachment_storage.save_chunks(failing_chunks())
    assert [path for path in attachment_root.rglob("*") if path.is_file()] == []


def test_content_written_to_a_sealed_file_in_pieces_of_any_size_comes_back_whole(
    attachment_root,
):
    sizes = (0, 1, CHUNK - 1, CHUNK, 3, CHUNK + 1)
    content = os.urandom(sum(sizes))
    sealed = attachment_storage.SealedFile()
    position = 0
    for size in sizes:
        assert sealed.write(content[position : position + size]) == size
        position += size
    assert sealed.tell() == sealed.size == len(content)
    key = attachment_storage.save(sealed)
    assert key == sealed.key and sealed.closed
    assert attachment_storage.read(key) == content
    # Written in pieces or all at once, the stored records are the same: four of them.
    assert len(records_of((attachment_root / key).read_bytes())) == 4


def test_a_sealed_file_on_its_way_is_only_ciphertext_on_disk_and_leaves_nothing_behind(
    attachment_root, settings, tmp_path
):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    content = os.urandom(2 * CHUNK + 100)
    sealed = attachment_storage.SealedFile()
    sealed.write(content)
    (waiting,) = tmp_path.iterdir()
    on_disk = waiting.read_bytes()
    assert on_disk.startswith(attachment_storage.FORMAT_LINE)
    for start in range(0, len(content) - 32, CHUNK // 4):
        assert content[start : start + 32] not in on_disk
    assert waiting.stat().st_mode & 0o077 == 0  # the site's own user alone
    key = attachment_storage.save(sealed)
    # Taken by the storage (moved), nothing left behind.
    assert list(tmp_path.iterdir()) == []
    assert attachment_storage.read(key) == content
    # One never saved goes when it is closed, or dropped.
    closed = attachment_storage.SealedFile()
    closed.write(content)
    closed.close()
    dropped = attachment_storage.SealedFile()
    dropped.write(content)
    del dropped
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError):
        closed.write(b"more")


def test_a_storage_without_paths_reads_the_sealed_file_and_nothing_is_left(settings, tmp_path):
    # Django's in-memory storage stands in for an object store: it cannot move a file.
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    settings.STORAGES = {
        **settings.STORAGES,
        "anon_messaging_attachments": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    content = os.urandom(CHUNK + 7)
    key = attachment_storage.save(content)
    assert attachment_storage.read(key) == content
    assert attachment_storage.filesystem_location() is None
    assert list(tmp_path.iterdir()) == []
