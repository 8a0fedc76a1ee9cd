"""Which idempotency keys DingTalk has already accepted.

A key is recorded (with DingTalk's processQueryKey) right after DingTalk
accepts the message, and a later ``send`` with the same key returns the
recorded receipt without calling DingTalk again: exactly-once for every retry
that follows a known outcome, on every path.

The remaining gap is a request whose answer is lost (timeout, crash between
DingTalk's accept and our commit). For the custom robot it is closed by
DingTalk itself: the message carries a ``msgUuid`` derived from the key, and
DingTalk posts one message per ``msgUuid``. The enterprise-app robot's 1:1 and
group sends take no idempotency key, so there a retry after a lost answer may
deliver a second time: at-least-once, never lost.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from datetime import datetime
from pathlib import Path

from assistant.errors import StorageError
from assistant.models import SendReceipt

_SCHEMA = """
CREATE TABLE IF NOT EXISTS dingtalk_sent (
    idempotency_key TEXT PRIMARY KEY,
    message_id      TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    delivered_at    TEXT NOT NULL
)
"""


class SentLedger:
    """A small SQLite table of delivered idempotency keys."""

    def __init__(self, path: Path) -> None:
        self.path = path
        # One connection, used from worker threads one at a time (the lock).
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, timeout=10, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            with self._db:
                self._db.execute(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise StorageError(f"cannot open the DingTalk send ledger {path}: {exc}") from exc

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._db.close()

    def _lookup(self, key: str) -> SendReceipt | None:
        with self._lock:
            row = self._db.execute(
                "SELECT message_id, conversation_id, delivered_at FROM dingtalk_sent"
                " WHERE idempotency_key = ?",
                (key,),
            ).fetchone()
        if row is None:
            return None
        return SendReceipt(row[0], row[1], datetime.fromisoformat(row[2]))

    def _record(self, key: str, receipt: SendReceipt) -> None:
        with self._lock, self._db as db:
            db.execute(
                "INSERT OR IGNORE INTO dingtalk_sent VALUES (?, ?, ?, ?)",
                (
                    key,
                    receipt.message_id,
                    receipt.conversation_id,
                    receipt.delivered_at.isoformat(),
                ),
            )

    async def lookup(self, key: str) -> SendReceipt | None:
        """The receipt recorded for ``key``, if DingTalk accepted it before."""
        try:
            return await asyncio.to_thread(self._lookup, key)
        except sqlite3.Error as exc:
            raise StorageError(f"DingTalk send ledger: {exc}") from exc

    async def record(self, key: str, receipt: SendReceipt) -> None:
        """Remember that DingTalk accepted ``key`` (durably, before returning)."""
        try:
            await asyncio.to_thread(self._record, key, receipt)
        except sqlite3.Error as exc:
            raise StorageError(f"DingTalk send ledger: {exc}") from exc
