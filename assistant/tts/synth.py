"""pyttsx3 on espeak-ng, confined to one dedicated worker thread per process.

pyttsx3 is not re-entrant, ``pyttsx3.init`` hands every caller the same
cached engine, and espeak can be initialised only once per process. So all
synthesis goes through one worker thread that owns the engine; every
:class:`Synthesizer` (each with its own voice, rate and volume) submits jobs
to it and waits on a future with a timeout, so a wedged engine is an error,
never a hang. The worker stops when the last synthesizer is closed. The
espeak driver's ``save_to_file`` renders to a WAV file that is read back as
PCM; pyttsx3 itself never plays anything.
"""

from __future__ import annotations

import asyncio
import queue
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import TTSError, TTSUnavailableError
from assistant.tts.audio import Audio, read_wav

SAMPLE_RATE = 22050
#: Renders of one text before giving up on an engine that returns no audio.
_ATTEMPTS = 4


@dataclass(frozen=True, slots=True)
class Voice:
    """How the assistant sounds: an espeak voice id or name (None: default), wpm, 0..1."""

    voice: str | None = None
    rate: int = 175
    volume: float = 1.0


Job = Callable[[Any], Any]


class _Worker:
    """The one thread that owns the pyttsx3 engine."""

    def __init__(self) -> None:
        self.jobs: queue.Queue[tuple[Job, Future[Any]] | None] = queue.Queue()
        self.ready: Future[None] = Future()
        self.thread = threading.Thread(target=self._run, name="drivetalk-tts", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            engine = _open_engine()
        except TTSError as exc:
            self.ready.set_exception(exc)
            return
        self.ready.set_result(None)
        while (item := self.jobs.get()) is not None:
            job, future = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(job(engine))
            except TTSError as exc:
                future.set_exception(exc)
            except Exception as exc:  # any engine failure reaches the caller as TTSError
                future.set_exception(TTSError(f"speech synthesis failed: {exc}"))


class _Pool:
    """The process-wide worker, started on first use, stopped by its last user."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._worker: _Worker | None = None
        self._users = 0

    def acquire(self) -> _Worker:
        with self._lock:
            if self._worker is None:
                self._worker = _Worker()
            self._users += 1
            return self._worker

    def release(self, worker: _Worker, timeout: float) -> None:
        with self._lock:
            self._users -= 1
            if self._users > 0 or worker is not self._worker:
                return
            self._worker = None
        worker.jobs.put(None)
        worker.thread.join(timeout=timeout)


_POOL = _Pool()


class Synthesizer:
    """Text to :class:`Audio` through the shared pyttsx3/espeak-ng worker thread."""

    def __init__(self, voice: Voice = Voice(), *, timeout: float = 15.0) -> None:
        self.voice = voice
        self.timeout = timeout
        self._worker: _Worker | None = None

    def start(self) -> None:
        """Join (or start) the worker and check the voice settings (idempotent)."""
        if self._worker is None:
            self._worker = _POOL.acquire()
        try:
            self._worker.ready.result(timeout=self.timeout)
        except FutureTimeout as exc:
            raise TTSUnavailableError("the speech engine did not start in time") from exc
        self._call(lambda engine: _apply_voice(engine, self.voice))

    def synthesize(self, text: str) -> Audio:
        """Render ``text`` to audio (blocking; safe from any thread)."""
        text = " ".join(text.split())
        if not text:
            return Audio(b"", SAMPLE_RATE)
        self.start()
        return self._call(lambda engine: _render(engine, self.voice, text))

    async def asynthesize(self, text: str) -> Audio:
        """:meth:`synthesize` without blocking the event loop."""
        return await asyncio.to_thread(self.synthesize, text)

    def voices(self) -> list[str]:
        """Ids of the installed espeak voices."""
        self.start()
        return self._call(lambda engine: [v.id for v in engine.getProperty("voices")])

    def close(self) -> None:
        """Leave the worker; the last one to leave stops its thread."""
        worker, self._worker = self._worker, None
        if worker is not None:
            _POOL.release(worker, self.timeout)

    def _call(self, job: Job) -> Any:
        assert self._worker is not None
        future: Future[Any] = Future()
        self._worker.jobs.put((job, future))
        try:
            return future.result(timeout=self.timeout)
        except FutureTimeout as exc:
            raise TTSError(f"speech synthesis took longer than {self.timeout:g} s") from exc


def _open_engine() -> Any:
    try:
        import pyttsx3
        import pyttsx3.drivers.espeak as espeak_driver

        engine = pyttsx3.init("espeak")
    except (ImportError, OSError, RuntimeError) as exc:
        raise TTSUnavailableError(
            "espeak-ng is not available (install: apt-get install espeak-ng libespeak1)"
        ) from exc
    # The espeak driver prints "Audio saved to ..." after every file; stdout
    # belongs to our commands (``drivetalk chat`` prints only replies there).
    espeak_driver.print = _quiet
    return engine


def _quiet(*_args: object, **_kwargs: object) -> None:
    return None


def _apply_voice(engine: Any, voice: Voice) -> None:
    if voice.voice:
        known = {v.id for v in engine.getProperty("voices")} | {
            v.name for v in engine.getProperty("voices")
        }
        if voice.voice not in known:
            raise TTSError(f"bad voice settings: no espeak voice {voice.voice!r}")
    try:
        if voice.voice:
            engine.setProperty("voice", voice.voice)
        engine.setProperty("rate", voice.rate)
        engine.setProperty("volume", voice.volume)
    except (ValueError, KeyError) as exc:
        raise TTSError(f"bad voice settings: {exc}") from exc


def _render(engine: Any, voice: Voice, text: str) -> Audio:
    _apply_voice(engine, voice)
    with tempfile.TemporaryDirectory(prefix="drivetalk-tts-") as tmp:
        target = Path(tmp) / "utterance.wav"
        for _attempt in range(_ATTEMPTS):
            target.unlink(missing_ok=True)
            engine.save_to_file(text, str(target))
            engine.runAndWait()
            audio = read_wav(target.read_bytes()) if target.exists() else None
            # pyttsx3's espeak driver now and then writes the file before any
            # samples arrived (about 1 run in 50 here); synthesis takes ~10 ms,
            # so trying again is cheap and gives the complete utterance.
            if audio is not None and audio.pcm:
                return audio
    raise TTSError("the speech engine produced no audio")
