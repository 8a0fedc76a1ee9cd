"""Nothing lost, nothing doubled: the outbox against a real Synapse.

Each scenario ends with Bob reading the room as another Synapse user and
seeing the message exactly once.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from assistant.errors import AuthenticationError, BackendUnavailableError
from assistant.models import OutgoingMessage
from connectors.matrix import MatrixConnector
from connectors.outbox import DeliverySchedule, Outbox
from connectors.retry import RetryPolicy
from tests.connectors.conftest import Scene
from tests.connectors.matrix.helpers import context, matrix_config, room_bodies
from tests.faults.harness import Child, write_messages
from tests.servers.net import free_port
from tests.servers.proxy import RateLimitProxy
from tests.servers.synapse import MatrixUser, SynapseServer, call

pytestmark = [pytest.mark.synapse, pytest.mark.slow, pytest.mark.timeout(300)]

PATIENT = RetryPolicy(max_attempts=60, base_delay=0.2, max_delay=2.0, deadline=240.0)


def confirmed(room_id: str, body: str) -> OutgoingMessage:
    return OutgoingMessage(uuid.uuid4().hex, room_id, "Project Apollo", body, to_group=True)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def alice_on(
    url: str, alice: MatrixUser, tmp_path: Path, http: httpx.AsyncClient, timeout: float = 20.0
) -> MatrixConnector:
    return MatrixConnector.from_config(
        matrix_config(url, alice, timeout=timeout),
        context(tmp_path, http, {"MATRIX_TOKEN": alice.access_token}),
    )


async def test_homeserver_down_during_the_send_and_back_later(
    scene: Scene, tmp_path: Path, http: httpx.AsyncClient
) -> None:
    synapse, alice, bob, group_room = scene.synapse, scene.alice, scene.bob, scene.room
    outbox = Outbox.open(tmp_path / "outbox.sqlite3", policy=PATIENT)
    entry = outbox.enqueue(confirmed(group_room, "down and back"))
    synapse.stop()
    try:
        delivery = asyncio.create_task(
            outbox.deliver(entry, alice_on(synapse.url, alice, tmp_path, http))
        )
        await asyncio.sleep(3.0)  # several attempts meet a refused connection
        assert not delivery.done()
    finally:
        await asyncio.to_thread(synapse.start)
    receipt = await asyncio.wait_for(delivery, timeout=240)
    assert outbox.get(entry.key).state == "delivered"
    assert outbox.get(entry.key).attempts > 1
    assert receipt.conversation_id == group_room
    assert room_bodies(synapse, bob, group_room).count("down and back") == 1
    outbox.close()


async def test_hung_homeserver_that_took_the_message_does_not_double_it(
    scene: Scene, tmp_path: Path, http: httpx.AsyncClient
) -> None:
    synapse, alice, bob, group_room = scene.synapse, scene.alice, scene.bob, scene.room
    outbox = Outbox.open(tmp_path / "outbox.sqlite3", policy=PATIENT)
    entry = outbox.enqueue(confirmed(group_room, "hung then answered"))
    synapse.pause()  # requests connect, then time out; Synapse reads them after resume
    try:
        delivery = asyncio.create_task(
            outbox.deliver(entry, alice_on(synapse.url, alice, tmp_path, http, timeout=1.0))
        )
        await asyncio.sleep(4.0)
    finally:
        synapse.resume()
    await asyncio.wait_for(delivery, timeout=240)
    assert outbox.get(entry.key).attempts > 1
    assert room_bodies(synapse, bob, group_room).count("hung then answered") == 1
    outbox.close()


@pytest.mark.parametrize("killed", ["enqueue", "sent"])
async def test_killed_between_confirmation_and_delivery_then_restarted(
    killed: str, scene: Scene, tmp_path: Path, http: httpx.AsyncClient
) -> None:
    synapse, alice, bob, group_room = scene.synapse, scene.alice, scene.bob, scene.room
    path = tmp_path / "data" / "outbox.sqlite3"
    body = f"survives kill -9 ({killed})"
    key = uuid.uuid4().hex
    config = tmp_path / "drivetalk.toml"
    config.write_text(
        f'data_dir = "{tmp_path / "data"}"\nbackend = "matrix"\n[connectors.matrix]\n'
        f'homeserver = "{synapse.url}"\nuser_id = "{alice.user_id}"\n'
        'access_token_env = "MATRIX_TOKEN"\n',
        encoding="utf-8",
    )
    messages = write_messages(
        tmp_path / "messages.json",
        [{"idempotency_key": key, "recipient_id": group_room,
          "recipient_name": "Project Apollo", "body": body, "to_group": True}],
    )  # fmt: skip
    secrets = {"MATRIX_TOKEN": alice.access_token}
    child = Child(config, killed, messages, tmp_path / "child.log", secrets)
    await asyncio.to_thread(child.expect, "READY", 120)
    child.signal("KILL")
    assert room_bodies(synapse, bob, group_room).count(body) == (1 if killed == "sent" else 0)

    outbox = Outbox.open(path, policy=PATIENT)  # the restarted process
    assert [e.key for e in outbox.pending()] == [key]
    [after] = await outbox.flush(alice_on(synapse.url, alice, tmp_path, http))
    assert after.state == "delivered"
    assert outbox.pending() == []
    assert room_bodies(synapse, bob, group_room).count(body) == 1
    outbox.close()


async def test_429_storm_is_ridden_out_exactly_once(
    scene: Scene, tmp_path: Path, http: httpx.AsyncClient
) -> None:
    synapse, alice, bob, group_room = scene.synapse, scene.alice, scene.bob, scene.room
    # 6 throttled answers; the last 3 after Synapse already took the message.
    with RateLimitProxy(
        synapse.url, storm=6, forward_then_429=3, path_contains="/send/", retry_after=0.3
    ) as proxy:
        outbox = Outbox.open(tmp_path / "outbox.sqlite3", policy=PATIENT)
        entry = outbox.enqueue(confirmed(group_room, "through the storm"))
        await outbox.deliver(entry, alice_on(proxy.url, alice, tmp_path, http))
    assert proxy.throttled == 6
    assert outbox.get(entry.key).attempts == 7
    assert room_bodies(synapse, bob, group_room).count("through the storm") == 1
    outbox.close()


async def test_refused_message_is_reported_as_a_failure(
    synapse: SynapseServer, alice: MatrixUser, tmp_path: Path, http: httpx.AsyncClient
) -> None:
    stranger = synapse.register("carol")
    private = str(call(synapse, stranger, "POST", "/createRoom", {"name": "private"})["room_id"])
    outbox = Outbox.open(tmp_path / "outbox.sqlite3", policy=PATIENT)
    entry = outbox.enqueue(confirmed(private, "let me in"))
    with pytest.raises(AuthenticationError):
        await outbox.deliver(entry, alice_on(synapse.url, alice, tmp_path, http))
    [failure] = outbox.failures()
    assert failure.key == entry.key
    assert failure.attempts == 1  # refusals are not retried
    assert "403" in (failure.last_error or "")
    outbox.acknowledge_failure(entry.key)
    assert outbox.failures() == []
    outbox.close()


async def test_unreachable_until_the_time_to_live_runs_out_is_a_failure(
    alice: MatrixUser, tmp_path: Path, http: httpx.AsyncClient
) -> None:
    policy = RetryPolicy(max_attempts=3, base_delay=0.05, max_delay=0.1, deadline=30.0)
    clock = [datetime.now(UTC)]
    schedule = DeliverySchedule(base_delay=0.05, max_delay=0.1, ttl=3600)
    outbox = Outbox.open(
        tmp_path / "outbox.sqlite3", policy=policy, schedule=schedule, now=lambda: clock[0]
    )
    entry = outbox.enqueue(confirmed("!room:localhost", "nobody home"))
    nowhere = f"http://127.0.0.1:{free_port()}"
    [after] = await outbox.flush(alice_on(nowhere, alice, tmp_path, http))
    assert (after.state, after.attempts) == ("pending", 3)  # within its time to live
    assert outbox.failures() == []
    clock[0] += timedelta(hours=2)  # still unreachable after the time to live
    with pytest.raises(BackendUnavailableError):
        await outbox.deliver(entry, alice_on(nowhere, alice, tmp_path, http))
    assert [f.key for f in outbox.failures()] == [entry.key]
    assert outbox.get(entry.key).attempts == 6
    outbox.close()
