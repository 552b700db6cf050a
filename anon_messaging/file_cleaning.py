"""Cleaning a file before anything of it is stored: the one home of that rule.

``clean_file(data)`` takes the bytes a person sent and returns a ``CleanedFile``:
the kind (told by the content, never by the name or the browser's word), a safe
extension, the cleaned bytes and what was removed. It refuses anything it cannot
clean with a specific ``FileRejected`` subclass, one per rule.

* Images (JPEG, PNG, WebP, GIF) are decoded and re-encoded from their pixels, with
  the photo's orientation applied first: EXIF (location, camera, serial number,
  times), XMP, IPTC, comments, colour profiles, thumbnails and extra pictures (MPF)
  are not carried over, because nothing but the pixels is written.
* PDFs (pikepdf) lose their document information, XMP metadata, embedded files,
  JavaScript, actions, the authors of comments and the photo metadata of JPEG images
  inside them; the file is rewritten from its objects, so earlier revisions go too.
* Plain text (UTF-8, or UTF-16 with a byte-order mark) is re-encoded as UTF-8.

The content itself (a face in a photo, a name in a screenshot or a document) is
never changed: that is the evidence. Pure functions: no Django, no storage.
"""

import io
import re
from dataclasses import dataclass, field

KIND_IMAGE = "image"
KIND_PDF = "pdf"
KIND_TEXT = "text"
KINDS = (KIND_IMAGE, KIND_PDF, KIND_TEXT)

# What cleaning can remove, as codes; attachments.REMOVED_WORDS words them for people.
LOCATION = "location"
CAMERA = "camera"
TIMES = "times"
OTHER_PHOTO_DETAILS = "photo_details"
XMP = "xmp"
IPTC = "iptc"
COMMENTS = "comments"
THUMBNAILS = "thumbnails"
COLOUR_PROFILE = "colour_profile"
DOCUMENT_INFO = "document_info"
EMBEDDED_FILES = "embedded_files"
JAVASCRIPT = "javascript"
ACTIONS = "actions"
COMMENT_AUTHORS = "comment_authors"
EMBEDDED_PHOTO_DETAILS = "embedded_photo_details"
EDITING_DATA = "editing_data"
FILE_NAME = "file_name"

# Content types and extensions by detected format: the only ones ever stored or sent.
FORMATS = {
    "JPEG": (KIND_IMAGE, "jpg", "image/jpeg"),
    "PNG": (KIND_IMAGE, "png", "image/png"),
    "WEBP": (KIND_IMAGE, "webp", "image/webp"),
    "GIF": (KIND_IMAGE, "gif", "image/gif"),
    "PDF": (KIND_PDF, "pdf", "application/pdf"),
    "TEXT": (KIND_TEXT, "txt", "text/plain; charset=utf-8"),
}
CONTENT_TYPES = {extension: content_type for _kind, extension, content_type in FORMATS.values()}

# Default ceiling on decoded pixels (all frames together): a 50-megapixel photo decodes
# to 200 MB of memory, and a small file can claim far more (a decompression bomb).
DEFAULT_MAX_PIXELS = 50_000_000
MAX_FRAMES = 500


# --- Errors: one per rule -----------------------------------------------------------------


class FileRejected(Exception):
    """The file cannot be taken; ``code`` names the rule (forms word it for people)."""

    code = "rejected"


class EmptyFile(FileRejected):
    code = "empty"


class NotAcceptedKind(FileRejected):
    """Not an image, PDF or plain text by its content, whatever its name says."""

    code = "kind"


class CorruptFile(FileRejected):
    """It looks like an accepted kind but cannot be read whole (damaged, truncated)."""

    code = "corrupt"


class TooManyPixels(FileRejected):
    """An image that would decode to more pixels than allowed (a decompression bomb)."""

    code = "pixels"

    def __init__(self, pixels, limit):
        super().__init__(pixels, limit)
        self.pixels = pixels
        self.limit = limit


class PdfNotCleanable(FileRejected):
    """A PDF that cannot be rewritten: password-protected, or too damaged to rewrite."""

    code = "pdf"

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason  # "encrypted" or "damaged"


