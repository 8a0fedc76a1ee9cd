"""Server sessions: one driver conversation each, owned by one tenant's vehicle.

A session is found only through the principal that owns it: a key of
another vehicle or tenant gets the same 404 as for an id that never
existed, so ids leak nothing. The per-key session limit is enforced here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial

from assistant.errors import DriveTalkError, RequestRejectedError
from assistant.models import Message
from assistant.server.conversation import Conversation, Resumable
from assistant.server.keys import Principal
from assistant.server.session_store import SessionRecord, SessionStore

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
    #: The stream open on this copy, as the fleet's store knows it (None: none).
    stream_token: str | None = None
    #: Whether turn responses carry synthesised reply audio.
    reply_audio: bool = True
    #: The stored dialog version this replica's copy reflects (fleet mode).
    version: int = 0
    #: Set while no stream runs here: a stream winding down (the car's connection
    #: dropped, its recognizer being freed) is waited for by the next one.
    stream_over: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    def __post_init__(self) -> None:
        self.stream_over.set()

    async def take_stream(self, wait: float) -> None:
        """Claim the session for a stream, waiting up to ``wait`` seconds for one
        still ending; 409 if another stream keeps it."""
        if self.streaming:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stream_over.wait(), wait)
        if self.streaming:  # checked and claimed with no await between
            raise RequestRejectedError(409, "already_streaming", "this session already streams")
        self.streaming = True
        self.stream_over.clear()

    def end_stream(self) -> None:
        """The stream is over (every task of it finished)."""
        self.streaming = False
        self.stream_over.set()

    def touch(self) -> None:
        """Record activity (for idle expiry)."""
        self.last_used = time.monotonic()

    def owned_by(self, principal: Principal) -> bool:
        """Same tenant and same vehicle."""
        return (self.owner.tenant, self.owner.vehicle) == (principal.tenant, principal.vehicle)


#: Rebuilds the conversation of a session another replica created.
Rebuild = Callable[[Principal], Awaitable[Conversation]]


class SessionRegistry:
    """The sessions this process serves; with a store, every replica's sessions.

    Without a store (one machine) a session lives in this process only.
    With one (``server.database_url``) each session is also a row: any
    replica can take it up between turns, and the dialog is read before and
    written after every turn (:meth:`turn`), so the replica that serves the
    next turn continues exactly where the last one stopped.
    """

    def __init__(
        self,
        sessions_per_key: int,
        idle_seconds: float,
        store: SessionStore | None = None,
        rebuild: Rebuild | None = None,
    ) -> None:
        self.sessions_per_key = sessions_per_key
        self.idle_seconds = idle_seconds
        self._sessions: dict[str, Session] = {}
        self._opening: dict[str, int] = {}
        self.closing = False
        self._store = store
        self._rebuild = rebuild

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
        if self._store is not None:
            mine = await asyncio.to_thread(self._store.count_for_key, key)
        else:
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

    async def remember(self, session: Session) -> None:
        """Store a new session (fleet mode), once its options are set."""
        if self._store is None:
            return
        record = SessionRecord(
            session.id, session.owner.tenant, session.owner.vehicle, session.owner.key_id,
            session.created_at, session.reply_audio, _snapshot_of(session), session.version,
        )  # fmt: skip
        await asyncio.to_thread(self._store.insert, record, time.time())
        self._announce_once(session)

    def _announce_once(self, session: Session) -> None:
        """Incoming messages announced by one copy of the session (fleet mode)."""
        store = self._store
        share = getattr(session.conversation, "announce_once", None)
        if store is None or share is None:
            return

        async def claim(message: Message) -> bool:
            version = None if session.streaming else session.version
            now = time.time()
            # A stream not seen alive for idle_seconds is gone with its replica.
            return await asyncio.to_thread(
                partial(store.claim_announcement, streams_after=now - self.idle_seconds),
                session.id, message.id, now, version,
            )  # fmt: skip

        share(claim)

    async def open_stream(self, session: Session, wait: float) -> None:
        """Claim ``session`` for a stream here (see :meth:`Session.take_stream`); in
        fleet mode the store notes it, so the car hears announcements on it."""
        await session.take_stream(wait)
        if self._store is None:
            return
        token = secrets.token_hex(8)
        try:
            await asyncio.to_thread(self._store.open_stream, session.id, token, time.time())
        except BaseException:
            session.end_stream()
            raise
        session.stream_token = token

    async def close_stream(self, session: Session) -> None:
        """The stream on ``session`` is over (every task of it finished)."""
        token, session.stream_token = session.stream_token, None
        session.end_stream()
        session.touch()
        if self._store is not None and token is not None:
            try:
                await asyncio.to_thread(self._store.close_stream, session.id, token)
            except DriveTalkError as exc:  # its mark lapses after idle_seconds
                log.warning("could not note the end of a stream: %s", exc)

    async def get(self, principal: Principal, session_id: str) -> Session:
        """The caller's session; 404 for unknown ids and for other owners alike.

        In fleet mode a session this replica does not hold is taken up from
        the store (created elsewhere, or its replica died).
        """
        session = self._sessions.get(session_id)
        if session is None and self._store is not None and not self.closing:
            session = await self._take_up(principal, session_id)
        if session is None or not session.owned_by(principal):
            raise RequestRejectedError(404, "session_not_found", "no such session")
        session.touch()
        return session

    async def _take_up(self, principal: Principal, session_id: str) -> Session | None:
        assert self._store is not None
        assert self._rebuild is not None
        record = await asyncio.to_thread(self._store.load, session_id)
        if record is None or (record.tenant, record.vehicle) != (
            principal.tenant,
            principal.vehicle,
        ):
            return None
        conversation = await self._rebuild(principal)
        owner = Principal(record.key_id, record.tenant, record.vehicle)
        session = Session(record.id, owner, conversation, record.created_at, version=-1)
        session.reply_audio = record.reply_audio
        # Two requests may take the same session up at once: keep the first.
        found = self._sessions.setdefault(session.id, session)
        if found is not session:
            await conversation.aclose()
        else:
            self._announce_once(session)
        return found

    @asynccontextmanager
    async def turn(self, session: Session) -> AsyncIterator[None]:
        """One turn at a time per session; in fleet mode, the stored dialog around it."""
        async with session.lock:
            if self._store is not None:
                await self._refresh(session)
            yield
            if self._store is not None:
                version = await asyncio.to_thread(
                    self._store.save, session.id, _snapshot_of(session), session.reply_audio,
                    time.time(),
                )  # fmt: skip
                session.version = -1 if version is None else version

    async def _refresh(self, session: Session) -> None:
        assert self._store is not None
        record = await asyncio.to_thread(self._store.load, session.id)
        if record is None:  # closed on another replica, or expired there
            await self._close(session)
            raise RequestRejectedError(404, "session_not_found", "no such session")
        if record.version != session.version and isinstance(session.conversation, Resumable):
            await session.conversation.restore(record.snapshot)
        session.version = record.version

    async def close(self, principal: Principal, session_id: str) -> None:
        """Close the caller's session (404 as in :meth:`get`), on every replica."""
        session = await self.get(principal, session_id)
        if self._store is not None:
            await asyncio.to_thread(self._store.delete, session.id)
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
        if self._store is not None:
            # Streams open here keep their rows (a sweep runs at least every
            # idle_seconds / 2); then rows nobody used anywhere for that long go
            # (their replica may be gone).
            streaming = [s.id for s in self._sessions.values() if s.streaming]
            if streaming:
                await asyncio.to_thread(self._store.touch, streaming, time.time())
            await asyncio.to_thread(self._store.expire, time.time() - self.idle_seconds)
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


def _snapshot_of(session: Session) -> str:
    conversation = session.conversation
    return conversation.snapshot() if isinstance(conversation, Resumable) else "{}"
