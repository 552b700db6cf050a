"""The measurements. Each returns a plain dict (figures in milliseconds unless named).

Request times go through the real WSGI handler in process (``browser.Browser``):
each figure is the median of several repetitions after a warm-up, with the
spread (min and max) beside it. Query counts use ``CaptureQueriesContext`` on the
main thread's connection, which serves every request here. Work that a figure is
compared with (one argon2 verification, one argon2 hash, a bare Wagtail form) is
timed in the same loop, interleaved, so a busy machine slows both sides alike.
"""

import contextlib
import re
import statistics
import threading
import time
from collections import Counter

from argon2 import PasswordHasher, Type
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from anon_messaging import cases, codes
from anon_messaging.conf import get_setting
from anon_messaging.forms import new_submission_token
from anon_messaging.models import Case, Message

from .browser import Browser
from .seed import add_conversation, answer_snapshots, form_answers


def summarise(seconds):
    """Median and spread of timings, in milliseconds."""
    ms = sorted(value * 1000 for value in seconds)
    return {
        "median_ms": round(statistics.median(ms), 2),
        "min_ms": round(ms[0], 2),
        "max_ms": round(ms[-1], 2),
        "samples": len(ms),
    }


def argon2_parameters():
    params = get_setting("ARGON2")
    return {key: params[key] for key in ("time_cost", "memory_cost", "parallelism")}


def reference_hasher():
    """The same argon2id hasher the app uses, to time one hash or verification on its own."""
    params = argon2_parameters()
    return PasswordHasher(type=Type.ID, **params)


