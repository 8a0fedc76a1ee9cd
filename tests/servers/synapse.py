"""A real Synapse homeserver on loopback, with SQLite and a generated config.

Started once per test session (see ``tests/connectors/conftest.py``). Users
are registered through the shared-secret admin API, the same way
``register_new_matrix_user`` does it. Rate limits are lifted so tests are not
throttled by accident; the 429 tests use their own proxy.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import signal
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import yaml

from tests.servers.net import free_port, stop, wait_until_up

SHARED_SECRET = "drivetalk-test-registration-secret"
STARTUP_TIMEOUT = 120.0
_UNLIMITED = {"per_second": 10000, "burst_count": 10000}


@dataclass(frozen=True, slots=True)
class MatrixUser:
    """A registered test user."""

    user_id: str
    password: str
    access_token: str


class SynapseServer:
    """One Synapse process; can be stopped, paused and started again on the same port."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = str(root / "homeserver.log")
        self.process: subprocess.Popen[bytes] | None = None
        root.mkdir(parents=True, exist_ok=True)
        self._config = root / "homeserver.yaml"
        self._config.write_text(yaml.safe_dump(self._settings()), encoding="utf-8")
        (root / "log.yaml").write_text(yaml.safe_dump(self._log_settings()), encoding="utf-8")
        self._python(["--generate-keys"])

    def _settings(self) -> dict[str, object]:
        root = self.root
        return {
            "server_name": "localhost",
            "pid_file": str(root / "homeserver.pid"),
            "listeners": [
                {
                    "port": self.port,
                    "bind_addresses": ["127.0.0.1"],
                    "type": "http",
                    "tls": False,
                    "x_forwarded": False,
                    "resources": [{"names": ["client"], "compress": False}],
                }
            ],
            "database": {"name": "sqlite3", "args": {"database": str(root / "homeserver.db")}},
            "log_config": str(root / "log.yaml"),
            "media_store_path": str(root / "media"),
            "signing_key_path": str(root / "signing.key"),
            "registration_shared_secret": SHARED_SECRET,
            "report_stats": False,
            "bcrypt_rounds": 4,  # registering test users fast
            "trusted_key_servers": [],
            "federation_domain_whitelist": [],
            "suppress_key_server_warning": True,
            "user_directory": {"enabled": True, "search_all_users": True},
            "rc_message": _UNLIMITED,
            "rc_registration": _UNLIMITED,
            "rc_login": dict.fromkeys(("address", "account", "failed_attempts"), _UNLIMITED),
            "rc_joins": {"local": _UNLIMITED, "remote": _UNLIMITED},
            "rc_invites": {"per_room": _UNLIMITED, "per_user": _UNLIMITED},
        }

    def _log_settings(self) -> dict[str, object]:
        return {
            "version": 1,
            "formatters": {"plain": {"format": "%(asctime)s %(name)s %(levelname)s %(message)s"}},
            "handlers": {
                "file": {"class": "logging.FileHandler", "formatter": "plain", "filename": self.log}
            },
            "root": {"level": "WARNING", "handlers": ["file"]},
            "disable_existing_loggers": False,
        }

    def _python(self, extra: list[str]) -> None:
        subprocess.run(
            [sys.executable, "-m", "synapse.app.homeserver", "-c", str(self._config), *extra],
            check=True,
            capture_output=True,
            timeout=STARTUP_TIMEOUT,
        )

    def start(self) -> None:
        """Start (or restart) the homeserver and wait until it answers."""
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "synapse.app.homeserver", "-c", str(self._config)],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.root,
            )
        wait_until_up(f"{self.url}/health", self.process, STARTUP_TIMEOUT, self.log)

    def stop(self) -> None:
        """Terminate the homeserver (connections are refused until :meth:`start`)."""
        if self.process is not None:
            stop(self.process)
            self.process = None

    def pause(self) -> None:
        """Freeze the process: requests connect but get no answer (a hung server)."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        """Undo :meth:`pause`."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)

    def register(self, prefix: str = "user", display_name: str | None = None) -> MatrixUser:
        """Register a fresh user through the shared-secret admin API."""
        name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        password = uuid.uuid4().hex
        endpoint = f"{self.url}/_synapse/admin/v1/register"
        nonce = httpx.get(endpoint, timeout=30).json()["nonce"]
        mac = hmac.new(SHARED_SECRET.encode(), digestmod=hashlib.sha1)
        mac.update(f"{nonce}\0{name}\0{password}\0notadmin".encode())
        body = {
            "nonce": nonce,
            "username": name,
            "password": password,
            "admin": False,
            "mac": mac.hexdigest(),
        }
        if display_name:
            body["displayname"] = display_name
        reply = httpx.post(endpoint, json=body, timeout=30)
        reply.raise_for_status()
        data = reply.json()
        return MatrixUser(data["user_id"], password, data["access_token"])


def call(
    server: SynapseServer,
    user: MatrixUser,
    method: str,
    endpoint: str,
    json: dict[str, object] | None = None,
    *,
    params: dict[str, str] | None = None,
) -> dict[str, object]:
    """A client-server API call as ``user`` (the tests' other side of the chat)."""
    reply = httpx.request(
        method,
        f"{server.url}/_matrix/client/v3{endpoint}",
        json=json,
        params=params,
        headers={"Authorization": f"Bearer {user.access_token}"},
        timeout=30,
    )
    reply.raise_for_status()
    result: dict[str, object] = reply.json()
    return result
