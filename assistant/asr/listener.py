"""Listening for one utterance: endpointing plus streaming recognition.

:class:`Listener` reads model-rate PCM chunks from an async iterator (a
microphone, a WebSocket, a file), runs the VAD endpointer and the
recognizer side by side, and yields events: ``SpeechStarted`` (and
``BargeIn`` when the assistant was talking), ``Partial`` transcripts,
``SpeechEnded`` with its reason, and finally one ``Final``.

A caller that knows what answer it waits for passes ``complete``, a
"complete enough?" predicate on the partial transcript: while it holds, a
short pause (``early_silence_ms``) ends the utterance instead of the long
trailing silence, and the partial judged complete is the utterance's final
(no flush of the recognizer after the endpoint). The listener knows no
language; the predicate is the conversation's (see
:mod:`assistant.dialog.early_end`).

An early end is provisional: speech that starts again within ``rejoin_ms``
of it ("no | to Li Na", "yes | please") is the same driver going on, and
its ``Final`` says so (``continues``); the dialog decides what that means,
and judges its partials as it will hear them (``complete_continued``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Callable, Sequence
from dataclasses import replace

from assistant.asr.aio import AsyncSession
from assistant.asr.base import Transcriber
from assistant.asr.events import BargeIn, Event, Final, Partial, SpeechEnded, SpeechStarted
from assistant.audio.endpoint import (
    Boundary,
    Completeness,
    EndpointConfig,
    Endpointer,
    EndpointStream,
)
from assistant.audio.vad import resolve_vad
from assistant.models import Hypothesis

log = logging.getLogger(__name__)

#: Audio kept before the detected start of speech, beyond the VAD's own delay,
#: so the recognizer hears the onset of the first word.
PREROLL_MARGIN_MS = 300
#: No audio for this long in the middle of an utterance ends it (end_of_stream):
#: a stalled stream must not keep one of the process's few decoders.
STALL_SECONDS = 5.0
#: An utterance may take at most this many times its longest allowed length
#: (``max_utterance_s``) in wall-clock time, so a stream that trickles audio
#: slower than real time cannot hold a decoder for long either.
SLOW_STREAM_FACTOR = 2.0
#: An utterance that ended early hands its recognizer back this much later,
#: after the reply's parse, dialog and first audio (seconds).
BACKGROUND_CLOSE_DELAY_S = 0.3


class PreRoll:
    """The newest ``limit`` bytes of PCM heard before speech started."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._chunks: deque[bytes] = deque()
        self._size = 0

    @property
    def held(self) -> bool:
        """Whether any audio is waiting to be decoded."""
        return self._size > 0

    def add(self, chunk: bytes) -> None:
        """Keep ``chunk``, dropping the oldest whole chunks beyond the limit."""
        self._chunks.append(chunk)
        self._size += len(chunk)
        while len(self._chunks) > 1 and self._size - len(self._chunks[0]) >= self.limit:
            self._size -= len(self._chunks.popleft())

    def take(self) -> bytes:
        """Everything held, oldest first, and forget it."""
        data = b"".join(self._chunks)
        self._chunks.clear()
        self._size = 0
        return data


