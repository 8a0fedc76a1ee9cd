"""An in-memory chat backend for DriveTalk that answers every message with an echo.

Everything a backend needs is here: class attributes ``name`` and
``needs_network``, a ``from_config`` classmethod, ``check``/``aclose``, and the
methods of the ports it implements (here :class:`connectors.ports.MessagingPort`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import replace
from typing import Any, ClassVar

from assistant.errors import ConfigError, RejectedError
from assistant.models import Conversation, Message, OutgoingMessage, SendReceipt
from connectors.ports import CheckResult
from connectors.registry import ConnectorContext


class EchoConnector:
    """Messaging backend whose contacts reply instantly with an echo of what you sent."""

    name: ClassVar[str] = "echo"
    needs_network: ClassVar[bool] = False

    def __init__(self, context: ConnectorContext, reply_prefix: str = "echo: ") -> None:
        self._now = context.now
        self.reply_prefix = reply_prefix
        self._messages: list[Message] = []
        self._receipts: dict[str, SendReceipt] = {}
        self._inbox: asyncio.Queue[Message | None] = asyncio.Queue()

    @classmethod
    def from_config(cls, config: Mapping[str, Any], context: ConnectorContext) -> EchoConnector:
        """Build from ``[connectors.echo]``: only ``reply_prefix`` (a string) is accepted."""
        unknown = set(config) - {"reply_prefix"}
        if unknown:
            raise ConfigError(f"unknown key(s) in [connectors.echo]: {', '.join(sorted(unknown))}")
        prefix = config.get("reply_prefix", "echo: ")
        if not isinstance(prefix, str):
            raise ConfigError("[connectors.echo] reply_prefix must be a string")
        return cls(context, prefix)

    async def check(self) -> CheckResult:
        """Always reachable: it lives in this process."""
        return CheckResult(True, f'echo backend ready (replies as "{self.reply_prefix}...")')

    async def aclose(self) -> None:
        """End ``incoming()``."""
        self._inbox.put_nowait(None)

    async def conversations(self) -> Sequence[Conversation]:
        """One direct conversation per contact written to."""
        seen = {m.conversation_id: m.conversation_name for m in self._messages}
        return [Conversation(cid, name, "direct", (cid,)) for cid, name in seen.items()]

    async def unread_messages(self) -> Sequence[Message]:
        """Echoes not yet marked read."""
        return [m for m in self._messages if not m.read and m.sender_id != "me"]

    async def recent_messages(self, conversation_id: str, limit: int = 20) -> Sequence[Message]:
        """The last ``limit`` messages with one contact, oldest first."""
        return [m for m in self._messages if m.conversation_id == conversation_id][-limit:]

    async def send(self, message: OutgoingMessage) -> SendReceipt:
        """Store the message once per idempotency key and queue its echo."""
        if message.idempotency_key in self._receipts:
            return self._receipts[message.idempotency_key]
        if not message.body.strip():
            raise RejectedError("the echo backend does not send empty messages")
        sent = self._add("me", message, message.body, read=True)
        echo = self._add(message.recipient_id, message, self.reply_prefix + message.body)
        self._inbox.put_nowait(echo)
        receipt = SendReceipt(sent.id, sent.conversation_id, sent.sent_at)
        self._receipts[message.idempotency_key] = receipt
        return receipt

    async def mark_read(self, message_ids: Sequence[str]) -> None:
        """Mark exactly these messages as read."""
        wanted = set(message_ids)
        self._messages = [replace(m, read=True) if m.id in wanted else m for m in self._messages]

    async def incoming(self) -> AsyncIterator[Message]:
        """Echoes as they are produced, until :meth:`aclose`."""
        while (message := await self._inbox.get()) is not None:
            yield message

    def _add(
        self, sender: str, original: OutgoingMessage, body: str, read: bool = False
    ) -> Message:
        message = Message(
            id=f"echo-{len(self._messages) + 1}",
            conversation_id=original.recipient_id,
            conversation_name=original.recipient_name,
            sender_id=sender,
            sender_name="me" if sender == "me" else original.recipient_name,
            body=body,
            sent_at=self._now(),
            read=read,
        )
        self._messages.append(message)
        return message