@dataclass(frozen=True)
class CleanedFile:
    kind: str
    extension: str
    # The cleaned bytes; None when they were written to ``output`` instead.
    data: bytes | None = field(repr=False)
    # Codes of what was removed, in a stable order; FILE_NAME always, the name is replaced.
    removed: tuple = ()
    size: int = 0
    # The file the cleaned bytes were written to (``clean_file(output=...)``), or None.
    output: object = field(default=None, repr=False, compare=False)

    @property
    def content_type(self):
        return CONTENT_TYPES[self.extension]

    @property
    def content(self):
        """The cleaned bytes, or the file they were written to."""
        return self.data if self.output is None else self.output


# --- Detection by content ------------------------------------------------------------------


def detect_format(data):
    """The format the bytes are, by their content alone: a key of FORMATS, or None."""
    head = data[:16]
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if head.startswith(b"%PDF-"):
        return "PDF"
    if _text(data) is not None:
        return "TEXT"
    return None


def clean_file(data, *, max_pixels=DEFAULT_MAX_PIXELS, output=None):
    """``data`` cleaned, as a ``CleanedFile``; raises a ``FileRejected`` subclass.

    ``data`` is the file's bytes, or a seekable binary file object (an upload). A file
    object is closed as soon as cleaning has read it: a decoded photo no longer needs
    its compressed bytes, so their memory is freed before the new file is encoded. One
    that offers ``release_as_read()`` (``uploads.ReceivedFile``) lets go of a photo's
    bytes while they are decoded.

    ``output``, a writable binary file that can ``tell()`` how much was written to it,
    receives the cleaned bytes as they are made (an encrypting file, so the new file is
    never held whole in memory beside the pixels it is made from); the result then has
    ``output`` in place of ``data``. After a refusal, what it holds is of no use.
    """
    source = io.BytesIO(data) if isinstance(data, bytes | bytearray) else data
    sink = io.BytesIO() if output is None else output
    start = sink.tell()
    try:
        source.seek(0)
        head = source.read(16)
        if not head:
            raise EmptyFile()
        found = detect_format(head)
        if found in (None, "TEXT"):
            # Only text is left: read whole (it is small beside the limits) and decide.
            source.seek(0)
            content = source.read()
            source.close()
            found = detect_format(content)
            if found is None:
                raise NotAcceptedKind()
            sink.write(_text(content).encode("utf-8"))
            removed = set()
        elif found == "PDF":
            source.seek(0)
            _cleaned, removed = clean_pdf(source, output=sink)
        else:
            source.seek(0)
            _cleaned, removed = clean_image(source, found, max_pixels=max_pixels, output=sink)
    finally:
        source.close()
    kind, extension, _content_type = FORMATS[found]
    return CleanedFile(
        kind,
        extension,
        sink.getvalue() if output is None else None,
        _ordered(removed | {FILE_NAME}),
        size=sink.tell() - start,
        output=output,
    )


_ORDER = [
    LOCATION,
    CAMERA,
    TIMES,
    OTHER_PHOTO_DETAILS,
    XMP,
    IPTC,
    COMMENTS,
    THUMBNAILS,
    COLOUR_PROFILE,
    DOCUMENT_INFO,
    COMMENT_AUTHORS,
    EMBEDDED_PHOTO_DETAILS,
    EDITING_DATA,
    EMBEDDED_FILES,
    JAVASCRIPT,
    ACTIONS,
    FILE_NAME,
]


def _ordered(codes):
    return tuple(code for code in _ORDER if code in codes)


# --- Plain text ------------------------------------------------------------------------------

# Control characters other than tab, line feed, form feed and carriage return: binary data.
_BINARY = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def _text(data):
    """The text ``data`` holds, or None when it is not plain text."""
    if data.startswith(b"\xef\xbb\xbf"):
        encoding, data = "utf-8", data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    else:
        encoding = "utf-8"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        return None
    if _BINARY.search(text):
        return None
    return text


# --- Images ----------------------------------------------------------------------------------

