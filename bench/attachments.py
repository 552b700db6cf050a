"""Attachments: upload time beside cleaning alone, and peak memory for a 10 MB upload.

* A 12-megapixel JPEG of about 10 MB, with a phone's EXIF, sent with an anonymous report
  (no messaging code, so no argon2): the request's time beside Pillow's re-encode of the
  same file alone (decode, orientation, encode, as ``file_cleaning`` does), timed in the
  same loop, interleaved.
* A PDF of about 10 MB (ten scanned pages: JPEG images) the same way, beside cleaning
  the same file alone (``file_cleaning.clean_file``: pikepdf's rewrite and the walk over
  its objects); pikepdf's bare open-and-save of the file is timed too, for reference.
* In the same loop, taking turns with those: the same report without the file (the
  form's file input left empty, as a browser sends it), so the file's own cost is the
  difference; and a plain write of as many bytes to a new file in the attachments'
  directory, what storing them costs the disk by itself.

Only the server's work is timed: each request body is built before the clock starts,
as a browser builds it, not the server.
* Peak memory: each upload is sent once in a fresh process (``bench/attachment_memory.py``)
  after a warm-up upload of a small file; the figure is how far the process's peak resident
  memory (VmHWM) rose for the big upload, beside the file's size.
"""

import io
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from anon_messaging.forms import new_submission_token

from .browser import Browser
from .measure import summarise, timed
from .seed import form_answers

TARGET_BYTES = 10_000_000
PHOTO_SIZE = (4000, 3000)  # 12 megapixels
ROOT = Path(__file__).resolve().parent.parent


def photo_12mp():
    """A 12-megapixel photo-like JPEG (noise over gradients, so it compresses like a photo
    of a busy scene) of just under 10 MB, with GPS, camera and serial in its EXIF."""
    from PIL import Image

    width, height = PHOTO_SIZE
    noise = Image.effect_noise(PHOTO_SIZE, 60)
    gradient = Image.linear_gradient("L").resize(PHOTO_SIZE)
    image = Image.merge("RGB", (noise, Image.blend(noise, gradient, 0.5), gradient))
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0112] = "BenchPhone", "Bench Model 12", 1
    exif.get_ifd(0x8769)[0xA431] = "BENCH-SERIAL-0001"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (51.0, 30.0, 26.0), "W", (0.0, 7.0, 39.0)
    for quality in range(95, 60, -1):
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=quality, exif=exif)
        if buffer.tell() <= TARGET_BYTES:
            return buffer.getvalue()
    raise RuntimeError("could not make the benchmark photo small enough")


def scanned_pdf(pages=10):
    """A PDF of about 10 MB: pages holding one scanned-looking JPEG each, with an author."""
    import pikepdf
    from PIL import Image

    pdf = pikepdf.new()
    pdf.docinfo["/Author"] = "Bench Author"
    per_page = TARGET_BYTES // pages - 2000
    for page_number in range(pages):
        size = (1275, 1650)  # a letter page scanned at 150 dpi
        noise = Image.effect_noise(size, 50 + page_number)
        scan = Image.merge("RGB", (noise, noise, Image.linear_gradient("L").resize(size)))
        for quality in range(95, 40, -2):
            buffer = io.BytesIO()
            scan.save(buffer, "JPEG", quality=quality)
            if buffer.tell() <= per_page:
                break
        image = pikepdf.Stream(pdf, buffer.getvalue())
        image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
        image.Width, image.Height = size
        image.ColorSpace, image.BitsPerComponent = pikepdf.Name.DeviceRGB, 8
        image.Filter = pikepdf.Name.DCTDecode
        pdf.add_blank_page(page_size=(612, 792))
        page = pdf.pages[-1]
        page.obj.Resources = pikepdf.Dictionary(
            XObject=pikepdf.Dictionary(Scan=pdf.make_indirect(image))
        )
        page.obj.Contents = pdf.make_stream(b"q 612 0 0 792 0 0 cm /Scan Do Q")
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def pillow_reencode(data):
    """What cleaning a JPEG costs in Pillow alone: decode, orientation, encode."""
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data), formats=["JPEG"]) as image:
        image.load()
        ImageOps.exif_transpose(image, in_place=True)
        image.info = {}
        output = io.BytesIO()
        image.save(output, "JPEG", quality="keep", subsampling="keep")
    return output.getvalue()


def pikepdf_rewrite(data):
    """What rewriting a PDF costs in pikepdf alone, with the options cleaning uses."""
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        output = io.BytesIO()
        pdf.save(
            output,
            deterministic_id=True,
            stream_decode_level=pikepdf.StreamDecodeLevel.none,
            compress_streams=False,
            fix_metadata_version=False,
        )
    return output.getvalue()


