"""The notice bell: a session hears that a notice is owed to its car, without polling.

Specification: when the delivery worker settles a message a notice is owed
for (delivered after the driver heard "queued", or failed for good), the
outbox rings its bell for the message's owner, after the commit, on both
engines; a message the driver heard the outcome of rings nobody. The bell
wakes the owner's subscriptions (and those listening for everyone), from
any thread, and a closed subscription is never rung again.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.errors import RejectedError
from assistant.models import OutgoingMessage
from assistant.storage.postgres import PostgresDatabase
from connectors.outbox import Outbox
from connectors.outbox.bell import EVERYONE, NoticeBell
from connectors.retry import RetryPolicy
from tests.connectors.test_outbox import ScriptedBackend
from tests.servers.postgres import PostgresServer

FAST = RetryPolicy(max_attempts=1, base_delay=0.001, max_delay=0.01, deadline=30.0)


def receiver(*, refuse: bool = False) -> ScriptedBackend:
    """A backend that takes the message, or refuses it (a 4xx: final at once)."""
    return ScriptedBackend([RejectedError("no such recipient")] if refuse else [])


def message(key: str | None = None) -> OutgoingMessage:
    return OutgoingMessage(key or uuid.uuid4().hex, "u-li-wei", "Li Wei", "running late")


@pytest.fixture(params=["sqlite", "postgres"])
def outbox(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Outbox]:
    if request.param == "sqlite":
        box = Outbox.open(tmp_path / "outbox.sqlite3", policy=FAST)
        yield box
        box.close()
        return
    server: PostgresServer = request.getfixturevalue("postgres")
    db = PostgresDatabase.connect(server.create_database(), max_size=4)
    yield Outbox.shared(db, "acme", policy=FAST)
    db.close()


async def rung(ear_owner: str, bell: NoticeBell, action: object) -> bool:
    """Whether running ``action`` (a coroutine) rang ``ear_owner``'s subscription."""
    with bell.subscribe(ear_owner) as ear:
        await action  # type: ignore[misc]
        await asyncio.sleep(0)  # the ring is scheduled on this loop
        return ear.take()


async def test_a_late_delivery_rings_its_owner(outbox: Outbox) -> None:
    entry = outbox.enqueue(message(), owner="car-1")
    outbox.mark_queued(entry.key)  # the driver heard "queued"
    assert await rung("car-1", outbox.bell, outbox.attempt(entry.key, receiver()))
    assert [e.key for e in outbox.late_deliveries("car-1")] == [entry.key]  # committed first


async def test_a_final_failure_rings_its_owner(outbox: Outbox) -> None:
    entry = outbox.enqueue(message(), owner="car-1")
    assert await rung("car-1", outbox.bell, outbox.attempt(entry.key, receiver(refuse=True)))
    assert [e.key for e in outbox.failures("car-1")] == [entry.key]


async def test_an_outcome_the_driver_heard_rings_nobody(outbox: Outbox) -> None:
    delivered = outbox.enqueue(message(), owner="car-1")
    failed = outbox.enqueue(message(), owner="car-1")
    with outbox.bell.subscribe("car-1") as ear:
        await outbox.deliver(delivered.key, receiver(), told=True)
        with pytest.raises(RejectedError):
            await outbox.deliver(failed.key, receiver(refuse=True), told=True)
        await asyncio.sleep(0)
        assert not ear.take()


async def test_an_on_time_delivery_rings_nobody(outbox: Outbox) -> None:
    entry = outbox.enqueue(message(), owner="car-1")  # never marked queued: nothing owed
    assert not await rung("car-1", outbox.bell, outbox.attempt(entry.key, receiver()))


async def test_a_ring_wakes_the_owner_and_everyone_listeners_only() -> None:
    bell = NoticeBell()
    with (
        bell.subscribe("car-1") as mine,
        bell.subscribe("car-2") as other,
        bell.subscribe(EVERYONE) as all_cars,
    ):
        bell.ring("car-1")
        await asyncio.sleep(0)
        assert (mine.take(), other.take(), all_cars.take()) == (True, False, True)
        bell.ring(EVERYONE)  # an unowned message: every session hears it
        await asyncio.sleep(0)
        assert (mine.take(), other.take(), all_cars.take()) == (True, True, True)
    assert len(bell) == 0


async def test_a_ring_from_another_thread_wakes_a_waiting_session() -> None:
    bell = NoticeBell()
    with bell.subscribe("car-1") as ear:
        threading.Timer(0.05, bell.ring, ("car-1",)).start()
        await asyncio.wait_for(ear.wait(), 30)
        assert not ear.take()  # wait() took the ring


async def test_a_closed_subscription_is_not_rung() -> None:
    bell = NoticeBell()
    ear = bell.subscribe("car-1")
    ear.close()
    bell.ring("car-1")
    await asyncio.sleep(0)
    assert not ear.take()
    assert len(bell) == 0
