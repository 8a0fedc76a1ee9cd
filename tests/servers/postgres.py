"""A real, throwaway PostgreSQL cluster on loopback (Debian's ``postgresql`` binaries).

``initdb`` refuses to run as root, so under root the cluster belongs to the
``postgres`` system user (``runuser``). The superuser has a password
(scram-sha-256 over TCP), so tests can also present a wrong one.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

from tests.servers.net import free_port

STARTUP_TIMEOUT = 60.0
USER = "drivetalk"
PASSWORD = "s3cret-test-password"


def _binary(name: str) -> str:
    """A PostgreSQL server binary: on PATH, else Debian's versioned directory."""
    found = shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None
    )
    if found is None:
        # CI installs Debian's postgresql (./quickstart test): missing is a failure.
        raise RuntimeError(f"PostgreSQL's {name} not found: apt-get install postgresql")
    return found


class PostgresServer:
    """One PostgreSQL cluster in a temporary directory, listening on 127.0.0.1 only."""

    def __init__(self, settings: str = "") -> None:
        #: Extra ``-c name=value`` server settings (the benchmark loads pg_stat_statements).
        self.settings = settings
        self.root = Path(tempfile.mkdtemp(prefix="drivetalk-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.log = str(self.root / "postgres.log")
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            self._as_user = ["runuser", "-u", "postgres", "--"]
            shutil.chown(self.root, "postgres", "postgres")

    def url(self, dbname: str = "postgres", password: str = PASSWORD) -> str:
        """A libpq URL for ``dbname`` as the test superuser."""
        return f"postgresql://{USER}:{password}@127.0.0.1:{self.port}/{dbname}"

    def _run(self, *command: str) -> None:
        subprocess.run([*self._as_user, *command], check=True, capture_output=True)

    def start(self) -> None:
        """initdb, start, and wait until it accepts connections."""
        pwfile = self.root / "pw"
        pwfile.write_text(PASSWORD, encoding="utf-8")
        if self._as_user:
            shutil.chown(pwfile, "postgres", "postgres")
        self._run(
            _binary("initdb"), "-D", str(self.data), "-U", USER, "--pwfile", str(pwfile),
            "--auth", "scram-sha-256", "-E", "UTF8", "--locale", "C.UTF-8",
        )  # fmt: skip
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} "
            f"-c unix_socket_directories={self.root} -c fsync=off -c max_connections=200 "
            + self.settings
        )
        self._run(
            _binary("pg_ctl"), "-D", str(self.data), "-l", self.log, "-o", options, "-w",
            "-t", str(int(STARTUP_TIMEOUT)), "start",
        )  # fmt: skip
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            try:
                psycopg.connect(self.url(), connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def create_database(self) -> str:
        """A fresh empty database; returns its URL."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def stop(self) -> None:
        """Stop the cluster (fast) and remove its files."""
        try:
            self._run(_binary("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
