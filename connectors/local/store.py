"""The embedded SQLite store behind the ``local`` connector.

One file, ``<data_dir>/drivetalk.sqlite3``, holds the directory (people and
group chats), conversations, messages and calendar events. Writes are
durable (WAL, ``synchronous=FULL``). Datetimes are stored as UTC ISO strings,
which sort correctly as text, and returned in the store's zone.

The store is synchronous and thread-safe (one connection behind a lock); the
async :class:`connectors.local.LocalConnector` runs writes off the event loop.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from assistant.errors import InputFileError, RejectedError, StorageError
from assistant.models import (
    CalendarEvent,
    Contact,
    Conversation,
    EventDraft,
    Message,
    OutgoingMessage,
    SendReceipt,
)
from connectors.local import schema

DB_NAME = "drivetalk.sqlite3"


class LocalStore:
    """Contacts, conversations, messages and events in one SQLite file."""

    def __init__(self, conn: sqlite3.Connection, path: Path, zone: tzinfo) -> None:
        self._conn = conn
        self._lock = threading.RLock()
        self.path = path
        self.zone = zone

    # -- lifecycle ---------------------------------------------------------------

    @classmethod
    def open(
        cls,
        data_dir: Path,
        *,
        now: datetime | None = None,
        zone: tzinfo | None = None,
    ) -> LocalStore:
        """Open (creating if needed) the store in ``data_dir``; a new store is empty.

        The demo organisation is seeded only on request:
        :func:`connectors.local.demo.open_demo_store` (``drivetalk demo-data``,
        or ``seed_demo = true`` for the local connector).
        """
        now = now or datetime.now(UTC)
        zone = zone or now.tzinfo or UTC
        path = Path(data_dir) / DB_NAME
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise InputFileError(f"cannot open data directory {data_dir}: {exc}") from exc
        store = cls(conn, path, zone)
        store._initialise()
        return store

    def close(self) -> None:
        """Close the database file."""
        with self._lock:
            self._conn.close()

    def _initialise(self) -> None:
        try:
            with self._lock:
                self._conn.execute("PRAGMA journal_mode=WAL")
                self._conn.execute("PRAGMA synchronous=FULL")
                self._conn.execute("PRAGMA foreign_keys=ON")
                self._conn.executescript(schema.DDL)
        except sqlite3.DatabaseError as exc:
            raise StorageError(f"{self.path} is not a DriveTalk store: {exc}") from exc

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; SQLite errors become StorageError."""
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException as exc:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise StorageError(f"local store write failed: {exc}") from exc
                raise

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                cur = self._conn.execute(sql, params)
                cur.row_factory = sqlite3.Row
                return cur.fetchall()
            except sqlite3.Error as exc:
                raise StorageError(f"local store read failed: {exc}") from exc

    def _meta(self, key: str) -> str | None:
        rows = self._query("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0]["value"] if rows else None

    def meta(self, key: str) -> str | None:
        """A value of the store's own bookkeeping (e.g. the demo week), or None."""
        return self._meta(key)

    def set_meta(self, key: str, value: str) -> None:
        """Record a bookkeeping value."""
        with self._tx() as tx:
            tx.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    @property
    def is_empty(self) -> bool:
        """Whether the store has no user yet (never seeded, nothing imported)."""
        return self._meta("me") is None

    def shift_times(self, delta: timedelta) -> None:
        """Move every message and event by ``delta`` in one transaction."""
        with self._tx() as tx:
            for table, columns in (("messages", ("sent_at",)), ("events", ("start", "end"))):
                rows = tx.execute(f"SELECT rowid, {', '.join(columns)} FROM {table}").fetchall()
                assignments = ", ".join(f"{c} = ?" for c in columns)
                tx.executemany(
                    f"UPDATE {table} SET {assignments} WHERE rowid = ?",
                    [(*(_moved(value, delta) for value in row[1:]), row[0]) for row in rows],
                )

    # -- directory ---------------------------------------------------------------

    @property
    def me(self) -> Contact:
        """The driver: the user this store belongs to."""
        me_id = self._meta("me")
        if me_id is None:
            raise StorageError("local store has no user yet; run `drivetalk demo-data`")
        return self.contact(me_id)

    def contact(self, contact_id: str) -> Contact:
        """One directory entry by id."""
        rows = self._query("SELECT * FROM contacts WHERE id = ?", (contact_id,))
        if not rows:
            raise RejectedError(f"no contact with id {contact_id!r}")
        return schema.row_to_contact(rows[0])

    def contacts(self) -> list[Contact]:
        """Everyone the driver can message, people and group chats, except the driver."""
        me_id = self._meta("me") or ""
        rows = self._query("SELECT * FROM contacts WHERE id != ? ORDER BY name, id", (me_id,))
        return [schema.row_to_contact(r) for r in rows]

    def search_contacts(self, query: str, limit: int = 10) -> list[Contact]:
        """Contacts whose name or alias contains ``query`` (case-insensitive)."""
        like = f"%{query.strip().lower()}%"
        rows = self._query(
            "SELECT * FROM contacts WHERE lower(name) LIKE ? OR lower(aliases) LIKE ? "
            "ORDER BY name, id LIMIT ?",
            (like, like, limit),
        )
        return [schema.row_to_contact(r) for r in rows]

    def add_contact(self, contact: Contact) -> None:
        """Insert or replace a directory entry."""
        with self._tx() as tx:
            tx.execute(schema.UPSERT_CONTACT, schema.contact_to_row(contact))

    def set_me(self, contact_id: str) -> None:
        """Record which contact is the driver."""
        with self._tx() as tx:
            tx.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('me', ?)", (contact_id,))

    # -- conversations and messages ----------------------------------------------

    def add_conversation(self, conversation: Conversation) -> None:
        """Insert or replace a conversation."""
        with self._tx() as tx:
            tx.execute(
                "INSERT OR REPLACE INTO conversations(id, name, kind, member_ids) "
                "VALUES (?, ?, ?, ?)",
                (
                    conversation.id,
                    conversation.name,
                    conversation.kind,
                    json.dumps(list(conversation.member_ids)),
                ),
            )

    def conversations(self) -> list[Conversation]:
        """Every conversation, most recently active first."""
        rows = self._query(
            "SELECT c.* FROM conversations c LEFT JOIN messages m ON m.conversation_id = c.id "
            "GROUP BY c.id ORDER BY max(m.sent_at) DESC, c.name"
        )
        return [schema.row_to_conversation(r) for r in rows]

    def direct_conversation_id(self, contact_id: str) -> str:
        """The id of the 1:1 conversation with ``contact_id``, created on demand."""
        conv_id = f"dm-{contact_id}"
        if not self._query("SELECT 1 FROM conversations WHERE id = ?", (conv_id,)):
            other = self.contact(contact_id)
            self.add_conversation(
                Conversation(conv_id, other.name, "direct", (self.me.id, contact_id))
            )
        return conv_id

    def add_message(
        self,
        conversation_id: str,
        sender_id: str,
        body: str,
        sent_at: datetime,
        *,
        read: bool = False,
        urgent: bool = False,
        idempotency_key: str | None = None,
    ) -> str:
        """Store a message and return its id."""
        message_id = f"m-{uuid.uuid4().hex[:12]}"
        with self._tx() as tx:
            tx.execute(
                "INSERT INTO messages(id, conversation_id, sender_id, body, sent_at, read, "
                "urgent, idempotency_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    message_id,
                    conversation_id,
                    sender_id,
                    body,
                    schema.to_db_time(sent_at),
                    int(read),
                    int(urgent),
                    idempotency_key,
                ),
            )
        return message_id

    def send(self, message: OutgoingMessage, now: datetime) -> SendReceipt:
        """Store an outgoing message once per idempotency key."""
        existing = self._query(
            "SELECT id, conversation_id, sent_at FROM messages WHERE idempotency_key = ?",
            (message.idempotency_key,),
        )
        if existing:
            row = existing[0]
            return SendReceipt(
                row["id"], row["conversation_id"], schema.from_db_time(row["sent_at"], self.zone)
            )
        target = self.contact(message.recipient_id)
        conv_id = target.id if target.kind == "group" else self.direct_conversation_id(target.id)
        try:
            msg_id = self.add_message(
                conv_id,
                self.me.id,
                message.body,
                now,
                read=True,
                urgent=message.urgent,
                idempotency_key=message.idempotency_key,
            )
        except StorageError:
            # A concurrent delivery of the same key won the race: report its receipt.
            if self._query(
                "SELECT 1 FROM messages WHERE idempotency_key = ?", (message.idempotency_key,)
            ):
                return self.send(message, now)
            raise
        return SendReceipt(msg_id, conv_id, now.astimezone(self.zone))

    def messages(
        self,
        *,
        unread_only: bool = False,
        conversation_id: str | None = None,
        limit: int | None = None,
    ) -> list[Message]:
        """Messages from others (and, per conversation, the driver's), oldest first."""
        sql, params = schema.message_query(
            me_id=self._meta("me") or "",
            unread_only=unread_only,
            conversation_id=conversation_id,
            limit=limit,
        )
        return [schema.row_to_message(r, self.zone) for r in self._query(sql, params)]

    def messages_after(self, rowid: int) -> tuple[int, list[Message]]:
        """Messages from others stored after ``rowid``; returns the new high-water mark."""
        sql, params = schema.message_query(me_id=self._meta("me") or "", after_rowid=rowid)
        rows = self._query(sql, params)
        high = max((r["rowid"] for r in rows), default=rowid)
        return high, [schema.row_to_message(r, self.zone) for r in rows]

    def last_rowid(self) -> int:
        """The newest message's rowid (0 for an empty store)."""
        rows = self._query("SELECT coalesce(max(rowid), 0) AS n FROM messages")
        return int(rows[0]["n"])

    def mark_read(self, message_ids: Sequence[str]) -> None:
        """Mark exactly these messages read."""
        with self._tx() as tx:
            tx.executemany("UPDATE messages SET read = 1 WHERE id = ?", [(m,) for m in message_ids])

    # -- calendar ----------------------------------------------------------------

    def events(self, start: datetime, end: datetime) -> list[CalendarEvent]:
        """Events overlapping ``[start, end)``, by start time."""
        rows = self._query(
            "SELECT * FROM events WHERE start < ? AND end > ? ORDER BY start, id",
            (schema.to_db_time(end), schema.to_db_time(start)),
        )
        return [schema.row_to_event(r, self.zone) for r in rows]

    def create_event(self, draft: EventDraft) -> CalendarEvent:
        """Store a new event."""
        if draft.end <= draft.start:
            raise RejectedError("an event must end after it starts")
        event = CalendarEvent(
            f"e-{uuid.uuid4().hex[:12]}",
            draft.title,
            draft.start.astimezone(self.zone),
            draft.end.astimezone(self.zone),
            draft.attendee_ids,
            draft.location,
            draft.all_day,
        )
        with self._tx() as tx:
            tx.execute(schema.INSERT_EVENT, schema.event_to_row(event))
        return event

    def cancel_event(self, event_id: str) -> None:
        """Delete an event; an unknown id is rejected."""
        with self._tx() as tx:
            if tx.execute("DELETE FROM events WHERE id = ?", (event_id,)).rowcount == 0:
                raise RejectedError(f"no event with id {event_id!r}")


def _moved(stored: str, delta: timedelta) -> str:
    return schema.to_db_time(datetime.fromisoformat(stored) + delta)