# EXIF tags (Pillow's ExifTags numbers) grouped by what they tell about the sender.
_GPS_IFD = 0x8825
_EXIF_IFD = 0x8769
_CAMERA_TAGS = {
    0x010F,  # Make
    0x0110,  # Model
    0x927C,  # MakerNote
    0xA430,  # CameraOwnerName
    0xA431,  # BodySerialNumber
    0xA432,  # LensSpecification
    0xA433,  # LensMake
    0xA434,  # LensModel
    0xA435,  # LensSerialNumber
    0xC62F,  # CameraSerialNumber (DNG)
}
_TIME_TAGS = {0x0132, 0x9003, 0x9004, 0x9010, 0x9011, 0x9012, 0x9290, 0x9291, 0x9292}
# Structure rather than details: not worth naming to the reporter on their own.
_PNG_PICTURE_KEYS = {
    "dpi",
    "gamma",
    "transparency",
    "icc_profile",
    "exif",
    "aspect",
    "srgb",
    "chromaticity",
    "XML:com.adobe.xmp",
    "xmp",
    "loop",
    "duration",
    "disposal",
    "blend",
    "default_image",
    "bbox",
}
_STRUCTURE_TAGS = {_GPS_IFD, _EXIF_IFD, 0x0112, 0x011A, 0x011B, 0x0128, 0x0213, 0xA005}


def clean_image(source, image_format, *, max_pixels=DEFAULT_MAX_PIXELS, output=None):
    """Re-encode an image (bytes or a binary file) from its pixels.

    Returns ``(bytes, removed codes)``; with ``output`` (a writable binary file) the bytes
    are written to it instead, and None is returned in their place. A file is closed
    once its pixels are decoded.
    """
    from PIL import Image

    if isinstance(source, bytes | bytearray):
        source = io.BytesIO(source)
    if not _is_complete(source, image_format):
        raise CorruptFile()
    try:
        # Only the detected format's decoder is tried: no other plugin reads these bytes.
        image = Image.open(source, formats=[image_format])
    except Image.DecompressionBombError as exc:
        raise TooManyPixels(0, max_pixels) from exc
    except Exception as exc:  # any decoder failure means the file cannot be cleaned
        raise CorruptFile() from exc
    with image:
        width, height = image.size
        frames = getattr(image, "n_frames", 1) if _may_be_animated(image_format) else 1
        pixels = width * height * max(frames, 1)
        if pixels > max_pixels or frames > MAX_FRAMES:
            raise TooManyPixels(pixels, max_pixels)
        removed = _image_metadata(image)
        sink = io.BytesIO() if output is None else output
        try:
            _reencode(image, image_format, frames, source, sink)
        except Exception as exc:  # truncated or damaged pixel data
            raise CorruptFile() from exc
    return (sink.getvalue() if output is None else None), removed


def _is_complete(source, image_format):
    """Whether the file reaches its format's end marker: decoders read what they can of a
    cut-off file, which would store part of the evidence as if it were all of it."""
    # JPEG: Pillow's decoder refuses a cut-off file itself, and phones append data after
    # the picture's end (motion photos append a video), which re-encoding leaves out.
    size = source.seek(0, io.SEEK_END)
    source.seek(max(0, size - 4096))
    tail = source.read()
    source.seek(0)
    if image_format == "PNG":
        return b"IEND\xaeB`\x82" in tail
    if image_format == "GIF":
        return tail.rstrip(b"\x00").endswith(b";")
    if image_format == "WEBP":
        source.seek(4)
        declared = int.from_bytes(source.read(4), "little")
        source.seek(0)
        return declared + 8 <= size
    return True


def _may_be_animated(image_format):
    return image_format in ("GIF", "WEBP", "PNG")


