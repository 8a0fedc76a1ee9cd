"""A speaker for replays: synthesises replies (never plays them) and notes the timing.

It is the dialog runner's :class:`~assistant.dialog.sink.SpeechSink`. For
each turn it records when the first reply line was handed over (reply text
latency) and when the first synthesised audio of the reply was ready (first
reply audio latency). Only the first sentence of a turn's reply is
rendered: that is the latency the driver feels, and rendering the rest
would only slow the replay down. Without a synthesizer (``--no-tts``, or
TTS disabled) audio latency is simply not measured.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from contextlib import aclosing

from assistant.tts.speaker import stream_audio
from assistant.tts.synth import Synthesizer


class TimingSpeaker:
    """Replay speaker: reply texts and first-audio time of the current turn."""

    def __init__(self, synth: Synthesizer | Mapping[str, Synthesizer] | None = None) -> None:
        #: One synthesizer for every case, or one per locale (see :meth:`use_locale`).
        self.synths = synth if isinstance(synth, Mapping) else None
        self.synth = synth if not isinstance(synth, Mapping) else None
        self.text_at: float | None = None
        self.audio_at: float | None = None

    def use_locale(self, locale: str) -> None:
        """Speak the next case's replies with ``locale``'s voices (when given per locale)."""
        if self.synths is not None:
            self.synth = self.synths.get(locale)

    def start_turn(self) -> None:
        """Forget the previous turn's timing."""
        self.text_at, self.audio_at = None, None

    async def say(self, text: str, *, reply: bool = True) -> bool:
        """Note the line, then render the first audio of the turn's reply (not the rest)."""
        if self.text_at is None:
            self.text_at = time.perf_counter()
        if self.synth is None or self.audio_at is not None:
            return True
        async with aclosing(stream_audio(self.synth, text)) as stream:
            async for _audio in stream:
                self.audio_at = time.perf_counter()
                break
        return True

    def stop(self) -> None:
        """Nothing is ever playing."""

    async def aclose(self) -> None:
        """Stop the synthesis worker."""
        synths = list(self.synths.values()) if self.synths is not None else [self.synth]
        for synth in synths:
            if synth is not None:
                await asyncio.to_thread(synth.close)