_TRANSACTION_CONTROL = re.compile(r"\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.IGNORECASE)


def sql_statements(captured):
    """Statements that read or write data, leaving out BEGIN, COMMIT and savepoints.

    Django (since 4.2) logs transaction control too, so ``len(captured)`` counts it.
    """
    return sum(
        1 for query in captured.captured_queries if not _TRANSACTION_CONTROL.match(query["sql"])
    )


def timed(function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - started, result


def new_case_with_code(bench_site):
    """A case made the way a submission with opt-in makes it: fresh code, production hash."""
    answers = answer_snapshots(bench_site.anonymous_form)[0]
    case, code = cases.create_case(
        route=Case.Route.ANONYMOUS,
        answers=answers,
        site=bench_site.site,
        form_page=bench_site.anonymous_form,
        submission_token=None,
        opt_in=True,
    )
    return case, code


def logged_in_browser(bench_site, code, tries=5):
    """A reporter's browser logged in with ``code``.

    A process verifies at most ARGON2_MAX_CONCURRENT codes at once; a log-in that finds
    them busy is answered 503 "try again in a moment" and counts nothing, so eight
    reporters logging in at the same moment on a busy machine try again, as people would.
    """
    url = bench_site.messaging_page.url
    browser = Browser()
    browser.get(url)
    for _attempt in range(tries):
        response = browser.post(url, {"code": codes.format_code(code)})
        if response.status_code != 503:
            break
        time.sleep(float(response.header("Retry-After") or 1))
    if response.status_code != 302:
        raise RuntimeError(f"log-in with a real code answered {response.status_code}")
    return browser


# --- Code log-in ----------------------------------------------------------------------


@contextlib.contextmanager
def timed_verifications():
    """Time every argon2 verification the app makes, inside the requests themselves."""
    original = codes.verify_code
    durations = []

    def verify_code(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            durations.append(time.perf_counter() - started)

    codes.verify_code = verify_code
    try:
        yield durations
    finally:
        codes.verify_code = original


def measure_login(bench_site, case, code, reps, warmup):
    """POST the code to the messaging page; beside it, one argon2 verification alone."""
    url = bench_site.messaging_page.url
    hasher = reference_hasher()
    stored_hash = Case.objects.values_list("code_hash", flat=True).get(pk=case.pk)
    requests, verifications, beyond = [], [], []
    with timed_verifications() as in_request:
        for repetition in range(warmup + reps):
            browser = Browser()
            browser.get(url)  # the log-in form, for its CSRF cookie
            in_request.clear()
            elapsed, response = timed(browser.post, url, {"code": codes.format_code(code)})
            if response.status_code != 302:
                raise RuntimeError(f"log-in answered {response.status_code}, expected a redirect")
            if len(in_request) != 1:
                raise RuntimeError(f"a log-in made {len(in_request)} argon2 verifications")
            request_verification = in_request[0]
            verify_elapsed, _ = timed(hasher.verify, stored_hash, code)
            if repetition >= warmup:
                requests.append(elapsed)
                verifications.append(verify_elapsed)
                beyond.append(elapsed - request_verification)
    request, verify = summarise(requests), summarise(verifications)
    return {
        "request": request,
        "argon2_verify": verify,
        # The request's own time outside its one verification (timed inside the same
        # request): the part of a log-in that could grow with the number of cases.
        "beyond_argon2": summarise(beyond),
        "ratio": round(request["median_ms"] / verify["median_ms"], 3),
        "stored_hash_parameters": stored_hash.split("$")[3],
    }


# --- Report submission ------------------------------------------------------------------


def measure_submission(bench_site, reps, warmup):
    """Anonymous report with opt-in vs one argon2 hash; without opt-in vs a bare AbstractForm.

    The two comparisons run in separate loops: a request timed straight after a 64 MiB
    argon2 hash finds the CPU caches emptied, which is no part of the report form's cost.
    In the second loop the report form and the bare form take turns at going first.
    """
    page = bench_site.anonymous_form
    bare = bench_site.bare_form
    hasher = reference_hasher()
    browser = Browser()
    browser.get(page.url)  # CSRF cookie
    if bare is not None:
        browser.get(bare.url)
    answers = form_answers(page)

    def report(opt_in):
        data = {
            **answers,
            "messaging_opt_in": "yes" if opt_in else "no",
            "submission_token": new_submission_token(),
        }
        elapsed, response = timed(browser.post, page.url, data)
        if response.status_code != 200 or ('id="reporter-code"' in response.text) != opt_in:
            raise RuntimeError(f"report (opt-in {opt_in}) answered {response.status_code}")
        return elapsed

    def bare_form():
        elapsed, response = timed(browser.post, bare.url, answers)
        if response.status_code != 200:
            raise RuntimeError(f"bare form answered {response.status_code}")
        return elapsed

    with_code, hashes = [], []
    for repetition in range(warmup + reps):
        elapsed = report(opt_in=True)
        hash_elapsed, _ = timed(hasher.hash, codes.generate_code())
        if repetition >= warmup:
            with_code.append(elapsed)
            hashes.append(hash_elapsed)

    without_code, bare_times = [], []
    for repetition in range(warmup + reps):
        if bare is None:
            plain_elapsed = report(opt_in=False)
        elif repetition % 2:
            bare_elapsed = bare_form()
            plain_elapsed = report(opt_in=False)
        else:
            plain_elapsed = report(opt_in=False)
            bare_elapsed = bare_form()
        if repetition >= warmup:
            without_code.append(plain_elapsed)
            if bare is not None:
                bare_times.append(bare_elapsed)

    result = {
        "with_opt_in": summarise(with_code),
        "argon2_hash": summarise(hashes),
        "without_opt_in": summarise(without_code),
    }
    result["opt_in_ratio"] = round(
        result["with_opt_in"]["median_ms"] / result["argon2_hash"]["median_ms"], 3
    )
    if bare is not None:
        result["bare_abstract_form"] = summarise(bare_times)
        result["bare_ratio"] = round(
            result["without_opt_in"]["median_ms"] / result["bare_abstract_form"]["median_ms"], 3
        )
    return result


# --- Reporter's messaging view ----------------------------------------------------------


def prepare_conversation(bench_site, message_count):
    case, code = new_case_with_code(bench_site)
    add_conversation(case, message_count, bench_site.advisers)
    return case, code


def measure_messaging_view(bench_site, case, code, message_count, reps, warmup):
    """GET the logged-in reporter's conversation; the first view also marks replies read."""
    url = bench_site.messaging_page.url
    # Two adviser replies the reporter has not seen yet, so the first view marks them read.
    unseen = list(
        Message.objects.filter(case=case, sender=Message.Sender.ADVISER)
        .order_by("-created_at")
        .values_list("pk", flat=True)[:2]
    )
    Message.objects.filter(pk__in=unseen).update(read_by_reporter_at=None)
    browser = logged_in_browser(bench_site, code)
    # The page shows the latest CONVERSATION_PAGE_SIZE messages; earlier ones a link away.
    expected = min(message_count, get_setting("CONVERSATION_PAGE_SIZE"))
    statements, queries_sql, times = [], [], []
    for repetition in range(warmup + reps + 1):
        with CaptureQueriesContext(connection) as queries:
            elapsed, response = timed(browser.get, url)
        if response.status_code != 200:
            raise RuntimeError(f"conversation answered {response.status_code}")
        shown = response.text.count('class="am-message am-message--')
        if shown != expected:
            raise RuntimeError(f"conversation showed {shown} messages, expected {expected}")
        statements.append(len(queries))
        queries_sql.append(sql_statements(queries))
        if repetition > warmup:
            times.append(elapsed)
    return {
        "messages": message_count,
        "shown": expected,
        # The first view also marks the unseen replies read; later views only read.
        "queries_first_view": queries_sql[0],
        "queries": max(queries_sql),
        "statements_first_view": statements[0],
        "statements": max(statements),
        "statements_per_view": statements,
        "request": summarise(times),
        "case": case.reference,
    }


# --- Concurrent reporters -----------------------------------------------------------------


def measure_concurrency(bench_site, reporters=8, messages_each=25):
    """Reporters in threads, each logged in to its own case, posting messages at once."""
    url = bench_site.messaging_page.url
    send_url = url + "send/"
    accounts = [new_case_with_code(bench_site) for _ in range(reporters)]
    start = threading.Barrier(reporters + 1)
    outcomes = [None] * reporters

    def reporter(number, code):
        statuses = Counter()
        acknowledged = []
        try:
            browser = logged_in_browser(bench_site, code)
            start.wait()
            for sequence in range(messages_each):
                body = f"Message {sequence} from reporter {number}"
                response = browser.post(send_url, {"body": body})
                statuses[response.status_code] += 1
                if response.status_code == 302 and response.header("Location").endswith("#latest"):
                    acknowledged.append(body)
            outcomes[number] = {"statuses": statuses, "acknowledged": acknowledged}
        except Exception as exc:  # reported in the figures, never swallowed
            outcomes[number] = {
                "statuses": statuses,
                "acknowledged": acknowledged,
                "error": repr(exc),
            }
            if start.n_waiting:
                start.abort()
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=reporter, args=(number, code), name=f"reporter-{number}")
        for number, (_case, code) in enumerate(accounts)
    ]
    for thread in threads:
        thread.start()
    # A broken barrier means a reporter could not log in; its error is in the figures.
    with contextlib.suppress(threading.BrokenBarrierError):
        start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began

    sent = reporters * messages_each
    acknowledged = {body for outcome in outcomes for body in outcome["acknowledged"]}
    stored = set(
        Message.objects.filter(
            case__in=[case.pk for case, _code in accounts], sender=Message.Sender.REPORTER
        ).values_list("body", flat=True)
    )
    statuses = Counter()
    for outcome in outcomes:
        statuses.update(outcome["statuses"])
    return {
        "reporters": reporters,
        "sent": sent,
        "acknowledged": len(acknowledged),
        "stored": len(stored),
        "acknowledged_but_missing": len(acknowledged - stored),
        "statuses": {str(code): count for code, count in sorted(statuses.items())},
        "errors": [outcome["error"] for outcome in outcomes if "error" in outcome],
        "seconds": round(elapsed, 3),
        "messages_per_second": round(sent / elapsed, 1),
        "stored_ratio": round(len(stored & acknowledged) / sent, 4),
    }


# --- Reminder scan ----------------------------------------------------------------------------


def overdue_cases():
    """The cases the seed made overdue: a reporter spoke last and the reply is past due."""
    from django.utils import timezone

    return Case.objects.exclude(status__in=[Case.Status.CLOSED, Case.Status.WAITING]).filter(
        awaiting_reply=True, response_due_at__lte=timezone.now()
    )


def measure_reminder_scan(bench_site, reps, warmup):
    """Run the scheduled scan once per repetition, every overdue case re-armed before it.

    The sends are the emails and the history record of each (its log entry); every
    other query is the scan's own and must not grow with the number of cases.
    """
    try:
        from anon_messaging.reminders import scan
    except ImportError as exc:
        return {"error": f"anon_messaging.reminders.scan is not available ({exc})"}
    from django.core import mail
    from wagtail.log_actions import registry as log_registry

    log_model = log_registry.get_log_model_for_model(Case)
    log_table = log_model._meta.db_table if log_model else None
    overdue = list(overdue_cases().values_list("pk", flat=True))
    query_counts, sql_counts, send_query_counts, times, sent, results = [], [], [], [], [], []
    for repetition in range(warmup + reps):
        Case.objects.filter(pk__in=overdue).update(reminder_sent_at=None, escalation_sent_at=None)
        mail.outbox = []
        with CaptureQueriesContext(connection) as queries:
            elapsed, result = timed(scan)
        send_queries = sum(
            1
            for query in queries.captured_queries
            if log_table and query["sql"].upper().startswith(f'INSERT INTO "{log_table.upper()}"')
        )
        if repetition >= warmup:
            times.append(elapsed)
            query_counts.append(len(queries))
            sql_counts.append(sql_statements(queries))
            send_query_counts.append(send_queries)
            sent.append(len(mail.outbox))
            results.append(result.as_dict() if hasattr(result, "as_dict") else result)
    besides = [total - sends for total, sends in zip(query_counts, send_query_counts, strict=True)]
    return {
        "overdue": len(overdue),
        "reminders_sent": max(sent),
        "scan_result": results[-1],
        "queries": max(query_counts),
        "queries_without_transaction_control": max(sql_counts),
        "send_queries": max(send_query_counts),
        "queries_besides_sends": max(besides),
        "time": summarise(times),
    }


# --- Advisers' case list ------------------------------------------------------------------------


def admin_browser(username, password):
    """A browser logged in to the Wagtail admin through its own log-in form."""
    from django.urls import reverse

    login_url = reverse("wagtailadmin_login")
    browser = Browser()
    browser.get(login_url)
    response = browser.post(login_url, {"username": username, "password": password})
    if response.status_code != 302:
        raise RuntimeError(f"admin log-in for {username} answered {response.status_code}")
    return browser


def measure_admin_list(bench_site, reps, warmup, username="admin", password="changeme"):  # noqa: S107 - demo user
    """The first page of the case list as it ships (default filters and order)."""
    from django.urls import NoReverseMatch, reverse

    try:
        url = reverse("anon_messaging_case_modeladmin_index")
    except NoReverseMatch as exc:
        return {"error": f"the admin case list is not registered ({exc})"}
    browser = admin_browser(username, password)
    query_counts, sql_counts, times, rows = [], [], [], set()
    for repetition in range(warmup + reps):
        with CaptureQueriesContext(connection) as queries:
            elapsed, response = timed(browser.get, url)
        if response.status_code != 200:
            raise RuntimeError(f"case list answered {response.status_code}")
        rows.add(response.text.count('data-object-pk="'))
        query_counts.append(len(queries))
        sql_counts.append(sql_statements(queries))
        if repetition >= warmup:
            times.append(elapsed)
    return {
        "user": username,
        "rows": max(rows),
        # The first view after logging in does one-off work (the session, the user's profile).
        "queries_first_view": query_counts[0],
        "queries": max(query_counts[warmup:]),
        "queries_without_transaction_control": max(sql_counts[warmup:]),
        "queries_per_view": query_counts,
        "request": summarise(times),
    }


def plain_rows(count=100):
    """``count`` rows for the bench-only plain modeladmin list (bench.plain_admin), once."""
    from django.apps import apps
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    if not apps.is_installed("bench.plain_admin"):
        return False
    from bench.plain_admin.models import PlainRow

    missing = count - PlainRow.objects.count()
    if missing > 0:
        advisers = list(get_user_model().objects.filter(is_staff=True)[:5]) or [None]
        now = timezone.now()
        start = PlainRow.objects.count()
        PlainRow.objects.bulk_create(
            PlainRow(
                reference=f"P-{start + number:06d}",
                route=("anonymous", "contact")[number % 2],
                status=("new", "open", "waiting", "closed")[number % 4],
                assignee=advisers[number % len(advisers)],
                created_at=now,
                last_reporter_message_at=now if number % 3 else None,
                awaiting_reply=number % 5 == 0,
                overdue=number % 50 == 0,
            )
            for number in range(missing)
        )
    return True


def measure_admin_list_beside_plain(
    bench_site,
    reps,
    warmup,
    username="admin",
    password="changeme",  # noqa: S107 - the demo's user
):
    """The case list's first page beside a plain modeladmin list of as many rows, interleaved.

    The plain list (bench.plain_admin, bench-only) has the case list's columns in plain
    fields and an unmodified ModelAdmin; both pages are requested by the same logged-in
    user, taking turns at going first, so a busy machine slows both alike.
    """
    from django.urls import reverse

    if not plain_rows():
        return {"error": "bench.plain_admin is not installed"}
    case_url = reverse("anon_messaging_case_modeladmin_index")
    plain_url = reverse("bench_plain_admin_plainrow_modeladmin_index")
    browser = admin_browser(username, password)
    times = {"case": [], "plain": []}
    rows = {"case": set(), "plain": set()}
    queries_seen = {"case": [], "plain": []}
    for repetition in range(warmup + reps):
        order = ("case", "plain") if repetition % 2 else ("plain", "case")
        for kind in order:
            url = case_url if kind == "case" else plain_url
            with CaptureQueriesContext(connection) as queries:
                elapsed, response = timed(browser.get, url)
            if response.status_code != 200:
                raise RuntimeError(f"{kind} list answered {response.status_code}")
            rows[kind].add(response.text.count('data-object-pk="'))
            queries_seen[kind].append(len(queries))
            if repetition >= warmup:
                times[kind].append(elapsed)
    case, plain = summarise(times["case"]), summarise(times["plain"])
    return {
        "user": username,
        "case_rows": max(rows["case"]),
        "plain_rows": max(rows["plain"]),
        "case_list": case,
        "plain_list": plain,
        "case_queries": max(queries_seen["case"][warmup:]),
        "plain_queries": max(queries_seen["plain"][warmup:]),
        "ratio": round(case["median_ms"] / plain["median_ms"], 3),
    }


def measure_statistics(bench_site, reps, warmup, username="manager", password="changeme"):  # noqa: S107 - demo user
    """The admin's Statistics page (this academic year, by month) as the demo's manager
    sees it; and the same figures counted over a period holding every seeded case, the
    worst a database can be asked. Aggregated in the database: no query reads a case's
    answers (checked)."""
    from datetime import timedelta

    from django.db.models import Max, Min
    from django.urls import reverse
    from django.utils import timezone

    from anon_messaging import statistics as figures

    url = reverse("anon_messaging_statistics")
    browser = admin_browser(username, password)
    query_counts, times, read_answers = [], [], False
    for repetition in range(warmup + reps):
        with CaptureQueriesContext(connection) as queries:
            elapsed, response = timed(browser.get, url)
        if response.status_code != 200:
            raise RuntimeError(f"statistics answered {response.status_code}")
        read_answers |= any('"answers"' in query["sql"] for query in queries.captured_queries)
        query_counts.append(len(queries))
        if repetition >= warmup:
            times.append(elapsed)

    span = Case.objects.aggregate(first=Min("created_at"), last=Max("created_at"))
    everything = figures.AcademicYear(
        start=span["first"] or timezone.now(),
        end=(span["last"] or timezone.now()) + timedelta(seconds=1),
    )
    in_year = figures.current_academic_year(9, timezone.get_current_timezone())
    all_times, all_queries = [], []
    for repetition in range(warmup + reps):
        with CaptureQueriesContext(connection) as queries:
            elapsed, _report = timed(figures.build_report, bench_site.site.pk, year=everything)
        all_queries.append(len(queries))
        if repetition >= warmup:
            all_times.append(elapsed)
    return {
        "user": username,
        "cases_in_year": Case.objects.filter(
            created_at__gte=in_year.start, created_at__lt=in_year.end
        ).count(),
        "queries_first_view": query_counts[0],
        "queries": max(query_counts[warmup:]),
        "queries_per_view": query_counts,
        "reads_report_text": read_answers,
        "request": summarise(times),
        "all_cases": {
            "cases": Case.objects.count(),
            "queries": max(all_queries[warmup:]),
            "report": summarise(all_times),
        },
    }
