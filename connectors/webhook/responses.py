"""Map the enterprise's HTTP answers onto the error tree.

2xx: delivered (a receipt body is read if it matches the contract; a 2xx is
never turned into an error, since that would make the outbox send again).
429: rate limited, honouring ``Retry-After`` (seconds or an HTTP date).
401/403: authentication. 408 and 5xx: unavailable. Other 4xx: rejected.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx
from pydantic import ValidationError

from assistant.errors import (
    AuthenticationError,
    BackendUnavailableError,
    ConnectorError,
    RateLimitedError,
    RejectedError,
)
from connectors.webhook.contract import DeliveryReceipt

log = logging.getLogger(__name__)


def transport_error(what: str, exc: httpx.HTTPError) -> ConnectorError:
    """A timeout or connection failure."""
    if isinstance(exc, httpx.TimeoutException):
        return BackendUnavailableError(f"webhook {what}: timed out")
    return BackendUnavailableError(f"webhook {what}: unreachable ({type(exc).__name__})")


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header value, if it can be read."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _reason(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    detail = body.get("error") or body.get("detail") if isinstance(body, dict) else None
    return (
        f"HTTP {response.status_code}: {str(detail)[:160]}"
        if detail
        else f"HTTP {response.status_code}"
    )


def receipt_or_error(
    response: httpx.Response, what: str, *, receipt: bool = True
) -> DeliveryReceipt | None:
    """The receipt of a 2xx answer (None if absent), else the matching error."""
    status = response.status_code
    if 200 <= status < 300:
        if not receipt or not response.content:
            return None
        try:
            return DeliveryReceipt.model_validate_json(response.content)
        except ValidationError:
            log.warning("webhook %s: delivered, but the receipt does not match the contract", what)
            return None
    reason = _reason(response)
    if status == 429:
        wait = retry_after(response.headers.get("Retry-After"))
        raise RateLimitedError(f"webhook {what}: rate limited ({reason})", wait)
    if status in (401, 403):
        raise AuthenticationError(f"webhook {what}: signature or credentials refused ({reason})")
    if status == 408 or status >= 500:
        raise BackendUnavailableError(f"webhook {what}: server unavailable ({reason})")
    raise RejectedError(f"webhook {what}: refused ({reason})")
