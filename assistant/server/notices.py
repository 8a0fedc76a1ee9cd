"""Delivery notices reach the car where it is, when they are owed, without polling.

A notice (a message delivered late, or failed for good) is owed when a
tenant's delivery worker settles the message, on whichever replica that
is. The outbox rings its bell for the message's owner (a vehicle) on that
replica; a shared outbox also ``NOTIFY``s ``drivetalk_notices``, and
:class:`NoticeRelay` on every other replica rings the bell of that tenant's
outbox there. So every copy of the car's session hears the bell, and the
copy where the car is claims the notice (once, in the outbox):

* a copy with an open WebSocket stream (:meth:`SessionNotices.watch`)
  claims at once and the notice is spoken on the stream;
* a copy serving REST turns (:meth:`SessionNotices.catch_up`) claims when
  the car next asks (a turn or ``GET /notices``), and only if the bell rang
  since it last looked: one flag, no database read otherwise.

Copies without a stream that the car no longer talks to only set a flag.
"""

from __future__ import annotations

import json
import logging

from assistant.dialog.runner import DialogRunner
from assistant.errors import DriveTalkError
from assistant.server.tenants import Tenants
from assistant.storage.listen import listen
from assistant.storage.postgres import PostgresDatabase
from connectors.outbox.bell import EVERYONE, NoticeBell, Subscription
from connectors.outbox.store import NOTICE_CHANNEL

log = logging.getLogger(__name__)


class SessionNotices:
    """When one session copy looks for the delivery notices it owes: only when rung."""

    def __init__(self, runner: DialogRunner) -> None:
        self._runner = runner
        bell = getattr(runner.outbox, "bell", None)
        self._ear: Subscription | None = None
        if isinstance(bell, NoticeBell):
            self._ear = bell.subscribe(runner.owner)

    async def catch_up(self) -> None:
        """Claim what is owed if the bell rang since the last look (REST, before answering)."""
        if self._ear is None or self._ear.take():
            await self._runner.report_notices()

    async def watch(self) -> None:
        """Claim notices as the bell rings, for as long as a stream is open (run as a task)."""
        if self._ear is None:
            await self._runner.watch_notices()  # an outbox without a bell: it polls
            return
        if self._ear.take():  # rung before the stream opened: owed since the last look
            await self._report()
        while True:
            await self._ear.wait()
            await self._report()

    async def _report(self) -> None:
        try:
            await self._runner.report_notices()
        except DriveTalkError as exc:  # the database blinked: the next ring tries again
            log.warning("delivery notices not looked up: %s", exc)

    def close(self) -> None:
        """Stop listening."""
        if self._ear is not None:
            self._ear.close()


class NoticeRelay:
    """Rings this replica's outbox bells when another replica's worker owes a notice."""

    def __init__(self, db: PostgresDatabase, tenants: Tenants) -> None:
        self._db = db
        self._tenants = tenants

    async def run(self) -> None:
        """Listen until cancelled (reconnecting; after each reconnection every bell rings)."""
        await listen(self._db, NOTICE_CHANNEL, self._relay, self._ring_all)

    async def _relay(self, payload: str) -> None:
        note = json.loads(payload)
        for tenant in self._tenants.opened():
            if tenant.name == note["tenant"] and tenant.outbox.claimant != note.get("origin"):
                tenant.outbox.bell.ring(str(note["owner"]))

    def _ring_all(self) -> None:
        """Nobody listened for a while (start, reconnection): everyone looks once."""
        for tenant in self._tenants.opened():
            tenant.outbox.bell.ring(EVERYONE)
