"""HMAC-SHA256 request signing shared by both directions of the webhook.

``X-DriveTalk-Signature: sha256=<hex HMAC-SHA256(secret, f"{timestamp}.{body}")>``
where ``timestamp`` is the ``X-DriveTalk-Timestamp`` header (Unix seconds)
and ``body`` the exact bytes of the request body. Signing the timestamp
with the body means neither can be swapped; the receiver rejects old
timestamps, so a captured request cannot be replayed later.

Inbound pushes may instead carry the `Standard Webhooks
<https://www.standardwebhooks.com/>`_ headers, so an enterprise can sign with
a stock library in any language: ``webhook-id``, ``webhook-timestamp`` and
``webhook-signature: v1,<base64 HMAC-SHA256(key, f"{id}.{timestamp}.{body}")>``
(several space-separated signatures are allowed; one must match). The key is
the shared secret's bytes; a secret written as ``whsec_<base64>`` (how those
libraries print keys) is base64-decoded first. Give the library
``"whsec_" + base64(secret)``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

TIMESTAMP_HEADER = "X-DriveTalk-Timestamp"
SIGNATURE_HEADER = "X-DriveTalk-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
SCHEME = "sha256="

STANDARD_ID_HEADER = "webhook-id"
STANDARD_TIMESTAMP_HEADER = "webhook-timestamp"
STANDARD_SIGNATURE_HEADER = "webhook-signature"
STANDARD_PREFIX = "whsec_"


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


def standard_key(secret: str) -> bytes:
    """The HMAC key of a Standard Webhooks signature: ``whsec_`` secrets are base64."""
    if secret.startswith(STANDARD_PREFIX):
        try:
            return base64.b64decode(secret.removeprefix(STANDARD_PREFIX), validate=True)
        except (binascii.Error, ValueError):
            pass  # not base64 after all: the text itself is the key
    return secret.encode()


def standard_signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value (``v1,`` and the base64 digest)."""
    content = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(standard_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def standard_signature_matches(
    secret: str, message_id: str, timestamp: int, body: bytes, claimed: str
) -> bool:
    """Whether any ``v1`` signature of the space-separated ``claimed`` list matches."""
    expected = standard_signature(secret, message_id, timestamp, body).encode()
    return any(
        hmac.compare_digest(expected, candidate.encode())
        for candidate in claimed.split()
        if candidate.startswith("v1,")
    )
