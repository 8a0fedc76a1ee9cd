"""The server's speech engines: one recognizer model and one TTS worker per process.

Both are loaded lazily, on the first request that needs them (or by
``/readyz``), under a lock so fifty sessions arriving at once still load the
model once. Sessions borrow warm recognizers from the model's bounded pool,
one per utterance (``[asr] decoders``).
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from assistant.asr.base import Transcriber
from assistant.asr.events import Final
from assistant.asr.filetranscribe import transcribe_source
from assistant.audio.sources import WavFileSource
from assistant.config import Settings
from assistant.errors import DriveTalkError, RequestRejectedError, TTSError, TTSUnavailableError
from assistant.tts.audio import Audio

log = logging.getLogger(__name__)

TranscriberFactory = Callable[[], Transcriber]


def vosk_factory(settings: Settings) -> TranscriberFactory:
    """Load the configured (or installed) vosk model; blocking, call off the loop."""

    def load() -> Transcriber:
        from assistant.asr.factory import transcriber_from_settings

        return transcriber_from_settings(settings)[0]

    return load


@dataclass(frozen=True, slots=True)
class Decoded:
    """An uploaded utterance decoded: its final result and duration."""

    final: Final
    seconds: float


class SpeechService:
    """Lazily loaded, process-wide recognizer (and its load error, if any)."""

    def __init__(self, factory: TranscriberFactory | None) -> None:
        self._factory = factory
        self._transcriber: Transcriber | None = None
        self._error: DriveTalkError | None = None
        self._lock = asyncio.Lock()

    @property
    def loaded(self) -> bool:
        """Whether the model is in memory."""
        return self._transcriber is not None

    @property
    def error(self) -> str | None:
        """Why loading failed, if it did."""
        return str(self._error) if self._error else None

    @property
    def current(self) -> Transcriber | None:
        """The loaded transcriber, or None (never loads it: for metrics and admission)."""
        return self._transcriber

    async def transcriber(self) -> Transcriber:
        """The shared transcriber, loading it the first time; 503 if unavailable."""
        if self._transcriber is not None:
            return self._transcriber
        async with self._lock:
            if self._transcriber is None and self._error is None:
                await self._load()
        if self._transcriber is None:
            raise RequestRejectedError(
                503, "speech_unavailable", f"speech recognition is unavailable: {self.error}"
            )
        return self._transcriber

    async def _load(self) -> None:
        if self._factory is None:
            self._error = DriveTalkError("no speech model configured")
            return
        try:
            self._transcriber = await asyncio.to_thread(self._factory)
        except DriveTalkError as exc:
            log.warning("speech model failed to load: %s", exc)
            self._error = exc

    async def decode_wav(self, data: bytes, max_seconds: float) -> Decoded:
        """Decode an uploaded WAV file (any PCM encoding) to a final result."""
        transcriber = await self.transcriber()
        return await asyncio.to_thread(_decode_wav, transcriber, data, max_seconds)


def _decode_wav(transcriber: Transcriber, data: bytes, max_seconds: float) -> Decoded:
    source = WavFileSource(io.BytesIO(data), len(data))
    seconds = source.header.duration
    if seconds > max_seconds:
        raise RequestRejectedError(
            413, "audio_too_long", f"audio is {seconds:.1f} s long; the limit is {max_seconds:g} s"
        )
    # max_seconds again while reading: a header may understate what follows.
    result = transcribe_source(transcriber, source, "upload", max_seconds=max_seconds)
    return Decoded(result.final, result.audio_duration)


class Synth(Protocol):
    """What the server needs of a speech synthesizer."""

    async def asynthesize(self, text: str) -> Audio:
        """Render ``text`` without blocking the event loop."""

    def close(self) -> None:
        """Stop the engine."""


class VoiceService:
    """Lazily started TTS worker; ``None`` audio when speech output is unavailable."""

    def __init__(self, factory: Callable[[], Synth] | None) -> None:
        self._factory = factory
        self._synth: Synth | None = None
        self._error: str | None = None
        self._lock = asyncio.Lock()

    @property
    def error(self) -> str | None:
        """Why TTS is unavailable, if it is."""
        return self._error

    @property
    def enabled(self) -> bool:
        """Whether replies get audio (until the engine fails)."""
        return self._factory is not None and self._error is None

    async def speak(self, text: str) -> Audio | None:
        """Reply audio for ``text``, or None (TTS disabled or failed: text only)."""
        if not self.enabled or not text.strip():
            return None
        async with self._lock:
            if self._synth is None and self._factory is not None:
                self._synth = self._factory()
        assert self._synth is not None
        for attempt in (1, 2):  # espeak occasionally renders nothing; once more is enough
            try:
                return await self._synth.asynthesize(text)
            except TTSUnavailableError as exc:
                log.warning("speech synthesis unavailable, replying with text only: %s", exc)
                self._error = str(exc)
                return None
            except TTSError as exc:
                log.warning("speech synthesis failed (attempt %d): %s", attempt, exc)
        return None

    def close(self) -> None:
        """Stop the TTS worker thread."""
        if self._synth is not None:
            self._synth.close()


def tts_factory(settings: Settings) -> Callable[[], Synth] | None:
    """The pyttsx3 synthesizer as configured, or None when TTS is disabled."""
    if not settings.tts.enabled:
        return None

    def make() -> Synth:
        from assistant.tts.synth import Synthesizer, Voice

        tts = settings.tts
        return Synthesizer(Voice(voice=tts.voice, rate=tts.rate, volume=tts.volume))

    return make
