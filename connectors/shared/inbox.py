"""Messages received from a push-only backend, kept for the messaging port.

DingTalk robots and enterprise webhooks push messages to us but offer no
history to pull, so the connector keeps what arrived: the unread list, the
recent messages of a conversation and the conversations seen so far. The
inbox is bounded (oldest dropped first) and lives in memory only; a backend
that needs history after a restart must be read through its own client.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import replace

from assistant.models import Conversation, Message


class Inbox:
    """Received messages plus a queue feeding ``incoming()``."""

    def __init__(self, capacity: int = 2000) -> None:
        self._messages: deque[Message] = deque(maxlen=capacity)
        self._conversations: dict[str, Conversation] = {}
        self._queue: asyncio.Queue[Message] = asyncio.Queue()

    def add(self, message: Message, *, kind: str = "direct") -> bool:
        """Record one message; False (and nothing queued) if its id was seen already."""
        if any(m.id == message.id for m in self._messages):
            return False
        self._messages.append(message)
        self._conversations.setdefault(
            message.conversation_id,
            Conversation(
                id=message.conversation_id,
                name=message.conversation_name,
                kind="group" if kind == "group" else "direct",
            ),
        )
        self._queue.put_nowait(message)
        return True

    def conversations(self) -> list[Conversation]:
        """Conversations seen so far, in order of first appearance."""
        return list(self._conversations.values())

    def unread(self) -> list[Message]:
        """Unread messages, oldest first."""
        return sorted((m for m in self._messages if not m.read), key=lambda m: m.sent_at)

    def recent(self, conversation_id: str, limit: int) -> list[Message]:
        """The latest ``limit`` messages of one conversation, oldest first."""
        mine = sorted(
            (m for m in self._messages if m.conversation_id == conversation_id),
            key=lambda m: m.sent_at,
        )
        return mine[-limit:] if limit > 0 else []

    def mark_read(self, message_ids: Iterable[str]) -> None:
        """Mark exactly these messages as read."""
        wanted = set(message_ids)
        for index, message in enumerate(self._messages):
            if message.id in wanted and not message.read:
                self._messages[index] = replace(message, read=True)

    async def stream(self) -> AsyncIterator[Message]:
        """Messages as they are added, forever (the caller stops iterating)."""
        while True:
            yield await self._queue.get()

    def snapshot(self) -> Sequence[Message]:
        """Everything held, in arrival order (for tests and diagnostics)."""
        return tuple(self._messages)
