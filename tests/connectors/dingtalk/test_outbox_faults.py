"""Fault scenarios on DingTalk, where they apply: a real process against the emulator.

DingTalk takes no idempotency key; the connector's ledger (in the data
directory) remembers accepted keys, so a process killed after DingTalk took
a message does not send it again from the next process. (A lost answer is
the documented at-least-once gap: see test_outbox_delivery.py.)
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.connectors.dingtalk.conftest import ENV
from tests.connectors.dingtalk.emulator import DingTalkEmulator
from tests.faults.harness import Child, write_messages

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


def files(tmp_path: Path, emulator: DingTalkEmulator, body: str) -> tuple[Path, Path]:
    config = tmp_path / "drivetalk.toml"
    config.write_text(
        f'data_dir = "{tmp_path / "data"}"\nbackend = "dingtalk"\n[connectors.dingtalk]\n'
        f'api_base = "{emulator.base_url}"\noapi_base = "{emulator.base_url}"\n'
        f'app_key = "{emulator.app_key}"\napp_secret_env = "DINGTALK_APP_SECRET"\n'
        'union_id = "un-zhangsan"\nuser_id = "u-zhangsan"\n'
        "[outbox]\nbase_delay_s = 0.05\nmax_delay_s = 0.5\nidle_poll_s = 1.0\n",
        encoding="utf-8",
    )
    messages = [{"idempotency_key": uuid.uuid4().hex, "recipient_id": "u-liwei-sales",
                 "recipient_name": "Li Wei", "body": body}]  # fmt: skip
    return config, write_messages(tmp_path / "messages.json", messages)


def run(tmp_path: Path, config: Path, mode: str, messages: Path | None) -> Child:
    return Child(config, mode, messages, tmp_path / "child.log", dict(ENV))


def deliver_rest(tmp_path: Path, config: Path) -> None:
    after = run(tmp_path, config, "worker", None)
    after.expect("READY")
    after.expect("EMPTY")
    assert after.finish() == 0


@pytest.mark.parametrize("mode", ["enqueue", "sent"], ids=["before-send", "after-send"])
def test_kill9_around_the_send_then_a_new_process(
    mode: str, emulator: DingTalkEmulator, tmp_path: Path
) -> None:
    config, messages = files(tmp_path, emulator, f"kill -9 {mode}")
    first = run(tmp_path, config, mode, messages)
    first.expect("READY")
    first.signal("KILL")
    deliver_rest(tmp_path, config)
    assert len(emulator.oto_messages) == 1  # never lost, never sent again


def test_a_throttling_storm_is_ridden_out_by_the_worker(
    emulator: DingTalkEmulator, tmp_path: Path
) -> None:
    emulator.qps_storm = 4
    config, messages = files(tmp_path, emulator, "through the storm")
    first = run(tmp_path, config, "deliver", messages)
    first.expect("READY")
    first.expect("EMPTY")
    assert first.finish() == 0
    assert len(emulator.oto_messages) == 1
