"""The notice bell: wakes the sessions a delivery notice may now be owed to, without polling.

When the delivery worker settles a message nobody is waiting for (delivered
after the driver heard "queued", or failed for good), the outbox rings its
bell for the message's owner (a vehicle). Sessions subscribe for their
owner and look in the outbox only when rung. Rings come from worker threads
(the outbox runs its SQL in threads), so a subscription is set on its own
event loop with ``call_soon_threadsafe``.

A ring is a hint, never the notice itself: the notice stays in the outbox
until one session claims it (``Outbox.claim_notice``), so a ring that wakes
several sessions, or arrives twice, tells the driver once. Across replicas
the shared outbox also publishes each ring (PostgreSQL ``NOTIFY``; see
:mod:`assistant.server.notices`), and each replica rings its own bell.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading

#: The owner of messages nobody in particular confirmed: every session hears them.
EVERYONE = ""


class Subscription:
    """One session's ear on the bell: set when rung, cleared when taken; ``close`` to stop."""

    def __init__(self, bell: NoticeBell, owner: str, loop: asyncio.AbstractEventLoop) -> None:
        self._bell = bell
        self.owner = owner
        self._loop = loop
        self._rung = asyncio.Event()

    def ring(self) -> None:
        """Set the flag (from any thread)."""
        with contextlib.suppress(RuntimeError):  # the session's loop has ended
            self._loop.call_soon_threadsafe(self._rung.set)

    def take(self) -> bool:
        """Whether the bell rang since the last ``take`` or ``wait`` (and clear it)."""
        rung = self._rung.is_set()
        self._rung.clear()
        return rung

    async def wait(self) -> None:
        """Until the bell rings (returns at once if it rang already), then clear it."""
        await self._rung.wait()
        self._rung.clear()

    def close(self) -> None:
        """Stop listening (idempotent)."""
        self._bell.forget(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class NoticeBell:
    """Subscriptions per owner; ``ring(owner)`` wakes that owner's (``""``: everyone's)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ears: dict[str, set[Subscription]] = {}

    def subscribe(self, owner: str) -> Subscription:
        """Listen for ``owner``'s rings (and everyone's) until closed; needs a running loop."""
        ear = Subscription(self, owner, asyncio.get_running_loop())
        with self._lock:
            self._ears.setdefault(owner, set()).add(ear)
        return ear

    def forget(self, ear: Subscription) -> None:
        """Stop ringing ``ear``."""
        with self._lock:
            ears = self._ears.get(ear.owner, set())
            ears.discard(ear)
            if not ears:
                self._ears.pop(ear.owner, None)

    def ring(self, owner: str) -> None:
        """Wake ``owner``'s sessions; an unowned message (``""``) wakes every session."""
        with self._lock:
            if owner == EVERYONE:
                ears = [ear for group in self._ears.values() for ear in group]
            else:
                ears = [*self._ears.get(owner, ()), *self._ears.get(EVERYONE, ())]
        for ear in ears:
            ear.ring()

    def __len__(self) -> int:
        """Sessions listening now."""
        with self._lock:
            return sum(len(group) for group in self._ears.values())
