"""The outbox: durable before delivery, exactly-once delivery, failures kept for the driver."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from assistant.errors import (
    BackendUnavailableError,
    ConnectorError,
    RateLimitedError,
    RejectedError,
    StorageError,
)
from assistant.models import OutgoingMessage, SendReceipt
from assistant.storage.postgres import PostgresDatabase
from connectors.outbox import Outbox
from connectors.retry import RetryPolicy
from tests.servers.postgres import PostgresServer

FAST = RetryPolicy(max_attempts=5, base_delay=0.001, max_delay=0.01, deadline=30.0)


class ScriptedBackend:
    """A messaging backend that fails as scripted, then delivers once per key.

    Like a real backend it deduplicates by idempotency key, and it counts the
    network calls it received, so tests can tell "sent once" from "received once".
    """

    def __init__(self, failures: Sequence[ConnectorError] = ()) -> None:
        self.failures = list(failures)
        self.calls = 0
        self.delivered: dict[str, str] = {}

    async def send(self, message: OutgoingMessage) -> SendReceipt:
        self.calls += 1
        await asyncio.sleep(0)
        if self.failures:
            raise self.failures.pop(0)
        self.delivered.setdefault(message.idempotency_key, message.body)
        return SendReceipt(f"m-{message.idempotency_key}", message.recipient_id, datetime.now(UTC))


def message(body: str = "running late", key: str | None = None) -> OutgoingMessage:
    return OutgoingMessage(key or uuid.uuid4().hex, "u-li-wei", "Li Wei", body, urgent=True)


@pytest.fixture(params=["sqlite", "postgres"])
def outbox(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Outbox]:
    """An outbox on each engine: a SQLite file, a tenant's rows in PostgreSQL."""
    if request.param == "sqlite":
        box = Outbox.open(tmp_path / "outbox.sqlite3", policy=FAST)
        yield box
        box.close()
        return
    server: PostgresServer = request.getfixturevalue("postgres")
    db = PostgresDatabase.connect(server.create_database(), max_size=4)
    Outbox.shared(db, "other-tenant").enqueue(message("not ours"))  # tenants stay apart
    yield Outbox.shared(db, "acme", policy=FAST)
    db.close()


