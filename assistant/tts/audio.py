"""Synthesised speech as raw PCM, convertible to WAV bytes."""

from __future__ import annotations

import io
import wave
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Below this (about -50 dBFS) a sample is silence, when runs are joined.
_SILENCE = 100
#: Pauses between joined runs, by how the earlier run ends (seconds).
_PAUSE_AFTER = {",": 0.2, ";": 0.25, ":": 0.25, ".": 0.35, "!": 0.35, "?": 0.35}
_PAUSE = 0.06


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


def trim_silence(audio: Audio) -> Audio:
    """``audio`` without the silence espeak leaves before and after the speech."""
    samples = np.frombuffer(audio.pcm, dtype="<i2")
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > _SILENCE)
    if len(loud) == 0:
        return Audio(b"", audio.sample_rate)
    return Audio(samples[loud[0] : loud[-1] + 1].tobytes(), audio.sample_rate)


def join_runs(parts: Sequence[Audio], texts: Sequence[str]) -> Audio:
    """Runs spoken by different voices as one utterance.

    Each part is trimmed of its own silence and the parts are joined with a
    pause as long as the punctuation ending the earlier run asks for (a
    short breath between a Chinese phrase and an English name).
    """
    rate = parts[0].sample_rate
    out = parts[0] if len(parts) == 1 else trim_silence(parts[0])
    for index in range(1, len(parts)):
        gap = b"\x00\x00" * int(rate * pause_after(texts[index - 1]))
        out = out + Audio(gap, rate) + trim_silence(parts[index])
    return out


def pause_after(text: str) -> float:
    """Seconds of silence after a run ending like ``text`` before the next voice speaks."""
    return _PAUSE_AFTER.get(text.rstrip()[-1:], _PAUSE)
