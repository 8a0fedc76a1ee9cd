"""One HTTP layer for every connector: status, transport failure and Retry-After.

Every HTTP backend maps a failed answer onto the error tree the same way:

==========  ==========================================  =========
status      error                                       retried
==========  ==========================================  =========
429         :class:`~assistant.errors.RateLimitedError`  yes, not before ``Retry-After``
408, 5xx    :class:`~assistant.errors.BackendUnavailableError`  yes
401, 403    :class:`~assistant.errors.AuthenticationError`      no
other 4xx   :class:`~assistant.errors.RejectedError`           no
==========  ==========================================  =========

A timeout or a connection failure is a ``BackendUnavailableError`` too.
``Retry-After`` is read in both forms RFC 9110 allows (delay-seconds and an
HTTP-date). Backends with their own documented code tables (DingTalk) keep
them and fall back on this ladder for codes the table does not name.
Messages never include request URLs: some carry tokens.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from assistant.errors import (
    AuthenticationError,
    BackendUnavailableError,
    ConnectorError,
    RateLimitedError,
    RejectedError,
)
from connectors.transport import transport_reason

__all__ = [
    "error_for_response",
    "error_for_status",
    "raise_for_status",
    "retry_after",
    "retry_after_header",
    "transport_error",
]


def retry_after(value: str | None, now: Callable[[], datetime] | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delay-seconds or HTTP-date).

    None when absent or unreadable (the caller's own backoff applies); a date
    in the past is 0. ``now`` is injectable for tests.
    """
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000" dates: RFC 5322 says UTC
        when = when.replace(tzinfo=UTC)
    current = now() if now is not None else datetime.now(UTC)
    return max(0.0, (when - current).total_seconds())


def retry_after_header(response: httpx.Response) -> float | None:
    """The ``Retry-After`` hint of ``response`` in seconds, if any."""
    return retry_after(response.headers.get("Retry-After"))


def error_for_status(status: int, detail: str, *, wait: float | None = None) -> ConnectorError:
    """The error for a failed HTTP ``status`` (see the module table); ``detail`` is the message."""
    if status == 429:
        return RateLimitedError(detail, retry_after=wait)
    if status == 408 or status >= 500:
        return BackendUnavailableError(detail)
    if status in (401, 403):
        return AuthenticationError(detail)
    return RejectedError(detail)


def error_for_response(response: httpx.Response, detail: str) -> ConnectorError:
    """The error for a failed ``response``, with its ``Retry-After`` hint on a 429."""
    wait = retry_after_header(response) if response.status_code == 429 else None
    return error_for_status(response.status_code, detail, wait=wait)


def raise_for_status(response: httpx.Response, detail: Callable[[], str]) -> None:
    """Return for a status below 400, else raise the matching error.

    ``detail`` is only called on failure, so callers may read the body for it.
    """
    if response.status_code >= 400:
        raise error_for_response(response, detail())


def transport_error(what: str, exc: httpx.HTTPError) -> ConnectorError:
    """A timeout or connection failure of ``what`` (e.g. ``"webhook send"``), without its URL."""
    if isinstance(exc, httpx.TimeoutException):
        return BackendUnavailableError(f"{what}: timed out")
    if isinstance(exc, httpx.TransportError):
        return BackendUnavailableError(f"{what}: unreachable ({transport_reason(exc)})")
    return BackendUnavailableError(f"{what}: unreachable ({type(exc).__name__})")