def _image_metadata(image):
    """What the image carries besides its pixels, as removed codes."""
    removed = set()
    try:
        exif = image.getexif()
    except Exception:  # an unreadable EXIF block is not written out either
        exif = {}
        removed.add(OTHER_PHOTO_DETAILS)
    if exif:
        tags = set(exif)
        try:
            gps = exif.get_ifd(_GPS_IFD)
            details = exif.get_ifd(_EXIF_IFD)
            thumbnail = exif.get_ifd(1)  # IFD1 holds the embedded thumbnail
        except Exception:
            gps, details, thumbnail = {}, {}, {}
        if gps or _GPS_IFD in tags:
            removed.add(LOCATION)
        all_tags = tags | set(details)
        if all_tags & _CAMERA_TAGS:
            removed.add(CAMERA)
        if all_tags & _TIME_TAGS:
            removed.add(TIMES)
        if all_tags - _CAMERA_TAGS - _TIME_TAGS - _STRUCTURE_TAGS:
            removed.add(OTHER_PHOTO_DETAILS)
        if thumbnail:
            removed.add(THUMBNAILS)
    info = image.info
    if "xmp" in info or "XML:com.adobe.xmp" in info:
        removed.add(XMP)
    if "icc_profile" in info:
        removed.add(COLOUR_PROFILE)
    if "comment" in info:
        removed.add(COMMENTS)
    if "photoshop" in info:
        removed.add(IPTC)
    # PNG text chunks (tEXt, zTXt, iTXt: author, description, software...) are put in
    # info under their own keywords, beside the keys Pillow uses for the picture itself.
    if image.format == "PNG" and set(info) - _PNG_PICTURE_KEYS:
        removed.add(COMMENTS)
    for marker, payload in getattr(image, "applist", []):
        if marker == "APP13":
            removed.add(IPTC)
        elif marker == "APP1" and payload.startswith(b"http://ns.adobe.com/xap"):
            removed.add(XMP)
        elif marker == "APP2" and payload.startswith(b"MPF"):
            # Multi-picture format: previews and depth maps a phone adds after the photo.
            removed.add(THUMBNAILS)
        elif marker == "COM":
            removed.add(COMMENTS)
        elif marker not in ("APP0", "APP1", "APP2", "APP14"):
            removed.add(OTHER_PHOTO_DETAILS)
    return removed


def _reencode(image, image_format, frames, source, output):
    """The pixels alone, in the same format, with the orientation applied, to ``output``."""
    from PIL import ImageOps

    if image_format == "JPEG":
        # The decoder reads the file once, in order: a source that can let go of what
        # it has read does so, and a photo's pixels grow as its compressed bytes go.
        release_as_read = getattr(source, "release_as_read", None)
        if release_as_read is not None:
            release_as_read()
        image.load()
        # The compressed bytes are no longer needed: free them before encoding anew.
        source.close()
        # In place: a photo with no orientation to apply is not copied (12 MP is 48 MB).
        ImageOps.exif_transpose(image, in_place=True)
        options = {}
        if getattr(image, "quantization", None):
            # The source's own quantisation tables and subsampling: the same quality and
            # about the same size, without a second lossy step's guesswork.
            options = {"quality": "keep", "subsampling": "keep"}
        _forget_metadata(image)
        image.save(output, "JPEG", **options)
    elif frames > 1:
        _save_animation(image, image_format, output)
    else:
        image.load()
        source.close()
        ImageOps.exif_transpose(image, in_place=True)
        keep = _keep_info(image, image_format)
        _forget_metadata(image)
        if image_format == "WEBP":
            image.save(output, "WEBP", quality=90, method=4, **keep)
        elif image_format == "GIF":
            image.save(output, "GIF", **keep)
        else:
            image.save(output, "PNG", **keep)


def _keep_info(image, image_format):
    """The few encoder options that are part of the picture, not about it."""
    keep = {}
    if image_format in ("PNG", "GIF") and "transparency" in image.info:
        keep["transparency"] = image.info["transparency"]
    if image_format == "WEBP" and image.mode not in ("RGB", "RGBA"):
        image.im = image.convert("RGBA" if "A" in image.mode else "RGB").im
        image._mode = image.im.mode
    return keep


def _save_animation(image, image_format, output):
    """Every frame's pixels, with its timing; nothing else of the file."""
    from PIL import ImageSequence

    frames, durations = [], []
    for frame in ImageSequence.Iterator(image):
        durations.append(frame.info.get("duration", 100))
        mode = "RGBA" if image_format in ("WEBP", "PNG") else frame.mode
        copy = frame.convert(mode) if frame.mode != mode else frame.copy()
        copy.info = {}
        frames.append(copy)
    first, rest = frames[0], frames[1:]
    options = {"save_all": True, "append_images": rest, "duration": durations}
    loop = image.info.get("loop")
    if loop is not None:
        options["loop"] = loop
    if image_format == "GIF":
        first.save(output, "GIF", disposal=2, **options)
    elif image_format == "WEBP":
        first.save(output, "WEBP", quality=90, **options)
    else:
        first.save(output, "PNG", **options)
    for frame in frames:
        frame.close()


