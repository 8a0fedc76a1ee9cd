"""Nothing lost, nothing doubled on Matrix: a real process, a real Synapse, its transaction ids.

The child process sends through the real Matrix connector; the outbox's
idempotency key is the ``txnId`` of ``PUT /rooms/{room}/send/...``, so a
repeat after a kill is recognised by Synapse and posts nothing new. Bob,
another Synapse user, reads the room at the end: each body exactly once.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

from tests.connectors.conftest import Scene
from tests.connectors.matrix.helpers import room_bodies
from tests.faults.harness import Child, write_messages

pytestmark = [pytest.mark.synapse, pytest.mark.slow, pytest.mark.timeout(300)]


def files(tmp_path: Path, scene: Scene, bodies: list[str]) -> tuple[Path, Path]:
    config = tmp_path / "drivetalk.toml"
    config.write_text(
        f'data_dir = "{tmp_path / "data"}"\nbackend = "matrix"\n'
        f'[connectors.matrix]\nhomeserver = "{scene.synapse.url}"\n'
        f'user_id = "{scene.alice.user_id}"\naccess_token_env = "MATRIX_TOKEN"\ntimeout = 2.0\n'
        "[outbox]\nbase_delay_s = 0.05\nmax_delay_s = 1.0\nidle_poll_s = 1.0\n",
        encoding="utf-8",
    )
    messages = [
        {"idempotency_key": uuid.uuid4().hex, "recipient_id": scene.room,
         "recipient_name": "Project Apollo", "body": body, "to_group": True}
        for body in bodies
    ]  # fmt: skip
    return config, write_messages(tmp_path / "messages.json", messages)


def child(scene: Scene, tmp_path: Path, config: Path, mode: str, messages: Path | None) -> Child:
    secrets = {"MATRIX_TOKEN": scene.alice.access_token}
    return Child(config, mode, messages, tmp_path / "child.log", secrets)


def test_homeserver_down_past_a_kill_and_restart(scene: Scene, tmp_path: Path) -> None:
    bodies = [f"through the outage {i} {uuid.uuid4().hex[:6]}" for i in range(2)]
    config, messages = files(tmp_path, scene, bodies)
    scene.synapse.stop()
    try:
        first = child(scene, tmp_path, config, "deliver", messages)
        first.expect("READY")
        time.sleep(1.0)  # attempts meet a refused connection
        first.signal("KILL")
    finally:
        scene.synapse.start()
    second = child(scene, tmp_path, config, "worker", None)
    second.expect("READY")
    second.expect("EMPTY")
    assert second.finish() == 0
    seen = room_bodies(scene.synapse, scene.bob, scene.room)
    assert [seen.count(body) for body in bodies] == [1, 1]


def test_killed_while_synapse_holds_the_request_is_not_doubled(
    scene: Scene, tmp_path: Path
) -> None:
    bodies = [f"held by a frozen homeserver {uuid.uuid4().hex[:6]}"]
    config, messages = files(tmp_path, scene, bodies)
    scene.synapse.pause()  # requests connect, Synapse reads them after resume
    try:
        first = child(scene, tmp_path, config, "deliver", messages)
        first.expect("READY")
        time.sleep(1.0)  # the PUT is on the wire
        first.signal("KILL")
    finally:
        scene.synapse.resume()
    second = child(scene, tmp_path, config, "worker", None)
    second.expect("READY")
    second.expect("EMPTY")
    assert second.finish() == 0
    assert room_bodies(scene.synapse, scene.bob, scene.room).count(bodies[0]) == 1
