"""Benchmarks at scale: seed N cases, measure every hot path, print one table, write JSON.

    .venv/bin/python bench/run.py                 # SQLite, N = 100 and 100,000
    .venv/bin/python bench/run.py --quick         # N = 100 and 10,000 (what CI runs)
    .venv/bin/python bench/run.py --n 100 --n 1000000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench bench/run.py   # PostgreSQL

SQLite runs in a temporary file that is deleted afterwards. PostgreSQL runs in the
database that DATABASE_URL names, which must be a dedicated one with "bench" in its
name: the harness creates it if missing and EMPTIES it (drops its public schema).
The table goes to standard output; the JSON to bench/results/<db>-<mode>.json.
See bench/README.md.
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FULL_SIZES = [100, 100_000]
SHORT_CONVERSATION = 10
QUICK_SIZES = [100, 10_000]


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="N = 100 and 10,000 (for CI)")
    parser.add_argument(
        "--n", action="append", type=int, metavar="N", help="a number of cases (repeatable)"
    )
    parser.add_argument(
        "--reps", type=int, help="timed repetitions per figure (default 9; 5 quick)"
    )
    parser.add_argument("--warmup", type=int, default=2, help="untimed repetitions first")
    parser.add_argument("--messages", type=int, default=1000, help="messages in the conversation")
    parser.add_argument("--output", help="JSON path (default bench/results/<db>-<mode>.json)")
    parser.add_argument(
        "--keep-db", action="store_true", help="keep the SQLite file (its path is printed)"
    )
    parser.add_argument(
        "--attachments-only",
        action="store_true",
        help="only the attachment uploads (12 MP JPEG, 10 MB PDF): time and peak memory",
    )
    parser.add_argument(
        "--statistics-only",
        action="store_true",
        help="only the admin's statistics view at each N (time, queries, never the report text)",
    )
    parser.add_argument(
        "--sqlite-wal",
        action="store_true",
        help="SQLite in write-ahead-log mode (PRAGMA journal_mode=WAL) instead of its default",
    )
    args = parser.parse_args(argv)
    if args.n:
        args.sizes = sorted(set(args.n))
        args.mode = "custom"
        if args.sizes == FULL_SIZES:
            args.mode = "full"
        elif args.sizes == QUICK_SIZES:
            args.mode = "quick"
    else:
        args.sizes = QUICK_SIZES if args.quick else FULL_SIZES
        args.mode = "quick" if args.quick else "full"
    if args.reps is None:
        args.reps = 5 if args.quick else 9
    if args.attachments_only:
        args.sizes, args.mode = [], "attachments"
    if args.statistics_only:
        args.mode = f"statistics-{args.mode}"
    return args


def setup_django():
    for path in (str(ROOT), str(ROOT / "example_site")):
        if path not in sys.path:
            sys.path.insert(0, path)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()


def progress(message):
    sys.stderr.write(f"[bench {time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


def prepare_database():
    """A fresh, migrated database: a new SQLite file, or an emptied PostgreSQL database."""
    from django.core.management import call_command
    from django.db import connection

    name = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite":
        Path(name).unlink(missing_ok=True)
    elif connection.vendor == "postgresql":
        if "bench" not in str(name):
            raise SystemExit(
                f"Refusing to empty the database {name!r}: point DATABASE_URL at a dedicated "
                "database with 'bench' in its name."
            )
        with connection._nodb_cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{name}"')  # noqa: S608 - name from settings
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    else:
        raise SystemExit(f"Unsupported database vendor {connection.vendor!r}.")
    call_command("migrate", interactive=False, verbosity=0)


def refresh_statistics():
    """The planner's statistics after a bulk load, as a live site would have them.

    PostgreSQL: VACUUM ANALYZE, as autovacuum soon would; without it the planner would see
    the tables as they were before seeding, and counts would read every row to check
    visibility. SQLite: the app's daily task (``anon_messaging.query_statistics``), which
    a site's task cluster runs after every migrate and then once a day.
    """
    from django.db import connection

    from anon_messaging import query_statistics

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    else:
        query_statistics.refresh()


def run(args):
    from django.db import connection

    from bench import measure, seed

    started = time.perf_counter()
    progress(f"preparing the {connection.vendor} database")
    prepare_database()
    if args.sqlite_wal and connection.vendor == "sqlite":
        # Kept in the database file: every later connection uses the write-ahead log.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode=WAL")
    bench_site = seed.build_site()
    if args.attachments_only:
        results = {"sizes": [], "per_size": {}}
        return _finish(args, started, results, attachments_only=True, bench_site=bench_site)
    if args.statistics_only:
        return _statistics_only(args, started, bench_site)
    progress("building the cases the measurements log in to (production argon2)")
    login_case, login_code = measure.new_case_with_code(bench_site)
    conversation_case, conversation_code = measure.prepare_conversation(bench_site, args.messages)
    # The same view with a short conversation: the query count must not depend on its length.
    short_case, short_code = measure.prepare_conversation(bench_site, SHORT_CONVERSATION)

    results = {"sizes": args.sizes, "per_size": {}}
    for size in args.sizes:
        began = time.perf_counter()
        added = seed.seed_cases(bench_site, size)
        progress(f"N={size:,}: seeded {added:,} cases in {time.perf_counter() - began:.1f} s")
        refresh_statistics()
        figures = {}
        progress(f"N={size:,}: code log-in")
        figures["login"] = measure.measure_login(
            bench_site, login_case, login_code, args.reps, args.warmup
        )
        progress(f"N={size:,}: report submission")
        figures["submission"] = measure.measure_submission(bench_site, args.reps, args.warmup)
        progress(f"N={size:,}: messaging view")
        figures["messaging_view"] = measure.measure_messaging_view(
            bench_site, conversation_case, conversation_code, args.messages, args.reps, args.warmup
        )
        figures["messaging_view_short"] = measure.measure_messaging_view(
            bench_site, short_case, short_code, SHORT_CONVERSATION, args.reps, args.warmup
        )
        progress(f"N={size:,}: admin case list")
        figures["admin_list"] = measure.measure_admin_list(bench_site, args.reps, args.warmup)
        figures["admin_list_adviser"] = measure.measure_admin_list(
            bench_site, args.reps, args.warmup, username="adviser"
        )
        figures["admin_list_beside_plain"] = measure.measure_admin_list_beside_plain(
            bench_site, args.reps, args.warmup
        )
        progress(f"N={size:,}: statistics")
        figures["statistics"] = measure.measure_statistics(bench_site, args.reps, args.warmup)
        progress(f"N={size:,}: reminder scan")
        figures["reminder_scan"] = measure.measure_reminder_scan(bench_site, args.reps, args.warmup)
        figures["cases"] = _case_mix()
        results["per_size"][str(size)] = figures

    progress("8 concurrent reporters")
    results["concurrency"] = measure.measure_concurrency(bench_site)
    return _finish(args, started, results, attachments_only=False, bench_site=bench_site)


def _statistics_only(args, started, bench_site):
    from django.db import connection

    from bench import measure, report, seed

    results = {"sizes": args.sizes, "per_size": {}}
    for size in args.sizes:
        began = time.perf_counter()
        added = seed.seed_cases(bench_site, size)
        progress(f"N={size:,}: seeded {added:,} cases in {time.perf_counter() - began:.1f} s")
        refresh_statistics()
        progress(f"N={size:,}: statistics")
        results["per_size"][str(size)] = {
            "statistics": measure.measure_statistics(bench_site, args.reps, args.warmup),
            "cases": _case_mix(),
        }
    results["seconds"] = round(time.perf_counter() - started, 1)
    database = "postgresql" if connection.vendor == "postgresql" else connection.vendor
    payload = {
        "database": database,
        "mode": args.mode,
        "sizes": args.sizes,
        "machine": report.machine(),
        "table": report.statistics_rows(results),
        "results": results,
    }
    output = (
        Path(args.output)
        if args.output
        else ROOT / "bench" / "results" / f"{database}-{args.mode}.json"
    )
    report.print_report(payload)
    report.write_json(output, payload)
    progress(f"done in {results['seconds']:.0f} s; JSON written to {output}")
    return payload


def _finish(args, started, results, *, attachments_only, bench_site):
    from django.db import connection

    from bench import attachments, measure, report

    progress("attachments: 12 MP JPEG and 10 MB PDF uploads")
    results["attachments"] = attachments.measure_attachments(bench_site, args.reps, args.warmup)
    results["seconds"] = round(time.perf_counter() - started, 1)

    database = "postgresql" if connection.vendor == "postgresql" else connection.vendor
    if args.sqlite_wal and database == "sqlite":
        database = "sqlite-wal"
    payload = {
        "database": database,
        "mode": args.mode,
        "sizes": args.sizes,
        "argon2": measure.argon2_parameters(),
        "machine": report.machine(),
        "table": (
            report.attachment_rows(results["attachments"])
            if attachments_only
            else report.build_table(results)
        ),
        "results": results,
    }
    output = (
        Path(args.output)
        if args.output
        else ROOT / "bench" / "results" / (f"{database}-{args.mode}.json")
    )
    report.print_report(payload)
    report.write_json(output, payload)
    progress(f"done in {results['seconds']:.0f} s; JSON written to {output}")
    return payload


def _case_mix():
    """What the seeded database holds, so a reader can see the mix the figures rest on."""
    from django.db.models import Count
    from django.utils import timezone

    from anon_messaging.models import Case, Message

    return {
        "cases": Case.objects.count(),
        "by_status": dict(Case.objects.values_list("status").annotate(n=Count("pk"))),
        "by_route": dict(Case.objects.values_list("route").annotate(n=Count("pk"))),
        "with_messaging": Case.objects.filter(messaging_enabled=True).count(),
        "messages": Message.objects.count(),
        "overdue": Case.objects.exclude(status__in=[Case.Status.CLOSED, Case.Status.WAITING])
        .filter(awaiting_reply=True, response_due_at__lt=timezone.now())
        .count(),
    }


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    temp_dir = None
    files_dir = tempfile.mkdtemp(prefix="anon_messaging_bench_files_")
    os.environ.setdefault("BENCH_ATTACHMENT_ROOT", files_dir)
    if not os.environ.get("DATABASE_URL") and not os.environ.get("BENCH_SQLITE_PATH"):
        temp_dir = tempfile.mkdtemp(prefix="anon_messaging_bench_")
        os.environ["BENCH_SQLITE_PATH"] = str(Path(temp_dir) / "bench.sqlite3")
    try:
        setup_django()
        run(args)
    finally:
        shutil.rmtree(files_dir, ignore_errors=True)
        if temp_dir and not args.keep_db:
            from django.db import connections

            connections.close_all()
            shutil.rmtree(temp_dir, ignore_errors=True)
        elif temp_dir:
            progress(f"kept the SQLite database at {os.environ['BENCH_SQLITE_PATH']}")


if __name__ == "__main__":
    main()
