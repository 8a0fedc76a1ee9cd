"""Sessions kept in the fleet database, so that any replica can continue any of them.

A row holds who owns the session and its dialog between turns (a
:mod:`~assistant.dialog.snapshot` as JSON) with a version that grows with
every turn: a replica that served an earlier turn notices it is behind and
reloads the dialog before the next one. The same SQL runs on SQLite and
PostgreSQL (tested on both).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from assistant.storage.database import Database, Transaction, chunks, float_column
from assistant.storage.migrations import Migration, migrate


def _create(tx: Transaction) -> None:
    real = float_column(tx)
    tx.execute(
        "CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, tenant TEXT NOT NULL,"
        " vehicle TEXT NOT NULL, key_id TEXT NOT NULL, created_at TEXT NOT NULL,"
        " reply_audio INTEGER NOT NULL, snapshot TEXT NOT NULL, version INTEGER NOT NULL,"
        f" updated_at {real} NOT NULL)"
    )
    tx.execute("CREATE INDEX IF NOT EXISTS sessions_key ON sessions (key_id)")
    tx.execute("CREATE INDEX IF NOT EXISTS sessions_idle ON sessions (updated_at)")


def _announcements(tx: Transaction) -> None:
    real = float_column(tx)
    tx.execute(
        "CREATE TABLE IF NOT EXISTS session_announcements (session_id TEXT NOT NULL,"
        f" message_id TEXT NOT NULL, claimed_at {real} NOT NULL,"
        " PRIMARY KEY (session_id, message_id))"
    )


def _streams(tx: Transaction) -> None:
    real = float_column(tx)
    # Which stream is open on the session (any replica) and when it was last seen alive.
    tx.execute("ALTER TABLE sessions ADD COLUMN stream_token TEXT")
    tx.execute(f"ALTER TABLE sessions ADD COLUMN streamed_at {real}")


MIGRATIONS = (Migration(1, _create), Migration(2, _announcements), Migration(3, _streams))


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """One stored session."""

    id: str
    tenant: str
    vehicle: str
    key_id: str
    created_at: datetime
    reply_audio: bool
    snapshot: str
    version: int


class SessionStore:
    """The ``sessions`` table (one statement per call; every call is one round trip)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        migrate(db, "sessions", MIGRATIONS)

    def insert(self, record: SessionRecord, now: float) -> None:
        """Store a new session."""
        self._db.execute(
            "INSERT INTO sessions (id, tenant, vehicle, key_id, created_at, reply_audio,"
            " snapshot, version, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (record.id, record.tenant, record.vehicle, record.key_id,
             record.created_at.isoformat(), int(record.reply_audio), record.snapshot,
             record.version, now),
        )  # fmt: skip

    def load(self, session_id: str) -> SessionRecord | None:
        """The session ``session_id``, or None if there is none (closed, expired, never)."""
        rows = self._db.query(
            "SELECT id, tenant, vehicle, key_id, created_at, reply_audio, snapshot, version"
            " FROM sessions WHERE id = ?",
            (session_id,),
        )
        if not rows:
            return None
        sid, tenant, vehicle, key_id, created, audio, snapshot, version = rows[0]
        return SessionRecord(
            str(sid), str(tenant), str(vehicle), str(key_id),
            datetime.fromisoformat(str(created)), bool(audio), str(snapshot),
            int(str(version)),
        )  # fmt: skip

    def save(self, session_id: str, snapshot: str, reply_audio: bool, now: float) -> int | None:
        """Store the dialog after a turn; the new version, or None if the session is gone."""
        rows = self._db.query(
            "UPDATE sessions SET snapshot = ?, reply_audio = ?, version = version + 1,"
            " updated_at = ? WHERE id = ? RETURNING version",
            (snapshot, int(reply_audio), now, session_id),
        )
        return int(str(rows[0][0])) if rows else None

    def delete(self, session_id: str) -> None:
        """Forget a closed session."""
        self._db.execute("DELETE FROM sessions WHERE id = ?", (session_id,))
        self._db.execute("DELETE FROM session_announcements WHERE session_id = ?", (session_id,))

    def claim_announcement(
        self,
        session_id: str,
        message_id: str,
        now: float,
        version: int | None,
        *,
        streams_after: float | None = None,
    ) -> bool:
        """Whether this copy of the session announces ``message_id`` (once per session).

        Every replica holding a copy of the session hears an incoming message;
        the first copy that may claims it, the others stay silent. A copy with
        an open stream (``version`` None) may always: the car listens there.
        Another only while it served the session's latest turn (its
        ``version`` is the stored one) and no stream is open on any replica
        (:meth:`open_stream`; one last seen alive before ``streams_after``,
        its replica gone, no longer counts).
        """
        insert = "INSERT INTO session_announcements (session_id, message_id, claimed_at)"
        if version is None:
            sql = f"{insert} VALUES (?, ?, ?) ON CONFLICT DO NOTHING"
            params: tuple[object, ...] = (session_id, message_id, now)
        else:
            quiet = "stream_token IS NULL"
            if streams_after is not None:
                quiet = f"({quiet} OR streamed_at < ?)"
            sql = (
                f"{insert} SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM sessions"
                f" WHERE id = ? AND version = ? AND {quiet}) ON CONFLICT DO NOTHING"
            )
            params = (session_id, message_id, now, session_id, version)
            params += (streams_after,) if streams_after is not None else ()
        return self._db.execute(sql, params) == 1

    def open_stream(self, session_id: str, token: str, now: float) -> None:
        """Note that stream ``token`` is open on the session (on this replica)."""
        self._db.execute(
            "UPDATE sessions SET stream_token = ?, streamed_at = ? WHERE id = ?",
            (token, now, session_id),
        )

    def close_stream(self, session_id: str, token: str) -> None:
        """Stream ``token`` is over (a newer stream, elsewhere, keeps its mark)."""
        self._db.execute(
            "UPDATE sessions SET stream_token = NULL, streamed_at = NULL"
            " WHERE id = ? AND stream_token = ?",
            (session_id, token),
        )

    def count_for_key(self, key_id: str) -> int:
        """Open sessions of a key, on every replica."""
        rows = self._db.query("SELECT COUNT(*) FROM sessions WHERE key_id = ?", (key_id,))
        return int(str(rows[0][0]))

    def touch(self, session_ids: Sequence[str], now: float) -> None:
        """Mark sessions with a stream open here as in use (an open stream with no
        turn yet keeps its row) and their streams as alive."""
        for chunk in chunks(session_ids):
            marks = ",".join("?" * len(chunk))
            self._db.execute(
                f"UPDATE sessions SET updated_at = ?, streamed_at = ? WHERE id IN ({marks})",
                (now, now, *chunk),
            )

    def expire(self, idle_before: float) -> int:
        """Forget sessions without a turn since ``idle_before`` (Unix time); how many.

        Announcement claims as old go too (a message is announced when it arrives).
        """
        self._db.execute("DELETE FROM session_announcements WHERE claimed_at < ?", (idle_before,))
        return self._db.execute("DELETE FROM sessions WHERE updated_at < ?", (idle_before,))
