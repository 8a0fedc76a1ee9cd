"""Core value types shared by every stage of the pipeline.

Frozen, slotted dataclasses: cheap to create, safe to share across threads and
sessions, and trivially comparable in tests. Pydantic is used only at the
edges (configuration, HTTP schemas); these types never validate on their own.
All datetimes are timezone-aware.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Literal


class Intent(StrEnum):
    """The intent names of DESIGN.md: a contract printed by ``drivetalk parse``."""

    SEND_MESSAGE = "send_message"
    REPLY_MESSAGE = "reply_message"
    READ_MESSAGES = "read_messages"
    QUERY_CONTACT = "query_contact"
    CREATE_EVENT = "create_event"
    QUERY_CALENDAR = "query_calendar"
    CANCEL_EVENT = "cancel_event"
    CONFIRM = "confirm"
    DENY = "deny"
    CANCEL = "cancel"
    REPEAT = "repeat"
    NEXT = "next"
    HELP = "help"
    NONE = "none"


#: Intents that make something leave the car or change a backend. Out-of-domain
#: input must never be parsed as one of these.
ACTION_INTENTS = frozenset(
    {Intent.SEND_MESSAGE, Intent.REPLY_MESSAGE, Intent.CREATE_EVENT, Intent.CANCEL_EVENT}
)

ContactKind = Literal["person", "group"]


@dataclass(frozen=True, slots=True)
class Contact:
    """A person or a group chat in the directory names are resolved against.

    ``aliases`` holds nicknames and alternative spellings ("Wei", "David").
    For a group, ``id`` is the conversation id and ``department`` is empty.
    """

    id: str
    name: str
    kind: ContactKind = "person"
    department: str = ""
    title: str = ""
    phone: str = ""
    email: str = ""
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Conversation:
    """A direct (1:1) or group conversation."""

    id: str
    name: str
    kind: Literal["direct", "group"]
    member_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Message:
    """A chat message as stored by a backend."""

    id: str
    conversation_id: str
    conversation_name: str
    sender_id: str
    sender_name: str
    body: str
    sent_at: datetime
    read: bool = False
    urgent: bool = False


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """A confirmed message on its way out.

    ``idempotency_key`` is generated once, when the driver confirms, and is
    passed unchanged to every delivery attempt so the receiver sees the
    message exactly once. ``recipient_id`` names a contact (1:1) or, when
    ``to_group`` is true, a group conversation.
    """

    idempotency_key: str
    recipient_id: str
    recipient_name: str
    body: str
    urgent: bool = False
    to_group: bool = False
    in_reply_to: str | None = None


@dataclass(frozen=True, slots=True)
class SendReceipt:
    """What a backend says about a delivered message."""

    message_id: str
    conversation_id: str
    delivered_at: datetime


@dataclass(frozen=True, slots=True)
class CalendarEvent:
    """A calendar event; ``attendee_ids`` are directory ids."""

    id: str
    title: str
    start: datetime
    end: datetime
    attendee_ids: tuple[str, ...] = ()
    location: str = ""
    all_day: bool = False


@dataclass(frozen=True, slots=True)
class EventDraft:
    """An event the driver asked for, before the backend assigns an id."""

    title: str
    start: datetime
    end: datetime
    attendee_ids: tuple[str, ...] = ()
    location: str = ""
    all_day: bool = False


@dataclass(frozen=True, slots=True)
class Word:
    """One recognised word with timing (seconds from utterance start)."""

    word: str
    start: float
    end: float
    confidence: float


@dataclass(frozen=True, slots=True)
class Hypothesis:
    """One ASR alternative: the parser's n-best input takes a sequence of these.

    ``score`` is higher-is-better; only the order and relative size matter.
    """

    text: str
    score: float = 1.0
    words: tuple[Word, ...] = field(default=())