def test_enqueued_message_is_on_disk_before_enqueue_returns(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite3"
    box = Outbox.open(path)
    entry = box.enqueue(message("see you at 3"))
    # Another connection (as another process would) sees it without any close().
    other = sqlite3.connect(path)
    rows = other.execute("SELECT body, state FROM outbox").fetchall()
    other.close()
    box.close()
    assert rows == [("see you at 3", "pending")]
    assert entry.state == "pending"
    assert entry.attempts == 0


def test_the_outbox_is_fsynced_wal(tmp_path: Path) -> None:
    outbox = Outbox.open(tmp_path / "outbox.sqlite3")
    conn = sqlite3.connect(outbox.path)
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    conn.close()
    assert outbox._db.query("PRAGMA synchronous") == [(2,)]  # FULL
    outbox.close()


def test_same_key_twice_is_one_entry(outbox: Outbox) -> None:
    first = outbox.enqueue(message("hello", key="k1"))
    again = outbox.enqueue(message("hello", key="k1"))
    assert again == first
    assert len(outbox.pending()) == 1


def test_a_reused_key_keeps_the_first_message(
    outbox: Outbox, caplog: pytest.LogCaptureFixture
) -> None:
    outbox.enqueue(message("first", key="k1"))
    assert outbox.enqueue(message("second", key="k1")).message.body == "first"
    assert "idempotency key reused" in caplog.text


def test_entries_round_trip_every_field(outbox: Outbox) -> None:
    sent = OutgoingMessage("k", "g-apollo", "Project Apollo", "ship it", True, True, "m-1")
    assert outbox.enqueue(sent).message == sent


async def test_deliver_records_the_receipt_and_never_sends_twice(outbox: Outbox) -> None:
    backend = ScriptedBackend()
    entry = outbox.enqueue(message())
    receipt = await outbox.deliver(entry, backend)
    assert await outbox.deliver(entry.key, backend) == receipt
    assert backend.calls == 1
    stored = outbox.get(entry.key)
    assert (stored.state, stored.attempts, stored.receipt) == ("delivered", 1, receipt)
    assert outbox.pending() == []


@pytest.mark.parametrize(
    "error",
    [BackendUnavailableError("timed out"), RateLimitedError("slow down", retry_after=0.01)],
)
async def test_retryable_errors_are_retried_with_the_same_key(
    outbox: Outbox, error: ConnectorError
) -> None:
    backend = ScriptedBackend([error, error])
    entry = outbox.enqueue(message())
    await outbox.deliver(entry, backend)
    assert backend.calls == 3
    assert list(backend.delivered) == [entry.key]
    assert outbox.get(entry.key).attempts == 3


async def test_a_refusal_fails_at_once_and_waits_for_the_driver(outbox: Outbox) -> None:
    backend = ScriptedBackend([RejectedError("body too long")])
    entry = outbox.enqueue(message())
    with pytest.raises(RejectedError, match="body too long"):
        await outbox.deliver(entry, backend)
    [failure] = outbox.failures()
    assert (failure.key, failure.attempts, failure.last_error) == (entry.key, 1, "body too long")
    assert outbox.pending() == []
    outbox.acknowledge_failure(entry.key)
    assert outbox.failures() == []
    assert outbox.get(entry.key).state == "acknowledged"


async def test_retries_are_bounded_and_the_message_stays_scheduled(outbox: Outbox) -> None:
    backend = ScriptedBackend([BackendUnavailableError(f"down {i}") for i in range(10)])
    entry = outbox.enqueue(message())
    with pytest.raises(BackendUnavailableError, match="down 4"):
        await outbox.deliver(entry, backend)
    assert backend.calls == FAST.max_attempts
    # A transient error before the time to live is never final: the worker goes on.
    after = outbox.get(entry.key)
    assert (after.state, after.attempts, after.last_error) == ("pending", 5, "down 4")
    assert after.next_attempt_at is not None
    assert after.next_attempt_at > after.created_at
    assert outbox.failures() == []


async def test_a_failed_message_can_be_delivered_again_on_request(outbox: Outbox) -> None:
    entry = outbox.enqueue(message())
    with pytest.raises(RejectedError):
        await outbox.deliver(entry, ScriptedBackend([RejectedError("no")]))
    await outbox.deliver(entry, ScriptedBackend())
    assert outbox.get(entry.key).state == "delivered"
    assert outbox.failures() == []


async def test_flush_after_restart_delivers_pending_in_order(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite3"
    first_run = Outbox.open(path, policy=FAST)
    keys = [first_run.enqueue(message(f"message {i}")).key for i in range(3)]
    first_run.close()  # the process stops before delivering anything

    second_run = Outbox.open(path, policy=FAST)
    backend = ScriptedBackend()
    entries = await second_run.flush(backend)
    assert [e.key for e in entries] == keys
    assert list(backend.delivered.values()) == ["message 0", "message 1", "message 2"]
    assert all(e.state == "delivered" for e in entries)
    assert await second_run.flush(backend) == []
    second_run.close()


async def test_flush_goes_on_past_a_failure(outbox: Outbox) -> None:
    doomed = outbox.enqueue(message("doomed"))
    fine = outbox.enqueue(message("fine"))
    entries = await outbox.flush(ScriptedBackend([RejectedError("refused")]))
    assert [(e.key, e.state) for e in entries] == [(doomed.key, "failed"), (fine.key, "delivered")]


async def test_concurrent_deliveries_of_one_key_send_once(outbox: Outbox) -> None:
    backend = ScriptedBackend([BackendUnavailableError("blip")])
    entry = outbox.enqueue(message())
    receipts = await asyncio.gather(*(outbox.deliver(entry, backend) for _ in range(5)))
    assert len(set(receipts)) == 1
    assert backend.calls == 2  # one failed attempt, one success; no duplicates
    assert outbox._key_locks == {}  # no per-key lock outlives its deliveries


async def test_cancelled_delivery_stays_pending(outbox: Outbox) -> None:
    class Hanging(ScriptedBackend):
        async def send(self, message: OutgoingMessage) -> SendReceipt:
            await asyncio.Event().wait()
            raise AssertionError("unreachable")

    entry = outbox.enqueue(message())
    task = asyncio.create_task(outbox.deliver(entry, Hanging()))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert outbox.get(entry.key).state == "pending"


def test_unknown_keys_are_clear_errors(outbox: Outbox) -> None:
    with pytest.raises(StorageError, match="no message"):
        outbox.get("nope")
    with pytest.raises(StorageError, match="no failed message"):
        outbox.acknowledge_failure("nope")


def test_a_path_that_is_not_a_database_is_a_storage_error(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="cannot open"):
        Outbox.open(tmp_path)  # a directory
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StorageError):
        Outbox.open(garbage)
