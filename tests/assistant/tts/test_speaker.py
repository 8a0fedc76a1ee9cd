"""Speakers: what happens without an audio device, and sentence splitting."""

from __future__ import annotations

import pytest

from assistant.errors import TTSUnavailableError
from assistant.tts import DevicePlayer, TextOnlySpeaker, Voice, open_speaker
from assistant.tts.speaker import sentences


def has_output_device() -> bool:
    try:
        DevicePlayer()
    except TTSUnavailableError:
        return False
    return True


@pytest.mark.skipif(has_output_device(), reason="this machine has an audio output device")
def test_no_audio_device_is_a_clear_error_not_a_hang() -> None:
    with pytest.raises(TTSUnavailableError, match="audio output"):
        open_speaker(Voice())


async def test_text_only_speaker_always_completes() -> None:
    speaker = TextOnlySpeaker()
    assert await speaker.say("Sent to Li Wei.")
    speaker.stop()
    await speaker.aclose()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sent to Li Wei.", ["Sent to Li Wei."]),
        ("You have two messages. Li Wei says: hi!", ["You have two messages.", "Li Wei says: hi!"]),
        ("At 3.30 PM? Yes.", ["At 3.30 PM?", "Yes."]),
        ("", []),
    ],
)
def test_sentences(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected
