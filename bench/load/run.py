"""Load test: the example site under gunicorn, driven by locust, on PostgreSQL and SQLite.

    .venv/bin/python bench/load/run.py                      # both databases, default levels
    .venv/bin/python bench/load/run.py --db postgres --users 8 --users 16 --duration 60
    .venv/bin/python bench/load/run.py --db postgres --users 10 --flood
    .venv/bin/python bench/load/run.py --smoke              # 20 s on SQLite (what CI runs)

For each database: a fresh database (PostgreSQL: --pg-database, default `bench_load`,
created and dropped here, with Redis at --redis-url as the cache and django-q2's broker,
the Redis database emptied first; SQLite: a temporary file in write-ahead-log mode),
migrated and seeded with the demo and --cases cases in the benchmarks' mix
(bench/seed.py); gunicorn with --workers W (default 2 × cores + 1, sync workers) and a
django-q2 cluster; then locust, headless, against 127.0.0.1 only, bounded by --duration
and stopping by itself: first one person alone (the single-request times), then each
--users level in turn. Afterwards every report, message and reply each level was told
was stored is looked for in the database (decrypted). With --flood, the first level
runs a second time with 50 log-ins arriving at once in its middle. After every level
the workers' peak memory (VmHWM, since they started) is read from /proc and the load
average noted: the machine may be shared. A level meets the target when it has no
errors, nothing lost, and every non-argon2 route's p95 is under 4 times its time with
one person alone.
Figures go to standard output and bench/results/load-<db>.json (docs/performance.md).
"""

import argparse
import csv
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
MANAGE = ROOT / "example_site" / "manage.py"
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
RESULTS = ROOT / "bench" / "results"
ARGON2_ROUTES = {"POST report (code, argon2)", "POST log-in (argon2)", "POST admin log-in"}
# Where CREATE and DROP DATABASE are sent from: the server's maintenance database.
POSTGRES_ADMIN = os.environ.get(
    "LOAD_POSTGRES_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)
# A level meets the target while each non-argon2 route's p95 stays under this many times
# its time with one person alone (issue 18).
SLOWDOWN_LIMIT = 4
# Simulated people's addresses: each locust run numbers its own from a block of this size,
# so no two runs share an address and the per-address throttle never counts across them.
ADDRESSES_PER_RUN = 1_000_000


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--users", type=int, action="append", help="a load level (repeatable)")
    parser.add_argument("--duration", type=int, default=60, help="seconds per level")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads per worker (above 1: gunicorn's gthread workers; default sync workers)",
    )
    parser.add_argument(
        "--flood", action="store_true", help="the first level again, with 50 log-ins at once"
    )
    parser.add_argument(
        "--pg-database",
        default="bench_load",
        help="PostgreSQL database to create and DROP (its name must contain 'load')",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("LOAD_REDIS_URL", "redis://127.0.0.1:6379/7"),
        help="Redis database for the cache and broker (PostgreSQL runs); it is EMPTIED",
    )
    parser.add_argument(
        "--cases",
        type=int,
        default=1000,
        help="cases in the database before the run (bench/seed.py's mix; default 1,000)",
    )
    parser.add_argument("--smoke", action="store_true", help="SQLite, 4 people, 20 s")
    parser.add_argument("--results-dir", default=str(RESULTS), help="where the JSON goes")
    args = parser.parse_args(argv)
    if args.smoke:
        args.db, args.users, args.duration, args.cases = "sqlite", [4], 20, 200
    args.users = sorted(set(args.users or [5, 10, 20, 40]))
    if "load" not in args.pg_database:
        parser.error("--pg-database must name a database of the load test's own ('load' in it)")
    return args


def log(message):
    sys.stderr.write(f"[load {time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def base_env(database_url, port, redis_url):
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.load.settings",
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "example_site")]),
        "LOAD_DATABASE_URL": database_url,
        "LOAD_REDIS_URL": redis_url,
        "LOAD_BASE_URL": f"http://127.0.0.1:{port}",
    }


def manage(env, *args):
    subprocess.run([sys.executable, str(MANAGE), *args], env=env, check=True, cwd=ROOT)  # noqa: S603


