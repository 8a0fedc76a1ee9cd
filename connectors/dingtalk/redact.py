"""Keep tokens in URLs out of library logs.

DingTalk mandates credentials in query strings: ``access_token`` for the oapi
host and custom robots (the robot's is long-lived), ``sign`` for robots and a
one-time ``ticket`` for Stream mode. httpx logs every request URL at INFO and
websockets logs the handshake at DEBUG, so a filter on those loggers masks
these parameters before any handler sees the record.
"""

from __future__ import annotations

import logging
import re

_SECRET_PARAM = re.compile(r"(?i)\b(access_token|sign|ticket)=[^&\s\"'>]+")
_LOGGERS = ("httpx", "websockets.client")


class RedactQueryTokens(logging.Filter):
    """Rewrites a record's message with secret query parameters masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = _SECRET_PARAM.sub(r"\1=***", message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


_FILTER = RedactQueryTokens()


def install() -> None:
    """Attach the filter to the loggers that print URLs (idempotent)."""
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


def redact(text: str) -> str:
    """``text`` with secret query parameters masked."""
    return _SECRET_PARAM.sub(r"\1=***", text)
