"""The ``matrix`` connector: messaging and directory over the client-server API.

Rooms are conversations (``m.direct`` rooms are direct, the rest groups),
joined members are contacts, and sending uses
``PUT /rooms/{room}/send/m.room.message/{txnId}`` with the outbox's
idempotency key as ``txnId``: the homeserver answers a repeated transaction
with the first event instead of posting it again. Incoming messages come from
``/sync`` long-polling.

Matrix read markers are positions, not flags: marking a message read marks
everything before it in that room, too.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx

from assistant.errors import ConnectorError, RejectedError
from assistant.models import Contact, Conversation, Message, OutgoingMessage, SendReceipt
from connectors.matrix.client import JSON, MatrixClient, path
from connectors.matrix.config import MatrixConfig, MatrixCredentials, parse_config
from connectors.matrix.rooms import (
    RoomView,
    SyncState,
    localpart,
    message_id,
    messages_in,
    split_message_id,
    to_message,
    unread_events,
)
from connectors.ports import CheckResult, ContactPage
from connectors.registry import ConnectorContext

log = logging.getLogger(__name__)

#: /sync filter for incoming(): no presence or typing noise, just rooms and their events.
_INCOMING_FILTER = json.dumps({"presence": {"types": []}, "room": {"ephemeral": {"types": []}}})

#: Seconds to wait before polling /sync again after a retryable failure.
SYNC_BACKOFF = (1.0, 2.0, 5.0, 10.0, 30.0)


class MatrixConnector:
    """Messaging and directory on a Matrix homeserver; see the module docstring."""

    name: ClassVar[str] = "matrix"
    needs_network: ClassVar[bool] = True

    def __init__(
        self,
        config: MatrixConfig,
        credentials: MatrixCredentials,
        http: httpx.AsyncClient | None = None,
        *,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.config = config
        self._own_http = http is None
        self._http = http or httpx.AsyncClient(timeout=config.timeout)  # verify stays on
        self.client = MatrixClient(config, credentials, self._http)
        self._now = now or (lambda: datetime.now(UTC))
        self._closed = asyncio.Event()
        self._direct_rooms: dict[str, str] = {}  # user id -> room id, learned or created
        self._state = SyncState(history_limit=config.history_limit)
        self._sync_lock = asyncio.Lock()

    @classmethod
    def from_config(cls, config: Mapping[str, Any], context: ConnectorContext) -> MatrixConnector:
        """Build from ``[connectors.matrix]``; the secret comes from ``context.env``."""
        parsed, credentials = parse_config(config, context.env)
        return cls(parsed, credentials, context.http, now=context.now)

    def __repr__(self) -> str:
        return f"MatrixConnector(homeserver={self.config.homeserver!r}, user={self.me!r})"

    @property
    def me(self) -> str:
        """The configured user id."""
        return self.config.user_id

    async def check(self) -> CheckResult:
        """Authenticate (``/account/whoami``) and report who we are on which server."""
        try:
            body = await self.client.request("GET", "/account/whoami")
        except ConnectorError as exc:
            return CheckResult(False, str(exc))
        user = body.get("user_id")
        if user != self.me:
            return CheckResult(False, f"the token belongs to {user}, not {self.me}")
        return CheckResult(True, f"authenticated as {user} on {self.config.homeserver}")

    async def aclose(self) -> None:
        """Stop ``incoming()`` and close the HTTP client if we created it."""
        self._closed.set()
        if self._own_http:
            await self._http.aclose()

    # -- snapshot of joined rooms --------------------------------------------

    async def _rooms(self) -> list[RoomView]:
        """Joined rooms, brought up to date with one non-blocking ``/sync``."""
        async with self._sync_lock:
            params = {"filter": json.dumps(self._snapshot_filter()), "timeout": "0"}
            if self._state.since is None:
                params["full_state"] = "true"
            else:
                params["since"] = self._state.since
            self._state.apply(await self.client.request("GET", "/sync", params=params))
            return list(self._state.rooms.values())

    def _snapshot_filter(self) -> JSON:
        return {
            "presence": {"types": []},
            "account_data": {"types": ["m.direct"]},
            "room": {
                "ephemeral": {"types": []},
                "timeline": {"limit": self.config.history_limit},
                "account_data": {"types": ["m.fully_read"]},
            },
        }

    async def _room(self, room_id: str) -> RoomView:
        for room in await self._rooms():
            if room.room_id == room_id:
                return room
        raise RejectedError(f"not a member of Matrix room {room_id}")

    # -- messaging -------------------------------------------------------------

    async def conversations(self) -> Sequence[Conversation]:
        """Joined rooms, sorted by name."""
        rooms = await self._rooms()
        return sorted((r.conversation(self.me) for r in rooms), key=lambda c: c.name.lower())

    async def unread_messages(self) -> Sequence[Message]:
        """Messages from others after my read marker, oldest first within each room."""
        unread: list[Message] = []
        for room in await self._rooms():
            events = unread_events(room, self.me)
            unread.extend(to_message(room, e, self.me, read=False) for e in events)
        return unread

    async def recent_messages(self, conversation_id: str, limit: int = 20) -> Sequence[Message]:
        """The latest ``limit`` messages of a room, oldest first."""
        room = await self._room(conversation_id)
        body = await self.client.request(
            "GET",
            f"/rooms/{path(conversation_id)}/messages",
            params={
                "dir": "b",
                "limit": str(max(1, limit)),
                "filter": json.dumps({"types": ["m.room.message"]}),
            },
        )
        events = list(reversed(body.get("chunk", [])))
        unread = {e.get("event_id") for e in unread_events(room, self.me)}
        return messages_in(room, events, self.me, {str(u) for u in unread})

    async def send(self, message: OutgoingMessage) -> SendReceipt:
        """Send with ``txnId`` = idempotency key, so a repeat never posts twice."""
        room_id = await self._target_room(message)
        content: JSON = {"msgtype": "m.text", "body": message.body}
        if message.urgent:
            content["org.drivetalk.urgent"] = True
        if message.in_reply_to:
            reply_room, event_id = split_message_id(message.in_reply_to)
            if reply_room == room_id:
                content["m.relates_to"] = {"m.in_reply_to": {"event_id": event_id}}
        body = await self.client.request(
            "PUT",
            f"/rooms/{path(room_id)}/send/m.room.message/{path(message.idempotency_key)}",
            json=content,
        )
        sent_id = body.get("event_id")
        if not isinstance(sent_id, str):
            raise ConnectorError("Matrix accepted the message but returned no event id")
        return SendReceipt(message_id(room_id, sent_id), room_id, self._now())

    async def mark_read(self, message_ids: Sequence[str]) -> None:
        """Move the read marker (and receipt) of each room to the given messages."""
        for value in message_ids:
            room_id, event_id = split_message_id(value)
            await self.client.request(
                "POST",
                f"/rooms/{path(room_id)}/read_markers",
                json={"m.fully_read": event_id, "m.read": event_id},
            )

    # -- direct rooms ----------------------------------------------------------

    async def _target_room(self, message: OutgoingMessage) -> str:
        target = message.recipient_id
        if message.to_group or target.startswith("!"):
            return target
        if not target.startswith("@"):
            raise RejectedError(f"not a Matrix user or room id: {target!r}")
        return await self._direct_room(target)

    async def _direct_room(self, user_id: str) -> str:
        """The direct room with ``user_id``, created (and recorded in m.direct) if none."""
        if user_id in self._direct_rooms:
            return self._direct_rooms[user_id]
        direct = await self._direct_map()
        joined = {r.room_id for r in await self._rooms()}
        for room_id in direct.get(user_id, []):
            if room_id in joined:
                self._direct_rooms[user_id] = room_id
                return room_id
        created = await self.client.request(
            "POST",
            "/createRoom",
            json={"is_direct": True, "invite": [user_id], "preset": "trusted_private_chat"},
        )
        room_id = str(created["room_id"])
        direct.setdefault(user_id, []).append(room_id)
        await self.client.request(
            "PUT", f"/user/{path(self.me)}/account_data/m.direct", json=direct
        )
        self._direct_rooms[user_id] = room_id
        return room_id

    async def _direct_map(self) -> dict[str, list[str]]:
        try:
            body = await self.client.request("GET", f"/user/{path(self.me)}/account_data/m.direct")
        except RejectedError:  # 404 M_NOT_FOUND: no direct rooms yet
            return {}
        return {u: list(r) for u, r in body.items() if isinstance(r, list)}

    # -- incoming --------------------------------------------------------------

    async def incoming(self) -> AsyncIterator[Message]:
        """Messages from others as ``/sync`` delivers them, until :meth:`aclose`.

        Retryable failures (server down, 429) back off and poll again; an
        authentication failure ends the iteration with the error.
        """
        state = await self._sync_position()
        failures = 0
        while not self._closed.is_set():
            try:
                body = await self._long_poll(state.since)
            except ConnectorError as exc:
                if not exc.retryable:
                    raise
                delay = SYNC_BACKOFF[min(failures, len(SYNC_BACKOFF) - 1)]
                failures += 1
                log.info("sync failed (%s); retrying in %.0f s", exc, delay)
                await self._sleep_unless_closed(delay)
                continue
            if body is None:
                return
            failures = 0
            await self._join_invites(body)
            for room, event in state.apply(body):
                if event.get("sender") != self.me:
                    yield to_message(room, event, self.me, read=False)

    async def _sync_position(self) -> SyncState:
        """Where incoming() starts: now, with the rooms (names, members) known so far."""
        rooms = await self._rooms()
        return SyncState(
            history_limit=1,
            since=self._state.since,
            rooms={r.room_id: replace(r, members=dict(r.members), timeline=[]) for r in rooms},
            direct_rooms=dict(self._state.direct_rooms),
        )

    async def _long_poll(self, since: str | None) -> JSON | None:
        """One ``/sync`` long-poll, or None if the connector closed meanwhile."""
        poll = asyncio.ensure_future(
            self.client.request(
                "GET",
                "/sync",
                params={
                    "since": since or "",
                    "timeout": str(int(self.config.sync_timeout * 1000)),
                    "filter": _INCOMING_FILTER,
                },
                timeout=self.config.sync_timeout + self.config.timeout,
            )
        )
        closed = asyncio.ensure_future(self._closed.wait())
        try:
            done, _ = await asyncio.wait({poll, closed}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (poll, closed):
                if not task.done():
                    task.cancel()
        return poll.result() if poll in done else None

    async def _join_invites(self, body: JSON) -> None:
        for room_id in body.get("rooms", {}).get("invite", {}):
            try:
                await self.client.request("POST", f"/join/{path(room_id)}", json={})
            except ConnectorError as exc:
                log.warning("could not join invited room %s: %s", room_id, exc)

    async def _sleep_unless_closed(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closed.wait(), timeout=seconds)

    # -- directory -------------------------------------------------------------

    async def search_contacts(self, query: str, limit: int = 10) -> Sequence[Contact]:
        """The homeserver's user directory search."""
        body = await self.client.request(
            "POST", "/user_directory/search", json={"search_term": query, "limit": limit}
        )
        return [
            Contact(
                id=str(r["user_id"]), name=str(r.get("display_name") or localpart(r["user_id"]))
            )
            for r in body.get("results", [])
            if r.get("user_id") != self.me
        ][:limit]

    async def list_contacts(self, cursor: str | None = None, page_size: int = 500) -> ContactPage:
        """Members of joined rooms and the group rooms themselves, by id, paged."""
        contacts = _contacts_of(await self._rooms(), self.me)
        try:
            start = int(cursor) if cursor else 0
        except ValueError:
            raise RejectedError(f"bad directory cursor {cursor!r}") from None
        page = contacts[start : start + page_size]
        end = start + len(page)
        return ContactPage(tuple(page), str(end) if end < len(contacts) else None)


def _contacts_of(rooms: Sequence[RoomView], me: str) -> list[Contact]:
    people: dict[str, Contact] = {}
    groups = []
    for room in rooms:
        for user_id, name in room.members.items():
            if user_id != me:
                people.setdefault(user_id, Contact(id=user_id, name=name))
        if not room.direct:
            groups.append(Contact(id=room.room_id, name=room.display_name(me), kind="group"))
    return sorted([*people.values(), *groups], key=lambda c: c.id)
