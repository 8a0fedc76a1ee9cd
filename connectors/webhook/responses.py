"""Map the enterprise's HTTP answers onto the error tree.

2xx: delivered (a receipt body is read if it matches the contract; a 2xx is
never turned into an error, since that would make the outbox send again).
Every other status follows the shared ladder of :mod:`connectors.http_errors`
(429 rate limited with ``Retry-After``, 408 and 5xx unavailable, 401/403
authentication, other 4xx rejected).
"""

from __future__ import annotations

import logging

import httpx
from pydantic import ValidationError

from connectors.http_errors import error_for_response
from connectors.webhook.contract import DeliveryReceipt

log = logging.getLogger(__name__)


def _words(status: int) -> str:
    """How a failed status is worded; the error class comes from the shared ladder."""
    if status == 429:
        return "rate limited"
    if status in (401, 403):
        return "signature or credentials refused"
    if status == 408 or status >= 500:
        return "server unavailable"
    return "refused"


def _reason(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    detail = body.get("error") or body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, dict):  # our own error shape: {"error": {"code", "message"}}
        detail = detail.get("message") or detail.get("code")
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
    raise error_for_response(response, f"webhook {what}: {_words(status)} ({_reason(response)})")
