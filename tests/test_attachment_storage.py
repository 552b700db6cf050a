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
