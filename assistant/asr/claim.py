"""One streaming session's claim on a recognizer pool: its place in the queue, and closing.

Both engines' sessions borrow from a :class:`~assistant.asr.pool.RecognizerPool`
the same way: a ticket is taken (polled without blocking, or blocked on),
and :meth:`PoolClaim.interrupt`, called from another thread, marks the
session closed and ends any wait. The lock makes "closed" and "queued"
change together, so an interrupted session never takes a new place.
"""

from __future__ import annotations

import threading
from typing import Generic, TypeVar

from assistant.asr.pool import RecognizerPool, Ticket
from assistant.errors import ASRError

T = TypeVar("T")


class PoolClaim(Generic[T]):
    """A session's open/closed state and its ticket in ``pool`` (None: it never borrows)."""

    def __init__(self, pool: RecognizerPool[T] | None, wait: float) -> None:
        self._pool = pool
        self._wait = wait
        self._ticket: Ticket[T] | None = None
        self._closed = False
        self._lock = threading.Lock()  # _closed and _ticket, shared with interrupt()

    def check_open(self) -> None:
        """Raise ASRError once the session has been closed or interrupted."""
        if self._closed:
            raise ASRError("the recognition session is closed")

    def poll(self) -> T | None:
        """A recognizer without waiting: free now, or granted to the place taken earlier."""
        pool = self._borrowing()
        with self._lock:
            self.check_open()  # interrupted meanwhile: take no new place in the queue
            if self._ticket is None:
                item = pool.try_acquire()
                if item is None:
                    self._ticket = pool.enqueue()
                    return None  # granted at once only if someone released meanwhile
                return item
            item = pool.poll(self._ticket)
            if item is not None:
                self._ticket = None
            return item

    def acquire(self) -> T:
        """Wait for a recognizer, keeping any place taken earlier.

        Raises ASRError when all stay busy past the wait, or when interrupted.
        """
        pool = self._borrowing()
        with self._lock:
            self.check_open()
            ticket = self._ticket = self._ticket or pool.enqueue()
        try:
            return pool.acquire(self._wait, ticket)
        finally:
            with self._lock:
                if self._ticket is ticket:
                    self._ticket = None

    def cancel(self) -> None:
        """Give up the place in the queue, if any; the session stays open."""
        with self._lock:
            ticket, self._ticket = self._ticket, None
        self._give_up(ticket)

    def interrupt(self) -> None:
        """Mark the session closed and end any wait for a recognizer; thread-safe."""
        with self._lock:
            self._closed = True
            ticket, self._ticket = self._ticket, None
        self._give_up(ticket)

    def _give_up(self, ticket: Ticket[T] | None) -> None:
        if ticket is not None and self._pool is not None:
            self._pool.cancel(ticket)

    def _borrowing(self) -> RecognizerPool[T]:
        if self._pool is None:
            raise ValueError("this session decodes on its own recognizer, not a pool's")
        return self._pool
