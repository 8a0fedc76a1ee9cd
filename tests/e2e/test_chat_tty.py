"""``drivetalk chat`` on a (pseudo) terminal: the prompt, replies and answer timeouts."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from connectors.local.demo import open_demo_store
from tests.conftest import NOW, ZONE


@pytest.fixture(autouse=True)
def demo_organisation(tmp_path: Path) -> None:
    """The demo organisation in the chat's data dir, seeded explicitly (chat never seeds)."""
    open_demo_store(tmp_path, NOW, ZONE).close()


def read_until(fd: int, needle: str, deadline: float = 60.0) -> str:
    """Read the terminal until ``needle`` shows up (or fail after ``deadline`` s)."""
    seen = ""
    end = time.monotonic() + deadline
    while needle not in seen:
        remaining = end - time.monotonic()
        assert remaining > 0, f"no {needle!r} in {seen!r}"
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the child closed the terminal
                break
            seen += chunk.decode(errors="replace")
    return seen


def test_interactive_chat_times_out_a_read_back_and_sends_nothing(tmp_path: Path) -> None:
    controller, terminal = pty.openpty()
    env = {**os.environ, "DRIVETALK_DIALOG__CONFIRM_TIMEOUT": "1"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "assistant.cli",
            "chat",
            "--data-dir",
            str(tmp_path),
            "--now",
            NOW.isoformat(),
            "--no-speak",
        ],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=env,
        close_fds=True,
    )
    os.close(terminal)
    try:
        read_until(controller, "you> ")
        os.write(controller, b"send a message to Li Na saying running late\n")
        read_until(controller, "Send it?")
        shown = read_until(controller, "nothing was sent")
        assert "I kept your draft to Li Na" in shown
        os.write(controller, b"\x04")  # Ctrl-D ends the chat
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        os.close(controller)
