"""pyttsx3 on espeak-ng, confined to one dedicated worker thread per process.

pyttsx3 is not re-entrant, ``pyttsx3.init`` hands every caller the same
cached engine, and espeak can be initialised only once per process. So all
synthesis goes through one worker thread that owns the engine; every
:class:`Synthesizer` (each with its own voice, rate and volume) submits jobs
to it and waits on a future with a timeout, so a wedged engine is an error,
never a hang. The worker stops when the last synthesizer is closed and its
queued jobs are done. The espeak driver's ``save_to_file`` renders to a WAV
file that is read back as PCM; pyttsx3 itself never plays anything.

Two rules keep espeak from crashing the process (it is not thread-safe, and
a pyttsx3 engine built anew swaps espeak's one C callback under any
synthesis still running): there is never more than one worker thread (a
synthesizer opened while the last one still drains its queue revives that
worker instead of starting a second beside it), and the engine is opened
once per process and kept (a restarted worker reuses it). At interpreter
exit the worker is drained and stopped before Python tears its objects down.

A synthesizer speaks for one conversation locale (:class:`LocaleVoice`): a
reply is cut into runs of one script (:mod:`assistant.tts.reading`), the
Chinese runs are spoken by the Mandarin voice from pinyin and the Latin
runs by an English voice, and the runs' audio is joined.
"""

from __future__ import annotations

import asyncio
import atexit
import functools
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
from assistant.scripts import has_han
from assistant.tts.audio import Audio, join_runs, read_wav
from assistant.tts.reading import Run, reading

SAMPLE_RATE = 22050
#: Renders of one text before giving up on an engine that returns no audio.
_ATTEMPTS = 4


#: espeak-ng's Mandarin voice that reads tone-numbered pinyin (see reading.py).
MANDARIN_VOICE = "cmn-latn-pinyin"


@dataclass(frozen=True, slots=True)
class Voice:
    """How the assistant sounds: espeak voice (id, name or language; None: default), wpm, 0..1."""

    voice: str | None = None
    rate: int = 175
    volume: float = 1.0

    @property
    def reads_pinyin(self) -> bool:
        """Whether this voice is given Chinese as pinyin (else as characters)."""
        return self.voice is not None and "pinyin" in self.voice.lower()


@dataclass(frozen=True, slots=True)
class LocaleVoice:
    """The voices of one conversation locale: Latin-script runs and Chinese runs."""

    locale: str = "en"
    latin: Voice = Voice()
    han: Voice = Voice(MANDARIN_VOICE)

    @classmethod
    def english(cls, voice: Voice) -> LocaleVoice:
        """An English conversation in ``voice`` (Chinese names by the Mandarin voice)."""
        return cls("en", voice, Voice(MANDARIN_VOICE, voice.rate, voice.volume))

    def for_run(self, run: Run) -> Voice:
        """The voice that speaks ``run``."""
        return self.han if run.script == "han" else self.latin


Job = Callable[[Any], Any]