def _forget_metadata(image):
    """Drop everything the encoders could copy from the source into the new file."""
    image.info = {}
    if hasattr(image, "applist"):
        image.applist = []
    # Pillow caches the parsed EXIF here and some encoders read it back.
    image._exif = None
    if hasattr(image, "text"):
        image._text = None


# --- PDFs -----------------------------------------------------------------------------------

# Annotations that carry or play other content.
_EMBEDDING_ANNOTATIONS = {"/FileAttachment", "/Sound", "/Movie", "/Screen", "/RichMedia", "/3D"}
# Markup annotations, whose /T is the name of the person who wrote the comment (for form
# fields /T is the field's name instead, so only these lose it).
_MARKUP_ANNOTATIONS = {
    "/Text",
    "/FreeText",
    "/Line",
    "/Square",
    "/Circle",
    "/Polygon",
    "/PolyLine",
    "/Highlight",
    "/Underline",
    "/Squiggly",
    "/StrikeOut",
    "/Stamp",
    "/Caret",
    "/Ink",
    "/FileAttachment",
    "/Sound",
    "/Redact",
}
# JPEG segments that say nothing about the pixels: APP1 to APP13, APP15 and comments.
# APP0 (JFIF) and APP14 (Adobe: the colour transform) are needed to decode the image.
_JPEG_METADATA_MARKERS = set(range(0xE1, 0xEE)) | {0xEF, 0xFE}


def clean_pdf(source, output=None):
    """Rewrite a PDF (bytes or a binary file) without what identifies its author or runs
    on opening. Returns ``(bytes, removed codes)``; with ``output`` (a writable binary
    file) the bytes are written to it instead, and None is returned in their place."""
    import pikepdf

    if isinstance(source, bytes | bytearray):
        source = io.BytesIO(source)
    try:
        pdf = pikepdf.open(source)
    except pikepdf.PasswordError as exc:
        raise PdfNotCleanable("encrypted") from exc
    except Exception as exc:  # qpdf could not read it
        raise PdfNotCleanable("damaged") from exc
    try:
        with pdf:
            if pdf.is_encrypted:
                raise PdfNotCleanable("encrypted")
            removed = _strip_pdf(pdf, pikepdf)
            sink = io.BytesIO() if output is None else output
            pdf.save(
                sink,
                # A new /ID made from the content: the old one links copies of a file.
                deterministic_id=True,
                # Streams are copied as they are, never decompressed: a small file whose
                # streams inflate to gigabytes cannot exhaust memory here.
                stream_decode_level=pikepdf.StreamDecodeLevel.none,
                compress_streams=False,
                fix_metadata_version=False,
            )
    except PdfNotCleanable:
        raise
    except Exception as exc:  # qpdf failed part-way: refuse rather than store half-cleaned
        raise PdfNotCleanable("damaged") from exc
    return (sink.getvalue() if output is None else None), removed


def _strip_pdf(pdf, pikepdf):
    Name, Dictionary, Array = pikepdf.Name, pikepdf.Dictionary, pikepdf.Array
    removed = set()
    trailer = pdf.trailer
    if Name.Info in trailer:
        if len(trailer.Info.keys()):
            removed.add(DOCUMENT_INFO)
        del trailer[Name.Info]
    root = pdf.Root
    for key, code in ((Name.OpenAction, ACTIONS), (Name.AA, ACTIONS), (Name.Metadata, XMP)):
        if key in root:
            removed.add(code)
            removed |= _javascript_in(root[key], pikepdf)
            del root[key]
    for key in (Name.PieceInfo, Name.SpiderInfo):
        if key in root:
            removed.add(EDITING_DATA)
            del root[key]
    for key in (Name.AF, Name.Collection):
        if key in root:
            removed.add(EMBEDDED_FILES)
            del root[key]
    names = root.get(Name.Names)
    if isinstance(names, Dictionary):
        if Name.EmbeddedFiles in names:
            removed.add(EMBEDDED_FILES)
            del names[Name.EmbeddedFiles]
        if Name.JavaScript in names:
            removed.add(JAVASCRIPT)
            del names[Name.JavaScript]
    form = root.get(Name.AcroForm)
    if isinstance(form, Dictionary) and Name.XFA in form:
        # XFA forms carry their own scripts and data.
        removed.add(JAVASCRIPT)
        del form[Name.XFA]

    for page in pdf.pages:
        annotations = page.obj.get(Name.Annots)
        if not isinstance(annotations, Array):
            continue
        kept = []
        for annotation in annotations:
            subtype = annotation.get(Name.Subtype) if isinstance(annotation, Dictionary) else None
            if subtype is not None and str(subtype) in _EMBEDDING_ANNOTATIONS:
                removed.add(EMBEDDED_FILES)
                continue
            kept.append(annotation)
        if len(kept) != len(annotations):
            page.obj[Name.Annots] = Array(kept)

    for obj in pdf.objects:
        if not isinstance(obj, Dictionary | pikepdf.Stream):
            continue
        removed |= _strip_object(obj, pikepdf)
    return removed


