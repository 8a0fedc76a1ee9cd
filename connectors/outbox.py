"""The durable outbox: a confirmed message is on disk before any network call.

Lifecycle of an entry::

    enqueue ──> pending ──deliver ok──> delivered
                   │
                   └──retries spent / refused──> failed ──acknowledge_failure──> acknowledged

* ``enqueue`` commits the message to SQLite (WAL, ``synchronous=FULL``, so
  the commit is fsync'd) before it returns; the same idempotency key twice
  returns the first entry instead of a duplicate.
* ``deliver`` sends with :func:`connectors.retry.call_with_retry`, passing the
  same idempotency key on every attempt, so the receiver sees the message
  exactly once even when an attempt timed out after the backend had taken it.
* ``flush`` delivers whatever is still pending, e.g. after the process was
  killed between the driver's "yes" and the network call.
* ``failures`` lists messages that finally failed, for the dialog to tell the
  driver at the next opportunity; ``acknowledge_failure`` marks one as told.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, Protocol, cast

from assistant.errors import ConnectorError, StorageError
from assistant.models import OutgoingMessage, SendReceipt
from connectors.retry import RetryPolicy, call_with_retry

log = logging.getLogger(__name__)

#: The outbox's file name inside the data directory (next to the local store).
OUTBOX_FILE = "outbox.sqlite3"

EntryState = Literal["pending", "delivered", "failed", "acknowledged"]


class Sender(Protocol):
    """All the outbox needs of a :class:`~connectors.ports.MessagingPort`."""

    async def send(self, message: OutgoingMessage) -> SendReceipt:
        """Deliver ``message``; the same idempotency key never delivers twice."""
        ...


_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    idempotency_key TEXT PRIMARY KEY,
    recipient_id    TEXT NOT NULL,
    recipient_name  TEXT NOT NULL,
    body            TEXT NOT NULL,
    urgent          INTEGER NOT NULL,
    to_group        INTEGER NOT NULL,
    in_reply_to     TEXT,
    state           TEXT NOT NULL
                    CHECK (state IN ('pending', 'delivered', 'failed', 'acknowledged')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    message_id      TEXT,
    conversation_id TEXT,
    delivered_at    TEXT
);
CREATE INDEX IF NOT EXISTS outbox_state ON outbox (state, created_at);
"""

_COLUMNS = (
    "idempotency_key, recipient_id, recipient_name, body, urgent, to_group, in_reply_to, "
    "state, attempts, last_error, created_at, updated_at, message_id, conversation_id, "
    "delivered_at"
)


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One message in the outbox and what happened to it so far."""

    message: OutgoingMessage
    state: EntryState
    attempts: int
    created_at: datetime
    updated_at: datetime
    last_error: str | None = None
    receipt: SendReceipt | None = None

    @property
    def key(self) -> str:
        """The idempotency key, which is also the outbox's primary key."""
        return self.message.idempotency_key


