"""The conformance kit: does a connector keep the contracts of the ports it implements?

Run it against a real backend or an emulator, from pytest or the CLI::

    report = await conform(connector, write=True)
    report.assert_ok()                     # in a test: one AssertionError listing failures

    drivetalk connectors conform NAME [--write] [--recipient ID]

Which ports a connector implements is read from the object (``isinstance``
against the runtime-checkable protocols), so a messaging-only or a
calendar-only backend is checked for what it offers and nothing else. Read
checks never change the backend. ``write=True`` adds the round trips that
do: one message sent twice with the same idempotency key (it must be
delivered once: both receipts name the same message), and one event created,
found and cancelled. Point ``--write`` at a test account or an emulator.

Every check runs under a timeout and any exception becomes a failed finding
with its type and message: a broken connector gives a report, never a hang.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from assistant.models import (
    CalendarEvent,
    Contact,
    Conversation,
    EventDraft,
    Message,
    OutgoingMessage,
    SendReceipt,
)
from connectors.ports import CalendarPort, CheckResult, Connector, DirectoryPort, MessagingPort

__all__ = ["PORTS", "ConformanceReport", "Finding", "conform", "ports_of"]

Status = Literal["passed", "failed", "skipped"]

#: Port name -> protocol, in the order reports list them.
PORTS: dict[str, type] = {
    "messaging": MessagingPort,
    "calendar": CalendarPort,
    "directory": DirectoryPort,
}

#: Most pages of a directory listing walked (page_size 2): enough to see cursors work.
MAX_PAGES = 5


class ConformanceError(AssertionError):
    """A check found the connector breaking its port's contract."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One check: which port, what was checked, and the verdict with its reason."""

    port: str
    check: str
    status: Status
    detail: str = ""


@dataclass(frozen=True, slots=True)
class ConformanceReport:
    """All findings for one connector."""

    connector: str
    ports: tuple[str, ...]
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        """Whether no check failed (skipped checks do not fail a report)."""
        return not self.failures

    @property
    def failures(self) -> tuple[Finding, ...]:
        """The failed findings."""
        return tuple(f for f in self.findings if f.status == "failed")

    def lines(self) -> list[str]:
        """One human-readable line per finding."""
        return [
            f"{f.status.upper():<8}{f.port}: {f.check}" + (f" - {f.detail}" if f.detail else "")
            for f in self.findings
        ]

    def assert_ok(self) -> None:
        """Raise one AssertionError naming every failure (for pytest)."""
        if self.failures:
            listed = "\n".join(f"  {f.port}: {f.check} - {f.detail}" for f in self.failures)
            raise ConformanceError(
                f"{self.connector} fails {len(self.failures)} check(s):\n{listed}"
            )


def ports_of(connector: object) -> tuple[str, ...]:
    """Names of the ports ``connector`` (an instance or a class) implements."""
    if isinstance(connector, type):
        return tuple(
            name
            for name, port in PORTS.items()
            if all(callable(getattr(connector, m, None)) for m in _members(port))
        )
    return tuple(name for name, port in PORTS.items() if isinstance(connector, port))


def _members(port: type) -> list[str]:
    return [n for n in vars(port) if not n.startswith("_") and callable(vars(port)[n])]


@dataclass(slots=True)
class _Run:
    """Collects findings; each check is timed out and its exceptions caught."""

    timeout: float
    findings: list[Finding] = field(default_factory=list)

    async def check(self, port: str, name: str, step: Callable[[], Awaitable[str | None]]) -> bool:
        try:
            detail = await asyncio.wait_for(step(), self.timeout)
        except ConformanceError as exc:
            self.findings.append(Finding(port, name, "failed", str(exc)))
            return False
        except TimeoutError:
            self.findings.append(Finding(port, name, "failed", f"no answer in {self.timeout:g} s"))
            return False
        except Exception as exc:  # a connector's bug is a finding, not a crash of the kit
            self.findings.append(Finding(port, name, "failed", f"{type(exc).__name__}: {exc}"))
            return False
        self.findings.append(Finding(port, name, "passed", detail or ""))
        return True

    def skip(self, port: str, name: str, why: str) -> None:
        self.findings.append(Finding(port, name, "skipped", why))


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ConformanceError(message)


def _aware(moment: object, what: str) -> None:
    _require(isinstance(moment, datetime), f"{what} is not a datetime")
    assert isinstance(moment, datetime)
    _require(moment.tzinfo is not None, f"{what} has no time zone")


