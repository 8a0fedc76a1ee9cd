"""Replicas sharing the PostgreSQL outbox: kill -9 one mid-delivery, another takes over.

Real processes (``tests.servers.outbox_child``, built as ``drivetalk serve``
builds a tenant's outbox) against the real loopback receiver that counts
deliveries by idempotency key: nothing lost, nothing doubled.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.storage.postgres import PostgresDatabase
from tests.faults.harness import Child, write_messages
from tests.faults.receiver import receiving
from tests.servers.postgres import PostgresServer

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

#: A dead replica's claims are taken over after this (seconds).
LEASE_S = 2.0


def config(root: Path, receiver_url: str, database_url: str) -> Path:
    path = root / "drivetalk.toml"
    path.write_text(
        f'data_dir = "{root / "data"}"\n'
        'backend = "webhook"\n'
        "[connectors.webhook]\n"
        f'url = "{receiver_url}"\n'
        'secret_env = "FAULT_RECEIVER_SECRET"\n'
        "timeout = 1.0\n"
        "[server]\n"
        f'database_url = "{database_url}"\n'
        "[outbox]\n"
        "base_delay_s = 0.05\n"
        "max_delay_s = 0.5\n"
        "idle_poll_s = 1.0\n"
        f"claim_lease_s = {LEASE_S}\n",
        encoding="utf-8",
    )
    return path


def test_a_replica_killed_mid_delivery_loses_and_doubles_nothing(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    url = postgres.create_database()
    bodies = [f"fleet message {i}" for i in range(3)]
    messages = write_messages(
        tmp_path / "messages.json",
        [{"idempotency_key": f"key-{i}", "recipient_id": "u-liwei",
          "recipient_name": "Li Wei", "body": body} for i, body in enumerate(bodies)],
    )  # fmt: skip
    with receiving() as receiver:
        settings = config(tmp_path, receiver.url, url)
        receiver.script.append("take_then_hang")  # the first send is taken, then hangs
        doomed = Child(settings, "deliver", messages, tmp_path / "doomed.log")
        doomed.expect("READY")
        receiver.wait_for_requests(1)
        doomed.signal("KILL")  # mid-delivery: the receiver has it, the outbox does not know
        receiver.release.set()
        survivor = Child(settings, "worker", None, tmp_path / "survivor.log")
        survivor.expect("READY")
        survivor.expect("EMPTY")
        assert survivor.finish() == 0
        assert receiver.tally(bodies) == (0, 0)
        assert sorted(receiver.accepted) == ["key-0", "key-1", "key-2"]
    db = PostgresDatabase.connect(url)
    states = db.query("SELECT idempotency_key, state FROM outbox ORDER BY idempotency_key")
    db.close()
    assert states == [("key-0", "delivered"), ("key-1", "delivered"), ("key-2", "delivered")]
