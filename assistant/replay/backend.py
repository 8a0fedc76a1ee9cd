"""The backend a case is replayed against, and a record of what the dialog did to it.

By default every case gets a fresh embedded store (the demo organisation,
seeded relative to the replay clock) in a temporary directory, so cases
cannot leak state into each other and a replay never touches the driver's
real data. ``--backend NAME`` builds a configured connector instead (its
state then carries over from case to case, which is the tester's choice).

:class:`RecordingConnector` wraps the connector and notes every message
sent and every event created or cancelled, whatever the backend: the case's
expected ``outcome`` is checked against that record.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from assistant.backend import build_backend
from assistant.compose import contacts_of, directory_for, parser_for
from assistant.config import Settings
from assistant.directory_source import missing_directory
from assistant.errors import ConfigError
from assistant.locales import Locale
from assistant.models import CalendarEvent, Contact, EventDraft, OutgoingMessage, SendReceipt
from assistant.replay.directory import directory_store
from connectors.local import LocalConnector
from connectors.local.demo import open_demo_store
from connectors.outbox import Outbox
from intents.parser import Parser


@dataclass
class RecordingConnector:
    """Delegates to ``inner``; records sends, event creations and cancellations."""

    inner: Any
    sent: list[OutgoingMessage] = field(default_factory=list)
    created: list[CalendarEvent] = field(default_factory=list)
    cancelled: list[CalendarEvent] = field(default_factory=list)
    _seen: dict[str, CalendarEvent] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        # Only reached for attributes not defined here: the port protocols'
        # isinstance checks then see exactly what the inner connector has.
        return getattr(self.inner, name)

    async def send(self, message: OutgoingMessage) -> SendReceipt:
        """Send through the inner connector and remember the message."""
        receipt: SendReceipt = await self.inner.send(message)
        self.sent.append(message)
        return receipt

    async def events(self, start: datetime, end: datetime) -> Sequence[CalendarEvent]:
        """Fetch events (remembered, so a cancellation can be reported by title)."""
        found: Sequence[CalendarEvent] = await self.inner.events(start, end)
        self._seen.update((e.id, e) for e in found)
        return found

    async def create_event(self, draft: EventDraft) -> CalendarEvent:
        """Create through the inner connector and remember the event."""
        event: CalendarEvent = await self.inner.create_event(draft)
        self.created.append(event)
        return event

    async def cancel_event(self, event_id: str) -> None:
        """Cancel through the inner connector and remember what was cancelled."""
        await self.inner.cancel_event(event_id)
        known = self._seen.get(event_id)
        self.cancelled.append(known or CalendarEvent(event_id, "", _EPOCH, _EPOCH))

    def outcome(self) -> dict[str, list[dict[str, Any]]]:
        """What the dialog did, in the shape a manifest's ``outcome`` is written in."""
        return {
            "sent": [_sent_json(m) for m in self.sent],
            "created": [_event_json(e) for e in self.created],
            "cancelled": [_event_json(e) for e in self.cancelled],
        }


_EPOCH = datetime.fromtimestamp(0).astimezone()


def _sent_json(message: OutgoingMessage) -> dict[str, Any]:
    return {
        "to": {"id": message.recipient_id, "name": message.recipient_name},
        "body": message.body,
        "urgent": message.urgent,
        "group": message.to_group,
        "in_reply_to": message.in_reply_to,
    }


def _event_json(event: CalendarEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "title": event.title,
        "start": event.start.isoformat(),
        "end": event.end.isoformat(),
        "attendees": list(event.attendee_ids),
        "location": event.location,
    }


@dataclass
class CaseBackend:
    """Everything a case talks to: the (recorded) connector, an outbox, a parser."""

    connector: RecordingConnector
    outbox: Outbox
    parser: Parser
    #: The directory the parser resolves names against (for names in replies).
    contacts: tuple[Contact, ...] = ()


@asynccontextmanager
async def fresh_local_backend(
    now: datetime, locale: Locale = "en", *, contacts: Sequence[Contact] | None = None
) -> AsyncIterator[CaseBackend]:
    """A new store and outbox in a temporary directory, parsing ``locale``.

    The store holds the demo organisation, or only ``contacts`` (a manifest's
    own directory; the driver is the first of them).
    """
    async with AsyncExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="drivetalk-replay-")))
        store = (
            open_demo_store(tmp, now, now.tzinfo)
            if contacts is None
            else directory_store(tmp, now, contacts)
        )
        connector = LocalConnector(store, now=lambda: now)
        stack.push_async_callback(connector.aclose)  # closes the store too
        outbox = _outbox(stack, tmp, now)
        people = await contacts_of(connector)
        parser = parser_for(people, locale)
        yield CaseBackend(RecordingConnector(connector), outbox, parser, tuple(people))


@asynccontextmanager
async def configured_backend(
    name: str, settings: Settings, now: datetime, locale: Locale = "en"
) -> AsyncIterator[CaseBackend]:
    """The connector ``[connectors.NAME]`` configures, with a temporary outbox."""
    async with AsyncExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="drivetalk-replay-")))
        connector = build_backend(settings, name, now=lambda: now)
        stack.push_async_callback(connector.aclose)
        directory = directory_for(settings, connector, now=lambda: now)
        stack.push_async_callback(directory.aclose)
        if not directory.configured:
            raise ConfigError(missing_directory(name))
        outbox = _outbox(stack, tmp, now)
        contacts = await contacts_of(directory)
        parser = parser_for(contacts, locale)
        yield CaseBackend(RecordingConnector(connector), outbox, parser, tuple(contacts))


def _outbox(stack: AsyncExitStack, folder: Path, now: datetime) -> Outbox:
    outbox = Outbox.open(folder / "outbox.sqlite3", now=lambda: now)
    stack.callback(outbox.close)
    return outbox
