"""The signed-webhook JSON contract between DriveTalk and an enterprise backend.

These pydantic models are the source of truth; the JSON Schema files under
``connectors/webhook/schema/`` are generated from them
(``python -m connectors.webhook.contract``) and a test keeps them in step.

* :class:`OutgoingEvent` — DriveTalk POSTs it to the enterprise's URL when
  the driver confirms a message. ``id`` is the idempotency key (also sent as
  the ``Idempotency-Key`` header): the same id may arrive more than once (a
  retry) and must be delivered once.
* :class:`DeliveryReceipt` — the enterprise's 2xx answer.
* :class:`IncomingEvent` — the enterprise POSTs it to DriveTalk's inbound
  endpoint when someone writes to the driver. ``id`` is unique per event and
  doubles as the replay-protection key.
* :class:`PingEvent` — ``drivetalk connectors check webhook`` sends it; answer 2xx.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

SCHEMA_DIR = Path(__file__).with_name("schema")
SCHEMA_BASE = "https://drivetalk.example/schema/webhook/v1/"
MAX_BODY_CHARS = 20_000


class _Strict(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, json_schema_serialization_defaults_required=True
    )


class Sender(_Strict):
    """Who is sending: the car / driver identity configured for this connector."""

    id: str = Field(min_length=1, max_length=256)
    name: str = Field(default="", max_length=256)


class OutgoingBody(_Strict):
    """A message the driver confirmed."""

    recipient_id: str = Field(min_length=1, max_length=256, description="contact or group id")
    recipient_name: str = Field(max_length=256)
    body: str = Field(min_length=1, max_length=MAX_BODY_CHARS)
    urgent: bool = False
    to_group: bool = Field(default=False, description="recipient_id names a group")
    in_reply_to: str | None = Field(default=None, description="id of the message answered")


class OutgoingEvent(_Strict):
    """``message.outgoing``: DriveTalk -> enterprise."""

    type: Literal["message.outgoing"] = "message.outgoing"
    version: Literal[1] = 1
    id: str = Field(min_length=1, max_length=256, description="idempotency key")
    created_at: AwareDatetime
    sender: Sender | None = None
    message: OutgoingBody


class DeliveryReceipt(BaseModel):
    """The enterprise's answer to an :class:`OutgoingEvent` (extra keys allowed)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    message_id: str = Field(min_length=1, max_length=256)
    conversation_id: str | None = Field(default=None, max_length=256)
    delivered_at: AwareDatetime | None = None


class IncomingBody(_Strict):
    """A message someone sent to the driver."""

    id: str = Field(min_length=1, max_length=256)
    conversation_id: str = Field(min_length=1, max_length=256)
    conversation_name: str = Field(max_length=256)
    conversation_kind: Literal["direct", "group"] = "direct"
    sender_id: str = Field(min_length=1, max_length=256)
    sender_name: str = Field(max_length=256)
    body: str = Field(min_length=1, max_length=MAX_BODY_CHARS)
    sent_at: AwareDatetime
    urgent: bool = False


class IncomingEvent(_Strict):
    """``message.incoming``: enterprise -> DriveTalk."""

    type: Literal["message.incoming"]
    version: Literal[1]
    id: str = Field(min_length=1, max_length=256, description="unique per delivery (replay key)")
    message: IncomingBody


class PingEvent(_Strict):
    """``ping``: a signed liveness and credentials check."""

    type: Literal["ping"] = "ping"
    version: Literal[1] = 1
    id: str = Field(min_length=1, max_length=256)
    created_at: AwareDatetime


#: Schema file name -> (model, mode). What DriveTalk sends is described as
#: serialized (every field present); what it accepts as validated (defaults optional).
SCHEMAS: dict[str, tuple[type[BaseModel], Literal["validation", "serialization"]]] = {
    "outgoing-message.schema.json": (OutgoingEvent, "serialization"),
    "ping.schema.json": (PingEvent, "serialization"),
    "delivery-receipt.schema.json": (DeliveryReceipt, "validation"),
    "incoming-message.schema.json": (IncomingEvent, "validation"),
}


def json_schema(filename: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) document for one contract file."""
    model, mode = SCHEMAS[filename]
    schema = model.model_json_schema(mode=mode)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_BASE + filename,
        **schema,
    }


def render(filename: str) -> str:
    """The exact text of a schema file."""
    return json.dumps(json_schema(filename), indent=2, sort_keys=True) + "\n"


def write_schemas(directory: Path = SCHEMA_DIR) -> list[Path]:
    """(Re)generate every schema file; returns the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for filename in SCHEMAS:
        path = directory / filename
        path.write_text(render(filename), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":  # pragma: no cover - maintenance entry point
    for written_path in write_schemas():
        sys.stdout.write(f"wrote {written_path}\n")
