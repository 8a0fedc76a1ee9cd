"""Key verification under attack: constant cost for unknown ids, failures throttled.

Specification: every well-formed key that misses the cache costs exactly one
scrypt, whether its id exists, is revoked or has the wrong secret (so time
tells nothing); failures are charged to the key id and to the client
address, and an exhausted bucket is refused with 429 before any scrypt runs;
a key already verified (cached) keeps working while its id is throttled.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.errors import RequestRejectedError
from assistant.server.auth import Authenticator
from assistant.server.auththrottle import FailureThrottle
from assistant.server.keys import KeyStore


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store(tmp_path: Path) -> Iterator[KeyStore]:
    keys = KeyStore.open(tmp_path / "keys.sqlite3")
    yield keys
    keys.close()


@pytest.fixture
def scrypts(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts hashlib.scrypt calls (one element per call)."""
    calls: list[int] = []
    real = hashlib.scrypt

    def counting(*args: Any, **kwargs: Any) -> bytes:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", counting)
    return calls


def wrong_secret(key: str) -> str:
    key_id = key.split("_")[1]
    return f"dtk_{key_id}_{'W' * 43}"


def test_unknown_revoked_and_wrong_keys_each_cost_one_scrypt(
    store: KeyStore, scrypts: list[int]
) -> None:
    good = store.create("acme", "car-1").secret
    revoked = store.create("acme", "car-2")
    store.revoke(revoked.info.key_id)
    presented = {
        "unknown id": "dtk_0123456789ab_" + "x" * 43,
        "revoked id": revoked.secret,
        "wrong secret": wrong_secret(good),
        "right key": good,
    }
    for what, key in presented.items():
        scrypts.clear()
        store.verify(key)
        assert len(scrypts) == 1, what


def test_a_malformed_key_costs_no_scrypt(store: KeyStore, scrypts: list[int]) -> None:
    assert store.verify("not-a-key") is None
    assert scrypts == []


def test_failures_are_throttled_per_key_id_whatever_the_address(
    store: KeyStore, scrypts: list[int]
) -> None:
    good = store.create("acme", "car-1").secret
    auth = Authenticator(store, throttle=FailureThrottle(0.001, 3, clock=Clock()))
    for n in range(3):
        with pytest.raises(RequestRejectedError) as refused:
            auth.verify(wrong_secret(good), client=f"10.0.0.{n}")
        assert refused.value.status == 401
    scrypts.clear()
    with pytest.raises(RequestRejectedError) as throttled:
        auth.verify(wrong_secret(good), client="10.0.0.99")
    assert (throttled.value.status, throttled.value.code) == (429, "auth_throttled")
    assert throttled.value.retry_after is not None
    assert throttled.value.retry_after >= 1
    assert scrypts == []  # refused before any scrypt


def test_failures_are_throttled_per_client_address_across_key_ids(store: KeyStore) -> None:
    auth = Authenticator(store, throttle=FailureThrottle(0.001, 3, clock=Clock()))
    for n in range(3):
        with pytest.raises(RequestRejectedError):
            auth.verify(f"dtk_{n:012x}_{'x' * 43}", client="10.0.0.1")
    with pytest.raises(RequestRejectedError) as throttled:
        auth.verify(f"dtk_{99:012x}_{'x' * 43}", client="10.0.0.1")
    assert throttled.value.code == "auth_throttled"
    with pytest.raises(RequestRejectedError) as other:  # another address is not throttled
        auth.verify(f"dtk_{99:012x}_{'x' * 43}", client="10.0.0.2")
    assert other.value.code == "unauthorized"


def test_a_cached_key_keeps_working_while_its_id_is_throttled(store: KeyStore) -> None:
    good = store.create("acme", "car-1").secret
    auth = Authenticator(store, throttle=FailureThrottle(0.001, 2, clock=Clock()))
    assert auth.verify(good, client="10.0.0.1").vehicle == "car-1"
    for _ in range(3):
        with pytest.raises(RequestRejectedError):
            auth.verify(wrong_secret(good), client="10.0.0.66")
    assert auth.verify(good, client="10.0.0.1").vehicle == "car-1"


def test_the_throttle_refills_at_its_rate_and_keeps_a_bounded_number_of_buckets() -> None:
    clock = Clock()
    throttle = FailureThrottle(1.0, 2, capacity=3, clock=clock)
    throttle.failed(["key:a"])
    throttle.failed(["key:a"])
    with pytest.raises(RequestRejectedError):
        throttle.check(["key:a"])
    clock.now += 1.0
    throttle.check(["key:a"])  # one failure's worth refilled
    for name in ("key:b", "key:c", "key:d", "key:e"):
        throttle.failed([name])
    assert len(throttle._buckets) == 3  # bounded, whatever an attacker sends
