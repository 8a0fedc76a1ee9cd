"""A real Radicale CalDAV server on loopback: plain htpasswd auth, storage in tmp."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import httpx

from tests.servers.net import free_port, stop, wait_until_up

STARTUP_TIMEOUT = 60.0

MKCALENDAR = """<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:set><D:prop><D:displayname>{name}</D:displayname></D:prop></D:set>
</C:mkcalendar>"""


class RadicaleServer:
    """One Radicale process with a fixed set of users (``name -> password``)."""

    def __init__(self, root: Path, users: dict[str, str]) -> None:
        self.root = root
        self.users = users
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = str(root / "radicale.log")
        root.mkdir(parents=True, exist_ok=True)
        self._htpasswd = root / "users"
        self._htpasswd.write_text(
            "".join(f"{name}:{password}\n" for name, password in users.items()), encoding="utf-8"
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the server and wait until it answers."""
        command = [
            sys.executable, "-m", "radicale", "--config", "",
            "--server-hosts", f"127.0.0.1:{self.port}",
            "--auth-type", "htpasswd",
            "--auth-htpasswd-filename", str(self._htpasswd),
            "--auth-htpasswd-encryption", "plain",
            "--storage-filesystem-folder", str(self.root / "collections"),
            "--logging-level", "warning",
        ]  # fmt: skip
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        wait_until_up(f"{self.url}/.web/", self.process, STARTUP_TIMEOUT, self.log)

    def stop(self) -> None:
        """Terminate the server."""
        if self.process is not None:
            stop(self.process)
            self.process = None

    def make_calendar(self, user: str, name: str = "Work") -> str:
        """Create a fresh calendar collection for ``user``; return its URL."""
        url = f"{self.url}/{user}/{uuid.uuid4().hex}/"
        reply = httpx.request(
            "MKCALENDAR",
            url,
            content=MKCALENDAR.format(name=name),
            auth=(user, self.users[user]),
            headers={"Content-Type": "application/xml; charset=utf-8"},
            timeout=30,
        )
        reply.raise_for_status()
        return url
