"""A sliding-window call budget: at most ``limit`` calls start in any ``window``.

DingTalk documents 20 calls a second per API per app. Unlike a leaky bucket
(which lets a full bucket out at once and then refills, so a one-second window
can see more than the limit), this never lets more than ``limit`` calls start
inside any ``window`` seconds; callers beyond that wait their turn, in order.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable


class CallWindow:
    """Awaitable permission to start one call; see the module docstring."""

    def __init__(
        self,
        limit: int,
        window: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("limit must be >= 1 and window > 0")
        self._limit = limit
        self._window = window
        self._clock = clock
        self._sleep = sleep
        self._starts: deque[float] = deque()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        """Return once a call may start without exceeding the budget."""
        async with self._lock:  # FIFO: waiters keep their order
            while True:
                now = self._clock()
                while self._starts and now - self._starts[0] >= self._window:
                    self._starts.popleft()
                if len(self._starts) < self._limit:
                    self._starts.append(now)
                    return
                await self._sleep(self._window - (now - self._starts[0]))