class Database:
    def __init__(self, kind, name="bench_load", redis_url=None):
        self.kind = kind
        self.name = name
        self.redis_url = redis_url
        self.tmp = Path(tempfile.mkdtemp(prefix="anon_messaging_load_"))
        if kind == "postgres":
            self.url = urlsplit(POSTGRES_ADMIN)._replace(path=f"/{name}").geturl()
        else:
            self.url = f"sqlite:///{self.tmp / 'load.sqlite3'}"

    def _postgres(self, statement):
        import psycopg

        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as connection:
            connection.execute(statement)

    def create(self):
        if self.kind == "postgres":
            self._postgres(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            self._postgres(f'CREATE DATABASE "{self.name}"')
            import redis

            redis.Redis.from_url(self.redis_url).flushdb()

    def drop(self):
        if self.kind == "postgres":
            self._postgres(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        shutil.rmtree(self.tmp, ignore_errors=True)


def start(env, log_path, *command):
    return subprocess.Popen(  # noqa: S603 - our own commands
        list(command), env=env, cwd=ROOT, stdout=log_path.open("ab"), stderr=subprocess.STDOUT
    )


def wait_for(url, timeout=60):
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer")


def worker_pids(master):
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def memory_mib(pid, field):
    """A process's VmRSS (now) or VmHWM (peak) from /proc, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_locust(env, url, users, duration, prefix, ledger, user_classes=(), addresses_from=0):
    command = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
        "-u", str(users), "-r", str(users), "--run-time", f"{duration}s",
        "--stop-timeout", "10", "--host", url, "--csv", str(prefix), "--only-summary",
        *user_classes,
    ]  # fmt: skip
    run_env = {**env, "LOAD_LEDGER": str(ledger), "LOAD_ADDRESS_OFFSET": str(addresses_from)}
    subprocess.run(  # noqa: S603 - our own locustfile against localhost
        command, env=run_env, cwd=ROOT, check=False,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=duration + 120,
    )  # fmt: skip
    routes = {}
    with open(f"{prefix}_stats.csv") as stats:
        for row in csv.DictReader(stats):
            routes[row["Name"]] = {
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "rps": float(row["Requests/s"]),
                "p50": float(row["50%"] or 0),
                "p95": float(row["95%"] or 0),
                "p99": float(row["99%"] or 0),
            }
    return routes


def flood(url, count=50):
    """``count`` log-ins with wrong codes, all at once, each from an address of its own."""
    import requests

    page = requests.get(url + "/messaging/", timeout=30)
    token = page.text.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    barrier = threading.Barrier(count)
    statuses = []

    def attempt(number):
        barrier.wait()
        try:
            response = requests.post(
                url + "/messaging/",
                data={"code": "0000-0000-0000-0000", "csrfmiddlewaretoken": token},
                cookies=page.cookies,
                headers={"X-Forwarded-For": f"172.20.{number // 256}.{number % 256}"},
                timeout=120,
            )
            statuses.append(response.status_code)
        except requests.RequestException:
            statuses.append(None)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def count_found(env, ledger):
    """``{kind: [sent, found]}`` for each ledger ``{name: path}``, decrypting every row once."""
    script = (
        "import json, os\n"
        "from anon_messaging.models import Case, Message\n"
        "ledgers = json.load(open(os.environ['LOAD_LEDGER_PATH']))\n"
        "answers = ' '.join(str(a.get('value')) for c in Case.objects.all() for a in c.answers)\n"
        "bodies = ' '.join(m.body for m in Message.objects.all())\n"
        "print(json.dumps({name: {k: [len(v), sum(1 for x in v if x in (answers if k == "
        "'reports' else bodies))] for k, v in ledger.items()} for name, ledger in "
        "ledgers.items()}))\n"
    )
    output = subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, str(MANAGE), "shell", "-c", script],
        env={**env, "LOAD_LEDGER_PATH": str(ledger)}, cwd=ROOT, check=True, capture_output=True,
        text=True,
    )  # fmt: skip
    return json.loads(output.stdout.strip().splitlines()[-1])


def merge_ledgers(paths):
    merged = {"reports": [], "messages": [], "replies": []}
    for path in paths:
        if path.exists():
            for kind, markers in json.loads(path.read_text()).items():
                merged[kind].extend(markers)
    return merged


def summarise(routes, single):
    """Throughput, errors, and each non-argon2 route's p95 against its time alone."""
    non_argon2 = {name: r for name, r in routes.items() if name not in ARGON2_ROUTES}
    non_argon2.pop("Aggregated", None)
    slowdowns = {
        name: round(route["p95"] / single[name]["p50"], 2)
        for name, route in non_argon2.items()
        if single.get(name, {}).get("p50")
    }
    worst = max(slowdowns, key=slowdowns.get, default=None)
    return {
        "rps": routes.get("Aggregated", {}).get("rps", 0.0),
        "errors": routes.get("Aggregated", {}).get("failures", 0),
        "worst_non_argon2_p95": max((r["p95"] for r in non_argon2.values()), default=0.0),
        "p95_over_alone": slowdowns,
        "worst_p95_over_alone": [worst, slowdowns[worst]] if worst else None,
    }


def level_meets_target(level):
    lost = sum(sent - seen for sent, seen in level.get("found", {}).values())
    worst = level["worst_p95_over_alone"]
    return level["errors"] == 0 and lost == 0 and (worst is None or worst[1] < SLOWDOWN_LIMIT)


def run_database(kind, args):
    database = Database(kind, args.pg_database, args.redis_url)
    database.create()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = base_env(database.url, port, args.redis_url)
    work = database.tmp
    result = {
        "database": kind,
        "workers": args.workers,
        "threads": args.threads,
        "cores": os.cpu_count(),
        "levels": [],
    }
    log(f"{kind}: migrating, seeding the demo and {args.cases:,} cases")
    manage(env, "migrate", "--noinput", "-v", "0")
    # The demo site, then cases in the benchmarks' mix: the advisers' list holds a full
    # page from the start, so its time alone and under load show the same 100 rows.
    manage(
        env, "shell", "-c",
        f"from bench import seed; seed.seed_cases(seed.build_site(), {args.cases})",
    )  # fmt: skip
    result["cases_before"] = args.cases
    server = start(
        env, work / "gunicorn.log", sys.executable, "-m", "gunicorn",
        "demo_site.wsgi:application", "--workers", str(args.workers),
        "--bind", f"127.0.0.1:{port}", "--timeout", "120", "--threads", str(args.threads),
    )  # fmt: skip
    cluster = start(env, work / "qcluster.log", sys.executable, str(MANAGE), "qcluster")
    ledgers = {}
    levels = [(users, False) for users in args.users]
    if args.flood:
        # The first level again, with the flood: the level before is the same mix without.
        levels.insert(1, (args.users[0], True))
    try:
        wait_for(url + "/")
        log(f"{kind}: one reporter alone, then one adviser alone: single-request times")
        single = {}
        for person in ("Reporter", "Adviser"):
            ledgers[f"alone-{person}"] = work / f"ledger-{person}.json"
            alone = min(args.duration, 30)
            prefix = work / f"alone-{person}"
            single.update(
                run_locust(
                    env, url, 1, alone, prefix, ledgers[f"alone-{person}"], [person],
                    addresses_from=len(ledgers) * ADDRESSES_PER_RUN,
                )
            )  # fmt: skip
        result["single"] = single
        result["single_load_average"] = list(os.getloadavg())
        for number, (users, with_flood) in enumerate(levels):
            name = f"u{users}" + ("-flood" if with_flood else "")
            flood_note = " with a flood of log-ins" if with_flood else ""
            log(f"{kind}: {users} people for {args.duration} s{flood_note}")
            ledgers[name] = work / f"ledger-{number}.json"
            flooder = None
            memory_before = {pid: memory_mib(pid, "VmRSS") for pid in worker_pids(server)}
            if with_flood:

                def delayed_flood():
                    time.sleep(args.duration / 2)
                    result["flood_statuses"] = flood(url)

                flooder = threading.Thread(target=delayed_flood)
                flooder.start()
            routes = run_locust(
                env, url, users, args.duration, work / f"level{number}", ledgers[name],
                addresses_from=len(ledgers) * ADDRESSES_PER_RUN,
            )  # fmt: skip
            if flooder is not None:
                flooder.join()
            level = {
                "name": name,
                "users": users,
                "flood": with_flood,
                "routes": routes,
                **summarise(routes, single),
                "load_average": list(os.getloadavg()),
                "worker_memory_before_mib": memory_before,
                # VmHWM: each worker's peak resident memory since it started.
                "worker_peak_mib": {pid: memory_mib(pid, "VmHWM") for pid in worker_pids(server)},
            }
            result["levels"].append(level)
    finally:
        for process in (cluster, server):
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
    merged = work / "ledgers.json"
    merged.write_text(json.dumps({name: merge_ledgers([path]) for name, path in ledgers.items()}))
    found = count_found(env, merged)
    for level in result["levels"]:
        level["found"] = found[level["name"]]
        level["meets_target"] = level_meets_target(level)
    result["found"] = {
        kind: [sum(by[kind][0] for by in found.values()), sum(by[kind][1] for by in found.values())]
        for kind in ("reports", "messages", "replies")
    }
    met = [level for level in result["levels"] if level["meets_target"] and not level["flood"]]
    result["highest_load_meeting_target"] = max((lvl["users"] for lvl in met), default=None)
    database.drop()
    return result


def print_result(result):
    print(
        f"\n== {result['database']}: gunicorn {result['workers']} workers × "
        f"{result['threads']} threads, {result['cores']} cores"
        f"; load average after the single-request runs {_load(result['single_load_average'])}"
    )
    single = result["single"]
    print(f"{'route':28} {'alone p50':>9}  " + "  ".join(
        f"{level['name'] + ' p50/p95/p99':>20}" for level in result["levels"]
    ))  # fmt: skip
    names = sorted(name for name in single if name != "Aggregated")
    for name in names:
        cells = []
        for level in result["levels"]:
            route = level["routes"].get(name)
            cells.append(
                f"{route['p50']:>6.0f}/{route['p95']:>6.0f}/{route['p99']:>6.0f}" if route else "-"
            )
        print(f"{name:28} {single[name]['p50']:>9.0f}  " + "  ".join(f"{c:>20}" for c in cells))
    for level in result["levels"]:
        per_core = level["rps"] / (result["cores"] or 1)
        lost = sum(sent - seen for sent, seen in level["found"].values())
        worst = level["worst_p95_over_alone"] or ["-", 0]
        print(
            f"{level['name']}: {level['rps']:.1f} requests/s ({per_core:.1f} per core), "
            f"{level['errors']} errors, {lost} lost; worst non-argon2 p95 "
            f"{level['worst_non_argon2_p95']:.0f} ms, {worst[1]:.1f}x alone ({worst[0]}); "
            f"target {'met' if level['meets_target'] else 'NOT met'}; "
            f"load average {_load(level['load_average'])}"
        )
        peaks = sorted(level["worker_peak_mib"].values())
        if peaks:
            peaks_text = ", ".join(f"{peak:.0f}" for peak in peaks)
            print(f"   workers' peak memory (MiB, since start): {peaks_text}")
    if "flood_statuses" in result:
        statuses = result["flood_statuses"]
        print("   flood answers: " + ", ".join(
            f"{status}: {statuses.count(status)}" for status in sorted(set(statuses), key=str)
        ))  # fmt: skip
    found = result["found"]
    lost = sum(sent - seen for sent, seen in found.values())
    print("stored and found: " + ", ".join(f"{k} {v[1]}/{v[0]}" for k, v in found.items())
          + f"; lost {lost}")  # fmt: skip
    print(f"highest load meeting the target: {result['highest_load_meeting_target']} people")


def _load(averages):
    return "/".join(f"{value:.2f}" for value in averages)


def markdown(result):
    """The run as docs/performance.md shows it: levels, then milliseconds per route."""
    cores = result["cores"] or 1
    lines = [
        "| people | requests/s | per core | errors | lost | worst non-argon2 p95 / alone "
        "| target met | workers' peak MiB | load average (1/5/15 min) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for level in result["levels"]:
        lost = sum(sent - seen for sent, seen in level["found"].values())
        worst = level["worst_p95_over_alone"] or ["-", 0]
        peaks = level["worker_peak_mib"].values()
        lines.append(
            f"| {level['users']}{' + flood' if level['flood'] else ''} | {level['rps']:.1f} "
            f"| {level['rps'] / cores:.1f} | {level['errors']} | {lost} "
            f"| {worst[1]:.1f}× ({worst[0]}) | {'yes' if level['meets_target'] else 'no'} "
            f"| {max(peaks, default=0):.0f} | {_load(level['load_average'])} |"
        )
    names = sorted(name for name in result["single"] if name != "Aggregated")
    lines += [
        "",
        "| route (ms) | alone p50 | "
        + " | ".join(f"{level['name']} p50 / p95 / p99" for level in result["levels"])
        + " |",
        "|---" * (2 + len(result["levels"])) + "|",
    ]
    for name in names:
        cells = []
        for level in result["levels"]:
            route = level["routes"].get(name)
            cells.append(
                f"{route['p50']:.0f} / {route['p95']:.0f} / {route['p99']:.0f}" if route else "–"
            )
        argon2 = " (argon2)" if name in ARGON2_ROUTES and "argon2" not in name else ""
        lines.append(
            f"| {name}{argon2} | {result['single'][name]['p50']:.0f} | " + " | ".join(cells) + " |"
        )
    return "\n".join(lines)


def main(argv=None):
    argv = argv if argv is not None else sys.argv[1:]
    if argv[:1] == ["--markdown"]:
        # bench/load/run.py --markdown bench/results/load-postgres.json: the tables again.
        for path in argv[1:]:
            print(markdown(json.loads(Path(path).read_text())) + "\n")
        return 0
    args = parse_args(argv)
    kinds = ["postgres", "sqlite"] if args.db == "both" else [args.db]
    results = Path(args.results_dir)
    results.mkdir(exist_ok=True)
    for kind in kinds:
        result = run_database(kind, args)
        print_result(result)
        threads = f"-threads{args.threads}" if args.threads > 1 else ""
        name = f"load-{kind}{threads}{'-smoke' if args.smoke else ''}.json"
        (results / name).write_text(json.dumps(result, indent=2, default=str))
        lost = sum(sent - seen for sent, seen in result["found"].values())
        if lost:
            log(f"{kind}: {lost} submissions the run was told were stored are missing")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
