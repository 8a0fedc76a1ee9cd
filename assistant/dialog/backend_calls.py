"""Carrying out the engine's backend actions: sends through the outbox, reads, calendar.

The runner hands every action that is not speech or listening here; the
result comes back as the event the engine steps next. A connector or store
failure becomes :class:`~assistant.dialog.events.Failed` (the driver hears
it and the conversation goes on); a :class:`~assistant.errors.DialogError`
is a bug in the flows and propagates.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol

from assistant.dialog.actions import (
    CancelEvent,
    CreateEvent,
    DialogAction,
    FetchEvents,
    FetchUnread,
    MarkRead,
    SendMessage,
)
from assistant.dialog.events import DialogEvent, Done, Failed, Fetched, Queued
from assistant.errors import ConnectorError, DialogError, DriveTalkError
from connectors.ports import CalendarPort, MessagingPort

log = logging.getLogger(__name__)


class OutboxLike(Protocol):
    """What the runner needs from :class:`connectors.outbox.Outbox`."""

    def enqueue(self, message: Any, *, owner: str = "") -> Any: ...
    async def deliver(self, entry: Any, messaging: MessagingPort, *, told: bool = False) -> Any: ...
    def mark_queued(self, key: str) -> Any: ...
    def failures(self, owner: str | None = None) -> list[Any]: ...
    def late_deliveries(self, owner: str | None = None) -> list[Any]: ...
    def claim_notice(self, key: str) -> bool: ...


async def carry_out(
    action: DialogAction, *, connector: object, outbox: OutboxLike, owner: str
) -> DialogEvent | None:
    """Do ``action`` against the backend; the event it results in (None: nothing to step)."""
    request = getattr(action, "request", "")
    try:
        return await _call(action, connector, outbox, owner)
    except DialogError:
        raise  # a bug in the flows, not a backend failure
    except DriveTalkError as exc:  # connector or store: the driver hears it, the chat goes on
        log.warning("backend action %s failed: %s", type(action).__name__, exc)
        return Failed(request, str(exc))


async def _call(
    action: DialogAction, conn: object, outbox: OutboxLike, owner: str
) -> DialogEvent | None:
    if isinstance(action, SendMessage):
        return await _send(action, _messaging(conn), outbox, owner)
    if isinstance(action, MarkRead):
        await _messaging(conn).mark_read(action.message_ids)
        return None
    if isinstance(action, FetchUnread):
        messages = await _messaging(conn).unread_messages()
        return Fetched(action.request, messages=tuple(messages))
    if not isinstance(conn, CalendarPort):
        raise ConnectorError("this backend has no calendar")
    if isinstance(action, FetchEvents):
        events = await conn.events(action.start, action.end)
        return Fetched(action.request, events=tuple(events))
    if isinstance(action, CreateEvent):
        return Done(action.request, event=await conn.create_event(action.draft))
    if isinstance(action, CancelEvent):
        await conn.cancel_event(action.event_id)
        return Done(action.request)
    raise DialogError(f"the runner cannot carry out {type(action).__name__}")


def _messaging(conn: object) -> MessagingPort:
    if not isinstance(conn, MessagingPort):
        raise ConnectorError("this backend has no messaging")
    return conn


async def _send(
    action: SendMessage, messaging: MessagingPort, outbox: OutboxLike, owner: str
) -> DialogEvent:
    # Persisted (fsync'd) before any network call: a crash after "yes"
    # still delivers, from the delivery worker of the next process.
    entry = await asyncio.to_thread(outbox.enqueue, action.message, owner=owner)
    try:
        # told=True: the driver hears the outcome right now, so none is owed later.
        receipt = await outbox.deliver(entry, messaging, told=True)
    except ConnectorError as exc:
        after = await asyncio.to_thread(outbox.mark_queued, entry.key)
        if after.state == "pending":  # the worker goes on; the driver is told when it's in
            return Queued(action.request, str(exc))
        if after.receipt is not None:  # the worker got it through meanwhile
            return Done(action.request, receipt=after.receipt)
        return Failed(action.request, str(exc))
    return Done(action.request, receipt=receipt)
