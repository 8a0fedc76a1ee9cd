"""The inbound endpoint: a FastAPI router the fleet server mounts.

``POST /v1/webhook/{connector}/inbound`` takes a signed
``message.incoming`` event (see ``schema/incoming-message.schema.json``),
verifies it with the named connector's secret and replay cache, and hands the
message to that connector (``incoming()``, unread list). Answers: 202
accepted; 401 missing/invalid signature or stale timestamp; 409 replay;
400 malformed JSON; 422 contract violation; 404 unknown connector; 413 body
too large. Errors are ``{"error": code, "detail": human sentence}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from assistant.errors import RequestRejectedError
from assistant.models import Message

#: Largest body accepted: twice the longest contract message, plus envelope.
MAX_BODY_BYTES = 256 * 1024


class InboundReceiver(Protocol):
    """What the router hands requests to (a :class:`WebhookConnector`)."""

    async def receive(self, headers: Mapping[str, str], body: bytes) -> Message:
        """Verify and queue one pushed message."""
        ...


def _problem(status: int, code: str, detail: str) -> JSONResponse:
    return JSONResponse({"error": code, "detail": detail}, status_code=status)


def create_inbound_router(
    receivers: Mapping[str, InboundReceiver], *, prefix: str = "/v1/webhook"
) -> APIRouter:
    """A router dispatching ``{prefix}/{connector}/inbound`` to ``receivers[connector]``.

    ``receivers`` is read per request, so a server may fill it after mounting.
    """
    router = APIRouter(prefix=prefix, tags=["webhook"])

    @router.post("/{connector}/inbound", status_code=202)
    async def inbound(connector: str, request: Request) -> JSONResponse:
        receiver = receivers.get(connector)
        if receiver is None:
            return _problem(404, "unknown_connector", f"no webhook connector named {connector!r}")
        declared = request.headers.get("content-length", "0")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            return _problem(413, "too_large", f"body over {MAX_BODY_BYTES} bytes")
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return _problem(413, "too_large", f"body over {MAX_BODY_BYTES} bytes")
        try:
            message = await receiver.receive(request.headers, body)
        except RequestRejectedError as exc:
            return _problem(exc.status, exc.code, str(exc))
        return JSONResponse({"status": "accepted", "id": message.id}, status_code=202)

    return router