class Outbox:
    """A SQLite-backed queue of confirmed messages; see the module docstring."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        path: Path,
        *,
        policy: RetryPolicy,
        now: Callable[[], datetime],
    ) -> None:
        self._conn = conn
        self._db_lock = threading.Lock()
        # One delivery per key at a time inside this process (e.g. the dialog
        # delivering while a startup flush runs), counted so the lock is
        # dropped when its last user leaves; across processes the idempotency
        # key keeps the receiver from seeing a duplicate.
        self._key_locks: dict[str, tuple[asyncio.Lock, int]] = {}
        self.path = path
        self.policy = policy
        self._now = now

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        policy: RetryPolicy | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> Outbox:
        """Open (creating if needed) the outbox database at ``path``."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            conn.execute("PRAGMA busy_timeout = 10000")
            conn.execute("PRAGMA journal_mode = WAL")
            # FULL makes every commit fsync the WAL: "enqueued" means on disk.
            conn.execute("PRAGMA synchronous = FULL")
            conn.executescript(_SCHEMA)
        except (sqlite3.Error, OSError) as exc:
            raise StorageError(f"cannot open the outbox at {path}: {exc}") from exc
        return cls(conn, path, policy=policy or RetryPolicy(), now=now or _utcnow)

    def close(self) -> None:
        """Close the database; the outbox cannot be used afterwards."""
        with self._db_lock:
            self._conn.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- queue -----------------------------------------------------------

    def enqueue(self, message: OutgoingMessage) -> OutboxEntry:
        """Persist ``message`` (fsync'd) and return its entry.

        Enqueueing the same idempotency key again is a no-op that returns the
        entry already stored, whatever state it is in.
        """
        stamp = self._now().isoformat()
        with self._write() as conn:
            conn.execute(
                "INSERT INTO outbox (idempotency_key, recipient_id, recipient_name, body, "
                "urgent, to_group, in_reply_to, state, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?) "
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
                ),
            )
        entry = self.get(message.idempotency_key)
        if entry.message != message:
            log.warning("idempotency key reused for a different message; kept the first one")
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

    def failures(self) -> list[OutboxEntry]:
        """Messages that finally failed and the driver has not been told about yet."""
        return self._select("WHERE state = 'failed' ORDER BY updated_at, rowid")

    def acknowledge_failure(self, key: str) -> None:
        """Record that the driver was told ``key`` failed, so it is not repeated."""
        with self._write() as conn:
            cur = conn.execute(
                "UPDATE outbox SET state = 'acknowledged', updated_at = ? "
                "WHERE idempotency_key = ? AND state = 'failed'",
                (self._now().isoformat(), key),
            )
        if cur.rowcount == 0:
            raise StorageError(f"no failed message with idempotency key {key!r} in the outbox")

    # -- delivery --------------------------------------------------------

    async def deliver(self, entry: OutboxEntry | str, messaging: Sender) -> SendReceipt:
        """Send one entry (or key) with retries; raise the final error if it fails.

        Delivering an entry that is already delivered returns its receipt
        without sending again; delivering a failed one tries again.
        """
        key = entry if isinstance(entry, str) else entry.key
        lock, users = self._key_locks.get(key) or (asyncio.Lock(), 0)
        self._key_locks[key] = (lock, users + 1)
        try:
            async with lock:
                return await self._deliver_locked(key, messaging)
        finally:
            lock, users = self._key_locks[key]
            if users == 1:
                del self._key_locks[key]
            else:
                self._key_locks[key] = (lock, users - 1)

    async def _deliver_locked(self, key: str, messaging: Sender) -> SendReceipt:
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
            await asyncio.to_thread(self._mark_failed, key, attempts, exc)
            log.warning("message %s finally failed after %d attempt(s)", key, attempts)
            raise
        await asyncio.to_thread(self._mark_delivered, key, attempts, receipt)
        return receipt

    async def flush(self, messaging: Sender) -> list[OutboxEntry]:
        """Deliver every pending message in order; return their entries afterwards.

        A message that fails does not stop the others: it ends up in
        :meth:`failures` and its entry comes back with ``state == "failed"``.
        """
        outcome = []
        for entry in await asyncio.to_thread(self.pending):
            # A failure is recorded by deliver() and reported through failures().
            with contextlib.suppress(ConnectorError):
                await self.deliver(entry, messaging)
            outcome.append(await asyncio.to_thread(self.get, entry.key))
        return outcome

    # -- internals -------------------------------------------------------

    def _mark_delivered(self, key: str, attempts: int, receipt: SendReceipt) -> None:
        # Not fsync'd on its own: if a power cut loses this mark, the entry is
        # sent again after restart with the same idempotency key, which the
        # backend deduplicates; the next fsync'd enqueue persists it anyway.
        with self._write(durable=False) as conn:
            conn.execute(
                "UPDATE outbox SET state = 'delivered', attempts = attempts + ?, "
                "last_error = NULL, updated_at = ?, message_id = ?, conversation_id = ?, "
                "delivered_at = ? WHERE idempotency_key = ?",
                (
                    attempts,
                    self._now().isoformat(),
                    receipt.message_id,
                    receipt.conversation_id,
                    receipt.delivered_at.isoformat(),
                    key,
                ),
            )

    def _mark_failed(self, key: str, attempts: int, error: ConnectorError) -> None:
        with self._write() as conn:
            conn.execute(
                "UPDATE outbox SET state = 'failed', attempts = attempts + ?, "
                "last_error = ?, updated_at = ? WHERE idempotency_key = ?",
                (attempts, str(error), self._now().isoformat(), key),
            )

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
                rows = self._conn.execute(f"SELECT {_COLUMNS} FROM outbox {where}", params)
                return [_row_to_entry(row) for row in rows.fetchall()]
            except sqlite3.Error as exc:
                raise StorageError(f"outbox read failed ({self.path}): {exc}") from exc


def _row_to_entry(row: tuple[object, ...]) -> OutboxEntry:
    (key, rid, rname, body, urgent, to_group, reply_to, state, attempts, error,
     created, updated, message_id, conversation_id, delivered_at) = row  # fmt: skip
    message = OutgoingMessage(
        idempotency_key=str(key),
        recipient_id=str(rid),
        recipient_name=str(rname),
        body=str(body),
        urgent=bool(urgent),
        to_group=bool(to_group),
        in_reply_to=None if reply_to is None else str(reply_to),
    )
    receipt = None
    if message_id is not None:
        receipt = SendReceipt(
            message_id=str(message_id),
            conversation_id=str(conversation_id),
            delivered_at=datetime.fromisoformat(str(delivered_at)),
        )
    return OutboxEntry(
        message=message,
        state=cast(EntryState, state),
        attempts=int(cast(int, attempts)),
        created_at=datetime.fromisoformat(str(created)),
        updated_at=datetime.fromisoformat(str(updated)),
        last_error=None if error is None else str(error),
        receipt=receipt,
    )


def _utcnow() -> datetime:
    return datetime.now(UTC)
