"""Per-key request rate limits: one token bucket per API key.

Buckets live in this process's memory: right for one machine. With a
fleet database the server uses
:class:`~assistant.server.shared_ratelimit.SharedRateLimiter` instead, so
that every replica spends from the same bucket.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from assistant.errors import RequestRejectedError


class Limiter(Protocol):
    """What the server needs of a rate limiter."""

    def take(self, key_id: str, cost: float = 1.0) -> None:
        """Spend ``cost`` tokens of ``key_id``; a 429 RequestRejectedError if too few."""
        ...


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Token buckets: ``rate`` tokens a second, at most ``burst`` saved up."""

    def __init__(
        self, rate: float, burst: int, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, key_id: str, cost: float = 1.0) -> None:
        """Spend ``cost`` tokens of ``key_id``; 429 with a retry hint if there are too few."""
        with self._lock:
            now = self._clock()
            bucket = self._buckets.setdefault(key_id, _Bucket(float(self.burst), now))
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
            if bucket.tokens >= cost:
                bucket.tokens -= cost
                return
            wait = (cost - bucket.tokens) / self.rate
        raise RequestRejectedError(
            429,
            "rate_limited",
            f"too many requests for this key; retry in {wait:.1f} s",
            retry_after=math.ceil(wait),
        )
