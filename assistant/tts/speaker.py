"""The Speaker protocol the dialog runner talks to, and its two implementations.

:class:`VoiceSpeaker` synthesises sentence by sentence and starts playing the
first sentence while the next ones are rendered, so the driver hears the
start of a long reply after one short synthesis. :meth:`stop` (barge-in)
ends playback within one 20 ms audio block. :class:`TextOnlySpeaker` is the
fallback when there is no espeak or no audio device.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import AsyncGenerator
from typing import Protocol, runtime_checkable

from assistant.tts.audio import Audio
from assistant.tts.player import DevicePlayer
from assistant.tts.synth import Synthesizer

#: A sentence ends at . ! ? before a space, or at Chinese 。！？ (no space follows those).
_SENTENCE = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])\s*")


@runtime_checkable
class Speaker(Protocol):
    """Says text to the driver."""

    async def say(self, text: str) -> bool:
        """Speak ``text``; True when it played to the end, False when stopped."""
        ...

    def stop(self) -> None:
        """Stop speaking now (barge-in); safe from any thread."""
        ...

    async def aclose(self) -> None:
        """Release the engine and the device."""
        ...


def sentences(text: str) -> list[str]:
    """Split a reply at sentence ends: the unit of streamed synthesis."""
    return [s for s in _SENTENCE.split(text.strip()) if s]


async def stream_audio(synth: Synthesizer, text: str) -> AsyncGenerator[Audio, None]:
    """Audio sentence by sentence, the next one rendering while the caller plays."""
    parts = sentences(text)
    pending = asyncio.ensure_future(synth.asynthesize(parts[0])) if parts else None
    for index in range(len(parts)):
        assert pending is not None
        audio = await pending
        following = parts[index + 1] if index + 1 < len(parts) else None
        pending = asyncio.ensure_future(synth.asynthesize(following)) if following else None
        try:
            yield audio
        except GeneratorExit:
            if pending is not None:
                pending.cancel()
            raise


class VoiceSpeaker:
    """Speech on the local device: pyttsx3 worker plus :class:`DevicePlayer`."""

    def __init__(self, synth: Synthesizer, player: DevicePlayer) -> None:
        self.synth = synth
        self.player = player
        self._stop = threading.Event()

    async def say(self, text: str) -> bool:
        """Synthesise and play ``text`` sentence by sentence until done or stopped."""
        self._stop.clear()
        stream = stream_audio(self.synth, text)
        try:
            async for audio in stream:
                if self._stop.is_set():
                    return False
                if not await asyncio.to_thread(self.player.play, audio, self._stop):
                    return False
        finally:
            await stream.aclose()
        return not self._stop.is_set()

    def stop(self) -> None:
        """Barge-in: playback stops within one audio block."""
        self._stop.set()

    async def aclose(self) -> None:
        """Stop and shut the synthesis worker down."""
        self.stop()
        await asyncio.to_thread(self.synth.close)


class TextOnlySpeaker:
    """No audio: the reply text is shown/printed by the caller and nothing is played."""

    async def say(self, text: str) -> bool:
        """Nothing to play: always complete."""
        return True

    def stop(self) -> None:
        """Nothing is playing."""

    async def aclose(self) -> None:
        """Nothing to release."""
