"""The example site served in a process of its own, as a new installation would run it.

``manage.py runserver`` on a free localhost port, on a database made for the run (a
temporary SQLite file, or on PostgreSQL a database of its own, dropped afterwards),
migrated and seeded with ``seed_demo``. The browser tests drive it with Chromium;
the flood tests send it many requests at once.
"""

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parents[1]
MANAGE_PY = REPO_ROOT / "example_site" / "manage.py"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SiteDatabase:
    """A database that only one served site uses, removed afterwards."""

    def __init__(self, tmp_dir, suffix):
        self.admin_url = os.environ.get("DATABASE_URL", "")
        self.is_postgres = self.admin_url.startswith(("postgres://", "postgresql://"))
        if self.is_postgres:
            parts = urlsplit(self.admin_url)
            base = os.environ.get("TEST_DATABASE_NAME") or "test_" + parts.path.lstrip("/")
            self.name = f"{base}_{suffix}"
            self.url = parts._replace(path="/" + self.name).geturl()
        else:
            self.name = str(tmp_dir / "site.sqlite3")
            self.url = f"sqlite:///{self.name}"

    def _postgres(self, statement):
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL(statement).format(sql.Identifier(self.name)))

    def create(self):
        if self.is_postgres:
            # A run that was killed may have left its database behind.
            self._postgres("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            self._postgres("CREATE DATABASE {}")

    def drop(self):
        if self.is_postgres:
            self._postgres("DROP DATABASE IF EXISTS {} WITH (FORCE)")


class SiteServer:
    def __init__(self, url, process, log_path):
        self.url = url
        self.process = process
        self.log_path = log_path

    def log_size(self):
        return self.log_path.stat().st_size

    def log_since(self, offset):
        with self.log_path.open("rb") as log:
            log.seek(offset)
            return log.read().decode(errors="replace")

    def peak_memory_kib(self):
        """The server process's peak resident memory so far (VmHWM), in KiB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        raise RuntimeError("VmHWM not found")


def manage(args, env, log_path):
    with log_path.open("ab") as log:
        finished = subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
            [sys.executable, str(MANAGE_PY), *args],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=300,
        )
    if finished.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{log_path.read_text()[-4000:]}")


def wait_until_serving(url, process, log_path, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - localhost
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise RuntimeError(f"The example site did not start:\n{log_path.read_text()[-4000:]}")


@contextlib.contextmanager
def served_example_site(tmp_dir, name, extra_env=None):
    """Yield a ``SiteServer``: the example site migrated, seeded and served (tests.settings,
    with ``extra_env`` on top), stopped and its database dropped afterwards."""
    database = SiteDatabase(tmp_dir, name)
    database.create()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
        "DATABASE_URL": database.url,
        "PYTHONUNBUFFERED": "1",
        "TEST_ATTACHMENT_ROOT": str(tmp_dir / "attachments"),
        **(extra_env or {}),
    }
    log_path = tmp_dir / "server.log"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = None
    try:
        manage(["migrate", "--noinput"], env, log_path)
        manage(["seed_demo"], env, log_path)
        with log_path.open("ab") as log:
            # --insecure: tests.settings has DEBUG off, as a real site has, and the
            # reporter pages and the admin still need their static files served.
            process = subprocess.Popen(  # noqa: S603 - our own manage.py with fixed arguments
                [
                    sys.executable,
                    str(MANAGE_PY),
                    "runserver",
                    f"127.0.0.1:{port}",
                    "--noreload",
                    "--insecure",
                    "--skip-checks",
                ],
                cwd=REPO_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_until_serving(url + "/", process, log_path)
        yield SiteServer(url, process, log_path)
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        database.drop()
