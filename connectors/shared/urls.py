"""Refuse endpoints that would send data or secrets in clear text.

TLS is always verified (httpx and websockets verify by default and we never
turn it off); plain ``http``/``ws`` is accepted only for loopback hosts, where
test servers and local bridges run.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from assistant.errors import ConfigError

_SECURE = {"https", "wss"}
_PLAIN = {"http", "ws"}


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def require_secure_url(url: str, what: str, *, quote: bool = True) -> str:
    """Return ``url`` if it is https (or plain http to loopback), else raise ConfigError.

    ``quote=False`` keeps the URL itself out of the message, for URLs that
    carry a token (the DingTalk robot webhook).
    """
    shown = f" {url!r}" if quote else ""
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise ConfigError(f"{what}{shown} is not a valid URL") from exc
    host = parts.hostname or ""
    if not host:
        raise ConfigError(f"{what}{shown} is not an absolute URL")
    if parts.scheme in _SECURE:
        return url
    if parts.scheme in _PLAIN and is_loopback(host):
        return url
    raise ConfigError(f"{what}{shown} must use https (plain http only for loopback)")
