"""A loopback HTTPS server with a self-signed certificate (made with the openssl CLI).

It proves TLS verification is on: a client that verifies must refuse it, and
the same request succeeds when the client is told to trust this certificate.
"""

from __future__ import annotations

import ssl
import subprocess
from contextlib import ExitStack
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.servers.net import serving


def self_signed(root: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key (PEM files in ``root``), valid one day."""
    cert, key = root / "cert.pem", root / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


class _Answer(BaseHTTPRequestHandler):
    def _reply(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        body = b'{"user_id": "@driver:localhost"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PROPFIND = do_REPORT = _reply

    def log_message(self, format: str, *args: object) -> None:
        pass


class SelfSignedServer:
    """Answers every request with a small JSON body over untrusted TLS."""

    def __init__(self, root: Path) -> None:
        self.cert, key = self_signed(root)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, key)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._running = ExitStack()
        self.url = ""

    def __enter__(self) -> SelfSignedServer:
        self.url = self._running.enter_context(serving(self._server, "https"))
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._running.close()
