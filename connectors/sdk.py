"""Everything a connector author needs, in one import.

::

    from connectors.sdk import (
        CheckResult, ConnectorContext, MessagingPort, OutgoingMessage, SendReceipt,
        RejectedError, error_for_response, parse_table, read_secret, conform,
    )

* **Ports** (implement any of them): :class:`MessagingPort`,
  :class:`CalendarPort`, :class:`DirectoryPort`, plus the :class:`Connector`
  lifecycle (``name``, ``needs_network``, ``check()``, ``aclose()``) and the
  ``from_config(config, context)`` classmethod the registry calls.
* **Result and value types**: :class:`Message`, :class:`OutgoingMessage`,
  :class:`SendReceipt`, :class:`Conversation`, :class:`Contact`,
  :class:`ContactPage`, :class:`CalendarEvent`, :class:`EventDraft`,
  :class:`CheckResult`.
* **Errors** (raise these, never a library's own): :class:`ConnectorError`
  and its kinds; ``retryable`` ones are retried by the outbox.
* **HTTP**: the shared status ladder, transport errors and ``Retry-After``.
* **Config and secrets**: :func:`parse_table`, :func:`read_secret`,
  :func:`require_secure_url`.
* **Push backends**: :class:`Inbox` keeps what was pushed to you.
* **Conformance kit**: :func:`conform` (also ``drivetalk connectors conform``).
"""

from __future__ import annotations

from assistant.errors import (
    AuthenticationError,
    BackendUnavailableError,
    ConfigError,
    ConnectorError,
    NotFoundError,
    RateLimitedError,
    RejectedError,
)
from assistant.models import (
    CalendarEvent,
    Contact,
    Conversation,
    EventDraft,
    Message,
    OutgoingMessage,
    SendReceipt,
)
from connectors.conformance import ConformanceReport, Finding, conform, ports_of
from connectors.http_errors import (
    error_for_response,
    error_for_status,
    raise_for_status,
    retry_after,
    retry_after_header,
    transport_error,
)
from connectors.ports import (
    CalendarPort,
    CheckResult,
    Connector,
    ContactPage,
    DirectoryPort,
    MessagingPort,
)
from connectors.registry import ConnectorContext, ConnectorFactory
from connectors.shared.config import parse_table, read_secret
from connectors.shared.inbox import Inbox
from connectors.shared.urls import require_secure_url

__all__ = [
    "AuthenticationError",
    "BackendUnavailableError",
    "CalendarEvent",
    "CalendarPort",
    "CheckResult",
    "ConfigError",
    "ConformanceReport",
    "Connector",
    "ConnectorContext",
    "ConnectorError",
    "ConnectorFactory",
    "Contact",
    "ContactPage",
    "Conversation",
    "DirectoryPort",
    "EventDraft",
    "Finding",
    "Inbox",
    "Message",
    "MessagingPort",
    "NotFoundError",
    "OutgoingMessage",
    "RateLimitedError",
    "RejectedError",
    "SendReceipt",
    "conform",
    "error_for_response",
    "error_for_status",
    "parse_table",
    "ports_of",
    "raise_for_status",
    "read_secret",
    "require_secure_url",
    "retry_after",
    "retry_after_header",
    "transport_error",
]
