"""Folding /sync JSON into rooms: naming, direct vs group, unread, message ids."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from assistant.errors import RejectedError
from connectors.matrix.rooms import SyncState, split_message_id, unread_events

ME = "@me:x"


def member(user: str, name: str, membership: str = "join") -> dict[str, Any]:
    content = {"membership": membership, "displayname": name}
    return {"type": "m.room.member", "state_key": user, "content": content}


def text(event_id: str, sender: str, body: str = "hi") -> dict[str, Any]:
    return {"type": "m.room.message", "event_id": event_id, "sender": sender,
            "origin_server_ts": 0, "content": {"body": body}}  # fmt: skip


def sync(
    room: str,
    *,
    state: Sequence[Any] = (),
    timeline: Sequence[Any] = (),
    limited: bool = False,
    fully_read: str | None = None,
    batch: str = "b1",
    direct: dict[str, Any] | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {"state": {"events": list(state)},
                            "timeline": {"events": list(timeline), "limited": limited}}  # fmt: skip
    if fully_read:
        data["account_data"] = {"events": [{"type": "m.fully_read",
                                            "content": {"event_id": fully_read}}]}  # fmt: skip
    body: dict[str, Any] = {"next_batch": batch, "rooms": {"join": {room: data}}}
    if direct is not None:
        body["account_data"] = {"events": [{"type": "m.direct", "content": direct}]}
    return body


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ([{"type": "m.room.name", "state_key": "", "content": {"name": "Apollo"}}], "Apollo"),
        ([{"type": "m.room.canonical_alias", "state_key": "", "content": {"alias": "#a:x"}}],
         "#a:x"),
        ([member(ME, "Me"), member("@b:x", "Bob"), member("@a:x", "Ann")], "Ann, Bob"),
        ([member(ME, "Me"), member("@b:x", "Bob"), member("@b:x", "Bob", "leave")], "Empty room"),
    ],
)  # fmt: skip
def test_room_names_follow_the_spec_order(state: list[Any], expected: str) -> None:
    rooms = SyncState()
    rooms.apply(sync("!r:x", state=state))
    assert rooms.rooms["!r:x"].display_name(ME) == expected


def test_direct_rooms_come_from_m_direct_and_leaving_forgets_a_room() -> None:
    rooms = SyncState()
    rooms.apply(sync("!dm:x", state=[member("@b:x", "Bob")], direct={"@b:x": ["!dm:x"]}))
    assert rooms.rooms["!dm:x"].conversation(ME).kind == "direct"
    rooms.apply({"next_batch": "b2", "rooms": {"leave": {"!dm:x": {}}}})
    assert rooms.rooms == {}
    assert rooms.since == "b2"


@pytest.mark.parametrize(
    ("timeline", "fully_read", "unread"),
    [
        ([text("$1", "@b:x"), text("$2", "@b:x")], None, ["$1", "$2"]),
        ([text("$1", "@b:x"), text("$2", "@b:x")], "$1", ["$2"]),
        ([text("$1", "@b:x"), text("$2", ME), text("$3", "@b:x")], None, ["$3"]),
        ([text("$1", "@b:x"), text("$2", "@b:x")], "$2", []),
        ([text("$1", "@b:x")], "$gone", ["$1"]),  # marker older than the window
    ],
)
def test_unread_is_after_the_marker_and_after_my_last_message(
    timeline: list[Any], fully_read: str | None, unread: list[str]
) -> None:
    rooms = SyncState()
    rooms.apply(sync("!r:x", timeline=timeline, fully_read=fully_read))
    assert [e["event_id"] for e in unread_events(rooms.rooms["!r:x"], ME)] == unread


def test_a_limited_timeline_replaces_the_window_and_the_window_is_capped() -> None:
    rooms = SyncState(history_limit=2)
    rooms.apply(sync("!r:x", timeline=[text("$1", "@b:x")]))
    new = rooms.apply(sync("!r:x", timeline=[text("$2", "@b:x"), text("$3", "@b:x")]))
    assert [e["event_id"] for _, e in new] == ["$2", "$3"]
    assert [e["event_id"] for e in rooms.rooms["!r:x"].timeline] == ["$2", "$3"]
    rooms.apply(sync("!r:x", timeline=[text("$9", "@b:x")], limited=True))
    assert [e["event_id"] for e in rooms.rooms["!r:x"].timeline] == ["$9"]


@pytest.mark.parametrize("value", ["", "$event", "!room:x", "!room:x/", "room/$e", "!r:x/e"])
def test_message_ids_must_name_room_and_event(value: str) -> None:
    with pytest.raises(RejectedError, match="not a Matrix message id"):
        split_message_id(value)


def test_message_ids_split_at_the_first_slash() -> None:
    assert split_message_id("!AbC-_09:x/$ev/with+slash") == ("!AbC-_09:x", "$ev/with+slash")
