"""Each incoming message is announced once per session, however many replicas hold it.

Specification: in fleet mode every replica that holds a copy of a REST
session (it created it, or took a turn of it) hears a pushed message. Only
one copy announces it: a copy with an open stream (the car listens there),
or, while no stream is open on any replica, the one that served the
session's latest turn (the car talks to it); the others stay silent. On
SQLite and PostgreSQL alike (the ``database`` fixture).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from assistant.models import Message
from assistant.server.keys import Principal
from assistant.server.session_store import SessionStore
from assistant.server.sessions import SessionRegistry
from assistant.storage.database import Database

CAR = Principal("k1", "acme", "car-1")
Claim = Callable[[Message], Awaitable[bool]]


class Copy:
    """A session's conversation on one replica: only what the registry uses."""

    def __init__(self) -> None:
        self.claim: Claim | None = None
        self.closed = False

    def announce_once(self, claim: Claim) -> None:
        self.claim = claim

    def snapshot(self) -> str:
        return "{}"

    async def restore(self, snapshot: str) -> None:
        return None

    async def aclose(self) -> None:
        self.closed = True


def message(message_id: str) -> Message:
    return Message(
        message_id, "dm-u-li-na", "Li Na", "u-li-na", "Li Na", "Lunch?",
        datetime(2026, 11, 23, 8, tzinfo=UTC),
    )  # fmt: skip


async def announcers(copies: dict[str, Copy], message_id: str) -> list[str]:
    """Which replicas' copies would announce ``message_id`` (each asks as it hears it)."""
    said = []
    for replica, copy in copies.items():
        assert copy.claim is not None
        if await copy.claim(message(message_id)):
            said.append(replica)
    return said


async def test_a_message_is_announced_by_the_copy_the_car_talks_to(database: Database) -> None:
    store = SessionStore(database)
    copies = {"one": Copy(), "two": Copy()}

    async def rebuild_two(_who: Principal) -> Copy:
        return copies["two"]

    one = SessionRegistry(4, 3600, store=store, rebuild=rebuild_two)
    two = SessionRegistry(4, 3600, store=store, rebuild=rebuild_two)

    async def make() -> Copy:
        return copies["one"]

    created = await one.create(CAR, make)  # type: ignore[arg-type]
    await one.remember(created)
    assert await announcers({"one": copies["one"]}, "m1") == ["one"]
    # The car's next turn goes to replica two: from then on two announces.
    taken = await two.get(CAR, created.id)
    async with two.turn(taken):
        pass
    assert await announcers(copies, "m2") == ["two"]
    assert await announcers(copies, "m2") == []  # once, whoever asks again
    # Replica one is behind: without a stream it stays silent. With one, it
    # announces (the car listens there), and two, whose copy served the latest
    # turn, stays silent even when it hears the message first; still once.
    assert await announcers({"one": copies["one"]}, "m3") == []
    await one.open_stream(created, wait=0)
    assert await announcers({"two": copies["two"]}, "m4") == []
    assert await announcers({"one": copies["one"]}, "m4") == ["one"]
    assert await announcers(copies, "m4") == []
    await one.close_stream(created)
    assert await announcers(copies, "m5") == ["two"]
