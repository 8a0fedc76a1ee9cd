"""A real HAProxy on loopback: round robin (not sticky) over replicas, WebSockets passed through.

Each answer says which replica served it (``X-Served-By``), so tests can
show that turns alternate. A replica that stops answering is skipped after
its connection fails (``retry-on conn-failure`` with ``redispatch``), as a
production balancer with health checks would.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

from tests.servers.net import free_port, log_tail, stop

CONFIG = """
global
    maxconn 4096
defaults
    mode http
    timeout connect 2s
    timeout client 120s
    timeout server 120s
    timeout tunnel 1h
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response
frontend cars
    bind 127.0.0.1:{port}
    default_backend replicas
backend replicas
    balance roundrobin
    option httpchk GET /healthz
    http-response set-header X-Served-By %[srv_name]
{servers}
"""


def haproxy_binary() -> str:
    """Debian's haproxy (CI installs it: missing is a failure, never a skip)."""
    found = shutil.which("haproxy") or (
        "/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None
    )
    if found is None:
        raise RuntimeError("haproxy not found: apt-get install haproxy")
    return found


class HAProxy:
    """One HAProxy process balancing over ``backends`` (name -> port)."""

    def __init__(self, backends: dict[str, int]) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="drivetalk-haproxy-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = str(self.root / "haproxy.log")
        servers = "\n".join(
            f"    server {name} 127.0.0.1:{port} check inter 300ms fall 1 rise 1"
            for name, port in backends.items()
        )
        self.config = self.root / "haproxy.cfg"
        self.config.write_text(CONFIG.format(port=self.port, servers=servers), encoding="utf-8")
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start in the foreground (``-db``) and wait until it answers."""
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [haproxy_binary(), "-db", "-f", str(self.config)], stdout=log, stderr=log
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"haproxy exited:\n{log_tail(self.log)}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"haproxy not up:\n{log_tail(self.log)}")

    def stop(self) -> None:
        """Stop HAProxy and remove its files."""
        if self.process is not None:
            stop(self.process)
            self.process = None
        shutil.rmtree(self.root, ignore_errors=True)
