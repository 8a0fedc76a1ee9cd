"""``drivetalk serve`` as a real process: it delivers from start, never inside a request.

The tenant's outbox holds messages confirmed before the process started (a
crash, a deploy); the server's delivery worker sends them at once, with no
car connected, and opening a session never waits for the network.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.models import OutgoingMessage
from assistant.server.keys import KeyStore, default_key_store_path
from connectors.outbox import OUTBOX_FILE, Outbox
from tests.faults.receiver import SECRET, Receiver, receiving
from tests.servers.net import free_port, wait_until_up

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

DRIVETALK = [sys.executable, "-m", "assistant.cli"]
REPO = Path(__file__).resolve().parents[2]


class Fleet:
    """A data directory with tenant ``acme`` on the webhook, and ``drivetalk serve`` runs."""

    def __init__(self, root: Path, receiver: Receiver) -> None:
        self.root = root
        self.data = root / "data"
        self.tenant = self.data / "tenants" / "acme"
        self.tenant.mkdir(parents=True)
        (self.tenant / "tenant.toml").write_text(
            'backend = "webhook"\n[connectors.webhook]\n'
            f'url = "{receiver.url}"\nsecret_env = "ACME_WEBHOOK_SECRET"\ntimeout = 30\n',
            encoding="utf-8",
        )
        store = KeyStore.open(default_key_store_path(self.data, None))
        try:
            self.key = store.create("acme", "car-1").secret
        finally:
            store.close()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = root / "serve.log"
        self.process: subprocess.Popen[bytes] | None = None

    def confirm(self, *bodies: str, owner: str = "", queued: bool = False) -> list[str]:
        """Put confirmed messages in the tenant's outbox, as a driver's "yes" would."""
        keys = []
        with Outbox.open(self.tenant / OUTBOX_FILE) as outbox:
            for body in bodies:
                key = uuid.uuid4().hex
                outbox.enqueue(OutgoingMessage(key, "u-liwei", "Li Wei", body), owner=owner)
                if queued:
                    outbox.mark_queued(key)
                keys.append(key)
        return keys

    def start(self) -> None:
        """Start ``drivetalk serve`` and wait for /healthz."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("DRIVETALK_")}
        env |= {
            "DRIVETALK_DATA_DIR": str(self.data),
            "XDG_CONFIG_HOME": str(self.root / "xdg"),
            "ACME_WEBHOOK_SECRET": SECRET,
            "DRIVETALK_OUTBOX__BASE_DELAY_S": "0.05",
            "DRIVETALK_OUTBOX__MAX_DELAY_S": "0.5",
            "DRIVETALK_OUTBOX__IDLE_POLL_S": "0.5",
        }
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [*DRIVETALK, "serve", "--port", str(self.port), "--no-tts"],
                cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        wait_until_up(f"{self.url}/healthz", self.process, 120, str(self.log))

    def stop(self, how: int = signal.SIGTERM) -> int:
        """Signal the server and wait for it to exit."""
        assert self.process is not None
        self.process.send_signal(how)
        return self.process.wait(timeout=120)

    def states(self) -> dict[str, str]:
        """key -> state in the tenant's outbox."""
        with sqlite3.connect(self.tenant / OUTBOX_FILE) as db:
            return dict(db.execute("SELECT idempotency_key, state FROM outbox"))

    def wait_delivered(self, keys: list[str]) -> None:
        """Poll the outbox until every key is delivered."""
        for _ in range(1200):
            states = self.states()
            if all(states.get(k) == "delivered" for k in keys):
                return
            time.sleep(0.1)
        raise AssertionError(f"not delivered: {self.states()}\n{self.log.read_text()}")

    def http(self) -> httpx.Client:
        """A client with the vehicle's key."""
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {self.key}"}, timeout=60
        )


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as running:
        yield running


@pytest.fixture
def fleet(tmp_path: Path, receiver: Receiver) -> Iterator[Fleet]:
    made = Fleet(tmp_path, receiver)
    yield made
    if made.process is not None and made.process.poll() is None:
        made.stop(signal.SIGKILL)


def test_pending_messages_go_out_at_start_and_sessions_never_wait_for_them(
    fleet: Fleet, receiver: Receiver
) -> None:
    receiver.script.append("take_then_hang")  # the first delivery hangs until released
    keys = fleet.confirm("left at six", "parking now")
    fleet.start()
    receiver.wait_for_requests(1)  # no car has connected: the worker started with the process
    with fleet.http() as http:
        created = http.post("/v1/sessions")
    assert created.status_code == 201
    # The session opened while the first delivery still hung, before any retry.
    assert (receiver.holding, len(receiver.log)) == (1, 1)
    receiver.release.set()
    fleet.wait_delivered(keys)
    assert receiver.tally(["left at six", "parking now"]) == (0, 0)
    assert fleet.stop() in (0, -signal.SIGTERM), fleet.log.read_text()


def test_sigterm_mid_flight_then_restart_delivers_exactly_once(
    fleet: Fleet, receiver: Receiver
) -> None:
    receiver.script.append("take_then_hang")  # the receiver took it; the answer never comes
    keys = fleet.confirm("cut off by the shutdown")
    fleet.start()
    receiver.wait_for_requests(1)
    assert fleet.stop(signal.SIGTERM) in (0, -signal.SIGTERM), fleet.log.read_text()
    assert fleet.states() == {keys[0]: "pending"}
    receiver.release.set()
    fleet.start()  # the next deploy
    fleet.wait_delivered(keys)
    assert receiver.requests[keys[0]] == 2
    assert receiver.tally(["cut off by the shutdown"]) == (0, 0)
    assert "Traceback" not in fleet.log.read_text()
    fleet.stop()


def test_rest_clients_hear_a_late_delivery_once(fleet: Fleet, receiver: Receiver) -> None:
    receiver.down()  # the car is in a tunnel as far as the receiver is concerned
    fleet.start()
    with fleet.http() as http:
        session = http.post("/v1/sessions").json()["id"]
        # The car's earlier "yes" was answered "queued" (as the dialog does after a timeout).
        keys = fleet.confirm("out of the tunnel", owner="car-1", queued=True)
        receiver.up()
        fleet.wait_delivered(keys)
        heard: list[str] = []
        for _ in range(200):
            heard += http.get(f"/v1/sessions/{session}/notices").json()["notices"]
            if heard:
                break
            time.sleep(0.1)
        assert heard == ["Your message to Li Wei was delivered."]
        turn = http.post(f"/v1/sessions/{session}/turns/text", json={"text": "help"}).json()
        assert turn["notices"] == []  # told once
    assert receiver.tally(["out of the tunnel"]) == (0, 0)
    fleet.stop()
