"""Load test: the example site under gunicorn, driven by locust, on PostgreSQL and SQLite.

    .venv/bin/python bench/load/run.py                      # both databases, default levels
    .venv/bin/python bench/load/run.py --db postgres --users 8 --users 16 --duration 60
    .venv/bin/python bench/load/run.py --smoke              # 20 s on SQLite (what CI runs)

For each database: a fresh database (PostgreSQL: `bench_load`, created and dropped
here; SQLite: a temporary file in write-ahead-log mode), migrated and seeded with the
demo; gunicorn with --workers W (default 2 × cores + 1) and a django-q2 cluster; then
locust, headless, against 127.0.0.1 only, bounded by --duration and stopping by itself:
first one person alone (the single-request times), then each --users level in turn.
Afterwards every report, message and reply the run was told was stored is looked for
in the database (decrypted). With --flood, 50 log-ins arrive at once in the middle of
a run at the first level, and the workers' peak memory is read from /proc.
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
POSTGRES_ADMIN = os.environ.get(
    "LOAD_POSTGRES_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/test"
)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--users", type=int, action="append", help="a load level (repeatable)")
    parser.add_argument("--duration", type=int, default=60, help="seconds per level")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--flood", action="store_true", help="50 log-ins at once, once")
    parser.add_argument("--smoke", action="store_true", help="SQLite, 4 people, 20 s")
    parser.add_argument("--results-dir", default=str(RESULTS), help="where the JSON goes")
    args = parser.parse_args(argv)
    if args.smoke:
        args.db, args.users, args.duration = "sqlite", [4], 20
    args.users = sorted(set(args.users or [5, 10, 20, 40]))
    return args


def log(message):
    sys.stderr.write(f"[load {time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def base_env(database_url, port):
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.load.settings",
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "example_site")]),
        "LOAD_DATABASE_URL": database_url,
        "LOAD_BASE_URL": f"http://127.0.0.1:{port}",
    }


def manage(env, *args):
    subprocess.run([sys.executable, str(MANAGE), *args], env=env, check=True, cwd=ROOT)  # noqa: S603


class Database:
    def __init__(self, kind):
        self.kind = kind
        self.tmp = Path(tempfile.mkdtemp(prefix="anon_messaging_load_"))
        if kind == "postgres":
            self.url = urlsplit(POSTGRES_ADMIN)._replace(path="/bench_load").geturl()
        else:
            self.url = f"sqlite:///{self.tmp / 'load.sqlite3'}"

    def _postgres(self, statement):
        import psycopg

        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as connection:
            connection.execute(statement)

    def create(self):
        if self.kind == "postgres":
            self._postgres("DROP DATABASE IF EXISTS bench_load WITH (FORCE)")
            self._postgres("CREATE DATABASE bench_load")
            import redis

            redis.Redis.from_url("redis://127.0.0.1:6379/7").flushdb()

    def drop(self):
        if self.kind == "postgres":
            self._postgres("DROP DATABASE IF EXISTS bench_load WITH (FORCE)")
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


def run_locust(env, url, users, duration, prefix, ledger, user_classes=()):
    command = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
        "-u", str(users), "-r", str(users), "--run-time", f"{duration}s",
        "--stop-timeout", "10", "--host", url, "--csv", str(prefix), "--only-summary",
        *user_classes,
    ]  # fmt: skip
    subprocess.run(  # noqa: S603 - our own locustfile against localhost
        command, env={**env, "LOAD_LEDGER": str(ledger)}, cwd=ROOT, check=False,
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
    script = (
        "import json, os\n"
        "from anon_messaging.models import Case, Message\n"
        "ledger = json.load(open(os.environ['LOAD_LEDGER_PATH']))\n"
        "answers = ' '.join(str(a.get('value')) for c in Case.objects.all() for a in c.answers)\n"
        "bodies = ' '.join(m.body for m in Message.objects.all())\n"
        "print(json.dumps({k: [len(v), sum(1 for x in v if x in (answers if k == 'reports'"
        " else bodies))] for k, v in ledger.items()}))\n"
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


def summarise(routes):
    non_argon2 = {name: r for name, r in routes.items() if name not in ARGON2_ROUTES}
    non_argon2.pop("Aggregated", None)
    return {
        "rps": routes.get("Aggregated", {}).get("rps", 0.0),
        "errors": routes.get("Aggregated", {}).get("failures", 0),
        "worst_non_argon2_p95": max((r["p95"] for r in non_argon2.values()), default=0.0),
    }


def run_database(kind, args):
    database = Database(kind)
    database.create()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = base_env(database.url, port)
    work = database.tmp
    result = {"database": kind, "workers": args.workers, "cores": os.cpu_count(), "levels": []}
    log(f"{kind}: migrating and seeding")
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "seed_demo")
    server = start(
        env, work / "gunicorn.log", sys.executable, "-m", "gunicorn",
        "demo_site.wsgi:application", "--workers", str(args.workers),
        "--bind", f"127.0.0.1:{port}", "--timeout", "120",
    )  # fmt: skip
    cluster = start(env, work / "qcluster.log", sys.executable, str(MANAGE), "qcluster")
    ledgers = []
    try:
        wait_for(url + "/")
        log(f"{kind}: one reporter alone, then one adviser alone: single-request times")
        single = {}
        for person in ("Reporter", "Adviser"):
            ledgers.append(work / f"ledger-{person}.json")
            alone = min(args.duration, 40)
            prefix = work / f"alone-{person}"
            single.update(run_locust(env, url, 1, alone, prefix, ledgers[-1], [person]))
        result["single"] = single
        for users in args.users:
            log(f"{kind}: {users} people for {args.duration} s")
            ledgers.append(work / f"ledger-{users}.json")
            flooder = None
            if args.flood and users == args.users[0]:
                memory_before = {pid: memory_mib(pid, "VmRSS") for pid in worker_pids(server)}

                def delayed_flood():
                    time.sleep(args.duration / 2)
                    result["flood_statuses"] = flood(url)

                flooder = threading.Thread(target=delayed_flood)
                flooder.start()
            routes = run_locust(env, url, users, args.duration, work / f"u{users}", ledgers[-1])
            level = {"users": users, "routes": routes, **summarise(routes)}
            if flooder is not None:
                flooder.join()
                level["flood"] = True
                level["worker_memory_before_mib"] = memory_before
                level["worker_peak_mib"] = {
                    pid: memory_mib(pid, "VmHWM") for pid in worker_pids(server)
                }
            result["levels"].append(level)
    finally:
        for process in (cluster, server):
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
    merged = work / "ledger.json"
    merged.write_text(json.dumps(merge_ledgers(ledgers)))
    result["found"] = count_found(env, merged)
    database.drop()
    return result


def print_result(result):
    print(
        f"\n== {result['database']}: gunicorn {result['workers']} workers, {result['cores']} cores"
    )
    single = result["single"]
    print(f"{'route':32} {'alone p50':>9}  " + "  ".join(
        f"{'u' + str(level['users']) + ' p50/p95/p99':>22}" for level in result["levels"]
    ))  # fmt: skip
    names = sorted(name for name in single if name != "Aggregated")
    for name in names:
        cells = []
        for level in result["levels"]:
            route = level["routes"].get(name)
            cells.append(
                f"{route['p50']:>6.0f}/{route['p95']:>6.0f}/{route['p99']:>6.0f}" if route else "-"
            )
        print(f"{name:32} {single[name]['p50']:>9.0f}  " + "  ".join(f"{c:>22}" for c in cells))
    for level in result["levels"]:
        per_core = level["rps"] / (result["cores"] or 1)
        print(
            f"u{level['users']}: {level['rps']:.1f} requests/s ({per_core:.1f} per core), "
            f"{level['errors']} errors, worst non-argon2 p95 {level['worst_non_argon2_p95']:.0f} ms"
            + (" [with a 50-log-in flood]" if level.get("flood") else "")
        )
        if level.get("flood"):
            print(f"   workers' memory before (MiB): {level['worker_memory_before_mib']}")
            print(f"   workers' peak memory (MiB):   {level['worker_peak_mib']}")
    if "flood_statuses" in result:
        statuses = result["flood_statuses"]
        print("   flood answers: " + ", ".join(
            f"{status}: {statuses.count(status)}" for status in sorted(set(statuses), key=str)
        ))  # fmt: skip
    found = result["found"]
    lost = sum(sent - seen for sent, seen in found.values())
    print("stored and found: " + ", ".join(f"{k} {v[1]}/{v[0]}" for k, v in found.items())
          + f"; lost {lost}")  # fmt: skip


def main(argv=None):
    args = parse_args(argv if argv is not None else sys.argv[1:])
    kinds = ["postgres", "sqlite"] if args.db == "both" else [args.db]
    results = Path(args.results_dir)
    results.mkdir(exist_ok=True)
    for kind in kinds:
        result = run_database(kind, args)
        print_result(result)
        name = f"load-{kind}{'-smoke' if args.smoke else ''}.json"
        (results / name).write_text(json.dumps(result, indent=2, default=str))
        lost = sum(sent - seen for sent, seen in result["found"].values())
        if lost:
            log(f"{kind}: {lost} submissions the run was told were stored are missing")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
