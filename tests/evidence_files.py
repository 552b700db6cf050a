"""Real files for the attachment tests, made in the test: a phone photo with EXIF (GPS,
camera, serial number, times), a PDF with an author, a title, XMP, a script and an
embedded file, and the like. Each carries sentinel strings that must never be stored.
"""

import io
import struct
import zlib
from pathlib import Path

import pikepdf
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, PngImagePlugin

SERIAL = "SN-SENTINEL-4815162342"
CAMERA_MAKE = "SentinelCam"
CAMERA_MODEL = "Model-SENTINEL-9"
OWNER = "Owner Sentinel Person"
PHOTO_TIME = "2024:03:14 15:09:26"
GPS_LATITUDE = (51.0, 30.0, 26.4)
PDF_AUTHOR = "Jane Sentinel-Author"
PDF_TITLE = "Sentinel Title of a Private Document"
PDF_XMP_CREATOR = "XMP Sentinel Creator"
PDF_SCRIPT = "app.alert('sentinel-script')"
PDF_EMBEDDED = b"EMBEDDED-SENTINEL-CONTENT"
PDF_COMMENT_AUTHOR = "Sentinel Annotator"
# A name that holds a person's name, as reporters' files often do.
PHOTO_NAME = "Jane-Doe-Sentinel-holiday-photo.jpg"
PDF_NAME = "Letter-to-Jane-Doe-Sentinel.pdf"
SENTINEL_STRINGS = [
    SERIAL,
    CAMERA_MAKE,
    CAMERA_MODEL,
    OWNER,
    PHOTO_TIME,
    PDF_AUTHOR,
    PDF_TITLE,
    PDF_XMP_CREATOR,
    "sentinel-script",
    PDF_EMBEDDED.decode(),
    PDF_COMMENT_AUTHOR,
    "Jane-Doe-Sentinel",
]


def photo_exif(orientation=1):
    exif = Image.Exif()
    exif[0x010F] = CAMERA_MAKE
    exif[0x0110] = CAMERA_MODEL
    exif[0x0132] = PHOTO_TIME
    exif[0x0112] = orientation
    details = exif.get_ifd(0x8769)
    details[0xA431] = SERIAL  # BodySerialNumber
    details[0xA430] = OWNER  # CameraOwnerName
    details[0x9003] = PHOTO_TIME  # DateTimeOriginal
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = GPS_LATITUDE
    gps[3] = "W"
    gps[4] = (0.0, 7.0, 39.9)
    return exif


def jpeg_photo(size=(160, 120), orientation=1, quality=90):
    """A JPEG as a phone makes it: EXIF with location, camera, serial and times, a comment,
    a thumbnail-bearing EXIF block and XMP."""
    width, height = size
    image = Image.new("RGB", size, (30, 120, 200))
    # A marker in the top-left corner, so orientation can be checked after cleaning.
    image.paste((250, 20, 20), (0, 0, width // 4, height // 4))
    buffer = io.BytesIO()
    xmp = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
        '22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<dc:creator>{OWNER}</dc:creator></rdf:Description></rdf:RDF></x:xmpmeta>"
    ).encode()
    image.save(
        buffer,
        "JPEG",
        quality=quality,
        exif=photo_exif(orientation),
        comment=f"comment by {OWNER}".encode(),
        xmp=xmp,
    )
    return buffer.getvalue()


def png_screenshot(size=(120, 80)):
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", OWNER)
    info.add_text("Software", CAMERA_MODEL)
    buffer = io.BytesIO()
    Image.new("RGBA", size, (10, 200, 10, 255)).save(buffer, "PNG", pnginfo=info, exif=photo_exif())
    return buffer.getvalue()


def webp_image():
    buffer = io.BytesIO()
    Image.new("RGB", (50, 40), (100, 100, 0)).save(buffer, "WEBP", exif=photo_exif())
    return buffer.getvalue()


def animated_gif(frames=3):
    images = [
        Image.new("RGB", (24, 24), (index * 80, 0, 255 - index * 80)) for index in range(frames)
    ]
    buffer = io.BytesIO()
    images[0].save(
        buffer,
        "GIF",
        save_all=True,
        append_images=images[1:],
        duration=80,
        loop=0,
        comment=f"by {OWNER}".encode(),
    )
    return buffer.getvalue()


def pdf_document(*, with_photo=False, password=None):
    """A PDF with an author, a title, XMP, an opening script, an embedded file and a
    comment signed by its author: everything cleaning must remove."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
        meta["dc:creator"] = [PDF_XMP_CREATOR]
    pdf.docinfo["/Author"] = PDF_AUTHOR
    pdf.docinfo["/Title"] = PDF_TITLE
    pdf.docinfo["/Creator"] = CAMERA_MODEL
    pdf.Root.OpenAction = pikepdf.Dictionary(
        S=pikepdf.Name.JavaScript, JS=pikepdf.String(PDF_SCRIPT)
    )
    pdf.attachments["notes.txt"] = PDF_EMBEDDED
    comment = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.Text,
            Rect=[10, 10, 30, 30],
            T=pikepdf.String(PDF_COMMENT_AUTHOR),
            Contents=pikepdf.String("A comment that is content, and stays."),
        )
    )
    pdf.pages[0].obj.Annots = pikepdf.Array([comment])
    if with_photo:
        photo = jpeg_photo((32, 24))
        stream = pikepdf.Stream(pdf, photo)
        stream.Type = pikepdf.Name.XObject
        stream.Subtype = pikepdf.Name.Image
        stream.Width, stream.Height = 32, 24
        stream.ColorSpace = pikepdf.Name.DeviceRGB
        stream.BitsPerComponent = 8
        stream.Filter = pikepdf.Name.DCTDecode
        pdf.pages[0].obj.Resources = pikepdf.Dictionary(
            XObject=pikepdf.Dictionary(Im0=pdf.make_indirect(stream))
        )
    buffer = io.BytesIO()
    options = {}
    if password:
        options["encryption"] = pikepdf.Encryption(owner=password, user=password)
    # Uncompressed, so the sentinels are plainly in the original's bytes.
    pdf.save(
        buffer,
        compress_streams=False,
        object_stream_mode=pikepdf.ObjectStreamMode.disable,
        **options,
    )
    return buffer.getvalue()


def bomb_png(width=60_000, height=60_000):
    """A tiny PNG whose header claims a huge picture: a decompression bomb."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    row = b"\x00" + b"\x00" * 3 * 16
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * 4))
        + chunk(b"IEND", b"")
    )


def upload(name, data, content_type="application/octet-stream"):
    """A file as a browser sends it (the content type is the browser's word, not trusted)."""
    return SimpleUploadedFile(name, data, content_type=content_type)


def stored_files():
    """{path: bytes} of everything in the test attachment storage."""
    root = Path(settings.STORAGES["anon_messaging_attachments"]["OPTIONS"]["location"])
    if not root.exists():
        return {}
    return {path: path.read_bytes() for path in root.rglob("*") if path.is_file()}


def windows(data, size=16, step=7):
    """Byte sequences of ``data``: every ``size`` bytes, ``step`` apart."""
    return [data[start : start + size] for start in range(0, max(1, len(data) - size), step)]
