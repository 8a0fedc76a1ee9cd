"""The durable delivery schedule: backoff with jitter, a cap, a time to live, Retry-After."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.errors import (
    AuthenticationError,
    BackendUnavailableError,
    ConnectorError,
    RateLimitedError,
    RejectedError,
)
from connectors.outbox import DeliverySchedule

T0 = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
DAY = T0 + timedelta(days=1)


def at(rng: float, **kwargs: Any) -> DeliverySchedule:
    return DeliverySchedule(rng=lambda: rng, **kwargs)


@pytest.mark.parametrize(
    ("attempts", "low", "high"),
    [(1, 0.5, 1.0), (2, 1.0, 2.0), (9, 128.0, 256.0), (10, 150.0, 300.0), (40, 150.0, 300.0)],
)
def test_backoff_doubles_with_jitter_up_to_the_five_minute_cap(
    attempts: int, low: float, high: float
) -> None:
    assert at(0.0).backoff(attempts) == low
    assert at(1.0).backoff(attempts) == high


@pytest.mark.parametrize(
    "error", [BackendUnavailableError("timed out"), RateLimitedError("slow down")]
)
def test_transient_errors_are_rescheduled_until_the_time_to_live(error: ConnectorError) -> None:
    schedule = at(1.0)
    assert schedule.after_failure(1, error, T0, DAY) == T0 + timedelta(seconds=1)
    late = DAY - timedelta(seconds=10)
    assert schedule.after_failure(30, error, late, DAY) == DAY  # the last chance, at expiry
    assert schedule.after_failure(31, error, DAY, DAY) is None


@pytest.mark.parametrize("error", [RejectedError("400"), AuthenticationError("401")])
def test_permanent_errors_fail_at_once(error: ConnectorError) -> None:
    assert at(1.0).after_failure(1, error, T0, DAY) is None


@pytest.mark.parametrize(
    ("hint", "expected"),
    [(0.2, 1.0), (180.0, 180.0), (3 * 3600.0, 3 * 3600.0), (2 * 86400.0, 86400.0)],
)
def test_retry_after_is_a_floor_honoured_up_to_the_time_to_live(
    hint: float, expected: float
) -> None:
    error = RateLimitedError("throttled", retry_after=hint)
    assert at(1.0).after_failure(1, error, T0, DAY) == T0 + timedelta(seconds=expected)


def test_a_message_expires_a_time_to_live_after_its_creation() -> None:
    assert DeliverySchedule(ttl=3600).expires(T0) == T0 + timedelta(hours=1)


@pytest.mark.parametrize(
    "kwargs",
    [{"base_delay": 0}, {"max_delay": -1}, {"ttl": 0}, {"base_delay": 10, "max_delay": 5}],
)
def test_nonsense_schedules_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="must"):
        DeliverySchedule(**kwargs)


@given(
    attempts=st.integers(min_value=0, max_value=10_000),
    rng=st.floats(min_value=0, max_value=1),
    hint=st.none() | st.floats(min_value=0, max_value=10 * 86400),
    elapsed=st.floats(min_value=0, max_value=2 * 86400),
)
def test_the_next_attempt_is_never_before_now_nor_after_expiry(
    attempts: int, rng: float, hint: float | None, elapsed: float
) -> None:
    now = T0 + timedelta(seconds=elapsed)
    error = RateLimitedError("throttled", retry_after=hint)
    retry_at = at(rng).after_failure(attempts, error, now, DAY)
    if now >= DAY:
        assert retry_at is None
    else:
        assert retry_at is not None
        assert now <= retry_at <= DAY
        assert retry_at - now <= timedelta(seconds=max(300.0, hint or 0.0))
