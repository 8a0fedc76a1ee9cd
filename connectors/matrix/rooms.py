"""Pure functions from Matrix ``/sync`` JSON to the project's value types.

No I/O here, so every rule (room naming, direct vs. group, what counts as
unread) is testable from JSON alone.

Message ids are ``"<room id>/<event id>"``: marking read and replying need the
room, and Matrix event ids alone do not name it. Room ids never contain ``/``,
so the first slash splits them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from assistant.errors import RejectedError
from assistant.models import Conversation, Message

JSON = dict[str, Any]


def message_id(room_id: str, event_id: str) -> str:
    """The project-level id of a Matrix event."""
    return f"{room_id}/{event_id}"


def split_message_id(value: str) -> tuple[str, str]:
    """``(room_id, event_id)`` of a project-level message id."""
    room_id, sep, event_id = value.partition("/")
    if not sep or not room_id.startswith("!") or not event_id.startswith("$"):
        raise RejectedError(f"not a Matrix message id: {value!r}")
    return room_id, event_id


@dataclass(slots=True)
class RoomView:
    """What one ``/sync`` tells about a joined room (mutable while being built)."""

    room_id: str
    name: str = ""
    alias: str = ""
    members: dict[str, str] = field(default_factory=dict)  # user id -> display name
    direct: bool = False
    fully_read: str | None = None
    timeline: list[JSON] = field(default_factory=list)

    def display_name(self, me: str) -> str:
        """Spec-style room name: explicit name, alias, else the other members."""
        if self.name:
            return self.name
        if self.alias:
            return self.alias
        others = sorted(name for uid, name in self.members.items() if uid != me)
        return ", ".join(others) or "Empty room"

    def conversation(self, me: str) -> Conversation:
        """This room as a :class:`Conversation`."""
        return Conversation(
            id=self.room_id,
            name=self.display_name(me),
            kind="direct" if self.direct else "group",
            member_ids=tuple(sorted(self.members)),
        )

    def sender_name(self, user_id: str) -> str:
        """A member's display name, or the localpart of their id."""
        return self.members.get(user_id) or localpart(user_id)


def localpart(user_id: str) -> str:
    """``@alice:example.org`` -> ``alice``."""
    return user_id.removeprefix("@").split(":", 1)[0]


def direct_room_ids(direct: Mapping[str, Any]) -> dict[str, str]:
    """Room id -> the other user, from ``m.direct`` account data content."""
    rooms: dict[str, str] = {}
    for user_id, room_ids in direct.items():
        if isinstance(room_ids, list):
            rooms.update({rid: user_id for rid in room_ids if isinstance(rid, str)})
    return rooms


@dataclass(slots=True)
class SyncState:
    """Joined rooms as folded from successive ``/sync`` responses.

    Synapse caches a non-empty ``/sync`` answer for the same request for two
    minutes, so a client must move on with ``next_batch`` instead of asking
    for a fresh initial sync each time; this class is that bookkeeping.
    """

    history_limit: int = 50
    since: str | None = None
    rooms: dict[str, RoomView] = field(default_factory=dict)
    direct_rooms: dict[str, str] = field(default_factory=dict)  # room id -> other user

    def apply(self, body: JSON) -> list[tuple[RoomView, JSON]]:
        """Fold one response in; return the new message events with their rooms."""
        direct = _account_data(body.get("account_data", {}), "m.direct")
        if direct:
            self.direct_rooms = direct_room_ids(direct)
        sections = body.get("rooms", {})
        for room_id in sections.get("leave", {}):
            self.rooms.pop(room_id, None)
        new: list[tuple[RoomView, JSON]] = []
        for room_id, data in sections.get("join", {}).items():
            room = self.rooms.setdefault(room_id, RoomView(room_id=room_id))
            new.extend((room, event) for event in self._apply_room(room, data))
        for room in self.rooms.values():
            room.direct = room.room_id in self.direct_rooms
        if "next_batch" in body:
            self.since = str(body["next_batch"])
        return new

    def _apply_room(self, room: RoomView, data: JSON) -> list[JSON]:
        timeline = data.get("timeline", {})
        events = timeline.get("events", [])
        for event in [*data.get("state", {}).get("events", []), *events]:
            if "state_key" in event:
                apply_state(room, event)
        messages = [e for e in events if e.get("type") == "m.room.message"]
        if timeline.get("limited"):
            room.timeline = []  # a gap: older events are not contiguous with these
        room.timeline = [*room.timeline, *messages][-self.history_limit :]
        fully_read = _account_data(data.get("account_data", {}), "m.fully_read")
        if isinstance(fully_read.get("event_id"), str):
            room.fully_read = fully_read["event_id"]
        return messages


def apply_state(room: RoomView, event: JSON) -> None:
    """Fold one state event into ``room``."""
    content = event.get("content", {})
    kind = event.get("type")
    if kind == "m.room.name":
        room.name = str(content.get("name", ""))
    elif kind == "m.room.canonical_alias":
        room.alias = str(content.get("alias") or "")
    elif kind == "m.room.member":
        user_id = str(event.get("state_key", ""))
        if content.get("membership") == "join":
            room.members[user_id] = str(content.get("displayname") or localpart(user_id))
        else:
            room.members.pop(user_id, None)


def _account_data(section: JSON, kind: str) -> JSON:
    for event in section.get("events", []):
        if event.get("type") == kind and isinstance(event.get("content"), dict):
            return dict(event["content"])
    return {}


def to_message(room: RoomView, event: JSON, me: str, *, read: bool) -> Message:
    """A ``m.room.message`` event as a :class:`Message`."""
    content = event.get("content", {})
    sender = str(event.get("sender", ""))
    stamp = event.get("origin_server_ts", 0)
    return Message(
        id=message_id(room.room_id, str(event.get("event_id", ""))),
        conversation_id=room.room_id,
        conversation_name=room.display_name(me),
        sender_id=sender,
        sender_name=room.sender_name(sender),
        body=str(content.get("body", "")),
        sent_at=datetime.fromtimestamp(stamp / 1000, tz=UTC),
        read=read,
        urgent=bool(content.get("org.drivetalk.urgent", False)),
    )


def unread_events(room: RoomView, me: str) -> list[JSON]:
    """Messages from others after both the read marker and my own last message.

    Sending a message counts as having read the room up to it, as in every
    Matrix client. Without a marker in the window, the whole window is unread.
    """
    start = 0
    for index, event in enumerate(room.timeline):
        if event.get("event_id") == room.fully_read or event.get("sender") == me:
            start = index + 1
    return [e for e in room.timeline[start:] if e.get("sender") != me]


def messages_in(
    room: RoomView, events: Iterable[JSON], me: str, unread_ids: set[str]
) -> list[Message]:
    """Convert ``events`` (oldest first), flagging those not in ``unread_ids`` as read."""
    return [
        to_message(room, e, me, read=e.get("event_id") not in unread_ids)
        for e in events
        if e.get("type") == "m.room.message"
    ]