class _Worker:
    """The one thread that owns the pyttsx3 engine."""

    def __init__(self, pool: _Pool) -> None:
        self.pool = pool
        self.jobs: queue.Queue[tuple[Job, Future[Any]] | object] = queue.Queue()
        self.ready: Future[None] = Future()
        self.thread = threading.Thread(target=self._run, name="drivetalk-tts", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            engine = _process_engine()
        except TTSError as exc:
            self.ready.set_exception(exc)
            self.pool.exited(self)
            return
        self.ready.set_result(None)
        while True:
            item = self.jobs.get()
            if item is _EXIT or item is _IDLE:
                if self.pool.exited(self, when_unused=item is _IDLE):
                    return
                continue
            if isinstance(item, tuple):
                self._do(engine, *item)

    @staticmethod
    def _do(engine: Any, job: Job, future: Future[Any]) -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(job(engine))
        except TTSError as exc:
            future.set_exception(exc)
        except Exception as exc:  # any engine failure reaches the caller as TTSError
            future.set_exception(TTSError(f"speech synthesis failed: {exc}"))


#: Queued when the last synthesizer left: stop unless someone joined meanwhile.
_IDLE = object()
#: Queued at interpreter exit: stop after the jobs before it.
_EXIT = object()


class _Pool:
    """The process-wide worker, started on first use, stopped once unused.

    ``_worker`` is the worker whose thread runs (or is about to): it is
    cleared only by that thread itself, under the lock, after its last job,
    so a second worker can never start beside one still rendering.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._worker: _Worker | None = None
        self._last: _Worker | None = None
        self._users = 0

    def acquire(self) -> _Worker:
        """Join the running worker (even one told to stop: it goes on) or start one."""
        with self._lock:
            if self._worker is None:
                if self._last is not None:  # past its last job, only returning: let it end
                    self._last.thread.join()
                self._worker = self._last = _Worker(self)
            self._users += 1
            self._changed.notify_all()
            return self._worker

    def release(self, worker: _Worker, timeout: float) -> None:
        """Leave ``worker``; the last to leave stops it once its queued jobs are done.

        Waits (at most ``timeout``) until the thread has ended, or until a
        synthesizer opened meanwhile has taken the worker over.
        """
        with self._lock:
            self._users -= 1
            if self._users > 0 or worker is not self._worker:
                return
            worker.jobs.put(_IDLE)
            self._changed.wait_for(lambda: self._worker is not worker or self._users > 0, timeout)
            if self._worker is worker:
                return  # taken over (or still busy after the timeout)
        worker.thread.join(timeout=timeout)

    def exited(self, worker: _Worker, *, when_unused: bool = False) -> bool:
        """Called by ``worker``'s own thread: whether it stops now (then it is forgotten)."""
        with self._lock:
            if when_unused and self._users > 0:
                return False  # a synthesizer joined after the last one left
            if self._worker is worker:
                self._worker = None
            self._changed.notify_all()
            return True

    def shutdown(self, timeout: float = 15.0) -> None:
        """At interpreter exit: let the worker finish its queue and stop, before teardown.

        Then the engine is let go while Python can still run its finaliser
        (at teardown pyttsx3's own ``__del__`` fails noisily).
        """
        with self._lock:
            worker = self._worker
        if worker is not None:
            worker.jobs.put(_EXIT)
            worker.thread.join(timeout=timeout)
            if worker.thread.is_alive():
                return  # still inside espeak: the engine stays theirs
        with _ENGINE_LOCK:
            _ENGINE.clear()


_POOL = _Pool()
# A daemon thread still inside espeak while Python finalises crashes the process.
atexit.register(_POOL.shutdown)


class Synthesizer:
    """Text to :class:`Audio` through the shared pyttsx3/espeak-ng worker thread.

    ``voice``: a :class:`LocaleVoice`, or one :class:`Voice` for an English
    conversation.
    """

    def __init__(self, voice: Voice | LocaleVoice = Voice(), *, timeout: float = 15.0) -> None:
        self.locale_voice = voice if isinstance(voice, LocaleVoice) else LocaleVoice.english(voice)
        self.voice = (
            self.locale_voice.latin if self.locale_voice.locale == "en" else self.locale_voice.han
        )
        self.timeout = timeout
        self._worker: _Worker | None = None
        self._warm = False
        self._closed = False
        self._lock = threading.Lock()  # start and close may come from any thread

    def start(self) -> None:
        """Join (or start) the worker and check the voice settings (idempotent; reopens)."""
        self._start(reopen=True)

    def _start(self, *, reopen: bool) -> None:
        with self._lock:
            if self._closed and not reopen:
                # e.g. the next sentence of a reply still on its way when the
                # speaker closed: it must not bring the worker back for good.
                raise TTSError("speech synthesis stopped: the synthesizer was closed")
            self._closed = False
            if self._worker is None:
                self._worker = _POOL.acquire()
            worker = self._worker
        try:
            worker.ready.result(timeout=self.timeout)
        except FutureTimeout as exc:
            raise TTSUnavailableError("the speech engine did not start in time") from exc
        # An English conversation meets the Mandarin voice only for a Chinese
        # name; a Chinese one needs both voices from the start.
        voices = (
            (self.locale_voice.latin,)
            if self.locale_voice.locale == "en"
            else (self.locale_voice.han, self.locale_voice.latin)
        )
        for voice in dict.fromkeys(voices):
            self._call(functools.partial(_apply_with, voice))
        if self.locale_voice.locale == "zh" and not self._warm:
            # pypinyin's dictionaries and cn2an load on first use (~0.5 s): now,
            # not while the driver waits for the first reply.
            self.plan("你好，1点")
            self._warm = True

    def synthesize(self, text: str) -> Audio:
        """Render ``text`` to audio (blocking; safe from any thread)."""
        text = " ".join(text.split())
        if not text:
            return Audio(b"", SAMPLE_RATE)
        self._start(reopen=False)
        if self.locale_voice.locale == "en" and not has_han(text):
            return self._call(lambda engine: _render(engine, self.voice, text))
        runs = self.plan(text)
        audio = [
            self._call(functools.partial(_render_with, self.locale_voice.for_run(run), run.text))
            for run in runs
        ]
        return join_runs(audio, [run.text for run in runs]) if audio else Audio(b"", SAMPLE_RATE)

    def plan(self, text: str) -> tuple[Run, ...]:
        """The runs ``text`` is spoken in, each with what its voice is given."""
        return reading(text, self.locale_voice.locale, pinyin=self.locale_voice.han.reads_pinyin)

    async def asynthesize(self, text: str) -> Audio:
        """:meth:`synthesize` without blocking the event loop."""
        return await asyncio.to_thread(self.synthesize, text)

    def voices(self) -> list[str]:
        """Ids of the installed espeak voices."""
        self._start(reopen=False)
        return self._call(lambda engine: [v.id for v in engine.getProperty("voices")])

    def close(self) -> None:
        """Leave the worker (the last one to leave stops its thread); work after this is refused.

        :meth:`start` opens it again.
        """
        with self._lock:
            self._closed = True
            worker, self._worker = self._worker, None
        if worker is not None:
            _POOL.release(worker, self.timeout)

    def _call(self, job: Job) -> Any:
        worker = self._worker
        if worker is None:  # closed by another thread while this one was synthesising
            raise TTSError("speech synthesis stopped: the synthesizer was closed")
        future: Future[Any] = Future()
        worker.jobs.put((job, future))
        try:
            return future.result(timeout=self.timeout)
        except FutureTimeout as exc:
            raise TTSError(f"speech synthesis took longer than {self.timeout:g} s") from exc


_ENGINE_LOCK = threading.Lock()
#: The process's one pyttsx3 engine, opened by the first worker and kept for good.
_ENGINE: list[Any] = []


def _process_engine() -> Any:
    """The process's pyttsx3 engine (opened on first use, never built twice)."""
    with _ENGINE_LOCK:
        if not _ENGINE:
            _ENGINE.append(_open_engine())
        return _ENGINE[0]


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
    # Synthesizers with different voices share this engine: a Voice(None)
    # must get espeak's default back, not whatever voice spoke last.
    _DEFAULT_VOICE[id(engine)] = engine.getProperty("voice")
    return engine


#: The voice each engine started with, by id(engine) (one engine per process).
_DEFAULT_VOICE: dict[int, str] = {}


def _quiet(*_args: object, **_kwargs: object) -> None:
    return None


def _voice_id(engine: Any, wanted: str) -> str:
    """The pyttsx3 id of the espeak voice called ``wanted`` (its id, name or language)."""
    for v in engine.getProperty("voices"):
        if wanted in (v.id, v.name, *(str(lang) for lang in v.languages or ())):
            return str(v.id)
    raise TTSError(f"bad voice settings: no espeak voice {wanted!r}")


def _apply_voice(engine: Any, voice: Voice) -> None:
    try:
        if voice.voice:
            engine.setProperty("voice", _voice_id(engine, voice.voice))
        elif id(engine) in _DEFAULT_VOICE:
            engine.setProperty("voice", _DEFAULT_VOICE[id(engine)])
        engine.setProperty("rate", voice.rate)
        engine.setProperty("volume", voice.volume)
    except (ValueError, KeyError) as exc:
        raise TTSError(f"bad voice settings: {exc}") from exc


def _apply_with(voice: Voice, engine: Any) -> None:
    _apply_voice(engine, voice)


def _render_with(voice: Voice, text: str, engine: Any) -> Audio:
    return _render(engine, voice, text)


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
