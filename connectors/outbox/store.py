"""The durable outbox: a confirmed message is on disk before any network call.

Lifecycle of an entry::

    enqueue ──> pending ──attempt ok──> delivered
                 │  ▲
                 │  └── transient error: next_attempt_at = schedule (persisted)
                 │
                 └──refused, or still failing at expires_at──> failed ──told──> acknowledged

* ``enqueue`` commits the message to SQLite (WAL, ``synchronous=FULL``, so
  the commit is fsync'd) before it returns; the same idempotency key twice
  returns the first entry instead of a duplicate.
* ``attempt`` sends once and records the outcome; after a transient error
  the next attempt's time is stored with the entry (see
  :mod:`connectors.outbox.schedule`), so the schedule survives a restart.
  The same idempotency key goes with every attempt, so the receiver sees the
  message exactly once even when an attempt timed out after it took it.
* ``deliver`` is ``attempt`` in a bounded in-process retry loop, for a caller
  that waits (the dialog right after "yes"); when its budget runs out the
  message simply stays pending for the delivery worker.
* ``due`` / ``next_due`` tell the worker (:mod:`connectors.outbox.worker`)
  what to send and when to wake up.
* Notices: ``failures`` lists messages that finally failed; ``late_deliveries``
  those delivered after the driver was told they were queued
  (``mark_queued``). ``claim_notice`` lets exactly one session tell each.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from assistant.errors import ConnectorError, StorageError
from assistant.models import OutgoingMessage, SendReceipt
from assistant.storage.migrations import migrate
from assistant.storage.sqlite import SqliteDatabase
from connectors.outbox.entry import COLUMNS, MIGRATIONS, OutboxEntry, row_to_entry
from connectors.outbox.schedule import DeliverySchedule
from connectors.retry import RetryPolicy, call_with_retry

log = logging.getLogger(__name__)

#: The outbox's file name inside the data directory (next to the local store).
OUTBOX_FILE = "outbox.sqlite3"


class Sender(Protocol):
    """All the outbox needs of a :class:`~connectors.ports.MessagingPort`."""

    async def send(self, message: OutgoingMessage) -> SendReceipt:
        """Deliver ``message``; the same idempotency key never delivers twice."""
        ...


class Outbox:
    """A SQLite-backed queue of confirmed messages; see the module docstring."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        path: Path,
        *,
        policy: RetryPolicy,
        schedule: DeliverySchedule,
        now: Callable[[], datetime],
    ) -> None:
        self._conn = conn
        self._db_lock = threading.Lock()
        # One delivery per key at a time inside this process (the dialog
        # delivering while the worker runs), counted so the lock is dropped
        # when its last user leaves; across processes the idempotency key
        # keeps the receiver from seeing a duplicate.
        self._key_locks: dict[str, tuple[asyncio.Lock, int]] = {}
        self._listeners: list[Callable[[], None]] = []
        self.path = path
        self.policy = policy
        self.schedule = schedule
        self._now = now

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        policy: RetryPolicy | None = None,
        schedule: DeliverySchedule | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> Outbox:
        """Open (creating or upgrading if needed) the outbox database at ``path``."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            conn.execute("PRAGMA busy_timeout = 10000")
            conn.execute("PRAGMA journal_mode = WAL")
            # FULL makes every commit fsync the WAL: "enqueued" means on disk.
            conn.execute("PRAGMA synchronous = FULL")
            migrate(SqliteDatabase(conn, path), "outbox", MIGRATIONS)
        except (sqlite3.Error, OSError) as exc:
            raise StorageError(f"cannot open the outbox at {path}: {exc}") from exc
        return cls(
            conn,
            path,
            policy=policy or RetryPolicy(),
            schedule=schedule or DeliverySchedule(),
            now=now or _utcnow,
        )

    def close(self) -> None:
        """Close the database; the outbox cannot be used afterwards."""
        with self._db_lock:
            self._conn.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def subscribe(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` (from any thread) whenever an entry is added or settled."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[], None]) -> None:
        """Stop calling ``listener``."""
        with contextlib.suppress(ValueError):
            self._listeners.remove(listener)

    # -- queue -----------------------------------------------------------

    def enqueue(self, message: OutgoingMessage, *, owner: str = "") -> OutboxEntry:
        """Persist ``message`` (fsync'd) and return its entry.

        Enqueueing the same idempotency key again is a no-op that returns the
        entry already stored, whatever state it is in.
        """
        now = self._now()
        stamp = now.isoformat()
        expires = self.schedule.expires(now).timestamp()
        with self._write() as conn:
            conn.execute(
                "INSERT INTO outbox (idempotency_key, recipient_id, recipient_name, body, "
                "urgent, to_group, in_reply_to, state, created_at, updated_at, expires_at, "
                "owner) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?) "
                "ON CONFLICT (idempotency_key) DO NOTHING",
                (
                    message.idempotency_key,
                    message.recipient_id,
                    message.recipient_name,
                    message.body,
                    int(message.urgent),
                    int(message.to_group),
                    message.in_reply_to,
                    stamp,
                    stamp,
                    expires,
                    owner,
                ),
            )
        entry = self.get(message.idempotency_key)
        if entry.message != message:
            log.warning("idempotency key reused for a different message; kept the first one")
        self._changed()
        return entry

    def get(self, key: str) -> OutboxEntry:
        """The entry stored under idempotency ``key``."""
        rows = self._select("WHERE idempotency_key = ?", (key,))
        if not rows:
            raise StorageError(f"no message with idempotency key {key!r} in the outbox")
        return rows[0]

    def pending(self) -> list[OutboxEntry]:
        """Messages not yet delivered, oldest first."""
        return self._select("WHERE state = 'pending' ORDER BY created_at, rowid")

    def due(self) -> list[OutboxEntry]:
        """Pending messages whose next attempt is due now, oldest first."""
        return self._select(
            "WHERE state = 'pending' AND COALESCE(next_attempt_at, 0) <= ? "
            "ORDER BY created_at, rowid",
            (self._now().timestamp(),),
        )

    def next_due(self) -> datetime | None:
        """When the earliest pending message is due (None when nothing is pending)."""
        with self._db_lock:
            try:
                row = self._conn.execute(
                    "SELECT MIN(COALESCE(next_attempt_at, 0)) FROM outbox WHERE state = 'pending'"
                ).fetchone()
            except sqlite3.Error as exc:
                raise StorageError(f"outbox read failed ({self.path}): {exc}") from exc
        if row is None or row[0] is None:
            return None
        return datetime.fromtimestamp(float(row[0]), UTC)

    def failures(self, owner: str | None = None) -> list[OutboxEntry]:
        """Messages that finally failed and nobody was told about yet (of ``owner``)."""
        where, params = _owned("state = 'failed'", owner)
        return self._select(f"{where} ORDER BY updated_at, rowid", params)

    def late_deliveries(self, owner: str | None = None) -> list[OutboxEntry]:
        """Messages delivered after the driver heard they were queued, not yet told."""
        where, params = _owned("state = 'delivered' AND announce = 1", owner)
        return self._select(f"{where} ORDER BY updated_at, rowid", params)

    def acknowledge_failure(self, key: str) -> None:
        """Record that the driver was told ``key`` failed, so it is not repeated."""
        if not self.claim_notice(key):
            raise StorageError(f"no failed message with idempotency key {key!r} in the outbox")

    def claim_notice(self, key: str) -> bool:
        """Take the notice owed for ``key``; True for exactly one caller (told once)."""
        with self._write() as conn:
            cur = conn.execute(
                "UPDATE outbox SET state = CASE state WHEN 'failed' THEN 'acknowledged' "
                "ELSE state END, announce = 0, updated_at = ? WHERE idempotency_key = ? "
                "AND (state = 'failed' OR (state = 'delivered' AND announce = 1))",
                (self._now().isoformat(), key),
            )
        return cur.rowcount == 1

    def mark_queued(self, key: str) -> OutboxEntry:
        """The driver was told ``key`` is queued: owe them a notice when it is delivered.

        Returns the entry afterwards; if it was delivered in the meantime
        (by the worker), it comes back delivered and no notice is owed.
        """
        with self._write() as conn:
            conn.execute(
                "UPDATE outbox SET announce = 1 WHERE idempotency_key = ? AND state = 'pending'",
                (key,),
            )
        return self.get(key)

    # -- delivery --------------------------------------------------------

    async def attempt(
        self,
        entry: OutboxEntry | str,
        messaging: Sender,
        *,
        told: bool = False,
        due_only: bool = False,
    ) -> OutboxEntry:
        """Send one entry once (if still pending) and return it with the outcome recorded.

        ``told``: the caller tells the driver the outcome itself, so no
        notice is owed for it. ``due_only``: skip it if, by the time the
        per-key lock is ours, another attempt has moved its next one later.
        """
        key = entry if isinstance(entry, str) else entry.key
        async with self._lock_for(key):
            current = await asyncio.to_thread(self.get, key)
            if current.state != "pending":
                return current
            if due_only and current.next_attempt_at and current.next_attempt_at > self._now():
                return current
            try:
                receipt = await messaging.send(current.message)
            except ConnectorError as exc:
                await asyncio.to_thread(self._record_failure, current, 1, exc, told)
            else:
                await asyncio.to_thread(self._mark_delivered, key, 1, receipt, told)
            return await asyncio.to_thread(self.get, key)

    async def deliver(
        self, entry: OutboxEntry | str, messaging: Sender, *, told: bool = False
    ) -> SendReceipt:
        """Send one entry (or key) with in-process retries; raise the error if not delivered.

        Delivering an entry that is already delivered returns its receipt
        without sending again; delivering a failed one tries again. When the
        retry policy's budget runs out on a transient error the entry stays
        pending, its next attempt scheduled for the delivery worker.
        """
        key = entry if isinstance(entry, str) else entry.key
        async with self._lock_for(key):
            return await self._deliver_locked(key, messaging, told)

    async def _deliver_locked(self, key: str, messaging: Sender, told: bool) -> SendReceipt:
        current = await asyncio.to_thread(self.get, key)
        if current.receipt is not None:
            return current.receipt
        attempts = 0

        async def attempt() -> SendReceipt:
            nonlocal attempts
            attempts += 1
            return await messaging.send(current.message)

        try:
            receipt = await call_with_retry(attempt, self.policy)
        except ConnectorError as exc:
            await asyncio.to_thread(self._record_failure, current, attempts, exc, told)
            raise
        await asyncio.to_thread(self._mark_delivered, key, attempts, receipt, told)
        return receipt

    async def flush(self, messaging: Sender) -> list[OutboxEntry]:
        """Deliver every pending message in order; return their entries afterwards.

        A message that is refused or expires does not stop the others: it
        ends up in :meth:`failures`; one that keeps failing transiently stays
        pending with its next attempt scheduled.
        """
        outcome = []
        for entry in await asyncio.to_thread(self.pending):
            # The outcome is recorded by deliver() and read back below.
            with contextlib.suppress(ConnectorError):
                await self.deliver(entry, messaging)
            outcome.append(await asyncio.to_thread(self.get, entry.key))
        return outcome

    # -- internals -------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _lock_for(self, key: str) -> AsyncIterator[None]:
        lock, users = self._key_locks.get(key) or (asyncio.Lock(), 0)
        self._key_locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._key_locks[key]
            if users == 1:
                del self._key_locks[key]
            else:
                self._key_locks[key] = (lock, users - 1)

    def _record_failure(
        self, entry: OutboxEntry, attempts: int, error: ConnectorError, told: bool
    ) -> None:
        now = self._now()
        expires = entry.expires_at or self.schedule.expires(entry.created_at)
        retry_at = self.schedule.after_failure(entry.attempts + attempts, error, now, expires)
        if retry_at is None:
            self._mark_failed(entry.key, attempts, error, told)
            log.warning("message %s finally failed: %s", entry.key, error)
            return
        with self._write() as conn:
            conn.execute(
                "UPDATE outbox SET attempts = attempts + ?, last_error = ?, updated_at = ?, "
                "next_attempt_at = ? WHERE idempotency_key = ? AND state = 'pending'",
                (attempts, str(error), now.isoformat(), retry_at.timestamp(), entry.key),
            )
        log.info("message %s not delivered yet (%s); next attempt at %s", entry.key, error,
                 retry_at.isoformat(timespec="seconds"))  # fmt: skip
        self._changed()

    def _mark_delivered(self, key: str, attempts: int, receipt: SendReceipt, told: bool) -> None:
        # Not fsync'd on its own: if a power cut loses this mark, the entry is
        # sent again after restart with the same idempotency key, which the
        # backend deduplicates; the next fsync'd enqueue persists it anyway.
        with self._write(durable=False) as conn:
            conn.execute(
                "UPDATE outbox SET state = 'delivered', attempts = attempts + ?, "
                "last_error = NULL, updated_at = ?, message_id = ?, conversation_id = ?, "
                "delivered_at = ?, announce = CASE WHEN ? THEN 0 ELSE announce END "
                "WHERE idempotency_key = ?",
                (
                    attempts,
                    self._now().isoformat(),
                    receipt.message_id,
                    receipt.conversation_id,
                    receipt.delivered_at.isoformat(),
                    int(told),
                    key,
                ),
            )
        self._changed()

    def _mark_failed(self, key: str, attempts: int, error: ConnectorError, told: bool) -> None:
        with self._write() as conn:
            conn.execute(
                "UPDATE outbox SET state = ?, attempts = attempts + ?, "
                "last_error = ?, updated_at = ? WHERE idempotency_key = ?",
                (
                    "acknowledged" if told else "failed",
                    attempts,
                    str(error),
                    self._now().isoformat(),
                    key,
                ),
            )
        self._changed()

    def _changed(self) -> None:
        for listener in self._listeners:
            listener()

    @contextmanager
    def _write(self, *, durable: bool = True) -> Iterator[sqlite3.Connection]:
        with self._db_lock:
            try:
                if not durable:
                    self._conn.execute("PRAGMA synchronous = NORMAL")
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self._conn
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                raise StorageError(f"outbox write failed ({self.path}): {exc}") from exc
            finally:
                if not durable:
                    self._conn.execute("PRAGMA synchronous = FULL")

    def _select(self, where: str, params: tuple[object, ...] = ()) -> list[OutboxEntry]:
        with self._db_lock:
            try:
                rows = self._conn.execute(f"SELECT {COLUMNS} FROM outbox {where}", params)
                return [row_to_entry(row) for row in rows.fetchall()]
            except sqlite3.Error as exc:
                raise StorageError(f"outbox read failed ({self.path}): {exc}") from exc


def _owned(condition: str, owner: str | None) -> tuple[str, tuple[object, ...]]:
    """A WHERE clause for ``condition``, limited to ``owner``'s messages (and unowned ones)."""
    if owner is None:
        return f"WHERE {condition}", ()
    return f"WHERE {condition} AND owner IN (?, '')", (owner,)


def _utcnow() -> datetime:
    return datetime.now(UTC)
