"""API keys: hashed at rest, shown once, revocable; the cache never outlives revocation."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from assistant.errors import RequestRejectedError, UserInputError
from assistant.server.auth import Authenticator
from assistant.server.keys import KeyStore
from assistant.server.ratelimit import RateLimiter
from assistant.storage.database import Database
from assistant.storage.postgres import PostgresDatabase
from tests.servers.postgres import PostgresServer


@pytest.fixture
def store(database: Database) -> KeyStore:
    """A key store on each engine (SQLite file, PostgreSQL database)."""
    return KeyStore(database)


def test_a_created_key_verifies_to_its_tenant_and_vehicle(store: KeyStore) -> None:
    new = store.create("acme", "car-7")
    who = store.verify(new.secret)
    assert who is not None
    assert (who.tenant, who.vehicle, who.key_id) == ("acme", "car-7", new.info.key_id)


def test_the_secret_is_not_stored_and_not_in_reprs(tmp_path: Path) -> None:
    store = KeyStore.open(tmp_path / "keys.sqlite3")
    new = store.create("acme", "car-7")
    secret_part = new.secret.split("_", 2)[2]  # the secret itself may contain "_"
    raw = (tmp_path / "keys.sqlite3").read_bytes()
    assert secret_part.encode() not in raw
    dump = "\n".join(sqlite3.connect(tmp_path / "keys.sqlite3").iterdump())
    assert secret_part not in dump
    assert secret_part not in repr(new)
    assert [k.key_id for k in store.list()] == [new.info.key_id]
    store.close()


def test_postgres_rows_hold_no_secret(postgres: PostgresServer) -> None:
    db = PostgresDatabase.connect(postgres.create_database())
    new = KeyStore(db).create("acme", "car-7")
    secret_part = new.secret.split("_", 2)[2]
    assert secret_part not in repr(db.query("SELECT * FROM api_keys"))
    db.close()


@pytest.mark.parametrize(
    "presented",
    ["", "nonsense", "dtk_000000000000_" + "x" * 43, "Bearer dtk_abc"],
)
def test_malformed_or_unknown_keys_do_not_verify(store: KeyStore, presented: str) -> None:
    store.create("acme", "car-7")
    assert store.verify(presented) is None


def test_a_wrong_secret_with_a_real_key_id_does_not_verify(store: KeyStore) -> None:
    new = store.create("acme", "car-7")
    forged = new.secret[:-4] + ("AAAA" if not new.secret.endswith("AAAA") else "BBBB")
    assert store.verify(forged) is None


def test_a_revoked_key_stops_verifying_even_when_cached(store: KeyStore) -> None:
    new = store.create("acme", "car-7")
    auth = Authenticator(store)
    assert auth.from_header(f"Bearer {new.secret}").tenant == "acme"
    store.revoke(new.info.key_id)
    with pytest.raises(RequestRejectedError) as caught:
        auth.from_header(f"Bearer {new.secret}")
    assert caught.value.status == 401
    assert new.secret not in str(caught.value)


@pytest.mark.parametrize("header", [None, "", "Basic abc", "Bearer ", "Bearer dtk_nope"])
def test_bad_authorization_headers_are_401(store: KeyStore, header: str | None) -> None:
    with pytest.raises(RequestRejectedError) as caught:
        Authenticator(store).from_header(header)
    assert (caught.value.status, caught.value.code) == (401, "unauthorized")


@pytest.mark.parametrize(("tenant", "vehicle"), [("ACME", "car"), ("acme", "../x"), ("", "car")])
def test_tenant_and_vehicle_names_must_be_path_safe(
    store: KeyStore, tenant: str, vehicle: str
) -> None:
    with pytest.raises(UserInputError):
        store.create(tenant, vehicle)


def test_revoking_an_unknown_key_is_a_clear_error(store: KeyStore) -> None:
    with pytest.raises(UserInputError, match="no API key"):
        store.revoke("000000000000")


def test_token_bucket_allows_a_burst_then_refills_at_the_rate() -> None:
    clock = [0.0]
    limiter = RateLimiter(rate=2.0, burst=3, clock=lambda: clock[0])
    for _ in range(3):
        limiter.take("k1")
    with pytest.raises(RequestRejectedError) as caught:
        limiter.take("k1")
    assert (caught.value.status, caught.value.code) == (429, "rate_limited")
    assert caught.value.retry_after == 1
    limiter.take("k2")  # buckets are per key
    clock[0] = 0.5  # one token back at 2/s
    limiter.take("k1")
