"""An outbox entry and its SQLite row: the table, its upgrades, the row <-> entry mapping."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, cast

from assistant.models import OutgoingMessage, SendReceipt
from assistant.storage.database import Transaction
from assistant.storage.migrations import Migration, sql

EntryState = Literal["pending", "delivered", "failed", "acknowledged"]


SCHEMA = """
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
"""

#: Columns added after the first release, with their definitions (added on open).
ADDED_COLUMNS = {
    # Unix time of the next attempt; NULL = as soon as possible.
    "next_attempt_at": "REAL",
    # Unix time after which a transient error is final; NULL = created_at + ttl.
    "expires_at": "REAL",
    # Who confirmed it (a vehicle), so its notices reach that driver; '' = anyone.
    "owner": "TEXT NOT NULL DEFAULT ''",
    # 1 = the driver was told "queued" and is owed a notice when it is delivered.
    "announce": "INTEGER NOT NULL DEFAULT 0",
}

INDEXES = (
    "CREATE INDEX IF NOT EXISTS outbox_state ON outbox (state, created_at)",
    "CREATE INDEX IF NOT EXISTS outbox_due ON outbox (state, next_attempt_at)",
)

COLUMNS = (
    "idempotency_key, recipient_id, recipient_name, body, urgent, to_group, in_reply_to, "
    "state, attempts, last_error, created_at, updated_at, message_id, conversation_id, "
    "delivered_at, next_attempt_at, expires_at, owner, announce"
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
    #: When the next attempt is due (None: now); meaningful while pending.
    next_attempt_at: datetime | None = None
    #: When a message still failing transiently fails for good (None: created_at + ttl).
    expires_at: datetime | None = None
    owner: str = ""
    #: The driver heard "queued" and is owed a notice once it is delivered.
    announce: bool = False

    @property
    def key(self) -> str:
        """The idempotency key, which is also the outbox's primary key."""
        return self.message.idempotency_key


def add_missing_columns(tx: Transaction) -> None:
    """Upgrade an outbox written by an earlier version in place (pending messages kept)."""
    present = {row[1] for row in tx.query("PRAGMA table_info(outbox)")}
    for name, definition in ADDED_COLUMNS.items():
        if name not in present:
            tx.execute(f"ALTER TABLE outbox ADD COLUMN {name} {definition}")


#: The SQLite outbox's schema versions. 1: the first release's table; 2: the
#: durable schedule, owners and notices (files from before versioning may
#: already have some of these columns, so only the missing ones are added).
def _add_schedule(tx: Transaction) -> None:
    add_missing_columns(tx)
    for index in INDEXES:
        tx.execute(index)


#: 3: claims, so that processes sharing an outbox send each message once.
_CLAIMS = (
    "ALTER TABLE outbox ADD COLUMN claimed_by TEXT",
    "ALTER TABLE outbox ADD COLUMN claim_until REAL",
)

MIGRATIONS = (Migration(1, sql(SCHEMA)), Migration(2, _add_schedule), Migration(3, sql(*_CLAIMS)))

#: The fleet's outbox: every tenant's messages in one PostgreSQL table.
PG_MIGRATIONS = (
    Migration(
        1,
        sql(
            """CREATE TABLE outbox (
                tenant          TEXT NOT NULL,
                idempotency_key TEXT NOT NULL,
                seq             BIGSERIAL,
                recipient_id    TEXT NOT NULL,
                recipient_name  TEXT NOT NULL,
                body            TEXT NOT NULL,
                urgent          INTEGER NOT NULL,
                to_group        INTEGER NOT NULL,
                in_reply_to     TEXT,
                state           TEXT NOT NULL CHECK
                                (state IN ('pending', 'delivered', 'failed', 'acknowledged')),
                attempts        INTEGER NOT NULL DEFAULT 0,
                last_error      TEXT,
                created_at      TEXT NOT NULL,
                updated_at      TEXT NOT NULL,
                message_id      TEXT,
                conversation_id TEXT,
                delivered_at    TEXT,
                next_attempt_at DOUBLE PRECISION,
                expires_at      DOUBLE PRECISION,
                owner           TEXT NOT NULL DEFAULT '',
                announce        INTEGER NOT NULL DEFAULT 0,
                claimed_by      TEXT,
                claim_until     DOUBLE PRECISION,
                PRIMARY KEY (tenant, idempotency_key)
            )""",
            "CREATE INDEX outbox_due ON outbox (tenant, state, next_attempt_at)",
            "CREATE INDEX outbox_pending ON outbox (state) WHERE state = 'pending'",
        ),
    ),
)


def row_to_entry(row: tuple[object, ...]) -> OutboxEntry:
    (key, rid, rname, body, urgent, to_group, reply_to, state, attempts, error,
     created, updated, message_id, conversation_id, delivered_at,
     next_at, expires, owner, announce) = row  # fmt: skip
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
        next_attempt_at=_from_epoch(next_at),
        expires_at=_from_epoch(expires),
        owner=str(owner),
        announce=bool(announce),
    )


def _from_epoch(value: object) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(float(cast(float, value)), UTC)
