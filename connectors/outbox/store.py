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
  When the worker settles a message a notice is owed for, the outbox rings
  its :class:`~connectors.outbox.bell.NoticeBell` for the message's owner
  (sessions wait on it instead of polling) and, shared in PostgreSQL,
  ``NOTIFY``s ``drivetalk_notices`` in the same transaction so the other
  replicas ring theirs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol, cast

from assistant.errors import BeingDeliveredError, ConnectorError, StorageError
from assistant.models import OutgoingMessage, SendReceipt
from assistant.storage.database import Database, Transaction
from assistant.storage.migrations import migrate
from assistant.storage.sqlite import SqliteDatabase
from connectors.outbox.bell import NoticeBell
from connectors.outbox.entry import (
    COLUMNS,
    MIGRATIONS,
    PG_MIGRATIONS,
    OutboxEntry,
    row_to_entry,
)
from connectors.outbox.schedule import DeliverySchedule
from connectors.retry import RetryPolicy, call_with_retry

log = logging.getLogger(__name__)

#: The outbox's file name inside the data directory (next to the local store).
OUTBOX_FILE = "outbox.sqlite3"
#: Seconds a claim on a message lasts: longer than any single send, so a live
#: sender never loses it, and a dead replica's messages are taken over after it.
DEFAULT_LEASE_S = 120.0
#: The PostgreSQL channel a shared outbox announces owed notices on
#: (payload: JSON ``tenant``, ``owner`` and ``origin``, the claimant that settled it).
NOTICE_CHANNEL = "drivetalk_notices"


class Sender(Protocol):
    """All the outbox needs of a :class:`~connectors.ports.MessagingPort`."""

    async def send(self, message: OutgoingMessage) -> SendReceipt:
        """Deliver ``message``; the same idempotency key never delivers twice."""
        ...


