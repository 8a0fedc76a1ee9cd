"""When to try a message again: a durable schedule, not an in-memory retry loop.

After a failed attempt the outbox stores the time of the next one with the
message (``next_attempt_at``), so a process that restarts continues the same
schedule instead of starting over or forgetting the message. That is why the
schedule is computed here rather than by tenacity or stamina: both keep their
state in a running coroutine, which a ``kill -9`` or a power cut loses.

Rules (the README's "Nothing lost, nothing doubled"):

* transient errors (network, timeout, 408, 429, 5xx: ``ConnectorError.retryable``)
  are retried with exponential backoff and full jitter, capped at
  ``max_delay``, until the message's time to live (``ttl``) has passed;
* a ``Retry-After`` hint is a floor for the next attempt; a hint that reaches
  past the time to live moves the next attempt to the expiry, the last chance;
* permanent errors (other 4xx, bad credentials) fail at once.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from assistant.errors import ConnectorError, RateLimitedError

#: Default time to live of a confirmed message: a day in a dead zone is still delivered.
DEFAULT_TTL_S = 24 * 3600.0
#: Default cap on the wait between two attempts.
DEFAULT_MAX_DELAY_S = 300.0


@dataclass(frozen=True, slots=True)
class DeliverySchedule:
    """Backoff curve (seconds) and time to live of messages in the outbox."""

    base_delay: float = 1.0
    max_delay: float = DEFAULT_MAX_DELAY_S
    ttl: float = DEFAULT_TTL_S
    #: Injected for tests; ``random.random`` in production.
    rng: Callable[[], float] = field(default=random.random, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.base_delay <= 0 or self.max_delay <= 0 or self.ttl <= 0:
            raise ValueError("base_delay, max_delay and ttl must be positive")
        if self.base_delay > self.max_delay:
            raise ValueError("base_delay must not exceed max_delay")

    def backoff(self, attempts: int) -> float:
        """Seconds to wait after the ``attempts``-th failed attempt (1-based), jittered.

        Full jitter in ``[ceiling / 2, ceiling]``: half the wait is random, so
        many cars leaving the same tunnel do not hit the server in step, and
        the wait still grows, so a long outage costs few attempts.
        """
        exponent = min(max(attempts - 1, 0), 60)  # 2**60 s is already past any cap
        ceiling = min(self.max_delay, self.base_delay * 2.0**exponent)
        return ceiling * (0.5 + 0.5 * self.rng())

    def expires(self, created: datetime) -> datetime:
        """When a message created at ``created`` finally fails if still undelivered."""
        return created + timedelta(seconds=self.ttl)

    def after_failure(
        self, attempts: int, error: ConnectorError, now: datetime, expires: datetime
    ) -> datetime | None:
        """When to try next after ``error``, or ``None`` if the message has failed for good."""
        if not error.retryable or now >= expires:
            return None
        wait = self.backoff(attempts)
        if isinstance(error, RateLimitedError) and error.retry_after is not None:
            wait = max(wait, error.retry_after)
        return min(now + timedelta(seconds=wait), expires)
