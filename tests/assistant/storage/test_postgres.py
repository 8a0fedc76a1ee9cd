"""The PostgreSQL engine: clear errors that name the host and never the password."""

from __future__ import annotations

import pytest

from assistant.errors import StorageError
from assistant.storage.postgres import PostgresDatabase, describe, translate
from tests.servers.postgres import PostgresServer


def test_a_wrong_password_is_one_error_with_the_host_and_without_the_password(
    postgres: PostgresServer,
) -> None:
    url = postgres.url(password="wrong-pass-123")
    with pytest.raises(StorageError, match=f"127.0.0.1:{postgres.port}/postgres") as caught:
        PostgresDatabase.connect(url)
    assert "wrong-pass-123" not in str(caught.value)
    assert "password authentication failed" in str(caught.value)


def test_a_missing_database_is_named(postgres: PostgresServer) -> None:
    with pytest.raises(StorageError, match="no_such_db"):
        PostgresDatabase.connect(postgres.url("no_such_db"))


def test_the_repr_and_location_hold_no_credentials(postgres: PostgresServer) -> None:
    db = PostgresDatabase.connect(postgres.create_database())
    assert "s3cret" not in repr(db)
    assert "drivetalk:" not in db.location
    db.close()


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://u:pw@db.example:6432/fleet", "db.example:6432/fleet"),
        ("postgresql://u@db.example/fleet", "db.example:5432/fleet"),
        ("host=10.0.0.5 dbname=fleet password=pw", "10.0.0.5:5432/fleet"),
        ("not a url at all", "(unparsable URL)"),
    ],
)
def test_describe_shows_host_port_and_database_only(url: str, shown: str) -> None:
    assert describe(url) == shown


def test_statements_with_placeholders_are_translated() -> None:
    assert translate("SELECT a FROM t WHERE b = ? AND c = ?") == (
        "SELECT a FROM t WHERE b = %s AND c = %s"
    )


def test_round_trips_are_counted(postgres: PostgresServer) -> None:
    db = PostgresDatabase.connect(postgres.create_database())
    before = db.round_trips
    db.query("SELECT 1")
    with db.transaction() as tx:
        tx.query("SELECT 1")
        tx.query("SELECT 2")
    assert db.round_trips - before == 3
    db.close()


def test_the_pool_reports_connections_lent_out(postgres: PostgresServer) -> None:
    db = PostgresDatabase.connect(postgres.create_database(), max_size=3)
    try:
        idle = db.usage()
        assert (idle.size, idle.in_use, idle.waiting) == (3, 0, 0)
        assert idle.open >= 1
        with db.transaction() as tx:
            tx.query("SELECT 1")
            busy = db.usage()
        assert busy.in_use == 1
        assert db.usage().in_use == 0
    finally:
        db.close()
