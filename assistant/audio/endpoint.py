"""Endpointing: where an utterance starts and ends in a live audio stream.

webrtcvad classifies fixed frames as speech or not; :class:`Endpointer`
turns that into utterance boundaries with the limits a driver needs: give up
when nobody speaks (leading silence), stop after a pause (trailing silence),
and never record forever (maximum length). In push-to-talk mode the button
decides: the utterance starts with the first audio and ends when the stream
ends (button released) or at the maximum length.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import webrtcvad

from assistant.config import ASRSettings
from assistant.errors import AudioFormatError, ConfigError

#: Rates webrtcvad accepts.
VAD_RATES = (8000, 16000, 32000, 48000)

#: Why an utterance ended.
EndReason = Literal["silence", "no_speech", "max_length", "end_of_stream"]


@dataclass(frozen=True, slots=True)
class EndpointConfig:
    """Endpointing limits; see ``[asr]`` in the configuration."""

    vad_aggressiveness: int = 2
    frame_ms: int = 30
    #: webrtcvad keeps saying "speech" for ~90 ms after any burst, so a click
    #: looks like 120 ms of speech; requiring more than that ignores clicks.
    speech_start_ms: int = 150
    leading_silence_ms: int = 5000
    trailing_silence_ms: int = 800
    max_utterance_s: float = 15.0
    push_to_talk: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.vad_aggressiveness <= 3:
            raise ConfigError("VAD aggressiveness must be 0, 1, 2 or 3")
        if self.frame_ms not in (10, 20, 30):
            raise ConfigError("VAD frame length must be 10, 20 or 30 ms")
        if self.max_utterance_s <= 0:
            raise ConfigError("maximum utterance length must be positive")

    @classmethod
    def from_settings(cls, asr: ASRSettings) -> EndpointConfig:
        """The limits configured in ``[asr]``."""
        return cls(
            vad_aggressiveness=asr.vad_aggressiveness,
            speech_start_ms=asr.speech_start_ms,
            leading_silence_ms=asr.leading_silence_ms,
            trailing_silence_ms=asr.trailing_silence_ms,
            max_utterance_s=asr.max_utterance_s,
            push_to_talk=asr.push_to_talk,
        )


@dataclass(frozen=True, slots=True)
class Boundary:
    """An utterance boundary at ``time`` seconds from the start of the stream."""

    kind: Literal["start", "end"]
    time: float
    reason: EndReason | None = None


class Endpointer:
    """Feed int16 mono PCM; get at most one start and one end boundary per utterance."""

    def __init__(self, sample_rate: int, config: EndpointConfig | None = None) -> None:
        if sample_rate not in VAD_RATES:
            raise AudioFormatError(f"VAD needs 8, 16, 32 or 48 kHz audio, not {sample_rate} Hz")
        self.config = config or EndpointConfig()
        self.rate = sample_rate
        self._vad = webrtcvad.Vad(self.config.vad_aggressiveness)
        self._frame_bytes = sample_rate * self.config.frame_ms // 1000 * 2
        self._buffer = b""
        self._frames_seen = 0
        self._voiced_run = 0
        self._silent_run = 0
        self._start: float | None = None
        self.done = False

    @property
    def in_speech(self) -> bool:
        """Whether an utterance has started and not yet ended."""
        return self._start is not None and not self.done

    def feed(self, pcm: bytes) -> list[Boundary]:
        """Process more audio; returns the boundaries it crossed (possibly none)."""
        if self.done:
            return []
        data = self._buffer + pcm
        usable = len(data) - len(data) % self._frame_bytes
        self._buffer = data[usable:]
        found: list[Boundary] = []
        for offset in range(0, usable, self._frame_bytes):
            found.extend(self._frame(data[offset : offset + self._frame_bytes]))
            if self.done:
                break
        return found

    def finish(self) -> list[Boundary]:
        """The stream ended (or the push-to-talk button was released)."""
        if self.done:
            return []
        self.done = True
        found = [] if self._start is not None else [Boundary("start", self._now())]
        if self._start is None and not self.config.push_to_talk:
            return [Boundary("end", self._now(), "no_speech")]
        return [*found, Boundary("end", self._now(), "end_of_stream")]

    def _now(self) -> float:
        return round(self._frames_seen * self.config.frame_ms / 1000, 3)

    def _frame(self, frame: bytes) -> list[Boundary]:
        cfg = self.config
        self._frames_seen += 1
        if cfg.push_to_talk:
            return self._push_to_talk_frame()
        voiced = self._vad.is_speech(frame, self.rate)
        self._voiced_run = self._voiced_run + 1 if voiced else 0
        self._silent_run = 0 if voiced else self._silent_run + 1
        if self._start is None:
            return self._waiting_frame()
        return self._speech_frame()

    def _push_to_talk_frame(self) -> list[Boundary]:
        if self._start is None:
            self._start = self._now() - self.config.frame_ms / 1000
            return [Boundary("start", self._start)]
        return self._max_length_check()

    def _waiting_frame(self) -> list[Boundary]:
        cfg = self.config
        if self._voiced_run * cfg.frame_ms >= cfg.speech_start_ms:
            self._start = self._now() - self._voiced_run * cfg.frame_ms / 1000
            return [Boundary("start", self._start)]
        if self._now() * 1000 >= cfg.leading_silence_ms:
            self.done = True
            return [Boundary("end", self._now(), "no_speech")]
        return []

    def _speech_frame(self) -> list[Boundary]:
        cfg = self.config
        if self._silent_run * cfg.frame_ms >= cfg.trailing_silence_ms:
            self.done = True
            return [
                Boundary("end", self._now() - self._silent_run * cfg.frame_ms / 1000, "silence")
            ]
        return self._max_length_check()

    def _max_length_check(self) -> list[Boundary]:
        assert self._start is not None
        if self._now() - self._start >= self.config.max_utterance_s:
            self.done = True
            return [Boundary("end", self._now(), "max_length")]
        return []
