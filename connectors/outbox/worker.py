"""The delivery worker: sends what the outbox holds, whenever it is due, in the background.

One worker runs per outbox in every long-lived process (``drivetalk chat``,
and per tenant in ``drivetalk serve``), from process start to shutdown,
whether or not a driver is talking. It sleeps until the earliest
``next_attempt_at`` (or until the outbox signals a change in this process),
attempts every due message once, and goes back to sleep; the schedule lives
in the database, so a restarted process picks up exactly where the last one
stopped. It also wakes every ``idle_poll`` seconds to notice messages that
another process put into the same outbox file.

Cancelling the worker (shutdown) in the middle of a network call leaves that
message pending: the next process sends it again under the same idempotency
key, which the receiver deduplicates.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime

from assistant.errors import DriveTalkError
from connectors.outbox.store import Outbox, OutboxEntry, Sender

log = logging.getLogger(__name__)

#: Default seconds between two looks at an outbox with nothing due.
DEFAULT_IDLE_POLL_S = 60.0
#: After an unexpected error the worker waits this long before it looks again.
_ERROR_PAUSE_S = 5.0
#: The shortest sleep between two looks at the schedule.
_MIN_PAUSE_S = 0.02


class DeliveryWorker:
    """Delivers one outbox's due messages through one connector until cancelled."""

    def __init__(
        self, outbox: Outbox, messaging: Sender, *, idle_poll: float = DEFAULT_IDLE_POLL_S
    ) -> None:
        if idle_poll <= 0:
            raise ValueError("idle_poll must be positive")
        self.outbox = outbox
        self.messaging = messaging
        self.idle_poll = idle_poll
        #: How often the loop woke up (for the idle-cost benchmark).
        self.wakeups = 0

    async def catch_up(self) -> list[OutboxEntry]:
        """Attempt every message due now once; return their entries afterwards."""
        done = []
        for entry in await asyncio.to_thread(self.outbox.due):
            done.append(await self.outbox.attempt(entry, self.messaging, due_only=True))
        return done

    async def run(self) -> None:
        """Deliver forever (run as a task; cancel it to stop)."""
        loop = asyncio.get_running_loop()
        wake = asyncio.Event()

        def changed() -> None:
            loop.call_soon_threadsafe(wake.set)

        self.outbox.subscribe(changed)
        try:
            await self._loop(wake)
        finally:
            self.outbox.unsubscribe(changed)

    async def _loop(self, wake: asyncio.Event) -> None:
        while True:
            self.wakeups += 1
            try:
                await self.catch_up()
                wake.clear()  # before reading the schedule: a later change wakes us
                pause = await self._seconds_to_next()
            except DriveTalkError as exc:
                log.warning("outbox delivery paused: %s", exc)
                pause = _ERROR_PAUSE_S
            except Exception:  # a connector bug must not end delivery for the drive
                log.exception("outbox delivery failed unexpectedly; trying again later")
                pause = _ERROR_PAUSE_S
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=pause)

    async def _seconds_to_next(self) -> float:
        due = await asyncio.to_thread(self.outbox.next_due)
        if due is None:
            return self.idle_poll
        # A floor, so that a clock disagreeing with the outbox's cannot make it spin.
        return min(self.idle_poll, max(_MIN_PAUSE_S, (due - datetime.now(UTC)).total_seconds()))

    async def drain(self, timeout: float) -> bool:
        """Run until nothing is pending or ``timeout`` seconds passed; True if empty."""
        task = asyncio.create_task(self.run())
        try:
            async with asyncio.timeout(timeout):
                while await asyncio.to_thread(self.outbox.pending):
                    await asyncio.sleep(0.05)
            return True
        except TimeoutError:
            return False
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
