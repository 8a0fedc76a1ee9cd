"""What can happen to the dialog: the inputs of :func:`assistant.dialog.engine.step`.

Every event is a frozen dataclass. ``event_id`` is set by whoever creates the
event (the runner uses ``uuid4``); the engine uses the id of the confirming
utterance as the idempotency key of the message it sends, so the engine
itself stays pure and deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.models import CalendarEvent, Message, SendReceipt
from intents.result import ParseResult


@dataclass(frozen=True, slots=True)
class Utterance:
    """The driver said something; ``result`` is the parser's best reading."""

    result: ParseResult
    event_id: str = ""


@dataclass(frozen=True, slots=True)
class Timeout:
    """The answer window of question number ``turn`` closed without an answer."""

    turn: int


@dataclass(frozen=True, slots=True)
class Incoming:
    """Messages pushed by a connector; several at once form a burst."""

    messages: tuple[Message, ...]


@dataclass(frozen=True, slots=True)
class BargeIn:
    """The driver started speaking while the assistant was talking."""


@dataclass(frozen=True, slots=True)
class Fetched:
    """Answer to a fetch action: unread messages or calendar events."""

    request: str
    messages: tuple[Message, ...] = ()
    events: tuple[CalendarEvent, ...] = ()


@dataclass(frozen=True, slots=True)
class Done:
    """A write action finished: a message sent, an event created or cancelled."""

    request: str
    receipt: SendReceipt | None = None
    event: CalendarEvent | None = None


@dataclass(frozen=True, slots=True)
class Failed:
    """A connector action failed; ``reason`` is one human-readable line."""

    request: str
    reason: str


@dataclass(frozen=True, slots=True)
class Queued:
    """The message is safe in the outbox but not delivered yet; the worker goes on trying.

    Never a failure to re-confirm: the same idempotency key is retried, so
    saying "send it" again would risk the receiver getting it twice.
    """

    request: str
    reason: str


@dataclass(frozen=True, slots=True)
class DeliveredLate:
    """Messages the driver heard were queued have now been delivered: tell them once."""

    recipients: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DeliveryFailed:
    """The outbox gave up on messages confirmed earlier: tell the driver."""

    recipients: tuple[str, ...]


DialogEvent = (
    Utterance
    | Timeout
    | Incoming
    | BargeIn
    | Fetched
    | Done
    | Failed
    | Queued
    | DeliveredLate
    | DeliveryFailed
)
