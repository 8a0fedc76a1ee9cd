"""``drivetalk chat`` as a real process: its delivery worker runs for as long as the chat does.

A message an earlier run left in the outbox meets a receiver answering 500;
the chat goes on (the driver is not kept waiting), and the worker delivers
it in the background, once, while the chat is still open.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from assistant.models import OutgoingMessage
from connectors.outbox import OUTBOX_FILE, Outbox
from tests.faults.receiver import SECRET, receiving

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

REPO = Path(__file__).resolve().parents[2]


def test_chat_delivers_in_the_background_while_the_driver_talks(tmp_path: Path) -> None:
    data = tmp_path / "data"
    key = uuid.uuid4().hex
    with Outbox.open(data / OUTBOX_FILE) as outbox:
        outbox.enqueue(OutgoingMessage(key, "u-liwei", "Li Wei", "left before the crash"))
    with receiving() as receiver:
        receiver.script.extend(["500", "500"])
        config = tmp_path / "drivetalk.toml"
        config.write_text(
            f'backend = "webhook"\n[connectors.webhook]\nurl = "{receiver.url}"\n'
            'secret_env = "FAULT_RECEIVER_SECRET"\n'
            "[outbox]\nbase_delay_s = 0.05\nmax_delay_s = 0.2\n",
            encoding="utf-8",
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("DRIVETALK_")}
        env |= {"FAULT_RECEIVER_SECRET": SECRET, "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
        chat = subprocess.Popen(
            [sys.executable, "-m", "assistant.cli", "--config", str(config), "chat",
             "--data-dir", str(data), "--no-speak"],
            cwd=REPO, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            for _ in range(600):  # the chat is open (stdin not closed) the whole time
                if receiver.accepted:
                    break
                assert chat.poll() is None, chat.stderr.read() if chat.stderr else ""
                time.sleep(0.1)
        finally:
            _, err = chat.communicate("", timeout=60)
        assert chat.returncode == 0, err
    assert receiver.accepted == {key: "left before the crash"}
    assert receiver.requests[key] == 3  # 500, 500, delivered: one key throughout
    assert "Traceback" not in err
    with Outbox.open(data / OUTBOX_FILE) as outbox:
        assert outbox.get(key).state == "delivered"
