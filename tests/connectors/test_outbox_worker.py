"""The outbox's durable schedule and notices, and the delivery worker that runs it.

Every test but the SQLite file upgrade runs on both engines: a SQLite file,
and a tenant's rows in PostgreSQL (where "the next process" is another
``Outbox`` on the same database).
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

import pytest

from assistant.errors import BackendUnavailableError, RateLimitedError, RejectedError
from assistant.models import OutgoingMessage
from assistant.storage.postgres import PostgresDatabase
from connectors.outbox import DeliverySchedule, DeliveryWorker, Outbox
from connectors.retry import RetryPolicy
from tests.connectors.test_outbox import ScriptedBackend, message
from tests.servers.postgres import PostgresServer

T0 = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
ONCE = RetryPolicy(max_attempts=1)


class Clock:
    """A settable clock for the outbox."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def opened(path: Path, clock: Callable[[], datetime], ttl: float = 3600) -> Outbox:
    schedule = DeliverySchedule(base_delay=10, max_delay=300, ttl=ttl, rng=lambda: 1.0)
    return Outbox.open(path, policy=ONCE, schedule=schedule, now=clock)


class Opener(Protocol):
    """Opens the test's outbox (again: as the next process would)."""

    def __call__(
        self,
        clock: Callable[[], datetime] | None = None,
        ttl: float = 3600,
        schedule: DeliverySchedule | None = None,
    ) -> Outbox: ...