async def conform(
    connector: Connector,
    *,
    write: bool = False,
    recipient: str | None = None,
    now: Callable[[], datetime] | None = None,
    timeout: float = 30.0,
) -> ConformanceReport:
    """Check ``connector`` against the contracts of every port it implements.

    ``recipient`` is who the write checks send to (default: the first person
    of the connector's directory, else its first conversation).
    """
    clock = now or (lambda: datetime.now(UTC))
    run = _Run(timeout)
    ports = ports_of(connector)
    await _lifecycle(run, connector)
    contacts: list[Contact] = []
    conversations: list[Conversation] = []
    if isinstance(connector, DirectoryPort):
        contacts = await _directory(run, connector)
    if isinstance(connector, MessagingPort):
        conversations = await _messaging(run, connector)
        if write:
            target = _target(recipient, contacts, conversations)
            await _send(run, connector, target)
    if isinstance(connector, CalendarPort):
        await _calendar(run, connector, clock(), write=write)
    if not ports:
        run.findings.append(Finding("connector", "ports", "failed", "implements no port"))
    name = str(getattr(connector, "name", type(connector).__name__))
    return ConformanceReport(name, ports, tuple(run.findings))


async def _lifecycle(run: _Run, connector: Connector) -> None:
    async def attributes() -> str:
        name = getattr(connector, "name", None)
        _require(isinstance(name, str) and bool(name), "name must be a non-empty string")
        network = getattr(connector, "needs_network", None)
        _require(isinstance(network, bool), "needs_network must be a bool")
        return f"name={name!r}, needs_network={network}"

    async def check() -> str:
        result = await connector.check()
        _require(isinstance(result, CheckResult), "check() must return a CheckResult")
        _require(result.ok, f"check() says the backend is not usable: {result.detail}")
        return result.detail

    await run.check("connector", "name and needs_network", attributes)
    await run.check("connector", "check() reaches the backend", check)


async def _directory(run: _Run, connector: DirectoryPort) -> list[Contact]:
    seen: list[Contact] = []

    async def listing() -> str:
        cursor: str | None = None
        for _ in range(MAX_PAGES):
            page = await connector.list_contacts(cursor, page_size=2)
            _require(len(page.contacts) <= 2, f"a page of size 2 held {len(page.contacts)}")
            _require(all(isinstance(c, Contact) for c in page.contacts), "not Contact objects")
            seen.extend(page.contacts)
            cursor = page.next_cursor
            if cursor is None:
                break
        ids = [c.id for c in seen]
        _require(len(ids) == len(set(ids)), "a contact appears on two pages")
        return f"{len(seen)} contact(s) in {MAX_PAGES} page(s) at most"

    async def search() -> str:
        if not seen:
            return "empty directory: nothing to search"
        # A person: user directories (Matrix, DingTalk) search people, not group chats.
        wanted = next((c for c in seen if c.kind == "person"), seen[0])
        found = await connector.search_contacts(wanted.name, limit=5)
        _require(len(found) <= 5, f"limit=5 returned {len(found)}")
        _require(all(isinstance(c, Contact) for c in found), "not Contact objects")
        _require(
            any(c.id == wanted.id for c in found), f"searching {wanted.name!r} does not find it"
        )
        return f"{wanted.name!r} found"

    if await run.check("directory", "list_contacts pages with cursors", listing):
        await run.check("directory", "search_contacts finds a listed contact", search)
    return seen


async def _messaging(run: _Run, connector: MessagingPort) -> list[Conversation]:
    conversations: list[Conversation] = []

    async def listing() -> str:
        found = list(await connector.conversations())
        _require(all(isinstance(c, Conversation) for c in found), "not Conversation objects")
        _require(len({c.id for c in found}) == len(found), "a conversation is listed twice")
        _require(all(c.kind in ("direct", "group") for c in found), "kind not direct/group")
        conversations.extend(found)
        return f"{len(found)} conversation(s)"

    async def unread() -> str:
        messages = list(await connector.unread_messages())
        _check_messages(messages, "unread_messages()")
        _require(not any(m.read for m in messages), "an unread message is marked read")
        return f"{len(messages)} unread"

    async def recent() -> str:
        if not conversations:
            return "no conversation to read"
        first = conversations[0]
        messages = list(await connector.recent_messages(first.id, limit=1))
        _require(len(messages) <= 1, f"limit=1 returned {len(messages)}")
        _check_messages(messages, "recent_messages()")
        _require(all(m.conversation_id == first.id for m in messages), "another conversation")
        return f"{len(messages)} message(s) in {first.name!r}"

    async def mark_nothing() -> None:
        await connector.mark_read([])

    async def incoming() -> None:
        stream: Any = connector.incoming()
        _require(hasattr(stream, "__anext__"), "incoming() must return an async iterator")
        closer = getattr(stream, "aclose", None)
        if closer is not None:
            await closer()

    await run.check("messaging", "conversations()", listing)
    await run.check("messaging", "unread_messages() are unread, oldest first", unread)
    await run.check("messaging", "recent_messages() honours limit", recent)
    await run.check("messaging", "mark_read([]) is a no-op", mark_nothing)
    await run.check("messaging", "incoming() is an async iterator", incoming)
    return conversations


