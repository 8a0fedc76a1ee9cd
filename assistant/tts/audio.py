"""Synthesised speech as raw PCM, convertible to WAV bytes."""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Audio:
    """Mono 16-bit little-endian PCM at ``sample_rate`` Hz."""

    pcm: bytes
    sample_rate: int
    channels: int = 1
    sample_width: int = 2

    @property
    def frames(self) -> int:
        """Number of sample frames."""
        return len(self.pcm) // (self.channels * self.sample_width)

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.frames / self.sample_rate if self.sample_rate else 0.0

    def to_wav(self) -> bytes:
        """The audio as a complete RIFF/WAVE file."""
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as out:
            out.setnchannels(self.channels)
            out.setsampwidth(self.sample_width)
            out.setframerate(self.sample_rate)
            out.writeframes(self.pcm)
        return buffer.getvalue()

    def __add__(self, other: Audio) -> Audio:
        if (other.sample_rate, other.channels, other.sample_width) != (
            self.sample_rate,
            self.channels,
            self.sample_width,
        ):
            raise ValueError("cannot join audio of different formats")
        return Audio(self.pcm + other.pcm, self.sample_rate, self.channels, self.sample_width)


def read_wav(data: bytes) -> Audio:
    """Parse WAV bytes into :class:`Audio` (used on pyttsx3's output file)."""
    with wave.open(io.BytesIO(data), "rb") as src:
        return Audio(
            src.readframes(src.getnframes()),
            src.getframerate(),
            src.getnchannels(),
            src.getsampwidth(),
        )