def _javascript_in(value, pikepdf):
    Dictionary = pikepdf.Dictionary
    if isinstance(value, Dictionary) and value.get(pikepdf.Name.S) == pikepdf.Name.JavaScript:
        return {JAVASCRIPT}
    return set()


def _strip_object(obj, pikepdf):
    Name, Dictionary = pikepdf.Name, pikepdf.Dictionary
    removed = set()
    if Name.Metadata in obj:
        removed.add(XMP)
        del obj[Name.Metadata]
    if Name.PieceInfo in obj:
        removed.add(EDITING_DATA)
        del obj[Name.PieceInfo]
    if Name.AA in obj:
        removed.add(ACTIONS)
        del obj[Name.AA]
    action = obj.get(Name.A)
    if isinstance(action, Dictionary) and action.get(Name.S) != Name.GoTo:
        # Links inside the document stay; anything that runs, opens or sends goes.
        removed.add(JAVASCRIPT if action.get(Name.S) == Name.JavaScript else ACTIONS)
        del obj[Name.A]
    if obj.get(Name.S) == Name.JavaScript and Name.JS in obj:
        removed.add(JAVASCRIPT)
        del obj[Name.JS]
    if Name.EF in obj:
        removed.add(EMBEDDED_FILES)
        del obj[Name.EF]
    subtype = obj.get(Name.Subtype)
    if subtype is not None and str(subtype) in _MARKUP_ANNOTATIONS:
        for key in (Name.T, Name.M, Name.CreationDate):
            if key in obj:
                removed.add(COMMENT_AUTHORS)
                del obj[key]
    if (
        isinstance(obj, pikepdf.Stream)
        and subtype == Name.Image
        and obj.get(Name.Filter)
        in (
            Name.DCTDecode,
            pikepdf.Array([Name.DCTDecode]),
        )
    ):
        raw = obj.read_raw_bytes()
        stripped = strip_jpeg_metadata(raw)
        if stripped != raw:
            removed.add(EMBEDDED_PHOTO_DETAILS)
            obj.write(stripped, filter=Name.DCTDecode)
    return removed


def strip_jpeg_metadata(data):
    """A JPEG's segments without metadata (EXIF, XMP, IPTC, comments), pixels untouched.

    For JPEG images inside a PDF, which are drawn from their compressed bytes: they keep
    their quality and size. Anything that does not parse as JPEG is returned as it is.
    """
    if not data.startswith(b"\xff\xd8"):
        return data
    out = [b"\xff\xd8"]
    dropped = False
    position = 2
    length = len(data)
    while position + 4 <= length:
        if data[position] != 0xFF:
            return data
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker == 0xDA:  # start of scan: the rest is picture data
            if not dropped:
                return data  # nothing to remove: no copy of a large image
            out.append(data[position:])
            return b"".join(out)
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            out.append(data[position : position + 2])
            position += 2
            continue
        size = int.from_bytes(data[position + 2 : position + 4], "big")
        end = position + 2 + size
        if size < 2 or end > length:
            return data
        if marker in _JPEG_METADATA_MARKERS:
            dropped = True
        else:
            out.append(data[position:end])
        position = end
    return data
