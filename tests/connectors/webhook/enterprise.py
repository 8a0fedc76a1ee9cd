"""An enterprise backend as the README tells one to write it, run for real by the tests.

It verifies DriveTalk's signature with its own code (not DriveTalk's), checks
the body against the shipped JSON Schema files, delivers each
``Idempotency-Key`` once and answers repeats with the original receipt. A
script of canned answers lets a test make it throttle or fail.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from jsonschema import Draft202012Validator

import connectors.webhook

SCHEMA_DIR = Path(connectors.webhook.__file__).with_name("schema")
SCHEMAS = {
    "message.outgoing": "outgoing-message.schema.json",
    "ping": "ping.schema.json",
}


def validator(event_type: str) -> Draft202012Validator:
    """A validator for one event type, from the shipped schema file."""
    schema = json.loads((SCHEMA_DIR / SCHEMAS[event_type]).read_text())
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


class EnterpriseBackend:
    """The receiving side of the outgoing webhook."""

    def __init__(self, secret: str) -> None:
        self.secret = secret.encode()
        self.receipts: dict[str, dict[str, Any]] = {}
        self.deliveries: list[dict[str, Any]] = []
        self.requests = 0
        self.script: list[Response] = []
        self.delay = 0.0
        self.lose_next_answer = 0.0  # deliver, then answer too late for the client
        self.app = FastAPI()
        self.app.post("/drivetalk/events")(self.handle)

    def _authentic(self, request: Request, raw: bytes) -> bool:
        stamp = request.headers.get("x-drivetalk-timestamp", "")
        claimed = request.headers.get("x-drivetalk-signature", "")
        if not stamp.isdigit() or abs(time.time() - int(stamp)) > 300:
            return False
        digest = hmac.new(self.secret, stamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
        return hmac.compare_digest(f"sha256={digest}", claimed)

    async def handle(self, request: Request) -> Response:
        self.requests += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.script:
            return self.script.pop(0)
        raw = await request.body()
        if not self._authentic(request, raw):
            return JSONResponse({"error": "bad signature"}, 401)
        event = json.loads(raw)
        problems = [e.message for e in validator(event.get("type", "?")).iter_errors(event)]
        if problems:
            return JSONResponse({"error": "; ".join(problems)}, 422)
        if event["type"] == "ping":
            return JSONResponse({}, 200)
        key = request.headers.get("idempotency-key", "")
        if key != event["id"]:
            return JSONResponse({"error": "Idempotency-Key must equal the event id"}, 400)
        if key in self.receipts:
            return JSONResponse(self.receipts[key], 200)
        receipt = {
            "message_id": f"ent-{len(self.receipts) + 1}",
            "conversation_id": f"conv-{event['message']['recipient_id']}",
            "delivered_at": datetime.now(UTC).isoformat(),
        }
        self.receipts[key] = receipt
        self.deliveries.append(event)
        if self.lose_next_answer:
            delay, self.lose_next_answer = self.lose_next_answer, 0.0
            await asyncio.sleep(delay)
        return JSONResponse(receipt, 201)
