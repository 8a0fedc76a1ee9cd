"""``drivetalk chat`` driven through stdin, checked against the stored backend state."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from connectors.local import LocalStore
from connectors.local.demo import open_demo_store
from tests.conftest import NOW, ZONE

NOW_ARG = NOW.isoformat()


@pytest.fixture(autouse=True)
def demo_organisation(tmp_path: Path) -> None:
    """The demo organisation in the chat's data dir, seeded explicitly (chat never seeds)."""
    open_demo_store(tmp_path, NOW, ZONE).close()


def chat(
    data_dir: Path, *lines: str, extra: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    """Run ``drivetalk chat`` with ``lines`` as the driver's turns."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "assistant.cli",
            "chat",
            "--data-dir",
            str(data_dir),
            "--now",
            NOW_ARG,
            "--tz",
            "Asia/Shanghai",
            "--no-speak",
            *extra,
        ],
        input="".join(f"{line}\n" for line in lines),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def replies(result: subprocess.CompletedProcess[str]) -> list[str]:
    lines = result.stdout.splitlines()
    assert all(line.startswith("assistant: ") for line in lines), result.stdout
    return [line.removeprefix("assistant: ") for line in lines]


def sent_bodies(data_dir: Path) -> list[str]:
    store = LocalStore.open(data_dir, now=NOW, zone=ZONE)
    try:
        me = store.me.id
        return [
            m.body
            for c in store.conversations()
            for m in store.messages(conversation_id=c.id)
            if m.sender_id == me and m.sent_at >= NOW
        ]
    finally:
        store.close()


def unread_count(data_dir: Path) -> int:
    store = LocalStore.open(data_dir, now=NOW, zone=ZONE)
    try:
        return len(store.messages(unread_only=True))
    finally:
        store.close()


def test_message_is_stored_only_after_yes(tmp_path: Path) -> None:
    result = chat(tmp_path, "send a message to Li Na saying I'll be ten minutes late")
    assert result.returncode == 0, result.stderr
    assert replies(result) == ["Here's your message to Li Na: I'll be ten minutes late. Send it?"]
    assert sent_bodies(tmp_path) == []  # the process ended without a yes: nothing left the car

    result = chat(tmp_path, "send a message to Li Na saying I'll be ten minutes late", "yes")
    assert replies(result)[-1] == "Sent to Li Na."
    assert sent_bodies(tmp_path) == ["I'll be ten minutes late"]


def test_reading_unread_messages_marks_only_what_was_read(tmp_path: Path) -> None:
    result = chat(tmp_path, "read my messages", "next", "stop")
    assert result.returncode == 0, result.stderr
    said = replies(result)
    assert said[0].startswith("You have five unread messages.")
    assert said[-1] == "OK, stopping. You still have three messages unread."
    assert unread_count(tmp_path) == 3


def test_calendar_tomorrow(tmp_path: Path) -> None:
    result = chat(tmp_path, "what's on my calendar tomorrow")
    assert replies(result) == [
        "Tomorrow you have two meetings: "
        "Project Apollo review at 10 AM and Budget check-in at 2:30 PM."
    ]


def test_blank_lines_are_not_turns_and_nonsense_is_not_an_action(tmp_path: Path) -> None:
    result = chat(tmp_path, "", "   ", "asdf qwerty", "yes")
    assert result.returncode == 0, result.stderr
    assert replies(result) == [
        "Sorry, I can't help with that. I can send and read messages, and check your calendar.",
        "There's nothing to confirm right now.",
    ]
    assert sent_bodies(tmp_path) == []


def test_bytes_that_are_not_utf8_are_just_not_understood(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "assistant.cli",
            "chat",
            "--data-dir",
            str(tmp_path),
            "--now",
            NOW_ARG,
            "--no-speak",
        ],
        input=b"\xff\xfe send \x80\n",
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode().startswith("assistant: ")
    assert sent_bodies(tmp_path) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--backend", "nope"), "unknown backend 'nope'"),
        (("--now", "yesterday-ish"), "is not an ISO 8601 date-time"),
        (("--tz", "Mars/Olympus"), "unknown time zone"),
    ],
)
def test_bad_options_are_one_clear_line(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    result = chat(tmp_path, "hello", extra=args)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_speak_without_espeak_device_falls_back_or_fails_clearly(tmp_path: Path) -> None:
    result = chat(tmp_path, "what's next", extra=("--speak",))
    # --speak insists on audio: here either it plays, or it says exactly why not.
    if result.returncode != 0:
        assert result.stderr.startswith("drivetalk: error: ")
        assert "Traceback" not in result.stderr
    else:
        assert replies(result)


def test_mic_without_a_microphone_is_one_clear_line(tmp_path: Path) -> None:
    result = chat(tmp_path, extra=("--mic",))
    assert result.returncode != 0
    assert result.stderr.startswith("drivetalk: error: ")
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_chat_in_mandarin(tmp_path: Path) -> None:
    result = chat(tmp_path, "给李娜发消息说我十分钟后到", "是的", extra=("--locale", "zh"))
    assert result.returncode == 0, result.stderr
    assert replies(result) == ["发给李娜：我十分钟后到。发送吗？", "已发给李娜。"]
    assert sent_bodies(tmp_path) == ["我十分钟后到"]


@pytest.mark.parametrize("locale", ["ko", "EN", "zh-TW", ""])
def test_an_unknown_locale_is_one_clear_line(tmp_path: Path, locale: str) -> None:
    result = chat(tmp_path, "hello", extra=("--locale", locale))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"drivetalk: error: unknown locale {locale!r}: "
        "DriveTalk speaks en (English) and zh (Mandarin)\n"
    )


def test_an_unknown_configured_locale_is_one_clear_line(tmp_path: Path) -> None:
    config = tmp_path / "drivetalk.toml"
    config.write_text('locale = "fr"\n', encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "--config", str(config), "chat", "--no-speak"],
        input="hello\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("drivetalk: error: bad configuration value for 'locale'")
    assert "'en' or 'zh'" in result.stderr


def test_an_empty_local_store_is_told_at_start_with_how_to_seed_it(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    result = chat(empty, "help")
    assert result.returncode == 0, result.stderr
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"drivetalk: the local store {empty}")
    assert "is empty" in first
    assert "`drivetalk demo-data`" in first
    store = LocalStore.open(empty, now=NOW, zone=ZONE)
    try:
        assert store.is_empty  # nothing was seeded
    finally:
        store.close()
