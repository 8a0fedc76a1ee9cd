"""VoiceSpeaker: real synthesis, stopped at once by a barge-in.

The audio device is the one thing this machine lacks, so the player here
writes blocks to a list at real-time pace instead of to PortAudio.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import pytest

from assistant.tts import Synthesizer, Voice, VoiceSpeaker
from assistant.tts.audio import Audio

pytestmark = pytest.mark.espeak


class PacedPlayer:
    """Plays 20 ms blocks at real-time pace, honouring ``stop`` like DevicePlayer."""

    def __init__(self) -> None:
        self.played: list[float] = []

    def play(self, audio: Audio, stop: threading.Event) -> bool:
        block = int(audio.sample_rate * 0.02) * audio.sample_width
        for _offset in range(0, len(audio.pcm), block):
            if stop.is_set():
                return False
            time.sleep(0.02)
        self.played.append(audio.duration)
        return not stop.is_set()


@pytest.fixture
def speaker() -> Iterator[VoiceSpeaker]:
    synth = Synthesizer(Voice())
    synth.start()
    voice = VoiceSpeaker(synth, PacedPlayer())  # type: ignore[arg-type]
    yield voice
    synth.close()


async def test_short_reply_plays_to_the_end(speaker: VoiceSpeaker) -> None:
    assert await speaker.say("Sent to Li Wei. Anything else?")
    assert len(speaker.player.played) == 2  # type: ignore[attr-defined]


async def test_barge_in_stops_a_long_reply_at_once(speaker: VoiceSpeaker) -> None:
    text = " ".join(["Li Wei says: the client moved the meeting to four o'clock."] * 6)
    playing = asyncio.create_task(speaker.say(text))
    await asyncio.sleep(0.5)
    speaker.stop()
    assert await asyncio.wait_for(playing, 10) is False
    assert speaker.player.played == []  # type: ignore[attr-defined]
