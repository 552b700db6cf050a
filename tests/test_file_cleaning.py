"""Cleaning files (anon_messaging/file_cleaning.py) with real files made here: what goes,
what stays, and what is refused, by content and never by name."""

import io

import pikepdf
import pytest
from PIL import Image

from anon_messaging import file_cleaning
from tests import evidence_files as files


def sentinels_in(data):
    return [text for text in files.SENTINEL_STRINGS if text.encode() in data]


def test_a_phone_photo_loses_location_camera_serial_times_comments_and_xmp():
    original = files.jpeg_photo()
    assert sentinels_in(original)  # the test file does carry them
    cleaned = file_cleaning.clean_file(original)
    assert (cleaned.kind, cleaned.extension, cleaned.content_type) == ("image", "jpg", "image/jpeg")
    assert sentinels_in(cleaned.data) == []
    image = Image.open(io.BytesIO(cleaned.data))
    assert dict(image.getexif()) == {}
    assert not {"exif", "xmp", "comment", "icc_profile", "photoshop"} & set(image.info)
    assert [marker for marker, _payload in image.applist if marker != "APP0"] == []
    for code in ("location", "camera", "times", "xmp", "comments", "file_name"):
        assert code in cleaned.removed
    # The pixels stay: same size, same colours.
    assert image.size == (160, 120)
    red, green, blue = image.convert("RGB").getpixel((5, 5))
    assert red > 200 and green < 60 and blue < 60


def test_the_photos_orientation_is_applied_before_its_exif_goes():
    # Orientation 6: the camera was turned; viewers rotate the stored pixels 90° clockwise.
    original = files.jpeg_photo(size=(160, 120), orientation=6)
    cleaned = file_cleaning.clean_file(original)
    image = Image.open(io.BytesIO(cleaned.data)).convert("RGB")
    assert image.size == (120, 160)
    # The red corner, top-left in the stored pixels, is top-right once turned.
    red, _green, _blue = image.getpixel((image.width - 5, 5))
    assert red > 200
    assert dict(Image.open(io.BytesIO(cleaned.data)).getexif()) == {}


@pytest.mark.parametrize(
    ("make", "extension", "content_type"),
    [
        (files.png_screenshot, "png", "image/png"),
        (files.webp_image, "webp", "image/webp"),
        (files.animated_gif, "gif", "image/gif"),
    ],
)
def test_png_webp_and_gif_lose_their_metadata_too(make, extension, content_type):
    original = make()
    assert sentinels_in(original)
    cleaned = file_cleaning.clean_file(original)
    assert (cleaned.extension, cleaned.content_type) == (extension, content_type)
    assert sentinels_in(cleaned.data) == []
    image = Image.open(io.BytesIO(cleaned.data))
    assert dict(image.getexif()) == {}


def test_an_animated_gif_keeps_every_frame():
    cleaned = file_cleaning.clean_file(files.animated_gif(frames=4))
    assert Image.open(io.BytesIO(cleaned.data)).n_frames == 4


def test_a_pdf_loses_author_title_xmp_scripts_actions_embedded_files_and_comment_authors():
    original = files.pdf_document()
    assert files.PDF_AUTHOR.encode() in original
    assert files.PDF_TITLE.encode() in original
    cleaned = file_cleaning.clean_file(original)
    assert (cleaned.kind, cleaned.extension) == ("pdf", "pdf")
    assert sentinels_in(cleaned.data) == []
    with pikepdf.open(io.BytesIO(cleaned.data)) as pdf:
        assert len(pdf.pages) == 1
        assert "/Info" not in pdf.trailer
        assert "/Metadata" not in pdf.Root
        assert "/OpenAction" not in pdf.Root
        assert len(pdf.attachments) == 0
        # The comment itself is content and stays; who wrote it goes.
        (comment,) = pdf.pages[0].Annots
        assert str(comment.Contents) == "A comment that is content, and stays."
        assert "/T" not in comment
    for code in ("document_info", "xmp", "javascript", "embedded_files", "comment_authors"):
        assert code in cleaned.removed