# What a browser sends for a file input left empty: a part with no name and no content.
NO_FILE = ("", b"")


def report_body(browser, answers, chosen):
    """``(content type, body)`` of the anonymous report with ``chosen`` (name, bytes)."""
    fields = {**answers, "messaging_opt_in": "no", "submission_token": new_submission_token()}
    return browser.multipart_body(fields, {"attachments": [chosen]})


def send_report(browser, page, body):
    content_type, payload = body
    response = browser.post_body(page.url, content_type, payload)
    if response.status_code != 200 or "Your report has been sent" not in response.text:
        raise RuntimeError(f"a report with a file answered {response.status_code}")
    return response


class DiskWrites:
    """Plain writes of a file's bytes to new files in the attachments' directory, removed
    at the end: what storing that many bytes costs the disk by itself."""

    def __init__(self):
        from anon_messaging import attachment_storage

        self.directory = attachment_storage.filesystem_location()
        self.written = []

    def write(self, data):
        if self.directory is None:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"bench-write-{len(self.written)}"
        with open(path, "xb") as made:
            made.write(data)
        self.written.append(path)

    def remove(self):
        for path in self.written:
            path.unlink(missing_ok=True)


def cleaning_alone(data):
    """The app's own cleaning of the same bytes, outside any request."""
    from anon_messaging import file_cleaning

    return file_cleaning.clean_file(data)


def measure_upload(bench_site, name, data, alone, reps, warmup, reference=None):
    """The report with ``data`` attached, beside ``alone(data)``, the same report without
    the file and a plain disk write of ``data`` (and ``reference(data)`` when given), all
    in one loop, each repetition starting with the next of them in turn."""
    page = bench_site.anonymous_form
    browser = Browser()
    browser.get(page.url)  # CSRF cookie
    answers = form_answers(page)
    disk = DiskWrites()
    steps = {
        "request": lambda body: send_report(browser, page, body),
        "without_file": lambda body: send_report(browser, page, body),
        "alone": lambda _body: alone(data),
        "disk_write": lambda _body: disk.write(data),
    }
    if reference:
        steps["reference"] = lambda _body: reference(data)
    times = {step: [] for step in steps}
    order = list(steps)
    try:
        for repetition in range(warmup + reps):
            turn = repetition % len(order)
            for step in order[turn:] + order[:turn]:
                # Bodies are built before the clock starts: a browser builds them.
                body = (
                    report_body(browser, answers, (name, data) if step == "request" else NO_FILE)
                    if step in ("request", "without_file")
                    else None
                )
                elapsed, _ = timed(steps[step], body)
                if repetition >= warmup:
                    times[step].append(elapsed)
    finally:
        disk.remove()
    figures = {"file_bytes": len(data), **{step: summarise(times[step]) for step in steps}}
    request, without, alone_ms = (
        figures["request"]["median_ms"],
        figures["without_file"]["median_ms"],
        figures["alone"]["median_ms"],
    )
    # The figure: the whole request beside cleaning alone.
    figures["ratio"] = round(request / alone_ms, 3)
    # The file's own cost: what the request takes beyond the same report without it.
    figures["file_cost_ms"] = round(request - without, 2)
    figures["file_cost_ratio"] = round((request - without) / alone_ms, 3)
    return figures


def measure_peak_memory(kind, data):
    """Peak memory of one upload of ``data`` ("jpeg" or "pdf") in a fresh process."""
    with tempfile.NamedTemporaryFile(suffix=f".{kind}") as made:
        made.write(data)
        made.flush()
        return _run_memory_process(kind, made.name)


def _run_memory_process(kind, path):
    completed = subprocess.run(  # noqa: S603 - our own script with fixed arguments
        [sys.executable, str(ROOT / "bench" / "attachment_memory.py"), kind, path],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=os.environ.copy(),
        timeout=600,
        check=False,
    )
    if completed.returncode:
        raise RuntimeError(f"memory measurement failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def measure_attachments(bench_site, reps, warmup):
    photo, pdf = photo_12mp(), scanned_pdf()
    return {
        "jpeg": {
            **measure_upload(bench_site, "photo.jpg", photo, pillow_reencode, reps, warmup),
            "megapixels": PHOTO_SIZE[0] * PHOTO_SIZE[1] / 1_000_000,
            "memory": measure_peak_memory("jpeg", photo),
        },
        "pdf": {
            **measure_upload(
                bench_site, "scan.pdf", pdf, cleaning_alone, reps, warmup, pikepdf_rewrite
            ),
            "memory": measure_peak_memory("pdf", pdf),
        },
    }
