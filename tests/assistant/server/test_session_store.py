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


def test_an_incoming_message_is_announced_by_one_copy_of_a_session(database: Database) -> None:
    store = SessionStore(database)
    store.insert(record("s1"), now=1000.0)
    assert store.save("s1", "{}", True, now=1001.0) == 1  # a turn served by replica "two"
    # Replica "one" holds an older copy: the car talks to "two", which announces.
    assert not store.claim_announcement("s1", "m1", 1002.0, version=0)
    assert store.claim_announcement("s1", "m1", 1002.0, version=1)
    assert not store.claim_announcement("s1", "m1", 1002.0, version=1)  # once
    assert not store.claim_announcement("s1", "m1", 1002.0, version=None)
    # A copy with an open stream may announce whatever nobody has yet.
    assert store.claim_announcement("s1", "m2", 1003.0, version=None)
    assert not store.claim_announcement("s1", "m2", 1003.0, version=1)
    # Claims are per session, and go with it.
    store.insert(record("s2", key_id="k2"), now=1000.0)
    assert store.claim_announcement("s2", "m1", 1004.0, version=0)
    store.delete("s1")
    store.insert(record("s1"), now=2000.0)
    assert store.claim_announcement("s1", "m1", 2001.0, version=0)


def test_while_a_stream_is_open_only_the_stream_announces(database: Database) -> None:
    store = SessionStore(database)
    store.insert(record("s1"), now=1000.0)
    assert store.save("s1", "{}", True, now=1001.0) == 1
    store.open_stream("s1", "stream-a", now=1002.0)
    # The copy that served the latest turn stays silent: the car listens to the stream.
    assert not store.claim_announcement("s1", "m1", 1003.0, version=1)
    assert store.claim_announcement("s1", "m1", 1003.0, version=None)
    # A stream not seen alive since before ``streams_after`` (its replica died) lapses.
    assert not store.claim_announcement("s1", "m2", 1010.0, version=1, streams_after=1001.0)
    assert store.claim_announcement("s1", "m2", 1010.0, version=1, streams_after=1005.0)
    store.touch(["s1"], now=1020.0)  # the sweep sees it alive
    assert not store.claim_announcement("s1", "m3", 1021.0, version=1, streams_after=1005.0)
    # Only the stream that opened it clears the mark (a newer one elsewhere keeps it).
    store.close_stream("s1", "stream-old")
    assert not store.claim_announcement("s1", "m4", 1022.0, version=1)
    store.close_stream("s1", "stream-a")
    assert store.claim_announcement("s1", "m4", 1022.0, version=1)


def test_announcement_claims_expire_with_idle_sessions(database: Database) -> None:
    store = SessionStore(database)
    store.insert(record("s1"), now=1000.0)
    assert store.claim_announcement("s1", "old", 1000.0, version=0)
    assert store.claim_announcement("s1", "new", 3000.0, version=0)
    store.expire(idle_before=2000.0)
    store.insert(record("s1"), now=3000.0)
    assert store.claim_announcement("s1", "old", 3001.0, version=0)
    assert not store.claim_announcement("s1", "new", 3001.0, version=0)
