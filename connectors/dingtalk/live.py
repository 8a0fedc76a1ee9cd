"""``drivetalk connectors check dingtalk --live``: try the real platform, step by step.

No test here can reach DingTalk, so an enterprise proves its own setup with
its own credentials. Each step runs the connector's real code path:

1. access token: a fresh token from ``/v1.0/oauth2/accessToken``;
2. custom robot (if configured): token, signature and robot state, posting nothing;
3. send to self: one 1:1 robot message to the configured ``user_id``;
4. calendar round trip: create an event tomorrow in ``union_id``'s calendar,
   find it in a listing, delete it, and check it is gone;
5. Stream connect: register a connection and open the WebSocket.

A step that needs a setting that is not configured is reported as skipped.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Literal

from assistant.errors import ConnectorError, DriveTalkError
from assistant.models import EventDraft, OutgoingMessage
from connectors.dingtalk import stream

if TYPE_CHECKING:
    from connectors.dingtalk.connector import DingTalkConnector

Status = Literal["ok", "failed", "skipped"]
LIVE_EVENT_TITLE = "DriveTalk live check (safe to delete)"


@dataclass(frozen=True, slots=True)
class LiveStep:
    """The outcome of one step: a name, ok / failed / skipped, and what happened."""

    name: str
    status: Status
    detail: str


Step = Callable[["DingTalkConnector"], Awaitable[str]]


class Skipped(Exception):
    """A step that cannot run with this configuration (the message says why)."""


async def _token(conn: DingTalkConnector) -> str:
    if conn.api is None:
        raise Skipped("no enterprise app (app_key) configured")
    await conn.api.tokens.get(force=True)
    return f"app {conn.settings.app_key} got a fresh access token"


async def _robot(conn: DingTalkConnector) -> str:
    if conn.robot is None:
        raise Skipped("no custom robot configured")
    await conn.robot.probe()
    return "robot token, signature and state accepted (nothing posted)"


async def _send_to_self(conn: DingTalkConnector) -> str:
    if conn.api is None or not conn.settings.user_id:
        raise Skipped("needs app_key and user_id (the driver's own userId)")
    stamp = conn.now().strftime("%Y-%m-%d %H:%M")
    message = OutgoingMessage(
        idempotency_key=f"live-check-{uuid.uuid4()}",
        recipient_id=conn.settings.user_id,
        recipient_name="yourself",
        body=f"DriveTalk live check {stamp}: messages from the car reach you.",
    )
    receipt = await conn.send(message)
    return f"message sent to {conn.settings.user_id} (processQueryKey {receipt.message_id})"


async def _calendar(conn: DingTalkConnector) -> str:
    if conn.api is None or not conn.settings.union_id:
        raise Skipped("needs app_key and union_id (whose calendar)")
    start = (conn.now() + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    draft = EventDraft(title=LIVE_EVENT_TITLE, start=start, end=start + timedelta(minutes=15))
    event = await conn.create_event(draft, idempotency_key=f"live-check-{uuid.uuid4()}")
    try:
        listed = await conn.events(start, draft.end)
        if event.id not in {e.id for e in listed}:
            raise ConnectorError("DingTalk calendar: the created event is missing from a listing")
    finally:
        await conn.cancel_event(event.id)
    if event.id in {e.id for e in await conn.events(start, draft.end)}:
        raise ConnectorError("DingTalk calendar: the deleted event is still listed")
    return f"event created, listed and deleted ({start:%Y-%m-%d %H:%M})"


async def _stream(conn: DingTalkConnector) -> str:
    if conn.api is None or not conn.settings.stream:
        raise Skipped("needs app_key and stream = true")
    await stream.probe(conn.api.open_stream, conn.settings.timeout)
    return "connection registered and WebSocket opened"


STEPS: tuple[tuple[str, Step], ...] = (
    ("access token", _token),
    ("custom robot", _robot),
    ("send to self", _send_to_self),
    ("calendar round trip", _calendar),
    ("stream connect", _stream),
)


async def run(conn: DingTalkConnector, step_timeout: float = 30.0) -> list[LiveStep]:
    """Every step in order, each within ``step_timeout`` seconds; a failed step
    does not stop the later ones."""
    outcome = []
    for name, step in STEPS:
        try:
            detail = await asyncio.wait_for(step(conn), step_timeout)
            outcome.append(LiveStep(name, "ok", detail))
        except Skipped as why:
            outcome.append(LiveStep(name, "skipped", str(why)))
        except DriveTalkError as exc:
            outcome.append(LiveStep(name, "failed", str(exc)))
        except TimeoutError:
            outcome.append(LiveStep(name, "failed", f"no answer within {step_timeout:g} s"))
    return outcome
