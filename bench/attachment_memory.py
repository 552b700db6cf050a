"""One upload's peak memory, in a process of its own: ``attachment_memory.py KIND FILE``.

Run by ``bench/attachments.py`` against the database ``bench/run.py`` prepared (the same
environment), with the file already made and written to disk, so making it costs this
process nothing. The process sets Django up, sends a warm-up report with a small file
of the same kind (imports, the first request and the codecs' set-up are paid then),
builds the request body (the browser's side, held before and after alike), resets its
peak resident memory (``/proc/self/clear_refs``), sends the report, and reads the peak
again (VmHWM). It prints one JSON line: how far the peak rose, the file's size, and
their ratio.
"""

import io
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def rss_kib(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not found")


def reset_peak():
    """Make VmHWM the current resident size again (Linux 4.0 and later)."""
    Path("/proc/self/clear_refs").write_text("5")


def small_file(kind):
    if kind == "pdf":
        import pikepdf

        pdf = pikepdf.new()
        pdf.add_blank_page()
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 20, 30)).save(out, "JPEG")
    return out.getvalue()


def main(kind, path):
    sys.path[:0] = [str(ROOT), str(ROOT / "example_site")]
    from bench.run import setup_django

    setup_django()
    from wagtail.models import Locale

    from anon_messaging.forms import new_submission_token
    from anon_messaging.pages import ReportFormPage
    from bench.browser import Browser
    from bench.seed import form_answers

    page = ReportFormPage.objects.get(slug="anonymous", locale=Locale.get_default())
    answers = {**form_answers(page), "messaging_opt_in": "no"}
    name = "scan.pdf" if kind == "pdf" else "photo.jpg"
    browser = Browser()
    browser.get(page.url)

    def send(data):
        fields = {**answers, "submission_token": new_submission_token()}
        return browser.multipart_body(fields, {"attachments": [(name, data)]})

    content_type, body = send(small_file(kind))
    warm = browser.post_body(page.url, content_type, body)
    if warm.status_code != 200 or "Your report has been sent" not in warm.text:
        raise RuntimeError(f"warm-up upload answered {warm.status_code}")
    data = Path(path).read_bytes()
    content_type, body = send(data)
    before = rss_kib("VmRSS")
    reset_peak()
    response = browser.post_body(page.url, content_type, body)
    peak = rss_kib("VmHWM")
    if response.status_code != 200 or "Your report has been sent" not in response.text:
        raise RuntimeError(f"upload answered {response.status_code}")
    rise = (peak - before) * 1024
    print(
        json.dumps(
            {
                "file_bytes": len(data),
                "rss_before_mb": round(before / 1024, 1),
                "peak_mb": round(peak / 1024, 1),
                "rise_bytes": rise,
                "rise_mb": round(rise / 1_000_000, 1),
                "ratio": round(rise / len(data), 2),
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
