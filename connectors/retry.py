"""Retrying a backend call: exponential backoff with full jitter, bounded.

Only errors a backend marks ``retryable`` (timeouts, connection errors, 5xx,
429) are retried; a :class:`~assistant.errors.RateLimitedError` that carries
``retry_after`` waits at least that long. Both the number of attempts and the
total time are bounded, so a call never hangs the dialog forever: the last
error is raised once either budget is spent.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from assistant.errors import ConnectorError, RateLimitedError

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Called before each retry with (attempt number that failed, error, delay in seconds).
OnRetry = Callable[[int, ConnectorError, float], None]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard to try: attempts, backoff curve and an overall deadline (seconds)."""

    max_attempts: int = 8
    base_delay: float = 0.5
    max_delay: float = 30.0
    deadline: float = 120.0
    #: Injected for tests; ``random.random`` in production.
    rng: Callable[[], float] = field(default=random.random, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0 or self.deadline < 0:
            raise ValueError("delays and deadline must not be negative")

    def delay(self, attempt: int, error: ConnectorError) -> float:
        """Seconds to wait after failed ``attempt`` (1-based) before the next one.

        Full jitter (uniform in ``[0, base * 2**(attempt-1)]``, capped) spreads
        out many cars retrying against the same recovering server; a server's
        ``retry_after`` hint is a floor, because retrying earlier only earns
        another 429.
        """
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        wait = ceiling * self.rng()
        if isinstance(error, RateLimitedError) and error.retry_after is not None:
            wait = max(wait, error.retry_after)
        return wait


async def call_with_retry(
    operation: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    on_retry: OnRetry | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> T:
    """Await ``operation()`` until it succeeds or the policy gives up.

    Non-retryable :class:`ConnectorError` s are raised at once; retryable
    ones are raised when attempts or the deadline run out (a wait that would
    end past the deadline is not started).
    """
    started = clock()
    attempt = 0
    while True:
        attempt += 1
        try:
            return await operation()
        except ConnectorError as exc:
            if not exc.retryable or attempt >= policy.max_attempts:
                raise
            wait = policy.delay(attempt, exc)
            if clock() + wait - started > policy.deadline:
                raise
            log.info("attempt %d failed (%s); retrying in %.2f s", attempt, exc, wait)
            if on_retry is not None:
                on_retry(attempt, exc, wait)
            await sleep(wait)
