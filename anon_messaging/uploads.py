"""Receiving files: in memory only, and never more than the limits allow.

Django writes an upload larger than ``FILE_UPLOAD_MAX_MEMORY_SIZE`` (2.5 MB) to a
temporary file while the request lasts: for a reporter, a plaintext copy of the
original, metadata and all, on the server's disk, left behind if the process is
killed. ``AttachmentUploadHandler``, first in ``FILE_UPLOAD_HANDLERS``, keeps the
files sent to reporter pages and to the advisers' case view in memory instead, and
stops keeping a file's bytes once it is over the size allowed (its true size is
still counted, so the form can say how large it was) or once more files came than
are allowed. Other admin requests (Wagtail's images and documents) get Django's own
handlers. A system check (anon_messaging.W510) says when the handler is missing.

A file is kept in pieces (``ReceivedFile``), so cleaning can give each piece back as
soon as a photo's decoder has read past it: a 12-megapixel photo's 10 MB and its 48 MB
of pixels are never both held whole.
"""

import io
import mmap
import threading

from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopFutureHandlers

from . import error_reports, reporting_settings
from .conf import get_setting

HANDLER_PATH = "anon_messaging.uploads.AttachmentUploadHandler"
_CASE_VIEW_PREFIX = "anon_messaging_case_modeladmin_"


def receives_attachments(request):
    """Reporter pages (any page outside the admin) and the advisers' case view."""
    if request is None:
        return False
    if not error_reports.is_admin_request(request):
        return True
    match = getattr(request, "resolver_match", None)
    return bool(match and (match.url_name or "").startswith(_CASE_VIEW_PREFIX))


def limits_for(request):
    """``(files, bytes per file)`` this request may send: the site's, within the ceilings."""
    ceiling = (
        get_setting("ATTACHMENT_MAX_FILES"),
        get_setting("ATTACHMENT_MAX_FILE_MB") * 1024 * 1024,
    )
    if error_reports.is_admin_request(request):
        return ceiling  # the case's own site is not known yet; the form applies it
    try:
        return reporting_settings.for_request(request).file_limits
    except Exception:  # no site or no database: the ceilings still bound memory
        return ceiling


PIECE_SIZE = 1024 * 1024
# Pieces kept for the next uploads, blanked: a new memory map costs its pages' faults (about
# 8 ms for 10 MB, half that made present at once), a reused one nothing.
_MAX_SPARE_PIECES = 16
_PIECE_FLAGS = mmap.MAP_PRIVATE | getattr(mmap, "MAP_POPULATE", 0)
_spare_pieces = []
_spare_lock = threading.Lock()
_BLANK = bytes(PIECE_SIZE)


def _new_piece():
    with _spare_lock:
        if _spare_pieces:
            return _spare_pieces.pop()
    return mmap.mmap(-1, PIECE_SIZE, flags=_PIECE_FLAGS)


def _put_back(piece, used):
    piece[:used] = _BLANK[:used]  # nothing of a sent file outlives its request
    with _spare_lock:
        if len(_spare_pieces) < _MAX_SPARE_PIECES:
            _spare_pieces.append(piece)
            return
    piece.close()


class ReceivedFile(io.RawIOBase):
    """An upload's bytes in memory, in pieces of ``PIECE_SIZE``, read like a file.

    Each piece is an anonymous memory map of its own, so one can be handed back to the
    system at once (freed ``bytes`` of this size stay with the process's allocator).
    After ``release_as_read()`` every piece the reading position has passed is; reading
    there again is an error. Closing blanks the rest and keeps them for the next upload.
    Only ever appended to.
    """

    def __init__(self):
        super().__init__()
        self._pieces = []
        self._size = 0
        self._position = 0
        self._released = 0  # the pieces before this one are gone
        self._releasing = False

    @property
    def size(self):
        return self._size

    def append(self, data):
        view = memoryview(data).cast("B")
        while view:
            offset = self._size % PIECE_SIZE
            if offset == 0:
                self._pieces.append(_new_piece())
            count = min(PIECE_SIZE - offset, len(view))
            self._pieces[-1][offset : offset + count] = view[:count]
            self._size += count
            view = view[count:]

    def readable(self):
        return True

    def seekable(self):
        return True

    def seek(self, offset, whence=io.SEEK_SET):
        self._check_open()
        start = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        if start + offset < 0:
            raise ValueError("negative seek position")
        self._position = start + offset
        return self._position

    def tell(self):
        self._check_open()
        return self._position

    def read(self, size=-1):
        self._check_open()
        remaining = max(0, self._size - self._position)
        size = remaining if size is None or size < 0 else min(size, remaining)
        parts = []
        while size:
            piece, offset = self._piece_at_position()
            count = min(size, PIECE_SIZE - offset)
            parts.append(piece[offset : offset + count])
            self._position += count
            size -= count
        self._let_go_of_read_pieces()
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def readinto(self, buffer):
        self._check_open()
        with memoryview(buffer) as view, view.cast("B") as target:
            done = 0
            wanted = min(len(target), max(0, self._size - self._position))
            while done < wanted:
                piece, offset = self._piece_at_position()
                count = min(wanted - done, PIECE_SIZE - offset)
                with memoryview(piece) as source:
                    target[done : done + count] = source[offset : offset + count]
                self._position += count
                done += count
        self._let_go_of_read_pieces()
        return done

    def release_as_read(self):
        """From now on, hand each piece back once reading has passed it."""
        self._releasing = True
        self._let_go_of_read_pieces()

    def _piece_at_position(self):
        index, offset = divmod(self._position, PIECE_SIZE)
        if index < self._released:
            raise OSError("this part of the upload was already let go")
        return self._pieces[index], offset

    def _let_go_of_read_pieces(self):
        if not self._releasing:
            return
        passed = min(self._position // PIECE_SIZE, len(self._pieces))
        for index in range(self._released, passed):
            self._pieces[index].close()
            self._pieces[index] = None
        self._released = max(self._released, passed)

    def _check_open(self):
        if self.closed:
            raise ValueError("I/O operation on closed file.")

    def close(self):
        pieces, self._pieces = getattr(self, "_pieces", []), []
        for index, piece in enumerate(pieces):
            if piece is not None:
                _put_back(piece, min(PIECE_SIZE, self._size - index * PIECE_SIZE))
        super().close()


class AttachmentUploadHandler(FileUploadHandler):
    """Keeps attachments in memory, at most one byte past the size allowed each."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.active = receives_attachments(self.request)
        if self.active:
            self.max_files, self.max_bytes = limits_for(self.request)
            self.files_seen = 0

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        if self.active:
            self.files_seen += 1
            self.buffer = ReceivedFile()
            self.received = 0
            # This handler keeps the file; no other handler writes it to disk.
            raise StopFutureHandlers()

    def receive_data_chunk(self, raw_data, start):
        if not self.active:
            return raw_data
        self.received += len(raw_data)
        room = self.max_bytes + 1 - self.buffer.size
        if room > 0 and self.files_seen <= self.max_files:
            self.buffer.append(raw_data[:room])
        return None

    def file_complete(self, file_size):
        if not self.active:
            return None
        # ``size`` is what was sent, even where only the start of it was kept: the form
        # refuses a file over the limit by its size, naming how large it was.
        return InMemoryUploadedFile(
            file=self.buffer,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=self.received,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )
