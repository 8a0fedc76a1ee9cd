"""Replicas sharing the PostgreSQL outbox: each message is sent by exactly one of them."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from assistant.errors import BeingDeliveredError
from assistant.storage.postgres import PostgresDatabase
from connectors.outbox import DeliveryWorker, Outbox
from tests.connectors.test_outbox import FAST, ScriptedBackend, message
from tests.servers.postgres import PostgresServer

LEASE = 30.0


class Clock:
    """A settable clock shared by the replicas of one test."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def db(postgres: PostgresServer) -> Iterator[PostgresDatabase]:
    database = PostgresDatabase.connect(postgres.create_database(), max_size=8)
    yield database
    database.close()


def replicas(db: PostgresDatabase, clock: Clock, count: int = 2) -> list[Outbox]:
    return [Outbox.shared(db, "acme", policy=FAST, now=clock, lease=LEASE) for _ in range(count)]


async def test_replicas_racing_for_the_same_messages_send_each_once(db: PostgresDatabase) -> None:
    clock = Clock()
    first, second, third = replicas(db, clock, 3)
    keys = [first.enqueue(message(f"m{i}")).key for i in range(20)]
    clock.now += timedelta(seconds=LEASE + 1)  # the enqueuer's own claims have lapsed
    backend = ScriptedBackend()
    workers = [DeliveryWorker(box, backend) for box in (first, second, third)]
    await asyncio.gather(*(worker.catch_up() for worker in workers))
    assert backend.calls == 20
    assert sorted(backend.delivered) == sorted(keys)
    assert {first.get(key).state for key in keys} == {"delivered"}


async def test_a_message_claimed_by_a_live_replica_is_left_to_it(db: PostgresDatabase) -> None:
    clock = Clock()
    mine, other = replicas(db, clock)
    entry = mine.enqueue(message())
    backend = ScriptedBackend()
    assert other.due() == []
    assert (await other.attempt(entry, backend)).state == "pending"
    with pytest.raises(BeingDeliveredError):
        await other.deliver(entry, backend)
    assert backend.calls == 0
    await mine.deliver(entry, backend)
    assert backend.calls == 1


async def test_a_dead_replicas_claim_is_taken_over_after_its_lease(db: PostgresDatabase) -> None:
    clock = Clock()
    dead, survivor = replicas(db, clock)
    entry = dead.enqueue(message("confirmed, then the replica died"))
    assert dead.claim(entry.key)
    backend = ScriptedBackend()
    worker = DeliveryWorker(survivor, backend)
    assert await worker.catch_up() == []
    due = survivor.next_due()
    assert due is not None
    assert due == clock.now + timedelta(seconds=LEASE)  # it wakes up when the lease ends
    clock.now += timedelta(seconds=LEASE + 1)
    [done] = await worker.catch_up()
    assert (done.state, backend.calls) == ("delivered", 1)


def test_tenants_never_see_each_others_messages(db: PostgresDatabase) -> None:
    clock = Clock()
    acme = Outbox.shared(db, "acme", now=clock)
    globex = Outbox.shared(db, "globex", now=clock)
    acme.enqueue(message("for acme", key="same-key"))
    globex.enqueue(message("for globex", key="same-key"))
    assert [e.message.body for e in acme.pending()] == ["for acme"]
    assert [e.message.body for e in globex.pending()] == ["for globex"]
