"""The session table, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime

from assistant.server.session_store import SessionRecord, SessionStore
from assistant.storage.database import Database

AT = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def record(session_id: str = "s1", key_id: str = "k1") -> SessionRecord:
    return SessionRecord(session_id, "acme", "car-1", key_id, AT, True, '{"x": 1}', 0)


def test_a_stored_session_reads_back_whole(database: Database) -> None:
    store = SessionStore(database)
    store.insert(record(), now=1000.0)
    assert store.load("s1") == record()
    assert store.load("nope") is None


def test_every_save_is_a_new_version(database: Database) -> None:
    store = SessionStore(database)
    store.insert(record(), now=1000.0)
    assert store.save("s1", '{"x": 2}', False, now=1001.0) == 1
    assert store.save("s1", '{"x": 3}', False, now=1002.0) == 2
    loaded = store.load("s1")
    assert loaded is not None
    assert (loaded.snapshot, loaded.version, loaded.reply_audio) == ('{"x": 3}', 2, False)
    assert store.save("gone", "{}", True, now=1003.0) is None


def test_sessions_are_counted_per_key_and_expire_when_idle(database: Database) -> None:
    store = SessionStore(database)
    store.insert(record("s1"), now=1000.0)
    store.insert(record("s2"), now=2000.0)
    store.insert(record("s3", key_id="k2"), now=2000.0)
    assert (store.count_for_key("k1"), store.count_for_key("k2")) == (2, 1)
    assert store.expire(idle_before=1500.0) == 1
    assert store.load("s1") is None
    store.delete("s2")
    assert store.count_for_key("k1") == 0


def test_a_touched_session_outlives_the_idle_sweep(database: Database) -> None:
    store = SessionStore(database)
    store.insert(record("streaming"), now=1000.0)
    store.insert(record("idle"), now=1000.0)
    store.touch(["streaming"], now=2000.0)
    assert store.expire(idle_before=1500.0) == 1
    assert store.load("streaming") is not None
    assert store.load("idle") is None
