"""Throttle failed key verifications, per key id and per client address.

Every verification that misses the cache costs a scrypt (tens of ms and
16 MiB on purpose). A legitimate car pays it once per cache period and
succeeds; someone guessing secrets fails. So only failures are charged: each
costs one token from the bucket of the key id it named and one from the
bucket of the address it came from, and a caller whose bucket is empty is
refused (429) before any scrypt runs. Past ``capacity`` buckets the least
recently charged is forgotten, so memory stays bounded whatever an
attacker sends.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from assistant.errors import RequestRejectedError


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class FailureThrottle:
    """Token buckets charged by failures: ``rate`` a second, ``burst`` saved up."""

    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        capacity: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate
        self.burst = burst
        self._capacity = capacity
        self._clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def check(self, names: Iterable[str]) -> None:
        """429 ``auth_throttled`` if any of ``names`` has no failure left to spend."""
        with self._lock:
            now = self._clock()
            short = [self._refill(name, now) for name in names]
        lowest = min(short, default=float(self.burst))
        if lowest < 1.0:
            wait = (1.0 - lowest) / self.rate
            raise RequestRejectedError(
                429,
                "auth_throttled",
                f"too many failed key verifications; retry in {wait:.1f} s",
                retry_after=math.ceil(wait),
            )

    def failed(self, names: Iterable[str]) -> None:
        """Charge one failure to each of ``names``."""
        with self._lock:
            now = self._clock()
            for name in names:
                tokens = self._refill(name, now)
                bucket = self._buckets.setdefault(name, _Bucket(tokens, now))
                bucket.tokens = max(0.0, tokens - 1.0)
                self._buckets.move_to_end(name)
            while len(self._buckets) > self._capacity:
                self._buckets.popitem(last=False)

    def _refill(self, name: str, now: float) -> float:
        bucket = self._buckets.get(name)
        if bucket is None:
            return float(self.burst)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        return bucket.tokens
