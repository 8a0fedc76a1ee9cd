"""The inbound endpoint: a FastAPI router the fleet server mounts.

``POST /v1/webhook/{connector}/inbound`` takes a signed
``message.incoming`` event (see ``schema/incoming-message.schema.json``),
verifies it with the named connector's secret and replay cache, and hands the
message to that connector (``incoming()``, unread list). Answers: 202
accepted; 401 missing/invalid signature or stale timestamp; 409 replay;
400 malformed JSON; 422 contract violation; 413 body too large. Errors have
the one shape every route of the server answers with:
``{"error": {"code": code, "message": human sentence}}``.

An unknown connector name is answered exactly like a known one with a bad
signature (checked against a random secret nobody holds), so the endpoint
does not tell which tenants exist.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from typing import Any, Protocol

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from assistant.errors import RequestRejectedError
from assistant.models import Message
from connectors.webhook.verify import DEFAULT_WINDOW_S, InvalidSignatureError, verify_signature

#: Largest body accepted: twice the longest contract message, plus envelope.
MAX_BODY_BYTES = 256 * 1024


class InboundReceiver(Protocol):
    """What the router hands requests to (a :class:`WebhookConnector`)."""

    async def receive(self, headers: Mapping[str, str], body: bytes) -> Message:
        """Verify and queue one pushed message."""
        ...


class InboundErrorDetail(BaseModel):
    """A stable ``code`` for programs and a ``message`` for people."""

    code: str
    message: str


class InboundProblem(BaseModel):
    """An inbound refusal, shaped like every other error of the server."""

    error: InboundErrorDetail


class InboundAccepted(BaseModel):
    """A push accepted: the id of the queued message."""

    status: str
    id: str


def _problem(status: int, code: str, detail: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": detail}}, status_code=status)


_DOCUMENTED: dict[int | str, dict[str, Any]] = {
    status: {"model": InboundProblem, "description": text}
    for status, text in {
        400: "Body is not a JSON object (malformed_json)",
        401: "Missing, invalid or stale signature; also for an unknown connector",
        409: "An event with this id was already accepted (replayed)",
        413: "Body over the size limit (too_large)",
        422: "JSON that breaks the incoming-message contract (schema_violation)",
    }.items()
}
_BODY = {
    "requestBody": {
        "required": True,
        "description": "A signed message.incoming event (see the webhook contract)",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}


def create_inbound_router(
    receivers: Mapping[str, InboundReceiver], *, prefix: str = "/v1/webhook"
) -> APIRouter:
    """A router dispatching ``{prefix}/{connector}/inbound`` to ``receivers[connector]``.

    ``receivers`` is read per request, so a server may fill it after mounting.
    """
    router = APIRouter(prefix=prefix, tags=["webhook"])
    nobodys_secret = secrets.token_urlsafe(32)

    @router.post(
        "/{connector}/inbound",
        status_code=202,
        response_model=InboundAccepted,
        responses=_DOCUMENTED,
        openapi_extra=_BODY,
        summary="A signed push of an incoming message (HMAC, no API key)",
    )
    async def inbound(connector: str, request: Request) -> JSONResponse:
        """Verify the signature with the connector's secret and queue the message."""
        declared = request.headers.get("content-length", "0")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            return _problem(413, "too_large", f"body over {MAX_BODY_BYTES} bytes")
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return _problem(413, "too_large", f"body over {MAX_BODY_BYTES} bytes")
        receiver = receivers.get(connector)
        try:
            if receiver is None:
                # Always fails, with the answer a known connector gives a bad signature.
                verify_signature(
                    request.headers, body, nobodys_secret, time.time(), DEFAULT_WINDOW_S
                )
                raise InvalidSignatureError("signature does not match the body and timestamp")
            message = await receiver.receive(request.headers, body)
        except RequestRejectedError as exc:
            return _problem(exc.status, exc.code, str(exc))
        return JSONResponse({"status": "accepted", "id": message.id}, status_code=202)

    return router
