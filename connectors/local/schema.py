"""Tables of the local store and conversions between rows and core types."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, tzinfo
from typing import Any

from assistant.models import CalendarEvent, Contact, Conversation, Message

DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS contacts (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL DEFAULT 'person',
    department TEXT NOT NULL DEFAULT '', title TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '', email TEXT NOT NULL DEFAULT '',
    aliases TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL,
    member_ids TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS messages (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    sender_id TEXT NOT NULL, body TEXT NOT NULL, sent_at TEXT NOT NULL,
    read INTEGER NOT NULL DEFAULT 0, urgent INTEGER NOT NULL DEFAULT 0,
    idempotency_key TEXT UNIQUE
);
CREATE INDEX IF NOT EXISTS messages_by_conversation ON messages(conversation_id, sent_at);
CREATE TABLE IF NOT EXISTS events (
    id TEXT PRIMARY KEY, title TEXT NOT NULL, start TEXT NOT NULL, end TEXT NOT NULL,
    attendee_ids TEXT NOT NULL DEFAULT '[]', location TEXT NOT NULL DEFAULT '',
    all_day INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS events_by_start ON events(start);
"""

UPSERT_CONTACT = (
    "INSERT OR REPLACE INTO contacts(id, name, kind, department, title, phone, email, aliases) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
INSERT_EVENT = (
    "INSERT INTO events(id, title, start, end, attendee_ids, location, all_day) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)


def to_db_time(moment: datetime) -> str:
    """UTC ISO text, which orders correctly as a string."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime given to the local store")
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def from_db_time(text: str, zone: tzinfo) -> datetime:
    """Parse stored UTC text into the store's zone."""
    return datetime.fromisoformat(text).astimezone(zone)


def contact_to_row(c: Contact) -> tuple[Any, ...]:
    """Row values for UPSERT_CONTACT."""
    return (
        c.id,
        c.name,
        c.kind,
        c.department,
        c.title,
        c.phone,
        c.email,
        json.dumps(list(c.aliases), ensure_ascii=False),
    )


def row_to_contact(row: sqlite3.Row) -> Contact:
    """A contacts row as a Contact."""
    return Contact(
        id=row["id"],
        name=row["name"],
        kind=row["kind"],
        department=row["department"],
        title=row["title"],
        phone=row["phone"],
        email=row["email"],
        aliases=tuple(json.loads(row["aliases"])),
    )


def row_to_conversation(row: sqlite3.Row) -> Conversation:
    """A conversations row as a Conversation."""
    return Conversation(row["id"], row["name"], row["kind"], tuple(json.loads(row["member_ids"])))


def event_to_row(e: CalendarEvent) -> tuple[Any, ...]:
    """Row values for INSERT_EVENT."""
    return (
        e.id,
        e.title,
        to_db_time(e.start),
        to_db_time(e.end),
        json.dumps(list(e.attendee_ids)),
        e.location,
        int(e.all_day),
    )


def row_to_event(row: sqlite3.Row, zone: tzinfo) -> CalendarEvent:
    """An events row as a CalendarEvent in ``zone``."""
    return CalendarEvent(
        id=row["id"],
        title=row["title"],
        start=from_db_time(row["start"], zone),
        end=from_db_time(row["end"], zone),
        attendee_ids=tuple(json.loads(row["attendee_ids"])),
        location=row["location"],
        all_day=bool(row["all_day"]),
    )


_MESSAGE_SELECT = (
    "SELECT m.rowid AS rowid, m.*, c.name AS conversation_name, c.kind AS conversation_kind, "
    "coalesce(s.name, m.sender_id) AS sender_name FROM messages m "
    "JOIN conversations c ON c.id = m.conversation_id "
    "LEFT JOIN contacts s ON s.id = m.sender_id"
)


def message_query(
    *,
    me_id: str,
    unread_only: bool = False,
    conversation_id: str | None = None,
    limit: int | None = None,
    after_rowid: int | None = None,
) -> tuple[str, list[Any]]:
    """SQL for the message listings of LocalStore.

    Without a conversation, only messages from others are listed (the inbox);
    within one conversation, the driver's own messages are included.
    """
    where: list[str] = []
    params: list[Any] = []
    if conversation_id is None:
        where.append("m.sender_id != ?")
        params.append(me_id)
    else:
        where.append("m.conversation_id = ?")
        params.append(conversation_id)
    if unread_only:
        where.append("m.read = 0")
    if after_rowid is not None:
        where.append("m.rowid > ?")
        params.append(after_rowid)
    sql = f"{_MESSAGE_SELECT} WHERE {' AND '.join(where)}"
    if limit is None:
        return f"{sql} ORDER BY m.sent_at, m.rowid", params
    # The newest ``limit`` rows, put back in chronological order.
    return (
        f"SELECT * FROM ({sql} ORDER BY m.sent_at DESC, m.rowid DESC LIMIT ?) "
        "ORDER BY sent_at, rowid"
    ), [*params, limit]


def row_to_message(row: sqlite3.Row, zone: tzinfo) -> Message:
    """A joined messages row as a Message."""
    return Message(
        id=row["id"],
        conversation_id=row["conversation_id"],
        conversation_name=row["conversation_name"],
        sender_id=row["sender_id"],
        sender_name=row["sender_name"],
        body=row["body"],
        sent_at=from_db_time(row["sent_at"], zone),
        read=bool(row["read"]),
        urgent=bool(row["urgent"]),
    )
