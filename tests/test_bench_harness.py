"""The benchmark harness (bench/) still seeds and measures. Structure only: no timing is asserted.

The full harness runs in CI in its quick mode (``bench/run.py --quick``); these tests keep
its building blocks honest at a tiny N on the test settings, so a change to the models or
pages that breaks the harness fails here first.
"""

import pytest
from django.db.models import Count

from anon_messaging import attachment_storage
from anon_messaging.models import Case, ContactDetails, Message
from bench import measure, report, seed
from tests import databases

# The harness serves requests through the real WSGI handler, which ends each request by
# closing the connection as in production: that needs real transactions, not a wrapping one,
# and the Wagtail root page that migrations create restored after each test.
pytestmark = databases.committing()

TIMING_KEYS = {"median_ms", "min_ms", "max_ms", "samples"}


@pytest.fixture
def bench_site(committed_demo):
    return seed.build_site()


def test_seeding_makes_the_requested_number_of_cases_in_a_realistic_mix(bench_site):
    demo_cases = set(Case.objects.values_list("pk", flat=True))  # seed_demo may add a few

    added = seed.seed_cases(bench_site, 300)

    assert added == 300 - len(demo_cases)
    assert Case.objects.count() == 300
    seeded = Case.objects.exclude(pk__in=demo_cases)
    statuses = dict(seeded.values_list("status").annotate(n=Count("pk")))
    assert set(statuses) == set(Case.Status.values)
    assert statuses[Case.Status.CLOSED] > added / 2
    routes = dict(seeded.values_list("route").annotate(n=Count("pk")))
    assert routes[Case.Route.ANONYMOUS] > routes[Case.Route.CONTACT] > 0
    # 1% overdue (one in every hundred seeded), each with a reply owed by a time already past.
    assert measure.overdue_cases().filter(pk__in=seeded).count() == 3
    assert ContactDetails.objects.filter(case__in=seeded).count() == routes[Case.Route.CONTACT]
    with_messaging = seeded.filter(messaging_enabled=True)
    assert with_messaging.exists()
    seeded_messages = Message.objects.filter(case__in=seeded)
    # Only cases with anonymous messaging have a conversation.
    assert not seeded_messages.exclude(case__in=with_messaging).exists()
    assert seeded_messages.count() > with_messaging.count()
    # Cases the measurements do not log in to share a few real argon2 hashes.
    assert set(with_messaging.values_list("code_hash", flat=True)) <= set(seed.shared_code_hashes())


def test_seeding_tops_up_to_a_larger_total_with_unique_references(bench_site):
    seed.seed_cases(bench_site, 50)
    assert seed.seed_cases(bench_site, 50) == 0
    assert seed.seed_cases(bench_site, 120) == 70
    references = list(Case.objects.values_list("reference", flat=True))
    assert len(references) == len(set(references)) == 120
    assert all(reference.startswith("R-") and len(reference) == 8 for reference in references)


def test_seeded_texts_decrypt_like_any_other(bench_site):
    demo_cases = list(Case.objects.values_list("pk", flat=True))
    seed.seed_cases(bench_site, 40)
    case = (
        Case.objects.exclude(pk__in=demo_cases)
        .filter(messaging_enabled=True, messages__isnull=False)
        .first()
    )
    assert case.answers[0]["value"] in seed.REPORT_TEXTS
    assert case.messages.first().body in seed.MESSAGE_TEXTS


def test_messaging_view_measurement_reports_queries_and_timings(bench_site):
    seed.seed_cases(bench_site, 30)
    case, code = measure.prepare_conversation(bench_site, 40)

    result = measure.measure_messaging_view(bench_site, case, code, 40, reps=2, warmup=1)

    assert result["messages"] == 40
    assert len(result["statements_per_view"]) == 4
    assert result["statements"] == max(result["statements_per_view"])
    assert 0 < result["queries_first_view"] <= result["statements_first_view"]
    # The first view marks the adviser's unseen replies read: one statement more.
    assert result["queries_first_view"] == result["queries"]
    assert set(result["request"]) == TIMING_KEYS
    assert result["request"]["samples"] == 2


def test_login_measurement_logs_in_with_a_real_code(bench_site):
    case, code = measure.new_case_with_code(bench_site)

    result = measure.measure_login(bench_site, case, code, reps=2, warmup=0)

    assert set(result["request"]) == set(result["argon2_verify"]) == TIMING_KEYS
    assert set(result["beyond_argon2"]) == TIMING_KEYS
    assert result["ratio"] > 0
    # The measured hash is the one the app stored, with the parameters it was made with.
    assert result["stored_hash_parameters"].startswith("m=")


