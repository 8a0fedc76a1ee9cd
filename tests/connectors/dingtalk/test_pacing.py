"""The sliding-window call budget, on an injected clock (no real waiting)."""

from __future__ import annotations

import asyncio

import pytest

from connectors.dingtalk.pacing import CallWindow


class FakeTime:
    """A clock that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


async def test_no_window_ever_holds_more_than_the_limit() -> None:
    fake = FakeTime()
    window = CallWindow(20, 1.0, clock=fake.clock, sleep=fake.sleep)
    starts: list[float] = []

    async def call() -> None:
        await window.acquire()
        starts.append(fake.now)

    await asyncio.gather(*(call() for _ in range(65)))
    assert len(starts) == 65
    for first in starts:
        assert sum(first <= s < first + 1.0 for s in starts) <= 20
    assert starts[:20] == [0.0] * 20  # a first burst within the limit does not wait
    assert max(starts) == pytest.approx(3.0)


@pytest.mark.parametrize(("limit", "window"), [(0, 1.0), (1, 0.0)])
def test_a_budget_that_allows_nothing_is_refused(limit: int, window: float) -> None:
    with pytest.raises(ValueError, match="limit"):
        CallWindow(limit, window)
