"""The ``local`` connector: every port, over the embedded SQLite store."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from assistant.errors import ConfigError
from assistant.models import (
    CalendarEvent,
    Contact,
    Conversation,
    EventDraft,
    Message,
    OutgoingMessage,
    SendReceipt,
)
from connectors.local.demo import move_demo_week, seed_demo_organisation
from connectors.local.store import LocalStore
from connectors.ports import CheckResult, ContactPage
from connectors.registry import ConnectorContext


class LocalConnector:
    """Messaging, calendar and directory served from a :class:`LocalStore`.

    ``incoming()`` polls the store for messages from others that arrive after
    it starts (written by this or another process), so the assistant can
    announce them like a push from a cloud backend.
    """

    name: ClassVar[str] = "local"
    needs_network: ClassVar[bool] = False

    def __init__(
        self,
        store: LocalStore,
        *,
        now: Callable[[], datetime] | None = None,
        poll_interval: float = 1.0,
    ) -> None:
        self.store = store
        self._now = now or (lambda: datetime.now(UTC))
        self._poll_interval = poll_interval
        self._closed = asyncio.Event()

    @classmethod
    def from_config(cls, config: Mapping[str, Any], context: ConnectorContext) -> LocalConnector:
        """Build from ``[connectors.local]``: ``data_dir``, ``poll_interval``, ``seed_demo``.

        The demo organisation is seeded into an empty store only when
        ``seed_demo = true`` (else ``drivetalk demo-data`` does it); a demo
        store opened on a later day has its week moved along.
        """
        unknown = set(config) - {"data_dir", "poll_interval", "seed_demo"}
        if unknown:
            raise ConfigError(f"unknown key(s) in [connectors.local]: {', '.join(sorted(unknown))}")
        data_dir = Path(config.get("data_dir", context.data_dir))
        seed = config.get("seed_demo", False)
        if not isinstance(seed, bool):
            raise ConfigError("[connectors.local] seed_demo must be true or false")
        store = LocalStore.open(data_dir, now=context.now(), zone=context.zone)
        if seed and store.is_empty:
            seed_demo_organisation(store, context.now())
        else:
            move_demo_week(store, context.now())
        return cls(store, now=context.now, poll_interval=float(config.get("poll_interval", 1.0)))

    def __repr__(self) -> str:
        return f"LocalConnector(path={str(self.store.path)!r})"

    def start_note(self) -> str | None:
        """What the driver should know before the first turn: an empty store and how to fill it."""
        if not self.store.is_empty:
            return None
        return (
            f"the local store {self.store.path} is empty: seed the demo organisation with "
            "`drivetalk demo-data` (or set seed_demo = true under [connectors.local])"
        )

    async def check(self) -> CheckResult:
        """The store opens and has a user (an empty one says how to seed it)."""
        note = self.start_note()
        if note is not None:
            return CheckResult(False, note)
        me = self.store.me
        return CheckResult(True, f"local store {self.store.path} ({me.name})")

    async def aclose(self) -> None:
        """Stop ``incoming()`` and close the store."""
        self._closed.set()
        self.store.close()

    # -- messaging ---------------------------------------------------------------

    async def conversations(self) -> Sequence[Conversation]:
        """All conversations, most recently active first."""
        return self.store.conversations()

    async def unread_messages(self) -> Sequence[Message]:
        """Unread messages from others, oldest first."""
        return self.store.messages(unread_only=True)

    async def recent_messages(self, conversation_id: str, limit: int = 20) -> Sequence[Message]:
        """The latest messages of one conversation, oldest first."""
        return self.store.messages(conversation_id=conversation_id, limit=limit)

    async def send(self, message: OutgoingMessage) -> SendReceipt:
        """Store the message once per idempotency key (fsync'd, off the event loop)."""
        return await asyncio.to_thread(self.store.send, message, self._now())

    async def mark_read(self, message_ids: Sequence[str]) -> None:
        """Mark exactly these messages read."""
        await asyncio.to_thread(self.store.mark_read, list(message_ids))

    async def incoming(self) -> AsyncIterator[Message]:
        """New messages from others, until the connector closes."""
        high = self.store.last_rowid()
        while not self._closed.is_set():
            high, fresh = self.store.messages_after(high)
            for message in fresh:
                yield message
            try:
                await asyncio.wait_for(self._closed.wait(), self._poll_interval)
            except TimeoutError:
                continue

    # -- calendar ----------------------------------------------------------------

    async def events(self, start: datetime, end: datetime) -> Sequence[CalendarEvent]:
        """Events overlapping ``[start, end)``."""
        return self.store.events(start, end)

    async def create_event(self, draft: EventDraft) -> CalendarEvent:
        """Create an event."""
        return await asyncio.to_thread(self.store.create_event, draft)

    async def cancel_event(self, event_id: str) -> None:
        """Delete an event."""
        await asyncio.to_thread(self.store.cancel_event, event_id)

    # -- directory ---------------------------------------------------------------

    async def search_contacts(self, query: str, limit: int = 10) -> Sequence[Contact]:
        """Contacts whose name or alias contains ``query``."""
        return self.store.search_contacts(query, limit)

    async def list_contacts(self, cursor: str | None = None, page_size: int = 500) -> ContactPage:
        """The directory in pages; the cursor is an offset."""
        contacts = self.store.contacts()
        try:
            offset = int(cursor or 0)
        except ValueError as exc:
            raise ConfigError(f"bad directory cursor {cursor!r}") from exc
        page = tuple(contacts[offset : offset + page_size])
        nxt = offset + page_size
        return ContactPage(page, str(nxt) if nxt < len(contacts) else None)
