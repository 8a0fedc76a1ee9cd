"""The one HTTP layer every connector maps answers and failures through."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant import errors
from connectors.http_errors import (
    error_for_response,
    error_for_status,
    retry_after,
    transport_error,
)

DATA = Path(__file__).parent / "data"
STATUSES: list[dict[str, Any]] = json.loads((DATA / "http_statuses.json").read_text())
WAITS: list[dict[str, Any]] = json.loads((DATA / "retry_after.json").read_text())
NOW = datetime(2026, 12, 6, 8, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize("case", STATUSES, ids=lambda c: str(c["status"]))
def test_each_status_maps_to_one_error_class(case: dict[str, Any]) -> None:
    error = error_for_status(case["status"], "backend send: HTTP")
    assert type(error) is getattr(errors, case["error"])
    assert error.retryable is case["retryable"]
    assert str(error) == "backend send: HTTP"


@pytest.mark.parametrize("case", WAITS, ids=lambda c: c["why"])
def test_retry_after_reads_seconds_and_http_dates(case: dict[str, Any]) -> None:
    assert retry_after(case["value"], now=lambda: NOW) == case["seconds"]


def test_a_429_response_carries_its_retry_after_hint() -> None:
    response = httpx.Response(429, headers={"Retry-After": "30"})
    error = error_for_response(response, "x")
    assert isinstance(error, errors.RateLimitedError)
    assert error.retry_after == 30.0


def test_a_503_response_is_unavailable_even_with_a_hint() -> None:
    response = httpx.Response(503, headers={"Retry-After": "30"})
    assert isinstance(error_for_response(response, "x"), errors.BackendUnavailableError)


@pytest.mark.parametrize(
    ("exc", "words"),
    [
        (httpx.ReadTimeout("slow"), "timed out"),
        (httpx.ConnectTimeout("slow"), "timed out"),
        (httpx.ConnectError("refused"), "unreachable (ConnectError)"),
        (
            httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] self-signed"),
            "TLS certificate not trusted",
        ),
        (httpx.RemoteProtocolError("peer closed"), "unreachable (RemoteProtocolError)"),
    ],
)
def test_transport_failures_are_unavailable_and_name_no_url(
    exc: httpx.HTTPError, words: str
) -> None:
    error = transport_error("webhook send", exc)
    assert isinstance(error, errors.BackendUnavailableError)
    assert error.retryable
    assert str(error).startswith("webhook send: ")
    assert words in str(error)
    assert "http" not in str(error).lower().replace("httpx", "")
