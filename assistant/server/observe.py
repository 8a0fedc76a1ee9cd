"""ASGI middleware: a request id for every request and connection, counted and logged.

For each HTTP request it binds the log context (``request_id``, and
``session_id`` for ``/v1/sessions/{id}/...``), answers with ``X-Request-ID``,
counts the request by route *template*, method and status
(``drivetalk_http_requests_total``; a path no route serves counts as
``<unmatched>``, an unknown method as ``OTHER``, so no caller can grow the
label set), times it, and writes one access line. A WebSocket connection
gets the same ids for its whole life.
"""

from __future__ import annotations

import logging
import re
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.server import logs
from assistant.server.metrics import Metrics

access = logging.getLogger("drivetalk.access")

_SESSION_PATH = re.compile(r"^/v1/sessions/([A-Za-z0-9_-]{1,64})(?:/|$)")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "<unmatched>"


def route_of(scope: Scope) -> str:
    """The template of the route that served ``scope`` (set by the router as it matched)."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    root = scope.get("root_path", "")
    if root:  # a mounted app (static files, documentation assets)
        return f"{root}/{{path}}"
    return UNMATCHED


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


class ObserveMiddleware:
    """Request ids, request counts and access lines (see the module docstring)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in {"http", "websocket"}:
            await self.app(scope, receive, send)
            return
        rid = logs.new_request_id(_header(scope, b"x-request-id"))
        found = _SESSION_PATH.match(scope.get("path", ""))
        with logs.bound(request_id=rid, session_id=found.group(1) if found else None):
            if scope["type"] == "websocket":
                await self.app(scope, receive, send)
            else:
                await self._http(scope, receive, send, rid)

    async def _http(self, scope: Scope, receive: Receive, send: Send, rid: str) -> None:
        started = time.perf_counter()
        status = 500  # what the client gets if the app raises before answering

        async def tagged(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", rid.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, tagged)
        finally:
            self._record(scope, status, time.perf_counter() - started)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        method = scope.get("method", "GET")
        method = method if method in _METHODS else "OTHER"
        route = route_of(scope)
        self.metrics.requests.labels(route, method, str(status)).inc()
        self.metrics.request_seconds.labels(route).observe(seconds)
        duration_ms = round(seconds * 1000, 1)
        access.info(
            "%s %s %d %.1f ms",
            method,
            route,
            status,
            duration_ms,
            extra={"method": method, "route": route, "status": status, "duration_ms": duration_ms},
        )