@pytest.fixture(params=["sqlite", "postgres"])
def boxes(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    """The same outbox, opened as often as asked, on each engine."""
    db: PostgresDatabase | None = None
    if request.param == "postgres":
        server: PostgresServer = request.getfixturevalue("postgres")
        db = PostgresDatabase.connect(server.create_database(), max_size=4)

    def open_(
        clock: Callable[[], datetime] | None = None,
        ttl: float = 3600,
        schedule: DeliverySchedule | None = None,
    ) -> Outbox:
        schedule = schedule or DeliverySchedule(
            base_delay=10, max_delay=300, ttl=ttl, rng=lambda: 1.0
        )
        if db is None:
            return Outbox.open(tmp_path / "outbox.sqlite3", policy=ONCE, schedule=schedule,
                               now=clock)  # fmt: skip
        return Outbox.shared(db, "acme", policy=ONCE, schedule=schedule, now=clock)

    yield open_
    if db is not None:
        db.close()


async def test_the_schedule_survives_a_restart(boxes: Opener) -> None:
    clock = Clock()
    first = boxes(clock)
    entry = first.enqueue(message())
    after = await first.attempt(entry, ScriptedBackend([BackendUnavailableError("tunnel")]))
    assert after.next_attempt_at == T0 + timedelta(seconds=10)
    first.close()

    again = boxes(clock)  # the next process
    assert again.due() == []
    assert again.next_due() == T0 + timedelta(seconds=10)
    clock.advance(10)
    assert [e.key for e in again.due()] == [entry.key]
    backend = ScriptedBackend([BackendUnavailableError("still")])
    assert (await again.attempt(entry, backend)).next_attempt_at == clock.now + timedelta(
        seconds=20
    )  # the schedule went on where it was, it did not start over
    again.close()


async def test_transient_errors_fail_only_once_the_time_to_live_has_passed(
    boxes: Opener,
) -> None:
    clock = Clock()
    with boxes(clock, ttl=600) as outbox:
        entry = outbox.enqueue(message())
        for _ in range(5):
            state = await outbox.attempt(entry, ScriptedBackend([RateLimitedError("busy")]))
            assert state.state == "pending"
            clock.advance(100)
        clock.advance(100)
        final = await outbox.attempt(entry, ScriptedBackend([RateLimitedError("busy")]))
        assert (final.state, final.attempts) == ("failed", 6)
        assert [f.key for f in outbox.failures()] == [entry.key]


async def test_a_late_delivery_is_owed_to_its_driver_and_told_once(boxes: Opener) -> None:
    clock = Clock()
    with boxes(clock) as outbox:
        mine = outbox.enqueue(message("mine"), owner="car-1")
        theirs = outbox.enqueue(message("theirs"), owner="car-2")
        for entry in (mine, theirs):
            outbox.mark_queued(entry.key)
            await outbox.attempt(entry, ScriptedBackend())
        assert [e.key for e in outbox.late_deliveries("car-1")] == [mine.key]
        assert outbox.claim_notice(mine.key)
        assert not outbox.claim_notice(mine.key)  # another session of the car lost the race
        assert outbox.late_deliveries("car-1") == []
        assert [e.key for e in outbox.late_deliveries()] == [theirs.key]


async def test_what_the_caller_tells_itself_is_owed_to_nobody(boxes: Opener) -> None:
    with boxes(Clock()) as outbox:
        sent = outbox.enqueue(message("sent"))
        outbox.mark_queued(sent.key)
        await outbox.deliver(sent, ScriptedBackend(), told=True)
        refused = outbox.enqueue(message("refused"))
        with contextlib.suppress(RejectedError):
            await outbox.deliver(refused, ScriptedBackend([RejectedError("no")]), told=True)
        assert outbox.late_deliveries() == []
        assert outbox.failures() == []
        assert outbox.get(refused.key).state == "acknowledged"


async def test_an_outbox_of_the_previous_version_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite3"
    with sqlite3.connect(path) as db:  # the first release's table, one message pending
        db.execute(
            "CREATE TABLE outbox (idempotency_key TEXT PRIMARY KEY, recipient_id TEXT NOT NULL,"
            " recipient_name TEXT NOT NULL, body TEXT NOT NULL, urgent INTEGER NOT NULL,"
            " to_group INTEGER NOT NULL, in_reply_to TEXT, state TEXT NOT NULL, attempts"
            " INTEGER NOT NULL DEFAULT 0, last_error TEXT, created_at TEXT NOT NULL,"
            " updated_at TEXT NOT NULL, message_id TEXT, conversation_id TEXT, delivered_at TEXT)"
        )
        db.execute(
            "INSERT INTO outbox (idempotency_key, recipient_id, recipient_name, body, urgent,"
            " to_group, state, created_at, updated_at) VALUES ('k-old', 'u-li-wei', 'Li Wei',"
            f" 'from before', 0, 0, 'pending', '{T0.isoformat()}', '{T0.isoformat()}')"
        )
    with opened(path, Clock()) as outbox:
        [entry] = outbox.due()
        assert (entry.key, entry.owner, entry.announce) == ("k-old", "", False)
        assert (await outbox.attempt(entry, ScriptedBackend())).state == "delivered"


async def eventually(predicate: Callable[[], bool]) -> None:
    for _ in range(600):
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached")


async def test_the_worker_delivers_what_is_due_and_wakes_for_new_messages(
    boxes: Opener,
) -> None:
    outbox = boxes(schedule=DeliverySchedule(base_delay=0.05, max_delay=0.1))
    backend = ScriptedBackend([BackendUnavailableError("down"), RateLimitedError("busy", 0.05)])
    early = outbox.enqueue(message("before the worker started"))
    worker = DeliveryWorker(outbox, backend, idle_poll=3600)  # only a change can wake it
    task = asyncio.create_task(worker.run())
    try:
        await eventually(lambda: outbox.get(early.key).state == "delivered")
        later = outbox.enqueue(message("while it slept"))
        await eventually(lambda: outbox.get(later.key).state == "delivered")
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        outbox.close()
    assert list(backend.delivered.values()) == ["before the worker started", "while it slept"]
    assert backend.calls == 4


async def test_a_worker_cancelled_mid_flight_leaves_the_message_pending(boxes: Opener) -> None:
    class Hanging(ScriptedBackend):
        async def send(self, message: OutgoingMessage) -> object:  # type: ignore[override]
            self.calls += 1
            await asyncio.Event().wait()

    with boxes() as outbox:
        entry = outbox.enqueue(message())
        backend = Hanging()
        task = asyncio.create_task(DeliveryWorker(outbox, backend).run())
        await eventually(lambda: backend.calls == 1)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        assert outbox.get(entry.key).state == "pending"
        assert outbox._listeners == []  # the worker unsubscribed


async def test_backlog_and_failures_are_observable_for_metrics(boxes: Opener) -> None:
    clock = Clock()
    seen: list[tuple[str, bool]] = []
    with boxes(clock, ttl=600) as outbox:
        outbox.on_failure(lambda error, final: seen.append((type(error).__name__, final)))
        assert outbox.backlog() == (0, None)
        first = outbox.enqueue(message("first"))
        clock.advance(30)
        outbox.enqueue(message("second"))
        assert outbox.backlog() == (2, T0)  # the oldest is the first, confirmed at T0
        await outbox.attempt(first, ScriptedBackend([BackendUnavailableError("tunnel")]))
        await outbox.attempt(first, ScriptedBackend([RejectedError("no such user")]))
        assert seen == [("BackendUnavailableError", False), ("RejectedError", True)]
        assert outbox.backlog() == (1, T0 + timedelta(seconds=30))