class Outbox:
    """A durable queue of confirmed messages (SQLite file or shared PostgreSQL table)."""

    def __init__(
        self,
        db: Database,
        *,
        tenant: str | None = None,
        policy: RetryPolicy,
        schedule: DeliverySchedule,
        now: Callable[[], datetime],
        lease: float = DEFAULT_LEASE_S,
    ) -> None:
        self._db = db
        # A SQLite file holds one tenant's outbox; the PostgreSQL table holds
        # every tenant's, each statement limited to this one.
        self._scope = "" if tenant is None else " AND tenant = ?"
        self._scope_params: tuple[object, ...] = () if tenant is None else (tenant,)
        self._order = "rowid" if db.dialect == "sqlite" else "seq"
        self.tenant = tenant
        #: Replicas share this outbox (PostgreSQL): sending needs a claim.
        self.shared_table = tenant is not None
        # One delivery per key at a time inside this process (the dialog
        # delivering while the worker runs), counted so the lock is dropped
        # when its last user leaves; across processes and replicas a claim
        # with a lease (see :meth:`claim`) lets exactly one of them send.
        self._key_locks: dict[str, tuple[asyncio.Lock, int]] = {}
        self._listeners: list[Callable[[], None]] = []
        self._failure_listeners: list[Callable[[ConnectorError, bool], None]] = []
        self.path = Path(db.location) if db.dialect == "sqlite" else None
        self.policy = policy
        self.schedule = schedule
        self._now = now
        self.lease = lease
        #: Who this process is in claims (unique per process and outbox).
        self.claimant = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        #: Rung (from any thread) when a notice may be owed to a message's owner.
        self.bell = NoticeBell()

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        policy: RetryPolicy | None = None,
        schedule: DeliverySchedule | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> Outbox:
        """Open (creating or upgrading if needed) the SQLite outbox at ``path``."""
        # fsync'd commits: "enqueued" means on disk, not only in the page cache.
        db = SqliteDatabase.open(path, what="outbox at", fsync_commits=True)
        try:
            migrate(db, "outbox", MIGRATIONS)
        except StorageError:
            db.close()
            raise
        return cls(
            db,
            policy=policy or RetryPolicy(),
            schedule=schedule or DeliverySchedule(),
            now=now or _utcnow,
        )

    @classmethod
    def shared(
        cls,
        db: Database,
        tenant: str,
        *,
        policy: RetryPolicy | None = None,
        schedule: DeliverySchedule | None = None,
        now: Callable[[], datetime] | None = None,
        lease: float = DEFAULT_LEASE_S,
    ) -> Outbox:
        """``tenant``'s outbox in the fleet's PostgreSQL database (every replica sees it)."""
        prepare_shared(db)
        return cls(
            db,
            tenant=tenant,
            policy=policy or RetryPolicy(),
            schedule=schedule or DeliverySchedule(),
            now=now or _utcnow,
            lease=lease,
        )

    @property
    def location(self) -> str:
        """Where the outbox lives (a path, or ``host:port/dbname`` and the tenant)."""
        if self.tenant is None:
            return self._db.location
        return f"{self._db.location} (tenant {self.tenant})"

    def close(self) -> None:
        """Close a SQLite outbox's file (a shared database is closed by its owner)."""
        if self.tenant is None:
            self._db.close()

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
        tenant_column = ", tenant" if self.tenant is not None else ""
        tenant_mark = ", ?" if self.tenant is not None else ""
        conflict = "tenant, idempotency_key" if self.tenant is not None else "idempotency_key"
        # Claimed by this process at once: the caller delivers it right away,
        # and other replicas' workers leave it alone unless this one dies.
        claimant, claim_until = (
            (self.claimant, now.timestamp() + self.lease) if self.shared_table else (None, None)
        )
        with self._write() as tx:
            tx.execute(
                "INSERT INTO outbox (idempotency_key, recipient_id, recipient_name, body, "
                "urgent, to_group, in_reply_to, state, created_at, updated_at, expires_at, "
                f"owner, claimed_by, claim_until{tenant_column}) VALUES (?, ?, ?, ?, ?, ?, ?, "
                f"'pending', ?, ?, ?, ?, ?, ?{tenant_mark}) "
                f"ON CONFLICT ({conflict}) DO NOTHING",
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
                    claimant,
                    claim_until,
                    *self._scope_params,
                ),
            )
        entry = self.get(message.idempotency_key)
        if entry.message != message:
            log.warning("idempotency key reused for a different message; kept the first one")
        self._changed()
        return entry

    def get(self, key: str) -> OutboxEntry:
        """The entry stored under idempotency ``key``."""
        rows = self._select("idempotency_key = ?", (key,))
        if not rows:
            raise StorageError(f"no message with idempotency key {key!r} in the outbox")
        return rows[0]

    def pending(self) -> list[OutboxEntry]:
        """Messages not yet delivered, oldest first."""
        return self._select("state = 'pending'", order=True)

    def due(self) -> list[OutboxEntry]:
        """Pending messages whose next attempt is due now, oldest first."""
        now = self._now().timestamp()
        return self._select(
            "state = 'pending' AND COALESCE(next_attempt_at, 0) <= ?"
            " AND (claim_until IS NULL OR claim_until < ? OR claimed_by = ?)",
            (now, now, self.claimant),
            order=True,
        )

    def next_due(self) -> datetime | None:
        """When the earliest pending message is due (None when nothing is pending)."""
        # A message claimed by another process is due, for us, when its lease ends.
        rows = self._db.query(
            "SELECT MIN(CASE WHEN claimed_by IS NOT NULL AND claimed_by <> ? AND claim_until"
            " > COALESCE(next_attempt_at, 0) THEN claim_until ELSE COALESCE(next_attempt_at, 0)"
            f" END) FROM outbox WHERE state = 'pending'{self._scope}",
            (self.claimant, *self._scope_params),
        )
        if not rows or rows[0][0] is None:
            return None
        return datetime.fromtimestamp(float(cast(float, rows[0][0])), UTC)

    def failures(self, owner: str | None = None) -> list[OutboxEntry]:
        """Messages that finally failed and nobody was told about yet (of ``owner``)."""
        where, params = _owned("state = 'failed'", owner)
        return self._select(where, params, order=True, by="updated_at")

    def late_deliveries(self, owner: str | None = None) -> list[OutboxEntry]:
        """Messages delivered after the driver heard they were queued, not yet told."""
        where, params = _owned("state = 'delivered' AND announce = 1", owner)
        return self._select(where, params, order=True, by="updated_at")

    def acknowledge_failure(self, key: str) -> None:
        """Record that the driver was told ``key`` failed, so it is not repeated."""
        if not self.claim_notice(key):
            raise StorageError(f"no failed message with idempotency key {key!r} in the outbox")

    def claim_notice(self, key: str) -> bool:
        """Take the notice owed for ``key``; True for exactly one caller (told once)."""
        with self._write() as tx:
            count = tx.execute(
                "UPDATE outbox SET state = CASE state WHEN 'failed' THEN 'acknowledged' "
                "ELSE state END, announce = 0, updated_at = ? WHERE idempotency_key = ? "
                f"AND (state = 'failed' OR (state = 'delivered' AND announce = 1)){self._scope}",
                (self._now().isoformat(), key, *self._scope_params),
            )
        return count == 1

    def mark_queued(self, key: str) -> OutboxEntry:
        """The driver was told ``key`` is queued: owe them a notice when it is delivered.

        Returns the entry afterwards; if it was delivered in the meantime
        (by the worker), it comes back delivered and no notice is owed.
        """
        with self._write() as tx:
            tx.execute(
                "UPDATE outbox SET announce = 1 WHERE idempotency_key = ? AND state = 'pending'"
                + self._scope,
                (key, *self._scope_params),
            )
        return self.get(key)

    def claim(self, key: str) -> bool:
        """Take ``key`` for sending for ``lease`` seconds; True for exactly one replica.

        Only the shared (PostgreSQL) outbox has claims; a SQLite outbox is
        always free to send. A pending message is free when nobody claimed it, its claim expired
        (a replica died while sending), or this process holds the claim. On
        PostgreSQL the row is locked ``FOR UPDATE SKIP LOCKED``, so replicas
        racing for the same message never wait for each other: one wins.
        """
        if not self.shared_table:
            # One machine: processes sharing a SQLite file rely on the idempotency
            # key, and a restarted process takes over at once (no lease to wait out).
            return True
        now = self._now().timestamp()
        lock = " FOR UPDATE SKIP LOCKED" if self._db.dialect == "postgres" else ""
        with self._write(durable=False) as tx:
            free = tx.query(
                "SELECT idempotency_key FROM outbox WHERE idempotency_key = ? AND state = "
                "'pending' AND (claim_until IS NULL OR claim_until < ? OR claimed_by = ?)"
                f"{self._scope}{lock}",
                (key, now, self.claimant, *self._scope_params),
            )
            if not free:
                return False
            tx.execute(
                "UPDATE outbox SET claimed_by = ?, claim_until = ? WHERE idempotency_key = ?"
                + self._scope,
                (self.claimant, now + self.lease, key, *self._scope_params),
            )
        return True

    def backlog(self) -> tuple[int, datetime | None]:
        """How many messages are pending, and when the oldest of them was confirmed."""
        [(count, oldest)] = self._db.query(
            f"SELECT COUNT(*), MIN(created_at) FROM outbox WHERE state = 'pending'{self._scope}",
            self._scope_params,
        )
        return int(str(count)), None if oldest is None else datetime.fromisoformat(str(oldest))

    def on_failure(self, listener: Callable[[ConnectorError, bool], None]) -> None:
        """Call ``listener(error, final)`` after each failed delivery is recorded (metrics)."""
        self._failure_listeners.append(listener)

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
            if not await asyncio.to_thread(self.claim, key):
                return current  # another process is sending it right now
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
        if current.state == "pending" and not await asyncio.to_thread(self.claim, key):
            raise BeingDeliveredError("another replica is delivering this message right now")
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
        for listener in self._failure_listeners:
            listener(error, retry_at is None)
        if retry_at is None:
            self._mark_failed(entry.key, attempts, error, told)
            log.warning("message %s finally failed: %s", entry.key, error)
            return
        with self._write() as tx:
            tx.execute(
                "UPDATE outbox SET attempts = attempts + ?, last_error = ?, updated_at = ?, "
                "next_attempt_at = ?, claimed_by = NULL, claim_until = NULL "
                f"WHERE idempotency_key = ? AND state = 'pending'{self._scope}",
                (attempts, str(error), now.isoformat(), retry_at.timestamp(), entry.key,
                 *self._scope_params),
            )  # fmt: skip
        log.info("message %s not delivered yet (%s); next attempt at %s", entry.key, error,
                 retry_at.isoformat(timespec="seconds"))  # fmt: skip
        self._changed()

    def _mark_delivered(self, key: str, attempts: int, receipt: SendReceipt, told: bool) -> None:
        # Not fsync'd on its own: if a power cut loses this mark, the entry is
        # sent again after restart with the same idempotency key, which the
        # backend deduplicates; the next fsync'd enqueue persists it anyway.
        with self._write(durable=False) as tx:
            rows = tx.query(
                "UPDATE outbox SET state = 'delivered', attempts = attempts + ?, "
                "last_error = NULL, updated_at = ?, message_id = ?, conversation_id = ?, "
                "delivered_at = ?, announce = CASE WHEN ? = 1 THEN 0 ELSE announce END, "
                f"claimed_by = NULL, claim_until = NULL WHERE idempotency_key = ?{self._scope} "
                "RETURNING announce, owner",
                (
                    attempts,
                    self._now().isoformat(),
                    receipt.message_id,
                    receipt.conversation_id,
                    receipt.delivered_at.isoformat(),
                    int(told),
                    key,
                    *self._scope_params,
                ),
            )
            # A late delivery the driver heard was queued: they are owed a notice.
            owed = [str(owner) for announce, owner in rows if int(str(announce)) == 1]
            self._publish(tx, owed)
        self._settled(owed)

    def _mark_failed(self, key: str, attempts: int, error: ConnectorError, told: bool) -> None:
        with self._write() as tx:
            rows = tx.query(
                "UPDATE outbox SET state = ?, attempts = attempts + ?, last_error = ?, "
                "updated_at = ?, claimed_by = NULL, claim_until = NULL "
                f"WHERE idempotency_key = ?{self._scope} RETURNING owner",
                (
                    "acknowledged" if told else "failed",
                    attempts,
                    str(error),
                    self._now().isoformat(),
                    key,
                    *self._scope_params,
                ),
            )
            owed = [] if told else [str(owner) for (owner,) in rows]
            self._publish(tx, owed)
        self._settled(owed)

    def _publish(self, tx: Transaction, owners: list[str]) -> None:
        """Tell the other replicas (shared outbox) that ``owners`` are owed a notice.

        In the transaction that records the outcome: ``NOTIFY`` is sent on
        commit, so a replica woken by it finds the row settled.
        """
        if not owners or not self.shared_table or tx.dialect != "postgres":
            return
        for owner in owners:
            note = {"tenant": self.tenant, "owner": owner, "origin": self.claimant}
            tx.query("SELECT pg_notify(?, ?)", (NOTICE_CHANNEL, json.dumps(note)))

    def _settled(self, owed: list[str]) -> None:
        """After a commit: wake the listeners, and the owners owed a notice here."""
        for owner in owed:
            self.bell.ring(owner)
        self._changed()

    def _changed(self) -> None:
        for listener in self._listeners:
            listener()

    def _write(self, *, durable: bool = True) -> AbstractContextManager[Transaction]:
        return self._db.transaction(durable=durable)

    def _select(
        self,
        where: str,
        params: tuple[object, ...] = (),
        *,
        order: bool = False,
        by: str = "created_at",
    ) -> list[OutboxEntry]:
        tail = f" ORDER BY {by}, {self._order}" if order else ""
        rows = self._db.query(
            f"SELECT {COLUMNS} FROM outbox WHERE {where}{self._scope}{tail}",
            (*params, *self._scope_params),
        )
        return [row_to_entry(row) for row in rows]


def prepare_shared(db: Database) -> None:
    """Create or upgrade the fleet's outbox table (every tenant's messages)."""
    migrate(db, "outbox", PG_MIGRATIONS)


def _owned(condition: str, owner: str | None) -> tuple[str, tuple[object, ...]]:
    """``condition``, limited to ``owner``'s messages (and unowned ones)."""
    if owner is None:
        return condition, ()
    return f"{condition} AND owner IN (?, '')", (owner,)


def _utcnow() -> datetime:
    return datetime.now(UTC)
