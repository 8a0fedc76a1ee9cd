"""Verify a request an enterprise backend pushed to DriveTalk.

Checks, in order, each failing with its own error (and HTTP status):
signature headers present (401), timestamp within ``window`` seconds of our
clock, in either direction (401), signature valid (401), body is a JSON object
(400) matching the incoming-message contract (422), event id not seen within
the replay window (409). The id is inside the signed body, so it cannot be
changed to slip a replay past the cache.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import ClassVar

from pydantic import ValidationError

from assistant.errors import RequestRejectedError
from connectors.webhook.contract import IncomingEvent
from connectors.webhook.signing import (
    SIGNATURE_HEADER,
    STANDARD_ID_HEADER,
    STANDARD_SIGNATURE_HEADER,
    STANDARD_TIMESTAMP_HEADER,
    TIMESTAMP_HEADER,
    signature_matches,
    standard_signature_matches,
)

DEFAULT_WINDOW_S = 300.0


class InboundRejectedError(RequestRejectedError):
    """Base of the inbound verification failures; ``status``/``code`` set per subclass."""

    default_status: ClassVar[int] = 400
    default_code: ClassVar[str] = "invalid_request"

    def __init__(self, message: str) -> None:
        super().__init__(self.default_status, self.default_code, message)


class MissingSignatureError(InboundRejectedError):
    """The timestamp or signature header is absent."""

    default_status, default_code = 401, "missing_signature"


class InvalidSignatureError(InboundRejectedError):
    """The signature does not match the body and timestamp."""

    default_status, default_code = 401, "invalid_signature"


class StaleRequestError(InboundRejectedError):
    """The timestamp is outside the replay window (too old or in the future)."""

    default_status, default_code = 401, "stale_timestamp"


class ReplayedRequestError(InboundRejectedError):
    """An event with this id was already accepted within the window."""

    default_status, default_code = 409, "replayed"


class MalformedPayloadError(InboundRejectedError):
    """The body is not a JSON object."""

    default_status, default_code = 400, "malformed_json"


class SchemaViolationError(InboundRejectedError):
    """The JSON does not match the incoming-message contract."""

    default_status, default_code = 422, "schema_violation"


class ReplayCache:
    """Event ids accepted recently; bounded, thread-safe, expiring."""

    def __init__(self, window: float = DEFAULT_WINDOW_S, capacity: int = 100_000) -> None:
        # Ids are kept twice the window: a timestamp may be up to ``window`` in
        # the future, and a replay up to ``window`` after that is still fresh.
        self._ttl = 2 * window
        self._capacity = capacity
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, event_id: str, now: float) -> bool:
        """Record ``event_id``; False if it is already present (a replay)."""
        with self._lock:
            while self._seen and next(iter(self._seen.values())) <= now:
                self._seen.popitem(last=False)
            if event_id in self._seen:
                return False
            self._seen[event_id] = now + self._ttl
            if len(self._seen) > self._capacity:
                self._seen.popitem(last=False)
            return True


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name) or headers.get(name.lower())
    return value.strip() if value else None


def verify_signature(
    headers: Mapping[str, str], body: bytes, secret: str, now: float, window: float
) -> None:
    """Raise unless the signature headers are present, fresh and valid.

    DriveTalk's ``X-DriveTalk-*`` headers are checked when present, else the
    Standard Webhooks ``webhook-*`` headers (see :mod:`.signing`).
    """
    if _header(headers, SIGNATURE_HEADER) is None and _header(headers, STANDARD_SIGNATURE_HEADER):
        _verify_standard(headers, body, secret, now, window)
        return
    stamp, claimed = _header(headers, TIMESTAMP_HEADER), _header(headers, SIGNATURE_HEADER)
    if not stamp or not claimed:
        raise MissingSignatureError(f"missing {TIMESTAMP_HEADER} or {SIGNATURE_HEADER} header")
    _check_fresh(stamp, TIMESTAMP_HEADER, now, window)
    if not signature_matches(secret, int(stamp), body, claimed):
        raise InvalidSignatureError("signature does not match the body and timestamp")


def _verify_standard(
    headers: Mapping[str, str], body: bytes, secret: str, now: float, window: float
) -> None:
    message_id = _header(headers, STANDARD_ID_HEADER)
    stamp = _header(headers, STANDARD_TIMESTAMP_HEADER)
    claimed = _header(headers, STANDARD_SIGNATURE_HEADER) or ""
    if not message_id or not stamp:
        raise MissingSignatureError(
            f"missing {STANDARD_ID_HEADER} or {STANDARD_TIMESTAMP_HEADER} header"
        )
    _check_fresh(stamp, STANDARD_TIMESTAMP_HEADER, now, window)
    if not standard_signature_matches(secret, message_id, int(stamp), body, claimed):
        raise InvalidSignatureError("signature does not match the body and timestamp")


def _check_fresh(stamp: str, header: str, now: float, window: float) -> None:
    if not stamp.isdigit():
        raise StaleRequestError(f"{header} must be Unix seconds")
    skew = now - int(stamp)
    if abs(skew) > window:
        direction = "old" if skew > 0 else "far in the future"
        raise StaleRequestError(
            f"timestamp is {abs(int(skew))} s {direction} (window {window:g} s)"
        )


def parse_incoming(body: bytes) -> IncomingEvent:
    """The validated incoming event, or Malformed/SchemaViolation errors."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedPayloadError("body is not valid JSON") from exc
    if not isinstance(data, dict):
        raise MalformedPayloadError("body must be a JSON object")
    try:
        return IncomingEvent.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise SchemaViolationError(f"{where}: {first['msg']}") from None


def verify_inbound(
    headers: Mapping[str, str],
    body: bytes,
    secret: str,
    now: float,
    *,
    window: float = DEFAULT_WINDOW_S,
    seen: ReplayCache | None = None,
) -> IncomingEvent:
    """Authenticate and validate one pushed request; ``now`` is Unix seconds."""
    verify_signature(headers, body, secret, now, window)
    event = parse_incoming(body)
    if seen is not None and not seen.add(event.id, now):
        raise ReplayedRequestError(f"event {event.id!r} was already received")
    return event
