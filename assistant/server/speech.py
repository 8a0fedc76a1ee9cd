"""The server's speech engines: a recognizer model and a TTS voice per locale, per process.

Both are loaded lazily, on the first request of a locale that needs them
(or by ``/readyz``, for the installation's locale), under a lock so fifty
sessions arriving at once still load the model once. Sessions borrow warm
recognizers from the model's bounded pool, one per utterance (``[asr]
decoders``). A session in Chinese gets a Chinese model and the Mandarin
voice; a model of another language is refused (503 naming what to install).
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

#: locale -> a transcriber whose model hears that locale's language (blocking).
TranscriberFactory = Callable[[str], Transcriber]


def vosk_factory(settings: Settings) -> TranscriberFactory:
    """Load the configured (or installed) vosk model of a locale; blocking, call off the loop."""

    def load(locale: str) -> Transcriber:
        from assistant.asr.factory import transcriber_from_settings

        return transcriber_from_settings(settings, locale=locale)[0]

    return load


@dataclass(frozen=True, slots=True)
class Decoded:
    """An uploaded utterance decoded: its final result and duration."""

    final: Final
    seconds: float


class SpeechService:
    """Lazily loaded, process-wide recognizers, one per locale (and load errors, if any).

    ``locale`` (the installation's) is what ``/readyz`` loads and what a
    call without a locale means.
    """

    def __init__(self, factory: TranscriberFactory | None, locale: str = "en") -> None:
        self._factory = factory
        self.locale = locale
        self._transcribers: dict[str, Transcriber] = {}
        self._errors: dict[str, DriveTalkError] = {}
        self._lock = asyncio.Lock()

    @property
    def loaded(self) -> bool:
        """Whether the installation locale's model is in memory."""
        return self.locale in self._transcribers

    @property
    def error(self) -> str | None:
        """Why loading the installation locale's model failed, if it did."""
        return self.error_for(self.locale)

    @property
    def current(self) -> Transcriber | None:
        """The installation locale's loaded transcriber, or None (never loads it:
        for metrics and admission)."""
        return self._transcribers.get(self.locale)

    def error_for(self, locale: str) -> str | None:
        """Why loading ``locale``'s model failed, if it did."""
        error = self._errors.get(locale)
        return str(error) if error else None

    async def transcriber(self, locale: str | None = None) -> Transcriber:
        """The shared transcriber of ``locale``, loading it the first time; 503 if unavailable."""
        locale = locale or self.locale
        if locale in self._transcribers:
            return self._transcribers[locale]
        async with self._lock:
            if locale not in self._transcribers and locale not in self._errors:
                await self._load(locale)
        if locale not in self._transcribers:
            raise RequestRejectedError(
                503,
                "speech_unavailable",
                f"speech recognition is unavailable: {self.error_for(locale)}",
            )
        return self._transcribers[locale]

    async def _load(self, locale: str) -> None:
        if self._factory is None:
            self._errors[locale] = DriveTalkError("no speech model configured")
            return
        try:
            self._transcribers[locale] = await asyncio.to_thread(self._factory, locale)
        except DriveTalkError as exc:
            log.warning("speech model for locale %s failed to load: %s", locale, exc)
            self._errors[locale] = exc

    async def decode_wav(
        self, data: bytes, max_seconds: float, locale: str | None = None
    ) -> Decoded:
        """Decode an uploaded WAV file (any PCM encoding) to a final result."""
        transcriber = await self.transcriber(locale)
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


#: locale -> a synthesizer speaking that locale's voices.
SynthFactory = Callable[[str], Synth]


class VoiceService:
    """Lazily started TTS voices, one per locale; ``None`` audio when speech output fails."""

    def __init__(self, factory: SynthFactory | None, locale: str = "en") -> None:
        self._factory = factory
        self.locale = locale
        self._synths: dict[str, Synth] = {}
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

    async def speak(self, text: str, locale: str | None = None) -> Audio | None:
        """Reply audio for ``text`` in ``locale``'s voice, or None (TTS off or failed)."""
        if not self.enabled or not text.strip():
            return None
        locale = locale or self.locale
        async with self._lock:
            if locale not in self._synths and self._factory is not None:
                self._synths[locale] = self._factory(locale)
        synth = self._synths[locale]
        for attempt in (1, 2):  # espeak occasionally renders nothing; once more is enough
            try:
                return await synth.asynthesize(text)
            except TTSUnavailableError as exc:
                log.warning("speech synthesis unavailable, replying with text only: %s", exc)
                self._error = str(exc)
                return None
            except TTSError as exc:
                log.warning("speech synthesis failed (attempt %d): %s", attempt, exc)
        return None

    def close(self) -> None:
        """Stop the TTS voices (the worker thread stops with the last)."""
        for synth in self._synths.values():
            synth.close()
        self._synths.clear()


def tts_factory(settings: Settings) -> SynthFactory | None:
    """pyttsx3 synthesizers with each locale's configured voices, or None when TTS is off."""
    if not settings.tts.enabled:
        return None

    def make(locale: str) -> Synth:
        from assistant.tts.synth import Synthesizer
        from assistant.tts.voices import locale_voice

        return Synthesizer(locale_voice(settings.tts, locale))

    return make