def _check_messages(messages: Sequence[Message], what: str) -> None:
    _require(all(isinstance(m, Message) for m in messages), f"{what}: not Message objects")
    last: dict[str, datetime] = {}
    for message in messages:
        _aware(message.sent_at, f"{what}: sent_at of {message.id}")
        before = last.get(message.conversation_id)
        _require(before is None or before <= message.sent_at, f"{what}: not oldest first")
        last[message.conversation_id] = message.sent_at


def _target(
    recipient: str | None, contacts: Sequence[Contact], conversations: Sequence[Conversation]
) -> tuple[str, str, bool] | None:
    """(recipient id, name, to_group) for the write checks, or None."""
    if recipient is not None:
        return recipient, recipient, False
    people = [c for c in contacts if c.kind == "person"]
    if people:
        return people[-1].id, people[-1].name, False
    if conversations:
        first = conversations[0]
        return first.id, first.name, first.kind == "group"
    return None


async def _send(run: _Run, connector: MessagingPort, target: tuple[str, str, bool] | None) -> None:
    if target is None:
        run.skip("messaging", "send() is idempotent", "no recipient: pass recipient=ID")
        return
    key = f"conform-{uuid.uuid4().hex}"
    recipient_id, name, to_group = target
    message = OutgoingMessage(
        key, recipient_id, name, "DriveTalk conformance check, please ignore", to_group=to_group
    )

    async def send_twice() -> str:
        first = await connector.send(message)
        again = await connector.send(message)
        for receipt in (first, again):
            _require(isinstance(receipt, SendReceipt), "send() must return a SendReceipt")
            _require(bool(receipt.message_id), "the receipt has no message_id")
            _aware(receipt.delivered_at, "delivered_at")
        _require(
            first.message_id == again.message_id,
            "the same idempotency key was delivered twice "
            f"({first.message_id!r} then {again.message_id!r})",
        )
        return f"to {recipient_id!r}: {first.message_id!r}"

    await run.check("messaging", "send() is idempotent", send_twice)


async def _calendar(run: _Run, connector: CalendarPort, now: datetime, *, write: bool) -> None:
    window = (now - timedelta(days=1), now + timedelta(days=7))

    async def listing() -> str:
        events = list(await connector.events(*window))
        _check_events(events, window)
        return f"{len(events)} event(s) this week"

    await run.check("calendar", "events() overlap the window, by start", listing)
    if not write:
        return
    start = (now + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    draft = EventDraft(
        f"DriveTalk conformance {uuid.uuid4().hex[:8]}", start, start + timedelta(minutes=30)
    )
    created: list[CalendarEvent] = []

    async def create() -> str:
        event = await connector.create_event(draft)
        _require(isinstance(event, CalendarEvent), "create_event() must return a CalendarEvent")
        _require(bool(event.id), "the created event has no id")
        _require(event.title == draft.title, f"title came back as {event.title!r}")
        _require(event.start == draft.start, f"start came back as {event.start.isoformat()}")
        created.append(event)
        listed = await connector.events(start - timedelta(hours=1), start + timedelta(hours=2))
        _require(any(e.id == event.id for e in listed), "the created event is not listed")
        return event.id

    async def cancel() -> None:
        await connector.cancel_event(created[0].id)
        listed = await connector.events(start - timedelta(hours=1), start + timedelta(hours=2))
        _require(all(e.id != created[0].id for e in listed), "the cancelled event is still listed")

    if await run.check("calendar", "create_event() then events() finds it", create):
        await run.check("calendar", "cancel_event() removes it", cancel)


def _check_events(events: Sequence[CalendarEvent], window: tuple[datetime, datetime]) -> None:
    _require(all(isinstance(e, CalendarEvent) for e in events), "not CalendarEvent objects")
    for event in events:
        _aware(event.start, f"start of {event.id}")
        _require(event.start < window[1] and event.end > window[0], f"{event.id} is outside")
    starts = [e.start for e in events]
    _require(starts == sorted(starts), "events are not ordered by start")
