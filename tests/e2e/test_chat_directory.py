"""``drivetalk chat`` with ``backend = "webhook"`` and a ``[directory]``, end to end.

The driver's named message must reach the enterprise's endpoint addressed
to the person's id from the directory: a real loopback receiver checks the
webhook's signature with its own code and counts what it got. Without any
directory, chat says so at start and the driver hears why a name cannot be
found.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.receiver import SECRET, Receiver, receiving

SECRET_ENV = "DRIVETALK_E2E_WEBHOOK_SECRET"
PEOPLE = "id,name,department,name_zh\nemp-1042,Li Na,Sales,李娜\nemp-2077,Wang Fang,Finance,王芳\n"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as found:
        yield found


def config(folder: Path, receiver: Receiver, directory: str = "") -> Path:
    """A config file: deliver through the receiver's webhook, names from ``directory``."""
    path = folder / "config.toml"
    path.write_text(
        'backend = "webhook"\n'
        "[connectors.webhook]\n"
        f'url = "{receiver.url}"\n'
        f'secret_env = "{SECRET_ENV}"\n' + (f"[directory]\n{directory}\n" if directory else ""),
        encoding="utf-8",
    )
    return path


def drivetalk(
    folder: Path, *args: str, lines: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    """The CLI in a fresh interpreter, the webhook secret in its environment (real clock)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRIVETALK_")}
    env.update(HOME=str(folder), XDG_CONFIG_HOME=str(folder / "cfg"), **{SECRET_ENV: SECRET})
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args],
        input="".join(f"{line}\n" for line in lines),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
        cwd=folder,
    )


def chat(folder: Path, *lines: str) -> subprocess.CompletedProcess[str]:
    data = str(folder / "data")
    return drivetalk(
        folder, "--config", "config.toml", "chat", "--data-dir", data, "--no-speak", lines=lines
    )


def replies(done: subprocess.CompletedProcess[str]) -> list[str]:
    assert done.returncode == 0, done.stderr
    return [line.removeprefix("assistant: ") for line in done.stdout.splitlines()]


def delivered(receiver: Receiver) -> list[tuple[str, str]]:
    """(recipient id, body) of every message the endpoint accepted, each key once."""
    assert all(count == 1 for count in receiver.requests.values()), receiver.requests
    return [(receiver.recipients[key], body) for key, body in receiver.accepted.items()]


def test_a_named_message_reaches_the_webhook_addressed_by_the_directory_file(
    tmp_path: Path, receiver: Receiver
) -> None:
    (tmp_path / "people.csv").write_text(PEOPLE, encoding="utf-8")
    config(tmp_path, receiver, 'path = "people.csv"')  # relative: the working directory
    done = chat(tmp_path, "send a message to Li Na saying hi", "yes")
    assert replies(done) == ["Here's your message to Li Na: Hi. Send it?", "Sent to Li Na."]
    assert "directory" not in done.stderr
    assert delivered(receiver) == [("emp-1042", "Hi")]


def test_contacts_on_the_command_line_is_the_directory_for_that_run(
    tmp_path: Path, receiver: Receiver
) -> None:
    (tmp_path / "people.csv").write_text(PEOPLE, encoding="utf-8")
    config(tmp_path, receiver)  # no [directory] in the file
    data = str(tmp_path / "data")
    done = drivetalk(
        tmp_path,
        *("--config", "config.toml", "chat", "--data-dir", data, "--no-speak"),
        *("--contacts", "people.csv"),
        lines=("send a message to Wang Fang saying on my way", "yes"),
    )
    assert replies(done)[-1] == "Sent to Wang Fang."
    assert done.stderr == ""
    assert delivered(receiver) == [("emp-2077", "On my way")]


def test_in_mandarin_the_name_in_characters_is_found_in_the_file(
    tmp_path: Path, receiver: Receiver
) -> None:
    (tmp_path / "people.csv").write_text(PEOPLE, encoding="utf-8")
    config(tmp_path, receiver, f'path = "{tmp_path / "people.csv"}"')
    data = str(tmp_path / "data")
    done = drivetalk(
        tmp_path,
        *("--config", "config.toml", "chat", "--data-dir", data, "--no-speak", "--locale", "zh"),
        lines=("给王芳发消息说我到了", "是的"),
    )
    assert replies(done) == ["发给王芳：我到了。发送吗？", "已发给王芳。"]
    assert delivered(receiver) == [("emp-2077", "我到了")]


def test_another_connectors_directory_addresses_the_webhook_message(
    tmp_path: Path, receiver: Receiver
) -> None:
    data = str(tmp_path / "data")
    seeded = drivetalk(tmp_path, "demo-data", "--data-dir", data)
    assert seeded.returncode == 0, seeded.stderr
    config(tmp_path, receiver, 'connector = "local"')
    done = chat(tmp_path, "send a message to Li Na saying hi", "yes")
    assert replies(done)[-1] == "Sent to Li Na."
    assert delivered(receiver) == [("u-li-na", "Hi")]


def test_without_a_directory_chat_says_so_at_start_and_the_driver_hears_why(
    tmp_path: Path, receiver: Receiver
) -> None:
    config(tmp_path, receiver)
    done = chat(tmp_path, "send a message to Li Na saying hi")
    assert done.stderr.splitlines() == [
        "drivetalk: backend 'webhook' has no directory, so names cannot be looked up:"
        " set [directory] path (a contacts file) or [directory] connector"
    ]
    assert replies(done) == ["I can't look up names: no directory is configured. Nothing was sent."]
    assert delivered(receiver) == []
