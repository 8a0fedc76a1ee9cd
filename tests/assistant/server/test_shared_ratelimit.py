"""Rate limits in the fleet database: one bucket per key, whichever replica is asked."""

from __future__ import annotations

import pytest

from assistant.errors import RequestRejectedError
from assistant.server.shared_ratelimit import SharedRateLimiter
from assistant.storage.database import Database


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_the_burst_is_spent_then_requests_are_refused_with_a_hint(database: Database) -> None:
    clock = Clock()
    limiter = SharedRateLimiter(database, rate=2.0, burst=3, clock=clock)
    for _ in range(3):
        limiter.take("k1")
    with pytest.raises(RequestRejectedError) as refused:
        limiter.take("k1")
    assert (refused.value.status, refused.value.code) == (429, "rate_limited")
    assert refused.value.retry_after == 1
    limiter.take("k2")  # another key has its own bucket


def test_tokens_come_back_at_the_rate_up_to_the_burst(database: Database) -> None:
    clock = Clock()
    limiter = SharedRateLimiter(database, rate=2.0, burst=3, clock=clock)
    for _ in range(3):
        limiter.take("k1")
    clock.now += 1.0  # two tokens back
    limiter.take("k1")
    limiter.take("k1")
    with pytest.raises(RequestRejectedError):
        limiter.take("k1")
    clock.now += 3600  # never more than the burst
    for _ in range(3):
        limiter.take("k1")
    with pytest.raises(RequestRejectedError):
        limiter.take("k1")


def test_replicas_share_one_bucket_per_key(database: Database) -> None:
    clock = Clock()
    replicas = [SharedRateLimiter(database, rate=1.0, burst=4, clock=clock) for _ in range(2)]
    for i in range(4):
        replicas[i % 2].take("k1")
    for replica in replicas:
        with pytest.raises(RequestRejectedError):
            replica.take("k1")
