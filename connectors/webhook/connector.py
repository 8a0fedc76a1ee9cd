"""The webhook connector: an enterprise's own chat backend behind a signed JSON contract.

Outgoing messages are POSTed to the enterprise URL as
:class:`~connectors.webhook.contract.OutgoingEvent`, signed (see
:mod:`connectors.webhook.signing`) and carrying the idempotency key as
``Idempotency-Key``; the receiver must deliver each key once and answer a
repeat with the original receipt. That makes delivery exactly-once: retries
after a timeout are safe because the receiver deduplicates.

Incoming messages reach :meth:`WebhookConnector.receive` through the inbound
router (:mod:`connectors.webhook.inbound`), are verified, and feed
``incoming()`` and the unread list.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar
from zoneinfo import ZoneInfo

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from assistant.errors import ConfigError, ConnectorError, RejectedError
from assistant.models import Conversation, Message, OutgoingMessage, SendReceipt
from connectors.http_errors import transport_error
from connectors.ports import CheckResult
from connectors.shared.config import parse_table, read_secret
from connectors.shared.inbox import Inbox
from connectors.shared.urls import require_secure_url
from connectors.webhook import contract
from connectors.webhook.responses import receipt_or_error
from connectors.webhook.signing import IDEMPOTENCY_HEADER, signed_headers
from connectors.webhook.verify import DEFAULT_WINDOW_S, ReplayCache, verify_inbound

if TYPE_CHECKING:
    from connectors.registry import ConnectorContext

log = logging.getLogger(__name__)


class WebhookSettings(BaseModel):
    """The ``[connectors.webhook]`` table."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = Field(min_length=1, description="enterprise endpoint for outgoing events")
    secret_env: str = Field(min_length=1, description="env var with the shared secret")
    inbound_secret_env: str | None = Field(default=None, min_length=1)
    timeout: float = Field(default=10.0, gt=0, le=120)
    replay_window: float = Field(default=DEFAULT_WINDOW_S, ge=30, le=3600)
    sender_id: str | None = Field(default=None, min_length=1)
    sender_name: str = ""

    @field_validator("url")
    @classmethod
    def _secure(cls, value: str) -> str:
        try:
            return require_secure_url(value, "webhook url")
        except ConfigError as exc:
            raise ValueError(str(exc)) from None


def _secret(env: Mapping[str, str], name: str, key: str) -> SecretStr:
    return read_secret(env, name, table="connectors.webhook", key=key, min_length=16)


