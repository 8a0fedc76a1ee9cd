"""``drivetalk chat --audio-in --wake`` in English: only the command after "hey drive talk".

The recording is espeak-ng's American English voice, heard by the pocketsphinx
engine (the one English engine on these machines), so this is the whole path
the driver uses: microphone audio, endpointing, the wake phrase spotted by the
engine that then hears the command, the parser and the dialog's answer.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from assistant.asr.wake import WakePhrase
from tests.assistant.audio.wavgen import have_espeak, spoken_sequence
from tests.e2e.test_chat_speech import _chat, demo_organisation  # noqa: F401  (fixture)

pytest.importorskip("pocketsphinx")

pytestmark = [
    pytest.mark.espeak,
    pytest.mark.slow,
    pytest.mark.skipif(not have_espeak(), reason="espeak-ng not installed"),
]

EN = WakePhrase.for_locale("en")


def _recording(base: Path, *parts: tuple[str, float]) -> Path:
    """English phrases, each followed by its seconds of silence, after 2 s of silence."""
    return spoken_sequence(base, parts, voice="en-us", before_first=2.0, rate=16000)


def _run(tmp_path: Path, recording: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _chat(tmp_path, "--audio-in", str(recording), "--wake", "--locale", "en"),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env={**os.environ, "DRIVETALK_ASR__ENGINE": "pocketsphinx"},
        timeout=180,
        check=False,
    )


def test_only_the_english_command_after_the_phrase_is_answered(tmp_path: Path) -> None:
    # A sentence to a passenger (with "talk" and "drive" in it), the phrase, a command.
    recording = _recording(
        tmp_path,
        ("let me talk to my sister before we drive home", 1.5),
        (EN.phrase, 0.6),
        ("what's my next meeting", 1.5),
    )
    done = _run(tmp_path, recording)
    assert done.returncode == 0, done.stderr
    assert 'say "hey drive talk" to talk' in done.stderr
    assert done.stderr.count("drivetalk: listening") == 1
    answers = [line for line in done.stdout.splitlines() if line.startswith("assistant: ")]
    assert len(answers) == 1
    assert answers[0].startswith("assistant: Next up:")


def test_a_command_without_the_phrase_is_never_a_turn(tmp_path: Path) -> None:
    recording = _recording(tmp_path, ("what's my next meeting", 1.5), ("read my messages", 1.5))
    done = _run(tmp_path, recording)
    assert done.returncode == 0, done.stderr
    assert "drivetalk: listening" not in done.stderr
    assert "assistant: " not in done.stdout