class Listener:
    """Turn a live PCM stream into one utterance's events at a time.

    The endpointer is the configured VAD (``[asr] vad``) with its adaptive
    noise floor; a missing VAD runtime is a ConfigError here, at once, not
    at the first utterance. Event times count from the start of the stream:
    listening to the same ``chunks`` object again continues its clock (and
    its noise floor); another object is another stream, starting at 0.
    """

    def __init__(
        self,
        transcriber: Transcriber,
        config: EndpointConfig | None = None,
        *,
        stall_seconds: float | None = STALL_SECONDS,
    ) -> None:
        self.transcriber = transcriber
        self.config = config or EndpointConfig()
        resolve_vad(self.config.vad)
        self._source: object = None
        self._stream: EndpointStream | None = None
        #: Mid-utterance audio gap that ends the utterance (None: wait for ever,
        #: however slowly the audio comes).
        self.stall_seconds = stall_seconds
        #: Set while the assistant is talking: speech starting then yields BargeIn.
        self.assistant_speaking = False
        #: Sessions of utterances that ended early, being closed in the background.
        self._closing: set[asyncio.Task[None]] = set()
        #: Set when the next utterance begins: the background closes stop waiting.
        self._hurry: asyncio.Event | None = None
        #: Stream time at which the last utterance ended early (None: it did not).
        self._early_end: float | None = None

    @property
    def ended_early(self) -> bool:
        """Whether the last utterance ended early: speech soon after it continues it."""
        return self._early_end is not None

    async def listen(
        self,
        chunks: AsyncIterable[bytes],
        *,
        grammar: Sequence[str] | None = None,
        is_speaking: Callable[[], bool] | None = None,
        complete: Callable[[str], bool | Completeness] | None = None,
        complete_continued: Callable[[str], bool | Completeness] | None = None,
        leading_silence_ms: int | None = None,
        partial_final: bool = True,
    ) -> AsyncIterator[Event]:
        """Yield the events of the next utterance in ``chunks``, ending with a Final.

        ``chunks`` is int16 mono PCM at the transcriber's rate; it is not
        closed, so the same iterator can be listened to again for the next
        utterance. ``is_speaking`` tells whether the assistant is talking
        right now (default: the :attr:`assistant_speaking` flag): speech
        starting then also yields ``BargeIn``. No chunk for
        :attr:`stall_seconds` after speech started ends the utterance as if
        the stream had ended (the pending read is cancelled, which closes a
        source that is an async generator; a queue-like source goes on), and
        so does audio arriving so slowly that the utterance lasts
        :data:`SLOW_STREAM_FACTOR` times ``max_utterance_s`` of wall-clock time.
        ``complete(partial_text)`` says whether what was heard so far is a
        complete answer; each new partial asks again (see
        :meth:`~assistant.audio.endpoint.Endpointer.hurry`);
        ``complete_continued`` is asked instead, if given, when the utterance
        goes on from one that ended early (the dialog joins "no | to Li Na":
        "to Li Na" alone answers nothing, "no to Li Na" does). An utterance
        that ended early on such a partial, with no newer partial since,
        has that partial as its final (one alternative, no word times):
        the recognizer is not flushed; ``partial_final=False`` always waits
        for the recognizer's final (the wake spotter needs its word
        confidences).
        ``leading_silence_ms`` overrides, for this utterance, how long to wait
        for speech before ending with ``no_speech``.
        """
        speaking = is_speaking or (lambda: self.assistant_speaking)
        stream = self._stream_of(chunks)
        endpointer = stream.utterance(leading_silence_ms)
        await self._reclaim()
        session = await AsyncSession.open(self.transcriber, grammar)
        closing_here = True  # False once the session is handed to a background close
        preroll = PreRoll(self._preroll_bytes())
        deadline: float | None = None  # wall clock, once speech has started
        latest = ""  # the newest partial transcript
        judged: str | None = None  # the partial ``complete`` last held for, while it holds
        continues = False  # whether this utterance goes on from one that ended early
        source = aiter(chunks)
        try:
            while not endpointer.done:
                chunk = await self._next(source, deadline)
                partials: list[Partial] = []
                if chunk is None:
                    boundaries = endpointer.finish()
                else:
                    boundaries = endpointer.feed(chunk)
                    stream.heard(chunk)
                    preroll.add(chunk)
                if deadline is None and any(b.kind == "start" for b in boundaries):
                    deadline = self._utterance_deadline()
                    continues = self._continues(boundaries)
                answered = partial_final and self._answered(endpointer)
                if deadline is not None and preroll.held and not answered:
                    # Decode only once the VAD hears speech: a connected but
                    # silent car costs no recognizer time.
                    partials = await session.accept(preroll.take())
                if partials:
                    latest = partials[-1].text
                judge = (complete_continued or complete) if continues else complete
                if judge is not None and partials and endpointer.in_speech:
                    level = judge(latest)
                    judged = latest if level else None
                    boundaries += endpointer.hurry(level)
                for event in self._chunk_events(boundaries, partials, endpointer, speaking):
                    yield event
                if any(b.reason == "no_speech" for b in boundaries):
                    self._early_end = None
                    await session.aclose()
                    yield Final(text="")
                    return
            self._early_end = self._end_time(boundaries) if endpointer.ended_early else None
            answer = self._answer_heard(endpointer, judged, latest) if partial_final else None
            closing_here = answer is None
            final = await self._final(session, answer)
            yield replace(final, continues=continues) if continues else final
        finally:
            if closing_here:
                await session.aclose()

    def _chunk_events(
        self,
        boundaries: list[Boundary],
        partials: list[Partial],
        endpointer: Endpointer,
        speaking: Callable[[], bool],
    ) -> list[Event]:
        """What one chunk gave, in order: start (and barge-in), partials, end."""
        events: list[Event] = []
        for boundary in boundaries:
            if boundary.kind == "start":
                events += self._start_events(boundary, speaking)
        if endpointer.in_speech or endpointer.done:
            events += partials
        events += [
            SpeechEnded(time=b.time, reason=b.reason or "silence")
            for b in boundaries
            if b.kind == "end"
        ]
        return events

    def _continues(self, boundaries: list[Boundary]) -> bool:
        """Whether speech starting in ``boundaries`` goes on from an early end.

        Within ``rejoin_ms`` of it, the long pause would not have ended the
        utterance either: the driver was not done.
        """
        ended, self._early_end = self._early_end, None
        start = next(b.time for b in boundaries if b.kind == "start")
        return ended is not None and start - ended <= self.config.rejoin_ms / 1000

    @staticmethod
    def _end_time(boundaries: list[Boundary]) -> float | None:
        return next((b.time for b in boundaries if b.kind == "end"), None)

    @staticmethod
    def _answer_heard(endpointer: Endpointer, judged: str | None, latest: str) -> str | None:
        """``judged`` if the utterance ended early on it and it is the newest partial."""
        return judged if judged == latest and endpointer.ended_early else None

    async def _final(self, session: AsyncSession, answer: str | None) -> Final:
        """The utterance's final: ``answer`` if it ended early on it, else the recognizer's."""
        if answer is not None:
            # Ended early because this partial answers the open question: it
            # is the answer. The recognizer's flush (its final pass, 60-120 ms
            # with the Korean model here, and what resetting a pooled decoder
            # costs too) would only delay the reply, so the session is closed
            # in the background.
            self._close_later(session)
            return Final(text=answer, alternatives=(Hypothesis(answer),))
        # Release the worker before the last yield: a consumer that stops
        # iterating at the Final never resumes this generator.
        return await self._finish(session)

    @staticmethod
    async def _finish(session: AsyncSession) -> Final:
        """The recognizer's final result, its session closed."""
        final = await session.finish()
        await session.aclose()
        return final

    @staticmethod
    def _answered(endpointer: Endpointer) -> bool:
        """Whether the utterance just ended early: the pause's audio needs no decoding."""
        return endpointer.done and endpointer.ended_early

    def _close_later(self, session: AsyncSession) -> None:
        """Free ``session``'s recognizer off the caller's path (it is not waited for)."""

        if self._hurry is None:
            self._hurry = asyncio.Event()
        hurry = self._hurry

        async def close() -> None:
            # Resetting a vosk decoder costs as much CPU as its flush: let the
            # reply be computed first (on a small machine they share a core).
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(hurry.wait(), BACKGROUND_CLOSE_DELAY_S)
            await session.aclose()

        task = asyncio.get_running_loop().create_task(close())
        self._closing.add(task)  # a strong reference until it is done
        task.add_done_callback(self._closing.discard)

    async def _reclaim(self) -> None:
        """Hand back now the recognizers still being closed in the background.

        The next utterance would otherwise find them lent out and open a
        fresh decoder beside them; a fresh decoder hears its first words
        worse (pocketsphinx's cepstral mean has not adapted yet), which, on
        a loaded machine, turned answers fed back to back into misheard ones.
        """
        if self._hurry is not None:
            self._hurry.set()
            await self.drain()
            self._hurry = None

    async def drain(self) -> None:
        """Wait until every recognizer handed back in the background is free."""
        while self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)

    def _stream_of(self, chunks: AsyncIterable[bytes]) -> EndpointStream:
        """The endpointing of ``chunks``: the one begun before, or a new stream."""
        if chunks is not self._source or self._stream is None:
            self._source = chunks
            self._stream = EndpointStream(self.transcriber.sample_rate, self.config)
            self._early_end = None
        return self._stream

    def _utterance_deadline(self) -> float:
        """When an utterance starting now must be over, however its audio comes."""
        slowest = SLOW_STREAM_FACTOR * self.config.max_utterance_s + (self.stall_seconds or 0.0)
        return time.monotonic() + slowest

    async def _next(self, source: AsyncIterator[bytes], deadline: float | None) -> bytes | None:
        """The next chunk; None at the end of the stream, after a stall in
        speech, or once the utterance is past its wall-clock deadline."""
        if deadline is None or self.stall_seconds is None:
            return await anext(source, None)
        left = deadline - time.monotonic()
        if left > 0:
            try:
                return await asyncio.wait_for(anext(source, None), min(self.stall_seconds, left))
            except TimeoutError:
                if time.monotonic() < deadline:
                    log.warning("no audio for %.1f s mid-utterance: ending it", self.stall_seconds)
                    return None
        log.warning("audio is arriving far slower than real time: ending the utterance")
        return None

    def _preroll_bytes(self) -> int:
        """Audio kept from before the VAD's start decision (it needs speech_start_ms)."""
        seconds = (self.config.speech_start_ms + PREROLL_MARGIN_MS) / 1000
        return int(seconds * self.transcriber.sample_rate) * 2

    @staticmethod
    def _start_events(boundary: Boundary, is_speaking: Callable[[], bool]) -> list[Event]:
        started: list[Event] = [SpeechStarted(time=boundary.time)]
        return [*started, BargeIn(time=boundary.time)] if is_speaking() else started
