"""The server's log: one line per record, JSON for machines or text for a terminal.

Every line carries the ids of what it is about, taken from context
variables: ``request_id`` (one per HTTP request or WebSocket connection,
from a well-formed ``X-Request-ID`` header or made up here, and echoed in
the response), ``session_id`` when a session is involved, and ``tenant``
for a tenant's background delivery. Lines from outside any request carry
none.

Secrets never reach the output: every message passes a redactor that blanks
API keys (``dtk_...``), bearer tokens and whatever values were registered
with :func:`redact` (the operator token) before it is formatted.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import IO

from assistant.config import LoggingSettings

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "drivetalk_request_id", default=None
)
session_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "drivetalk_session_id", default=None
)
tenant: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "drivetalk_tenant", default=None
)

_IDS = {"request_id": request_id, "session_id": session_id, "tenant": tenant}
#: A request id a client may choose: short, printable, no spaces (it is logged).
_CLIENT_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_PATTERNS = [
    re.compile(r"dtk_[A-Za-z0-9_\-]+"),
    re.compile(r"(?i)(bearer\s+)\S+"),
    re.compile(r"(?i)(postgres(?:ql)?://[^:/@\s]+:)[^@\s]+(@)"),
]
_SECRETS: set[str] = set()
#: The handler :func:`configure` installed last (replaced, never stacked).
_INSTALLED: list[logging.Handler] = []


def new_request_id(offered: str | None = None) -> str:
    """The client's ``X-Request-ID`` if well formed, else a fresh random one."""
    if offered and _CLIENT_ID.fullmatch(offered):
        return offered
    return uuid.uuid4().hex


@contextmanager
def bound(**ids: str | None) -> Iterator[None]:
    """Set ``request_id`` / ``session_id`` / ``tenant`` for the block."""
    tokens = [(_IDS[name], _IDS[name].set(value)) for name, value in ids.items()]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def background(**ids: str | None) -> contextvars.Context:
    """A fresh context for a background task: no request's ids, only ``ids``.

    A task created inside a request would otherwise inherit (and log) that
    request's id for the rest of its life.
    """
    context = contextvars.Context()
    for name, value in ids.items():
        context.run(_IDS[name].set, value)
    return context


def redact(values: Iterable[str]) -> None:
    """Never print these values (configured secrets, e.g. the operator token)."""
    _SECRETS.update(v for v in values if len(v) >= 8)


def scrub(text: str) -> str:
    """``text`` with every secret blanked."""
    for secret in _SECRETS:
        text = text.replace(secret, "[redacted]")
    text = _PATTERNS[0].sub("dtk_[redacted]", text)
    text = _PATTERNS[1].sub(r"\1[redacted]", text)
    return _PATTERNS[2].sub(r"\1[redacted]\2", text)


class ContextFilter(logging.Filter):
    """Stamps the context ids on every record and scrubs its message."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, var in _IDS.items():
            setattr(record, name, var.get())
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # bad %-args: emit() reports it as logging does
            return True
        record.msg, record.args = scrub(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the ids, the traceback."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in _IDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        for name in ("method", "route", "status", "duration_ms"):
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """``time level logger [ids] message`` for people at a terminal."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s %(ids)s%(message)s")

    def format(self, record: logging.LogRecord) -> str:
        ids = [f"{n}={getattr(record, n)}" for n in _IDS if getattr(record, n, None)]
        record.ids = f"[{' '.join(ids)}] " if ids else ""
        return super().format(record)


def configure(settings: LoggingSettings, stream: IO[str] | None = None) -> logging.Handler:
    """Send every log record (ours, uvicorn's) to ``stream`` (stderr) in the chosen format."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if settings.format == "json" else TextFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    # Replace ours from an earlier call and the CLI's basicConfig one (a plain
    # StreamHandler); leave anything else (a test's capture handler) alone.
    for old in [*_INSTALLED, *(h for h in root.handlers if type(h) is logging.StreamHandler)]:
        root.removeHandler(old)
    _INSTALLED[:] = [handler]
    root.addHandler(handler)
    root.setLevel(settings.level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    return handler
