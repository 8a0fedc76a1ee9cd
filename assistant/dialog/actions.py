"""What the dialog asks the world to do: the outputs of ``step``.

The runner carries these out in order. If the driver barges in while a
:class:`Speak` is playing, the runner stops the speech and drops the rest of
the batch, so e.g. a :class:`MarkRead` that follows an interrupted message is
never executed: only what was actually read out is marked read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from assistant.models import EventDraft, OutgoingMessage
from intents.result import ParseContext


@dataclass(frozen=True, slots=True)
class Speak:
    """Say ``text`` to the driver."""

    text: str


@dataclass(frozen=True, slots=True)
class Listen:
    """Open an answer window: parse the next utterance with ``context``.

    ``vocabulary`` lists the phrases expected (for a constrained ASR grammar;
    empty means free speech) and ``timeout`` the seconds before a
    :class:`~assistant.dialog.events.Timeout` for ``turn`` is due.
    """

    turn: int
    context: ParseContext
    vocabulary: tuple[str, ...] = ()
    timeout: float | None = None


@dataclass(frozen=True, slots=True)
class SendMessage:
    """Persist ``message`` in the outbox, then deliver it."""

    request: str
    message: OutgoingMessage


@dataclass(frozen=True, slots=True)
class MarkRead:
    """Mark exactly these messages as read."""

    message_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FetchUnread:
    """Fetch unread messages; the answer comes back as ``Fetched(request)``."""

    request: str


@dataclass(frozen=True, slots=True)
class FetchEvents:
    """Fetch calendar events overlapping ``[start, end)``."""

    request: str
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class CreateEvent:
    """Create a calendar event."""

    request: str
    draft: EventDraft


@dataclass(frozen=True, slots=True)
class CancelEvent:
    """Cancel (delete) a calendar event."""

    request: str
    event_id: str


@dataclass(frozen=True, slots=True)
class StopSpeaking:
    """Cut the current speech short (barge-in)."""


DialogAction = (
    Speak
    | Listen
    | SendMessage
    | MarkRead
    | FetchUnread
    | FetchEvents
    | CreateEvent
    | CancelEvent
    | StopSpeaking
)
