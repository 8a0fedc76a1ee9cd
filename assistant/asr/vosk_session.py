"""One stream decoded by vosk: a pooled recognizer per utterance (open) or its own (grammar).

Open recognition borrows a warm recognizer from the model's
:class:`~assistant.asr.pool.RecognizerPool` for one utterance at a time:
:meth:`VoskSession.accept` never waits for one (the caller's endpointer must
keep running in real time), it buffers the audio and takes its place in the
queue; once a recognizer is granted the buffered audio is decoded first,
chunk by chunk as it arrived. Only past ``BACKLOG_SECONDS`` of buffered
audio does ``accept`` block (backpressure). :meth:`VoskSession.finish`
waits for a recognizer if it must, flushes it and gives it back.

A grammar session keeps a recognizer of its own (its graph is
grammar-specific and cheap), replaced after every utterance.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from assistant.asr.claim import PoolClaim
from assistant.asr.decoder import Backlog, Decoder
from assistant.asr.events import Final, Partial
from assistant.asr.hanzi import join_words
from assistant.asr.results import merge_segments, parse_result
from assistant.errors import ASRError, AudioFormatError
from assistant.models import Hypothesis

if TYPE_CHECKING:
    from assistant.asr.pool import RecognizerPool
    from assistant.asr.vosk_engine import LoadedModel

#: Audio an open session buffers while every decoder is busy before accept() blocks.
BACKLOG_SECONDS = 60.0
#: How long finish() (or a full backlog) waits for a decoder before giving up.
DECODER_WAIT_S = 120.0


class VoskSession:
    """:class:`~assistant.asr.base.StreamingSession` over vosk.

    Word times restart at zero for every utterance. :meth:`close` (and
    :meth:`interrupt`, the one method safe to call from another thread)
    also ends a wait for a decoder.
    """

    def __init__(
        self,
        model: LoadedModel,
        grammar_json: str | None,
        alternatives: int,
        *,
        pool: RecognizerPool[Decoder] | None = None,
        wait: float = DECODER_WAIT_S,
    ) -> None:
        if grammar_json is None and pool is None:
            raise ValueError("open recognition needs a recognizer pool")
        self._model = model
        self._grammar = grammar_json
        self._alternatives = alternatives
        self._pool = pool
        self._segments: list[tuple[Hypothesis, ...]] = []
        self._last_partial = ""
        self._backlog = Backlog(int(BACKLOG_SECONDS * model.sample_rate) * 2)
        self._decoder: Decoder | None = None
        self._offset = 0.0
        self._claim: PoolClaim[Decoder] = PoolClaim(pool, wait)
        if grammar_json is not None:
            self._start(self._own_decoder())  # now, so a bad grammar fails at open

    @property
    def constrained(self) -> bool:
        """True when a runtime grammar is active."""
        return self._grammar is not None

    @property
    def holds_decoder(self) -> bool:
        """Whether a recognizer is attached to the current utterance."""
        return self._decoder is not None

    @property
    def buffered_seconds(self) -> float:
        """Audio accepted but not decoded yet (waiting for a decoder)."""
        return self._backlog.size / 2 / self._model.sample_rate

    def accept(self, pcm: bytes) -> list[Partial]:
        """Decode int16 mono PCM (or buffer it); a Partial when the transcript changed."""
        if len(pcm) % 2:
            raise AudioFormatError("16-bit PCM chunk has an odd number of bytes")
        self._check_open()
        if self._decoder is None and not self._borrow(len(pcm)):
            self._backlog.add(pcm)
            return []
        return self._decode([*self._backlog.take(), pcm])

    def finish(self) -> Final:
        """Flush the decoder and return the utterance's result; ready for the next one."""
        self._check_open()
        if self._decoder is None and not self._backlog:
            self._claim.cancel()  # nothing was heard: no decoder needed
            return self._end_utterance()
        if self._decoder is None:
            self._start(self._claim.acquire())
        if self._backlog:
            self._decode(self._backlog.take())
        decoder = self._held()
        with self._guard("finishing the utterance"):
            self._segments.append(parse_result(decoder.final(), self._offset))
        return self._end_utterance()

    def interrupt(self) -> None:
        """Mark the session closed and end any wait for a decoder; thread-safe."""
        self._claim.interrupt()

    def close(self) -> None:
        """Give back the recognizer and drop buffered audio; the session is unusable after."""
        self.interrupt()
        self._backlog.clear()
        self._segments = []
        decoder, self._decoder = self._decoder, None
        if decoder is not None and self._pool is not None and not self.constrained:
            self._pool.release(decoder)  # reset there: the utterance is abandoned

    # -- getting and returning a recognizer ---------------------------------

    def _check_open(self) -> None:
        self._claim.check_open()

    def _own_decoder(self) -> Decoder:
        return Decoder.create(self._model.handle, self._model.sample_rate, self._grammar)

    def _borrow(self, incoming: int) -> bool:
        """Attach a recognizer without waiting, unless the backlog is full; True if attached."""
        if self.constrained:
            self._start(self._own_decoder())
            return True
        decoder = self._claim.poll()
        if decoder is None and not self._backlog.fits(incoming):
            decoder = self._claim.acquire()  # backpressure: the caller waits here
        if decoder is not None:
            self._start(decoder)
        return decoder is not None

    def _start(self, decoder: Decoder) -> None:
        self._decoder = decoder
        try:
            decoder.configure(self._alternatives)
        except Exception as exc:
            self._drop_decoder()
            raise ASRError("vosk could not configure a recognizer") from exc
        self._offset = decoder.offset

    def _held(self) -> Decoder:
        if self._decoder is None:  # only after an error dropped it mid-call
            raise ASRError("the recognizer was lost after a decoding error")
        return self._decoder

    def _end_utterance(self) -> Final:
        final = merge_segments(self._segments)
        self._segments = []
        self._last_partial = ""
        decoder, self._decoder = self._decoder, None
        if decoder is not None and self._pool is not None and not self.constrained:
            self._pool.release(decoder)
        return final

    def _drop_decoder(self) -> None:
        """After a decoding error: the utterance is lost, the recognizer is not reused."""
        decoder, self._decoder = self._decoder, None
        self._segments = []
        self._last_partial = ""
        self._backlog.clear()
        if decoder is not None and self._pool is not None and not self.constrained:
            self._pool.discard(decoder)

    @contextmanager
    def _guard(self, doing: str) -> Iterator[None]:
        try:
            yield
        except Exception as exc:
            self._drop_decoder()
            if isinstance(exc, ASRError):
                raise
            raise ASRError(f"vosk failed while {doing}") from exc

    # -- decoding ---------------------------------------------------------------

    def _decode(self, chunks: Iterable[bytes]) -> list[Partial]:
        decoder = self._held()
        with self._guard("decoding"):
            endpoint = False
            for chunk in chunks:  # as they arrived: the same decoding as a live stream
                raw = decoder.accept(chunk)
                endpoint = raw is not None
                if raw is not None:
                    self._segments.append(parse_result(raw, self._offset))
            current = "" if endpoint else json.loads(decoder.partial()).get("partial", "")
        done = [s[0].text for s in self._segments if s]
        text = join_words([*done, *(t for t in current.split() if not _is_filler(t))])
        if text == self._last_partial:
            return []
        self._last_partial = text
        return [Partial(text)]


def _is_filler(token: str) -> bool:
    return token.startswith("[") and token.endswith("]")
