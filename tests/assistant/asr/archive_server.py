"""A real HTTP server on loopback serving a model archive, with Range support and faults."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.servers.net import serving

NAME = "vosk-model-test-0.1"


@dataclass
class Archive:
    """What the server serves, and what it saw."""

    payload: bytes = b""
    cut_after: int | None = None  # drop the connection after this many bytes, once
    ranges: list[str | None] = field(default_factory=list)
    status: int = 200


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        archive = self.server.archive
        archive.ranges.append(self.headers.get("Range"))
        if archive.status != 200:
            self.send_error(archive.status)
            return
        start = 0
        if rng := self.headers.get("Range"):
            start = int(rng.removeprefix("bytes=").rstrip("-"))
            if start >= len(archive.payload):
                self.send_error(416)
                return
            self.send_response(206)
            self.send_header(
                "Content-Range", f"bytes {start}-{len(archive.payload) - 1}/{len(archive.payload)}"
            )
        else:
            self.send_response(200)
        body = archive.payload[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if archive.cut_after is not None:
            body, archive.cut_after = body[: archive.cut_after], None
            self.close_connection = True
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    archive: Archive


@pytest.fixture
def server() -> Iterator[tuple[str, Archive]]:
    httpd = _Server(("127.0.0.1", 0), _Handler)
    httpd.archive = Archive()
    with serving(httpd) as base:
        yield f"{base}/{NAME}.zip", httpd.archive
