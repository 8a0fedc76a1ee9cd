"""Speech out: the one way the runner says things, and how a barge-in stops it.

The runner gets a :class:`SpeechSink` when it is built and hands it every
line it says, marked ``reply`` when the line answers the driver's turn (the
line is also in the returned :class:`~assistant.dialog.turn.Turn`) and not
when it is said unprompted (an announcement, a timeout, a delivery notice).
A barge-in is :meth:`SpeechSink.stop`; a ``say`` that was stopped returns
False and the runner drops the rest of the batch.

Chat shows each line and speaks it on the device (:class:`ShownAndSpoken`),
replay synthesises it and notes the timing
(:class:`~assistant.replay.speaker.TimingSpeaker`), a server session keeps
unprompted lines for its client (:class:`~assistant.server.assembly.SessionSpeech`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

from assistant.tts.speaker import Speaker, TextOnlySpeaker


@runtime_checkable
class SpeechSink(Protocol):
    """Where the runner's lines go."""

    async def say(self, text: str, *, reply: bool) -> bool:
        """Say ``text``; True when it was said to the end, False when stopped (barge-in)."""
        ...

    def stop(self) -> None:
        """Stop speaking now (barge-in); safe from any thread."""
        ...

    async def aclose(self) -> None:
        """Release whatever speaks (engine, device)."""
        ...


class ShownAndSpoken:
    """Each line shown (``show``), then spoken by a device :class:`~assistant.tts.Speaker`."""

    def __init__(
        self, show: Callable[[str], None] = lambda _text: None, voice: Speaker | None = None
    ) -> None:
        self.show = show
        self.voice: Speaker = voice or TextOnlySpeaker()

    async def say(self, text: str, *, reply: bool) -> bool:
        """Show the line at once, then speak it until done or stopped."""
        self.show(text)
        return await self.voice.say(text)

    def stop(self) -> None:
        """Barge-in: the voice stops within one audio block."""
        self.voice.stop()

    async def aclose(self) -> None:
        """Close the voice."""
        await self.voice.aclose()
