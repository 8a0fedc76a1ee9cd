"""Retry policy: exponential backoff with full jitter, Retry-After as a floor, bounded."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.errors import (
    AuthenticationError,
    BackendUnavailableError,
    ConnectorError,
    RateLimitedError,
)
from connectors.retry import RetryPolicy, call_with_retry


class FakeTime:
    """A clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def failing(errors: list[ConnectorError], result: str = "ok") -> Any:
    calls = []

    async def operation() -> str:
        calls.append(1)
        if errors:
            raise errors.pop(0)
        return result

    operation.calls = calls  # type: ignore[attr-defined]
    return operation


@pytest.mark.parametrize(
    ("attempt", "rng", "expected"),
    [(1, 1.0, 0.5), (2, 1.0, 1.0), (3, 1.0, 2.0), (3, 0.5, 1.0), (10, 1.0, 30.0), (4, 0.0, 0.0)],
)
def test_backoff_doubles_with_full_jitter_up_to_the_cap(
    attempt: int, rng: float, expected: float
) -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=30.0, rng=lambda: rng)
    assert policy.delay(attempt, BackendUnavailableError("x")) == pytest.approx(expected)


def test_retry_after_is_a_floor_not_a_ceiling() -> None:
    policy = RetryPolicy(base_delay=0.5, rng=lambda: 1.0)
    assert policy.delay(1, RateLimitedError("429", retry_after=7.0)) == 7.0
    assert policy.delay(8, RateLimitedError("429", retry_after=0.1)) == 30.0
    assert policy.delay(1, RateLimitedError("429")) == 0.5


async def test_rate_limit_hint_is_honoured() -> None:
    time = FakeTime()
    op = failing([RateLimitedError("slow", retry_after=5.0)])
    policy = RetryPolicy(rng=lambda: 0.0)
    assert await call_with_retry(op, policy, clock=time.clock, sleep=time.sleep) == "ok"
    assert time.sleeps == [5.0]


async def test_non_retryable_errors_are_raised_at_once() -> None:
    time = FakeTime()
    op = failing([AuthenticationError("bad token")])
    with pytest.raises(AuthenticationError):
        await call_with_retry(op, RetryPolicy(), clock=time.clock, sleep=time.sleep)
    assert len(op.calls) == 1
    assert time.sleeps == []


async def test_the_deadline_stops_retrying_before_a_wait_would_pass_it() -> None:
    time = FakeTime()
    op = failing([RateLimitedError("slow", retry_after=4.0) for _ in range(100)])
    policy = RetryPolicy(max_attempts=100, deadline=10.0, rng=lambda: 0.0)
    with pytest.raises(RateLimitedError):
        await call_with_retry(op, policy, clock=time.clock, sleep=time.sleep)
    assert time.sleeps == [4.0, 4.0]
    assert time.now <= policy.deadline


async def test_attempts_are_bounded_and_retries_reported() -> None:
    time = FakeTime()
    seen: list[tuple[int, float]] = []
    op = failing([BackendUnavailableError(str(i)) for i in range(10)])
    policy = RetryPolicy(max_attempts=3, rng=lambda: 1.0)
    with pytest.raises(BackendUnavailableError, match="2"):
        await call_with_retry(
            op, policy, clock=time.clock, sleep=time.sleep,
            on_retry=lambda n, _e, wait: seen.append((n, wait)),
        )  # fmt: skip
    assert seen == [(1, 0.5), (2, 1.0)]


@pytest.mark.parametrize(
    "kwargs", [{"max_attempts": 0}, {"base_delay": -1}, {"max_delay": -1}, {"deadline": -1}]
)
def test_nonsense_policies_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - message checked by type alone
        RetryPolicy(**kwargs)


@given(
    attempt=st.integers(min_value=1, max_value=200),
    jitter=st.floats(min_value=0.0, max_value=1.0),
    hint=st.none() | st.floats(min_value=0.0, max_value=3600.0),
)
def test_every_delay_is_within_the_backoff_envelope(
    attempt: int, jitter: float, hint: float | None
) -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=30.0, rng=lambda: jitter)
    wait = policy.delay(attempt, RateLimitedError("429", retry_after=hint))
    ceiling = min(30.0, 0.5 * 2 ** (attempt - 1))
    assert 0.0 <= wait <= max(ceiling, hint or 0.0)
    if hint is not None:
        assert wait >= hint