class WebhookConnector:
    """Messaging over an enterprise's signed webhook."""

    name: ClassVar[str] = "webhook"
    needs_network: ClassVar[bool] = True

    def __init__(
        self,
        settings: WebhookSettings,
        secret: SecretStr,
        *,
        inbound_secret: SecretStr | None = None,
        http: httpx.AsyncClient | None = None,
        zone: ZoneInfo,
        now: Callable[[], datetime],
    ) -> None:
        self.settings = settings
        self._secret = secret
        self._inbound_secret = inbound_secret or secret
        self._owns_http = http is None
        self._http = http or httpx.AsyncClient(timeout=settings.timeout)
        self._zone = zone
        self._now = now
        self._inbox = Inbox()
        self._replay = ReplayCache(settings.replay_window)

    @classmethod
    def from_config(cls, config: Mapping[str, Any], context: ConnectorContext) -> WebhookConnector:
        """Build from the config table; secrets from ``context.env``."""
        settings = parse_table(WebhookSettings, config, "connectors.webhook")
        secret = _secret(context.env, settings.secret_env, "secret_env")
        inbound = settings.inbound_secret_env
        return cls(
            settings,
            secret,
            inbound_secret=_secret(context.env, inbound, "inbound_secret_env") if inbound else None,
            http=context.http,
            zone=context.zone,
            now=context.now,
        )

    def __repr__(self) -> str:
        return f"WebhookConnector(url={self.settings.url!r})"

    # -- outgoing ------------------------------------------------------------------

    async def _post(self, what: str, event: BaseModel, key: str) -> httpx.Response:
        body = event.model_dump_json().encode()
        headers = signed_headers(
            self._secret.get_secret_value(), int(self._now().timestamp()), body
        )
        headers |= {"Content-Type": "application/json", IDEMPOTENCY_HEADER: key}
        try:
            response = await self._http.post(
                self.settings.url, content=body, headers=headers, timeout=self.settings.timeout
            )
        except httpx.HTTPError as exc:
            raise transport_error(f"webhook {what}", exc) from exc
        log.debug("webhook %s: HTTP %s", what, response.status_code)
        return response

    async def send(self, message: OutgoingMessage) -> SendReceipt:
        """POST the signed event; the receiver deduplicates on the idempotency key."""
        try:
            event = contract.OutgoingEvent(
                id=message.idempotency_key,
                created_at=self._now(),
                sender=self._sender(),
                message=contract.OutgoingBody(
                    recipient_id=message.recipient_id,
                    recipient_name=message.recipient_name,
                    body=message.body,
                    urgent=message.urgent,
                    to_group=message.to_group,
                    in_reply_to=message.in_reply_to,
                ),
            )
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise RejectedError(f"webhook send: {where}: {first['msg']}") from None
        response = await self._post("send", event, message.idempotency_key)
        receipt = receipt_or_error(response, "send")
        return SendReceipt(
            message_id=receipt.message_id if receipt else message.idempotency_key,
            conversation_id=(receipt.conversation_id if receipt else None) or message.recipient_id,
            delivered_at=(receipt.delivered_at if receipt else None) or self._now(),
        )

    def _sender(self) -> contract.Sender | None:
        if self.settings.sender_id is None:
            return None
        return contract.Sender(id=self.settings.sender_id, name=self.settings.sender_name)

    async def check(self) -> CheckResult:
        """Send a signed ping; 2xx means reachable and the secret is accepted."""
        ping = contract.PingEvent(id=f"ping-{uuid.uuid4().hex}", created_at=self._now())
        try:
            receipt_or_error(await self._post("check", ping, ping.id), "check", receipt=False)
        except ConnectorError as exc:
            return CheckResult(ok=False, detail=str(exc))
        return CheckResult(ok=True, detail=f"{self.settings.url} accepted a signed ping")

    async def aclose(self) -> None:
        """Close the HTTP client if we created it."""
        if self._owns_http:
            await self._http.aclose()

    # -- incoming ------------------------------------------------------------------

    async def receive(self, headers: Mapping[str, str], body: bytes) -> Message:
        """Verify one pushed request and queue its message (raises InboundRejectedError)."""
        event = verify_inbound(
            headers,
            body,
            self._inbound_secret.get_secret_value(),
            self._now().timestamp(),
            window=self.settings.replay_window,
            seen=self._replay,
        )
        data = event.message
        message = Message(
            id=data.id,
            conversation_id=data.conversation_id,
            conversation_name=data.conversation_name,
            sender_id=data.sender_id,
            sender_name=data.sender_name,
            body=data.body,
            sent_at=data.sent_at.astimezone(self._zone),
            urgent=data.urgent,
        )
        self._inbox.add(message, kind=data.conversation_kind)
        return message

    def accept(self, message: Message, *, kind: str = "direct") -> bool:
        """Take a push another replica verified (fleet fan-out); False if already here."""
        return self._inbox.add(message, kind=kind)

    async def incoming(self) -> AsyncIterator[Message]:
        """Messages pushed to the inbound endpoint, as they arrive."""
        async for message in self._inbox.stream():
            yield message

    async def conversations(self) -> Sequence[Conversation]:
        """Conversations seen in pushed messages."""
        return self._inbox.conversations()

    async def unread_messages(self) -> Sequence[Message]:
        """Pushed messages not yet marked read."""
        return self._inbox.unread()

    async def recent_messages(self, conversation_id: str, limit: int = 20) -> Sequence[Message]:
        """Pushed messages of one conversation, oldest first."""
        return self._inbox.recent(conversation_id, limit)

    async def mark_read(self, message_ids: Sequence[str]) -> None:
        """Mark pushed messages read."""
        self._inbox.mark_read(message_ids)
