"""A bounded, FIFO-fair pool of reusable recognizers for one loaded model.

On a lookahead model (``HCL.fst`` + ``G.fst``, like the Korean one) every
open-recognition recognizer composes its decoding graph lazily and caches up
to 32 MB of it: memory per concurrently decoding recognizer, and most of the
decode time of a fresh recognizer's first utterance. Decoding is CPU-bound,
so more recognizers decoding at once than cores adds memory, not throughput.
The pool bounds how many exist (``[asr] decoders``) and hands them back warm.

Waiting is first come, first served: a caller that could not get a
recognizer takes a :class:`Ticket` (a place in the queue) and either polls it
without blocking (a streaming session buffering audio) or blocks on it; a
freed recognizer goes to the oldest ticket, and :meth:`RecognizerPool.try_acquire`
never overtakes a queued ticket. The pool is generic over the recognizer
type so its logic is testable without an engine.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from enum import Enum
from typing import Generic, TypeVar

from assistant.errors import ASRError

T = TypeVar("T")

#: The configuration key a "decoders busy" error points at.
SETTING = "[asr] decoders"


class _State(Enum):
    WAITING = "waiting"
    GRANTED = "granted"  # an idle recognizer or a creation slot is reserved for it
    CLAIMED = "claimed"
    CANCELLED = "cancelled"


class Ticket(Generic[T]):
    """A place in a pool's queue; granted a recognizer (or a slot to make one) in turn."""

    __slots__ = ("item", "state")

    def __init__(self) -> None:
        self.item: T | None = None  # None with GRANTED means: create a new one
        self.state = _State.WAITING

    @property
    def waiting(self) -> bool:
        """Still queued, nothing granted yet."""
        return self.state is _State.WAITING


class RecognizerPool(Generic[T]):
    """At most ``size`` recognizers made by ``factory``, lent out one caller at a time.

    Thread-safe. ``reset`` runs on :meth:`release` to make a returned
    recognizer ready for its next borrower; if it raises, the recognizer is
    discarded instead (its slot is freed and a new one is made on demand).
    """

    def __init__(
        self,
        factory: Callable[[], T],
        size: int,
        *,
        reset: Callable[[T], None] | None = None,
    ) -> None:
        if size < 1:
            raise ValueError("a recognizer pool needs a size of at least 1")
        self._factory = factory
        self._reset = reset
        self._size = size
        self._idle: list[T] = []
        self._live = 0  # recognizers in existence or being made: idle + lent + granted slots
        self._made = 0
        self._queue: deque[Ticket[T]] = deque()
        self._cond = threading.Condition()

    @property
    def size(self) -> int:
        """The most recognizers that may exist at once."""
        return self._size

    @property
    def live(self) -> int:
        """Recognizers that exist now (idle, lent, or reserved for a waiter)."""
        return self._live

    @property
    def made(self) -> int:
        """Recognizers made since the pool was created (reuse keeps this low)."""
        return self._made

    @property
    def idle(self) -> int:
        """Recognizers waiting to be borrowed."""
        return len(self._idle)

    @property
    def waiting(self) -> int:
        """Tickets queued for a recognizer."""
        return len(self._queue)

    def resize(self, size: int) -> None:
        """Change the bound; a smaller one takes effect as recognizers come back."""
        if size < 1:
            raise ValueError("a recognizer pool needs a size of at least 1")
        with self._cond:
            self._size = size
            while self._idle and self._live > size:
                self._idle.pop()
                self._live -= 1
            self._dispatch()

    def try_acquire(self) -> T | None:
        """A recognizer if one is free and nobody is queued; never blocks on others."""
        with self._cond:
            if self._queue:
                return None
            if self._idle:
                return self._idle.pop()
            if self._live >= self._size:
                return None
            self._live += 1
        return self._make()

    def enqueue(self) -> Ticket[T]:
        """Take a place in the queue (granted at once when something is free)."""
        ticket: Ticket[T] = Ticket()
        with self._cond:
            self._queue.append(ticket)
            self._dispatch()
        return ticket

    def poll(self, ticket: Ticket[T]) -> T | None:
        """The ticket's recognizer if it has been granted, else None (no blocking)."""
        with self._cond:
            if ticket.state is not _State.GRANTED:
                return None
        return self._claim(ticket)

    def acquire(self, timeout: float | None = None, ticket: Ticket[T] | None = None) -> T:
        """Block until a recognizer is free (after everyone queued earlier).

        ``ticket`` keeps a place taken earlier with :meth:`enqueue`. Raises
        ASRError when ``timeout`` seconds pass (all decoders busy) or when
        the ticket is cancelled meanwhile (the session was closed).
        """
        ticket = ticket or self.enqueue()
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while ticket.state is _State.WAITING:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    self._queue.remove(ticket)
                    ticket.state = _State.CANCELLED
                    raise ASRError(
                        f"all {self._size} speech decoders are busy (waited {timeout:g} s); "
                        f"raise {SETTING} to decode more speech at once"
                    )
                self._cond.wait(remaining)
            if ticket.state is _State.CANCELLED:
                raise ASRError("the recognition session was closed while waiting for a decoder")
        return self._claim(ticket)

    def cancel(self, ticket: Ticket[T]) -> None:
        """Give up a place (or an unclaimed grant); wakes a blocked :meth:`acquire`."""
        with self._cond:
            if ticket.state is _State.WAITING:
                self._queue.remove(ticket)
            elif ticket.state is _State.GRANTED:
                self._put_back(ticket.item)
                ticket.item = None
            else:
                return
            ticket.state = _State.CANCELLED
            self._dispatch()
            self._cond.notify_all()

    def release(self, item: T) -> None:
        """Return a borrowed recognizer; it is reset and kept warm for the next borrower."""
        if self._reset is not None:
            try:
                self._reset(item)
            except Exception:  # a recognizer that cannot be reset is not reused
                self.discard(item)
                return
        with self._cond:
            self._put_back(item)
            self._dispatch()

    def discard(self, item: T) -> None:
        """Drop a borrowed recognizer whose state is suspect; its slot is free again."""
        del item  # the caller's reference is the last one: the engine frees it
        with self._cond:
            self._live -= 1
            self._dispatch()

    # -- internals: _put_back and _dispatch run with self._cond held ----------

    def _put_back(self, item: T | None) -> None:
        if item is None or self._live > self._size:  # a slot grant, or shrinking
            self._live -= 1
        else:
            self._idle.append(item)

    def _dispatch(self) -> None:
        """Grant queued tickets, oldest first, whatever is free."""
        granted = False
        while self._queue and (self._idle or self._live < self._size):
            ticket = self._queue.popleft()
            if self._idle:
                ticket.item = self._idle.pop()
            else:
                self._live += 1  # the ticket's holder makes the recognizer
            ticket.state = _State.GRANTED
            granted = True
        if granted:
            self._cond.notify_all()

    def _claim(self, ticket: Ticket[T]) -> T:
        with self._cond:
            if ticket.state is not _State.GRANTED:
                raise ASRError("the recognition session was closed while waiting for a decoder")
            ticket.state = _State.CLAIMED
            item, ticket.item = ticket.item, None
        return item if item is not None else self._make()

    def _make(self) -> T:
        """Build a recognizer for a slot already counted in ``_live``."""
        try:
            item = self._factory()
        except BaseException:
            with self._cond:
                self._live -= 1
                self._dispatch()
            raise
        with self._cond:
            self._made += 1
        return item
