"""Server sessions: one driver conversation each, owned by one tenant's vehicle.

A session is found only through the principal that owns it: a key of
another vehicle or tenant gets the same 404 as for an id that never
existed, so ids leak nothing. The per-key session limit is enforced here.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from assistant.errors import DriveTalkError, RequestRejectedError
from assistant.server.conversation import Conversation
from assistant.server.keys import Principal

log = logging.getLogger(__name__)


@dataclass(eq=False)
class Session:
    """A live conversation and who may use it."""

    id: str
    owner: Principal
    conversation: Conversation
    created_at: datetime
    last_used: float = field(default_factory=time.monotonic)
    #: Serialises turns: one utterance at a time per session.
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    streaming: bool = False
    #: Whether turn responses carry synthesised reply audio.
    reply_audio: bool = True

    def touch(self) -> None:
        """Record activity (for idle expiry)."""
        self.last_used = time.monotonic()

    def owned_by(self, principal: Principal) -> bool:
        """Same tenant and same vehicle."""
        return (self.owner.tenant, self.owner.vehicle) == (principal.tenant, principal.vehicle)


class SessionRegistry:
    """All sessions of this process."""

    def __init__(self, sessions_per_key: int, idle_seconds: float) -> None:
        self.sessions_per_key = sessions_per_key
        self.idle_seconds = idle_seconds
        self._sessions: dict[str, Session] = {}
        self._opening: dict[str, int] = {}
        self.closing = False

    def __len__(self) -> int:
        return len(self._sessions)

    async def create(
        self, principal: Principal, make: Callable[[], Awaitable[Conversation]]
    ) -> Session:
        """Open a session for ``principal``; 429 over the per-key limit, 503 when draining."""
        if self.closing:
            raise RequestRejectedError(503, "shutting_down", "the server is shutting down")
        await self.expire_idle()
        key = principal.key_id
        mine = sum(1 for s in self._sessions.values() if s.owner.key_id == key)
        mine += self._opening.get(key, 0)  # sessions being built right now count too
        if mine >= self.sessions_per_key:
            raise RequestRejectedError(
                429,
                "too_many_sessions",
                f"this key already has {mine} open sessions (limit {self.sessions_per_key});"
                " close one first",
            )
        self._opening[key] = self._opening.get(key, 0) + 1
        try:
            conversation = await make()
        finally:
            self._opening[key] -= 1
        session = Session(
            id=secrets.token_urlsafe(16),
            owner=principal,
            conversation=conversation,
            created_at=datetime.now(UTC),
        )
        self._sessions[session.id] = session
        return session

    def get(self, principal: Principal, session_id: str) -> Session:
        """The caller's session; 404 for unknown ids and for other owners alike."""
        session = self._sessions.get(session_id)
        if session is None or not session.owned_by(principal):
            raise RequestRejectedError(404, "session_not_found", "no such session")
        session.touch()
        return session

    async def close(self, principal: Principal, session_id: str) -> None:
        """Close the caller's session (404 as in :meth:`get`)."""
        session = self.get(principal, session_id)
        await self._close(session)

    async def _close(self, session: Session) -> None:
        if self._sessions.pop(session.id, None) is None:
            return
        try:
            await session.conversation.aclose()
        except DriveTalkError as exc:
            log.warning("closing session failed: %s", exc)

    async def expire_idle(self) -> int:
        """Close sessions idle for longer than ``idle_seconds``; returns how many."""
        cutoff = time.monotonic() - self.idle_seconds
        stale = [s for s in self._sessions.values() if s.last_used < cutoff and not s.streaming]
        for session in stale:
            await self._close(session)
        return len(stale)

    async def drain(self, timeout: float) -> None:
        """Refuse new sessions, let turns in progress finish (up to ``timeout``), close all."""
        self.closing = True
        sessions = list(self._sessions.values())

        async def finish(session: Session) -> None:
            async with session.lock:
                await self._close(session)

        tasks = [asyncio.create_task(finish(s)) for s in sessions]
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=timeout)
            for task in pending:
                task.cancel()
        for session in list(self._sessions.values()):
            await self._close(session)