def test_photos_inside_a_pdf_lose_their_exif():
    original = files.pdf_document(with_photo=True)
    assert files.SERIAL.encode() in original
    cleaned = file_cleaning.clean_file(original)
    assert files.SERIAL.encode() not in cleaned.data
    assert files.CAMERA_MAKE.encode() not in cleaned.data
    assert "embedded_photo_details" in cleaned.removed
    with pikepdf.open(io.BytesIO(cleaned.data)) as pdf:
        # The page's image objects, read the same way by every supported pikepdf (Page.images
        # is deprecated in the newest).
        xobjects = pdf.pages[0].Resources.XObject.values()
        (image,) = [pikepdf.PdfImage(obj) for obj in xobjects if obj.Subtype == pikepdf.Name.Image]
        assert image.as_pil_image().size == (32, 24)


def test_text_is_taken_as_utf8_and_binary_is_refused():
    cleaned = file_cleaning.clean_file("Messages, copied:\r\n«hello»\n".encode())
    assert (cleaned.kind, cleaned.extension) == ("text", "txt")
    assert cleaned.data.decode() == "Messages, copied:\r\n«hello»\n"
    utf16 = file_cleaning.clean_file("hé".encode("utf-16"))
    assert utf16.data == "hé".encode()
    with pytest.raises(file_cleaning.NotAcceptedKind):
        file_cleaning.clean_file(b"\x00\x01\x02 binary")


def test_the_kind_is_told_by_content_alone():
    # A PDF is a PDF whatever it is called; an executable is refused whatever it is called.
    assert file_cleaning.detect_format(files.pdf_document()) == "PDF"
    assert file_cleaning.detect_format(files.png_screenshot()) == "PNG"
    with pytest.raises(file_cleaning.NotAcceptedKind):
        file_cleaning.clean_file(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff")
    with pytest.raises(file_cleaning.NotAcceptedKind):
        file_cleaning.clean_file(b"PK\x03\x04" + bytes(range(256)))


def test_a_decompression_bomb_is_refused_before_it_is_decoded():
    with pytest.raises(file_cleaning.TooManyPixels):
        file_cleaning.clean_file(files.bomb_png())
    # Below Pillow's own limit but above the site's.
    with pytest.raises(file_cleaning.TooManyPixels) as refused:
        file_cleaning.clean_file(files.jpeg_photo(size=(400, 300)), max_pixels=100_000)
    assert refused.value.pixels == 120_000


@pytest.mark.parametrize(
    "make",
    [files.jpeg_photo, files.png_screenshot, files.webp_image, files.animated_gif],
)
def test_a_truncated_image_is_refused_as_damaged(make):
    original = make()
    with pytest.raises(file_cleaning.CorruptFile):
        file_cleaning.clean_file(original[: len(original) // 2])


def test_a_password_protected_or_broken_pdf_is_refused():
    with pytest.raises(file_cleaning.PdfNotCleanable) as refused:
        file_cleaning.clean_file(files.pdf_document(password="secret"))
    assert refused.value.reason == "encrypted"
    with pytest.raises(file_cleaning.PdfNotCleanable) as refused:
        file_cleaning.clean_file(b"%PDF-1.7\n" + b"\x00garbage" * 20)
    assert refused.value.reason == "damaged"


def test_an_empty_file_is_refused():
    with pytest.raises(file_cleaning.EmptyFile):
        file_cleaning.clean_file(b"")


def test_jpeg_metadata_is_stripped_segment_by_segment():
    photo = files.jpeg_photo()
    stripped = file_cleaning.strip_jpeg_metadata(photo)
    assert sentinels_in(stripped) == []
    assert Image.open(io.BytesIO(stripped)).size == (160, 120)
    assert file_cleaning.strip_jpeg_metadata(b"not a jpeg") == b"not a jpeg"


@pytest.mark.parametrize(
    "make",
    [
        files.jpeg_photo,
        files.png_screenshot,
        files.webp_image,
        files.animated_gif,
        lambda: files.pdf_document(with_photo=True),
        lambda: "A note, copied: «hello»\n".encode(),
    ],
    ids=["jpeg", "png", "webp", "animated-gif", "pdf", "text"],
)
def test_cleaning_into_a_file_writes_the_same_cleaned_bytes(make):
    original = make()
    in_memory = file_cleaning.clean_file(original)
    output = io.BytesIO(b"before")
    output.seek(0, io.SEEK_END)
    written = file_cleaning.clean_file(original, output=output)
    assert output.getvalue() == b"before" + in_memory.data
    assert written.data is None and written.content is output
    assert written.size == in_memory.size == len(in_memory.data)
    assert (written.kind, written.extension, written.removed) == (
        in_memory.kind,
        in_memory.extension,
        in_memory.removed,
    )
