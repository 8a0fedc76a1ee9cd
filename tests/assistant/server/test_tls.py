"""``drivetalk serve`` over HTTPS (a browser's microphone needs it away from localhost).

Specification: ``--ssl-certfile/--ssl-keyfile`` (or ``[server.tls]``) serve
HTTPS and WSS with that certificate; a client that trusts it gets answers,
one that does not is refused by its own TLS check; plain HTTP is not
served. A missing file, a key of another certificate or half a pair is one
``drivetalk: error:`` line at start.
"""

from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from tests.assistant.server.test_cli import DRIVETALK, run
from tests.servers.net import free_port, log_tail
from tests.servers.tls import self_signed


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DRIVETALK_")}
    return {**clean, "DRIVETALK_DATA_DIR": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path)}


def wait_for_https(url: str, cert: Path, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        assert server.poll() is None, log_tail(str(log))
        try:
            httpx.get(url, verify=ssl.create_default_context(cafile=cert), timeout=2)
            return
        except httpx.TransportError:
            assert time.monotonic() < deadline, log_tail(str(log))
            time.sleep(0.2)


@pytest.mark.slow
def test_serve_speaks_https_and_wss_with_the_given_certificate(
    env: dict[str, str],
    tmp_path: Path,
) -> None:
    cert, key = self_signed(tmp_path)
    secret = run(env, "keys", "create", "--tenant", "acme", "--vehicle", "car-1").stdout.strip()
    port = free_port()
    base = f"https://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [*DRIVETALK, "serve", "--port", str(port), "--no-tts", "--log-format", "json",
             "--ssl-certfile", str(cert), "--ssl-keyfile", str(key)],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        wait_for_https(f"{base}/healthz", cert, server, log)
        trusted = ssl.create_default_context(cafile=cert)
        auth = {"Authorization": f"Bearer {secret}"}
        created = httpx.post(f"{base}/v1/sessions", headers=auth, verify=trusted, timeout=60)
        assert created.status_code == 201
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.get(f"{base}/healthz", timeout=10)  # the default trust store: refused
        with pytest.raises(httpx.TransportError):
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
        stream = f"wss://127.0.0.1:{port}/v1/sessions/{created.json()['id']}/stream"
        with connect(stream, additional_headers=auth, ssl=trusted) as ws:
            ws.send(json.dumps({"type": "ping"}))
            assert json.loads(ws.recv(timeout=30))["type"] == "error"  # no start yet: refused
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    text = log.read_text()
    assert "serving on https://" in text
    assert secret.split("_", 2)[2] not in text
    json_lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    assert any(line.get("route") == "/v1/sessions" for line in json_lines)


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"--ssl-certfile": "missing.pem", "--ssl-keyfile": "key.pem"}, "does not exist"),
        ({"--ssl-certfile": "other.pem", "--ssl-keyfile": "key.pem"}, "cannot use certificate"),
        ({"--ssl-certfile": "cert.pem"}, "--ssl-certfile and --ssl-keyfile go together"),
    ],
)
def test_bad_tls_files_are_one_clear_line(
    env: dict[str, str],
    tmp_path: Path,
    files: dict[str, str],
    message: str,
) -> None:
    self_signed(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    (tmp_path / "other.pem").write_bytes(self_signed(other)[0].read_bytes())
    args = [part for option, name in files.items() for part in (option, str(tmp_path / name))]
    done = run(env, "serve", "--port", str(free_port()), *args)
    assert done.returncode == 2
    assert done.stderr.startswith("drivetalk: error: ")
    assert message in done.stderr
    assert "Traceback" not in done.stderr
