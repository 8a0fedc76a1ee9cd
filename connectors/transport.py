"""Shared wording for network failures of HTTP connectors."""

from __future__ import annotations

import httpx


def transport_reason(exc: httpx.TransportError) -> str:
    """A short reason for a network failure; an untrusted certificate is named as such."""
    if "CERTIFICATE_VERIFY_FAILED" in str(exc):
        return "TLS certificate not trusted (verification is always on)"
    return type(exc).__name__
