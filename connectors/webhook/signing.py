"""HMAC-SHA256 request signing shared by both directions of the webhook.

``X-DriveTalk-Signature: sha256=<hex HMAC-SHA256(secret, f"{timestamp}.{body}")>``
where ``timestamp`` is the ``X-DriveTalk-Timestamp`` header (Unix seconds)
and ``body`` the exact bytes of the request body. Signing the timestamp
with the body means neither can be swapped; the receiver rejects old
timestamps, so a captured request cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac

TIMESTAMP_HEADER = "X-DriveTalk-Timestamp"
SIGNATURE_HEADER = "X-DriveTalk-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
SCHEME = "sha256="


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The header value: ``sha256=`` and the hex digest."""
    message = str(timestamp).encode("ascii") + b"." + body
    return SCHEME + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(secret: str, timestamp: int, body: bytes) -> dict[str, str]:
    """Timestamp and signature headers for ``body``."""
    return {
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret, timestamp, body),
    }


def signature_matches(secret: str, timestamp: int, body: bytes, claimed: str) -> bool:
    """Constant-time comparison of ``claimed`` against the expected signature."""
    return hmac.compare_digest(signature(secret, timestamp, body).encode(), claimed.encode())
