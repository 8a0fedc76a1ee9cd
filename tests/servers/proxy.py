"""A tiny loopback HTTP reverse proxy that can answer 429 before forwarding.

Used to put a rate-limit storm between a connector and a real server: the
first ``storm`` requests matching ``path_contains`` get ``429`` with both
``Retry-After`` and Matrix's ``retry_after_ms``; with ``forward_then_429`` the
request is forwarded first and its answer thrown away, as when a response is
lost after the server acted on it.
"""

from __future__ import annotations

import json
import threading
from contextlib import ExitStack
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

from tests.servers.net import serving

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


class RateLimitProxy:
    """Forward to ``upstream``; throttle the first ``storm`` matching requests."""

    def __init__(
        self,
        upstream: str,
        *,
        storm: int,
        path_contains: str,
        retry_after: float = 0.5,
        forward_then_429: int = 0,
    ) -> None:
        self.upstream = upstream.rstrip("/")
        self.storm = storm
        self.forward_then_429 = forward_then_429
        self.path_contains = path_contains
        self.retry_after = retry_after
        self.throttled = 0
        self.forwarded = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._running = ExitStack()
        self.url = ""

    def __enter__(self) -> RateLimitProxy:
        self.url = self._running.enter_context(serving(self._server))
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._running.close()

    def _verdict(self, path: str) -> tuple[bool, bool]:
        """(forward upstream?, answer 429?) for the next request to ``path``."""
        if self.path_contains not in path:
            return True, False
        with self._lock:
            if self.throttled < self.storm:
                self.throttled += 1
                forward = self.throttled > self.storm - self.forward_then_429
                return forward, True
        return True, False

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                forward, throttle = proxy._verdict(self.path)
                reply = None
                if forward:
                    headers = {
                        k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP
                    }
                    reply = httpx.request(
                        self.command,
                        proxy.upstream + self.path,
                        content=body,
                        headers=headers,
                        timeout=60,
                    )
                    with proxy._lock:
                        proxy.forwarded += 1
                if throttle or reply is None:
                    self._send(429, _limit_body(proxy.retry_after),
                               {"Retry-After": str(proxy.retry_after)})  # fmt: skip
                else:
                    self._send(reply.status_code, reply.content, {})

            def _send(self, status: int, payload: bytes, extra: dict[str, str]) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for key, value in extra.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_PUT = do_POST = do_DELETE = _handle

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep test output clean

        return Handler


def _limit_body(retry_after: float) -> bytes:
    return json.dumps(
        {
            "errcode": "M_LIMIT_EXCEEDED",
            "error": "Too many requests",
            "retry_after_ms": int(retry_after * 1000),
        }
    ).encode()
