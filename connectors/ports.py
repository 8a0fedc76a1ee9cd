"""The contracts every backend implements.

A connector is one object that implements any of the three ports below and
the small :class:`Connector` lifecycle. Callers check capabilities with
``isinstance(conn, MessagingPort)`` (the protocols are runtime-checkable), so
a calendar-only backend (CalDAV) and a messaging-only backend (a webhook) fit
the same registry.

All methods are ``async``; connectors that talk HTTP take an injected
``httpx.AsyncClient`` so tests can use a real loopback server or
``httpx.MockTransport``. Failures raise :class:`assistant.errors.ConnectorError`
subclasses, never raw library exceptions.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from assistant.models import (
    CalendarEvent,
    Contact,
    Conversation,
    EventDraft,
    Message,
    OutgoingMessage,
    SendReceipt,
)


@dataclass(frozen=True, slots=True)
class ContactPage:
    """One page of a directory listing; ``next_cursor`` is None on the last page."""

    contacts: tuple[Contact, ...]
    next_cursor: str | None = None


@dataclass(frozen=True, slots=True)
class CheckResult:
    """Outcome of ``drivetalk connectors check``: a verdict a human can act on."""

    ok: bool
    detail: str


@runtime_checkable
class Connector(Protocol):
    """Lifecycle shared by every backend."""

    #: Registry name, e.g. ``"local"`` or ``"matrix"``.
    name: str
    #: Whether this backend needs the network (the local store does not).
    needs_network: bool

    async def check(self) -> CheckResult:
        """Authenticate and reach the backend; never raises for a failed check."""
        ...

    async def aclose(self) -> None:
        """Release connections and files."""
        ...


@runtime_checkable
class MessagingPort(Protocol):
    """Conversations and messages."""

    async def conversations(self) -> Sequence[Conversation]:
        """All conversations the user belongs to."""
        ...

    async def unread_messages(self) -> Sequence[Message]:
        """Unread messages, oldest first within each conversation."""
        ...

    async def recent_messages(self, conversation_id: str, limit: int = 20) -> Sequence[Message]:
        """The latest messages of one conversation, oldest first."""
        ...

    async def send(self, message: OutgoingMessage) -> SendReceipt:
        """Deliver ``message``; the same idempotency key never delivers twice."""
        ...

    async def mark_read(self, message_ids: Sequence[str]) -> None:
        """Mark exactly these messages as read."""
        ...

    def incoming(self) -> AsyncIterator[Message]:
        """Messages from others as they arrive, until the connector closes."""
        ...


@runtime_checkable
class CalendarPort(Protocol):
    """The user's primary calendar."""

    async def events(self, start: datetime, end: datetime) -> Sequence[CalendarEvent]:
        """Events overlapping ``[start, end)``, ordered by start."""
        ...

    async def create_event(self, draft: EventDraft) -> CalendarEvent:
        """Create an event and return it with its backend id."""
        ...

    async def cancel_event(self, event_id: str) -> None:
        """Cancel (delete) an event by id."""
        ...


@runtime_checkable
class DirectoryPort(Protocol):
    """People and group chats that names are resolved against."""

    async def search_contacts(self, query: str, limit: int = 10) -> Sequence[Contact]:
        """Contacts whose name matches ``query`` on the backend side."""
        ...

    async def list_contacts(self, cursor: str | None = None, page_size: int = 500) -> ContactPage:
        """One page of the whole directory, for building the local index."""
        ...