def test_results_table_has_a_row_per_target(bench_site):
    seed.seed_cases(bench_site, 10)
    case, code = measure.new_case_with_code(bench_site)
    conversation, conversation_code = measure.prepare_conversation(bench_site, 5)
    short, short_code = measure.prepare_conversation(bench_site, 2)
    per_size = {
        "login": measure.measure_login(bench_site, case, code, reps=1, warmup=0),
        "submission": measure.measure_submission(bench_site, reps=1, warmup=0),
        "messaging_view": measure.measure_messaging_view(
            bench_site, conversation, conversation_code, 5, reps=1, warmup=0
        ),
        "messaging_view_short": measure.measure_messaging_view(
            bench_site, short, short_code, 2, reps=1, warmup=0
        ),
        "admin_list": measure.measure_admin_list(bench_site, reps=1, warmup=0),
        "admin_list_adviser": measure.measure_admin_list(
            bench_site, reps=1, warmup=0, username="adviser"
        ),
        "statistics": measure.measure_statistics(bench_site, reps=1, warmup=0),
        "reminder_scan": measure.measure_reminder_scan(bench_site, reps=1, warmup=0),
    }
    # Counted in the database: the statistics never read a report's text.
    assert per_size["statistics"]["reads_report_text"] is False
    results = {
        "sizes": [10, 10],
        "per_size": {"10": per_size},
        # One reporter thread: the in-memory SQLite test database cannot take parallel writers.
        "concurrency": measure.measure_concurrency(bench_site, reporters=1, messages_each=3),
    }

    rows = report.build_table(results)

    paths = [row["path"].split(",")[0] for row in rows]
    assert paths[:-1] == [
        "code log-in",
        "code log-in",
        "report submission with opt-in",
        "report submission",
        "admin case list",
        "admin case list",
        "admin case list as an adviser (own and team cases)",
        "admin statistics",
        "statistics over every case (one period)",
        "messaging view",
        "messaging view",
        "reminder scan",
    ]
    # The targets of issue 18: the adviser's list constant, a long conversation like a short one.
    targets = {row["path"]: row["target"] for row in rows}
    assert targets["admin case list as an adviser (own and team cases)"] == (
        "<= 1.3; constant queries"
    )
    assert targets["messaging view, 5 messages beside 2"] == "<= 2"
    assert paths[-1].endswith("concurrent reporters posting messages")
    assert results["concurrency"]["stored"] == results["concurrency"]["sent"] == 3
    assert "| path | measured |" in report.markdown(rows)


def test_attachment_uploads_are_measured_beside_cleaning_alone(bench_site):
    from bench import attachments
    from tests import evidence_files

    photo = evidence_files.jpeg_photo((320, 240))
    before = set(Case.objects.values_list("pk", flat=True))
    jpeg = attachments.measure_upload(
        bench_site, "photo.jpg", photo, attachments.pillow_reencode, reps=1, warmup=0
    )
    pdf = attachments.measure_upload(
        bench_site,
        "scan.pdf",
        evidence_files.pdf_document(),
        attachments.cleaning_alone,
        reps=1,
        warmup=0,
        reference=attachments.pikepdf_rewrite,
    )
    for figures in (jpeg, pdf):
        for step in ("request", "without_file", "alone", "disk_write"):
            assert set(figures[step]) == TIMING_KEYS
        assert figures["file_cost_ms"] == round(
            figures["request"]["median_ms"] - figures["without_file"]["median_ms"], 2
        )
    assert set(pdf["reference"]) == TIMING_KEYS
    # Each measured upload stored a case with its cleaned file; the report without the
    # file stored one without any, and the disk writes were removed.
    made = Case.objects.exclude(pk__in=before)
    assert made.filter(attachments__kind="image").count() == 1
    assert made.filter(attachments__kind="pdf").count() == 1
    assert made.filter(attachments__isnull=True).count() == 2
    assert not list(attachment_storage.filesystem_location().glob("bench-write-*"))
    memory = {"rise_mb": 1.0, "ratio": 2.0, "rss_before_mb": 100, "peak_mb": 101}
    rows = report.attachment_rows(
        {"jpeg": {**jpeg, "memory": memory}, "pdf": {**pdf, "memory": memory}}
    )
    assert [row["path"] for row in rows] == ["12-megapixel JPEG upload"] * 3 + [
        "10 MB PDF upload"
    ] * 3
    assert [row["target"] for row in rows] == [
        "<= 1.3",
        "none (reads the row above)",
        "<= 6",
    ] * 2
    assert [row["met"] for row in rows][1::3] == [None, None]
