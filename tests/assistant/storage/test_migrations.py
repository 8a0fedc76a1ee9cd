"""Versioned schemas: applied once, in order, on both engines; a newer schema is refused."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from assistant.errors import StorageError
from assistant.server.keys import KeyStore
from assistant.storage.database import Database, Transaction
from assistant.storage.migrations import Migration, current_version, migrate, sql
from connectors.outbox import Outbox

STEPS = (
    Migration(1, sql("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT)")),
    Migration(2, sql("ALTER TABLE notes ADD COLUMN author TEXT")),
)


def test_a_fresh_database_gets_every_step_and_its_version(database: Database) -> None:
    assert current_version(database, "notes") == 0
    assert migrate(database, "notes", STEPS) == 2
    assert current_version(database, "notes") == 2
    database.execute("INSERT INTO notes (id, body, author) VALUES (?, ?, ?)", (1, "hi", "li"))


def test_only_missing_steps_run_and_data_is_kept(database: Database) -> None:
    migrate(database, "notes", STEPS[:1])
    database.execute("INSERT INTO notes (id, body) VALUES (?, ?)", (1, "kept"))
    migrate(database, "notes", STEPS)
    migrate(database, "notes", STEPS)  # again: nothing to do
    assert database.query("SELECT body, author FROM notes") == [("kept", None)]


def test_a_schema_from_a_newer_version_is_refused_and_left_alone(database: Database) -> None:
    migrate(database, "notes", STEPS)
    with pytest.raises(StorageError, match="version 2, written by a newer DriveTalk"):
        migrate(database, "notes", STEPS[:1])
    assert current_version(database, "notes") == 2


def test_a_failing_step_changes_nothing(database: Database) -> None:
    def broken(tx: Transaction) -> None:
        tx.execute("CREATE TABLE half (id INTEGER)")
        tx.execute("THIS IS NOT SQL")

    with pytest.raises(StorageError):
        migrate(database, "notes", (STEPS[0], Migration(2, broken)))
    assert current_version(database, "notes") == 0


def test_components_are_versioned_independently(database: Database) -> None:
    migrate(database, "notes", STEPS)
    KeyStore(database)
    assert (current_version(database, "notes"), current_version(database, "keys")) == (2, 1)


def test_a_key_store_from_before_versioning_is_upgraded_with_its_keys(tmp_path: Path) -> None:
    path = tmp_path / "keys.sqlite3"
    with sqlite3.connect(path) as db:  # the unversioned table of the previous release
        db.execute(
            "CREATE TABLE api_keys (key_id TEXT PRIMARY KEY, tenant TEXT NOT NULL, vehicle TEXT"
            " NOT NULL, salt BLOB NOT NULL, digest BLOB NOT NULL, created_at TEXT NOT NULL,"
            " revoked_at TEXT)"
        )
        db.execute(
            "INSERT INTO api_keys VALUES ('0123456789ab', 'acme', 'car-1', x'00', x'00',"
            " '2026-11-23T08:00:00+08:00', NULL)"
        )
    store = KeyStore.open(path)
    assert [k.key_id for k in store.list()] == ["0123456789ab"]
    store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT component, version FROM schema_version").fetchall() == [
            ("keys", 1)
        ]


def test_an_outbox_file_from_a_newer_drivetalk_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite3"
    Outbox.open(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE schema_version SET version = 99 WHERE component = 'outbox'")
    with pytest.raises(StorageError, match="newer DriveTalk"):
        Outbox.open(path)
