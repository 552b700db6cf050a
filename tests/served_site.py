"""The example site served in a process of its own, as a new installation would run it.

``manage.py runserver`` on a free localhost port, on a database of its own: a copy of
the run's demo template (migrated, then seeded with ``seed_demo``; a SQLite file, or on
PostgreSQL a database dropped afterwards, see tests/databases.py), with a copy of the
attachment files seeding stored. The browser tests drive it with Chromium; the flood
tests send it many requests at once.

runserver is started through tests/runserver.py, which only gives it a listen queue long
enough for a flood's simultaneous connections.
"""

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from tests import databases
from tests.databases import REPO_ROOT


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SiteDatabase:
    """A database that only one served site uses: a copy of the run's demo template.

    On PostgreSQL it is named after the run's test database, the ``purpose`` and, under
    pytest-xdist, the worker, so parallel workers and runs never share it.
    """

    def __init__(self, tmp_dir, shared_dir, purpose):
        self.shared_dir = shared_dir
        self.admin_url = os.environ.get("DATABASE_URL", "")
        self.is_postgres = databases.is_postgres_url(self.admin_url)
        if self.is_postgres:
            parts = urlsplit(self.admin_url)
            base = databases.postgres_base_name(self.admin_url)
            worker = os.environ.get("PYTEST_XDIST_WORKER")
            self.name = f"{base}_{worker}_{purpose}" if worker else f"{base}_{purpose}"
            self.url = parts._replace(path="/" + self.name).geturl()
        else:
            self.name = str(tmp_dir / "site.sqlite3")
            self.url = f"sqlite:///{self.name}"

    def _postgres(self, statement):
        databases.postgres(self.admin_url, statement, self.name)

    def create(self):
        if self.is_postgres:
            template = databases.postgres_demo_template(self.shared_dir, self.admin_url)
            # A run that was killed may have left its database behind.
            self._postgres("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            databases.postgres(
                self.admin_url, "CREATE DATABASE {} TEMPLATE {}", self.name, template
            )
        else:
            shutil.copyfile(databases.sqlite_demo_template(self.shared_dir), self.name)

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
def served_example_site(tmp_dir, shared_dir, purpose, extra_env=None):
    """Yield a ``SiteServer``: the example site (tests.settings, with ``extra_env`` on
    top) on a copy of the run's demo database and its files, served; stopped and its
    database dropped afterwards."""
    database = SiteDatabase(tmp_dir, shared_dir, purpose)
    database.create()
    log_path = tmp_dir / "server.log"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
        "DATABASE_URL": database.url,
        "PYTHONUNBUFFERED": "1",
        "TEST_ATTACHMENT_ROOT": str(tmp_dir / "attachments"),
        **(extra_env or {}),
    }
    env.pop("TEST_DATABASE_NAME", None)  # the URL names the database to work on
    process = None
    shutil.copytree(databases.demo_files(shared_dir), tmp_dir / "attachments")
    try:
        with log_path.open("ab") as log:
            # --insecure: tests.settings has DEBUG off, as a real site has, and the
            # reporter pages and the admin still need their static files served.
            process = subprocess.Popen(  # noqa: S603 - our own manage.py with fixed arguments
                [
                    sys.executable,
                    "-m",
                    "tests.runserver",
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
