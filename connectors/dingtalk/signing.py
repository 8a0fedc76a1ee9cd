"""Custom-robot request signing, as documented by the DingTalk Open Platform.

``sign = urlencode(base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}")))``
with ``timestamp`` in milliseconds; DingTalk rejects timestamps more than an
hour away from its clock.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import quote_plus


def robot_signature(secret: str, timestamp_ms: int) -> str:
    """The base64 signature (not yet URL-encoded) for ``timestamp_ms``."""
    message = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def robot_sign_params(secret: str, timestamp_ms: int) -> dict[str, str]:
    """Query parameters ``timestamp`` and ``sign`` (URL-encoded as DingTalk documents)."""
    return {
        "timestamp": str(timestamp_ms),
        "sign": quote_plus(robot_signature(secret, timestamp_ms)),
    }
