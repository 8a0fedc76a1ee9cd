"""One vosk recognizer and the state Python must track to reuse it safely.

Facts about libvosk 0.3.45 this relies on (checked against its source and
by the tests in ``tests/assistant/asr/test_pool_vosk.py``):

- After ``FinalResult()`` the recognizer is *finalized*: the next
  ``AcceptWaveform`` starts a clean round (new feature pipeline and decoder,
  same composed graph and its cache). That clean round is what reuse needs.
- Word times are seconds since the first sample the recognizer was ever fed
  (``samples_round_start_`` accumulates across rounds), so a reused
  recognizer's times are shifted by ``samples_fed / rate``.
- After ``Result()`` at an endpoint, ``FinalResult()`` returns an empty
  result and does *not* finalize; and ``Reset()`` never does: the next round
  would continue the old feature pipeline (the previous speaker's adaptation
  state and undecoded frames). Feeding zero samples first makes
  ``FinalResult()`` finalize properly.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from assistant.errors import ASRError

_EMPTY = '{"text": ""}'


class Decoder:
    """A KaldiRecognizer plus how much audio it has heard and where its round stands."""

    def __init__(self, handle: Any, rate: int) -> None:
        self.handle = handle
        self.rate = rate
        #: Samples fed since the recognizer was made: word times count from there.
        self.samples_fed = 0
        self._running = False  # fed audio since the round began
        self._at_endpoint = False  # Result() taken, nothing fed since

    @classmethod
    def create(cls, model_handle: Any, rate: int, grammar_json: str | None = None) -> Decoder:
        """A new recognizer on a loaded vosk model (optionally with a runtime grammar)."""
        import vosk

        args: list[Any] = [model_handle, float(rate)]
        if grammar_json:
            args.append(grammar_json)
        try:
            return cls(vosk.KaldiRecognizer(*args), rate)
        except Exception as exc:
            raise ASRError("vosk could not create a recognizer") from exc

    @property
    def offset(self) -> float:
        """Seconds to subtract from this round's word times."""
        return self.samples_fed / self.rate

    def configure(self, alternatives: int) -> None:
        """Word times on; n-best size for this round (0 = single best with confidences)."""
        self.handle.SetWords(True)
        self.handle.SetMaxAlternatives(alternatives if alternatives > 1 else 0)

    def accept(self, pcm: bytes) -> str | None:
        """Decode int16 PCM; the segment's result JSON when vosk's endpointer fired."""
        endpoint = self.handle.AcceptWaveform(pcm)
        self.samples_fed += len(pcm) // 2
        self._running = True
        self._at_endpoint = bool(endpoint)
        return str(self.handle.Result()) if endpoint else None

    def partial(self) -> str:
        """The running transcript's JSON."""
        return str(self.handle.PartialResult())

    def final(self) -> str:
        """Flush the round and return its last result JSON; the next feed starts clean."""
        if not self._running:
            return _EMPTY
        if self._at_endpoint:
            self.handle.AcceptWaveform(b"")  # so that FinalResult() finalizes the round
        raw = str(self.handle.FinalResult())
        self._running = self._at_endpoint = False
        return raw

    def settle(self) -> None:
        """End whatever round is in progress, dropping its result (for reuse)."""
        self.final()


class Backlog:
    """Audio waiting for a decoder, chunk by chunk, up to ``limit`` bytes."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._chunks: list[bytes] = []
        self.size = 0

    def __bool__(self) -> bool:
        return bool(self._chunks)

    def fits(self, more: int) -> bool:
        """Whether ``more`` bytes can still be buffered."""
        return self.size + more <= self.limit

    def add(self, chunk: bytes) -> None:
        """Keep ``chunk`` (the caller checked :meth:`fits`)."""
        self._chunks.append(chunk)
        self.size += len(chunk)

    def take(self) -> Iterator[bytes]:
        """The chunks, oldest first, as they were accepted; the backlog is then empty."""
        chunks, self._chunks, self.size = self._chunks, [], 0
        return iter(chunks)

    def clear(self) -> None:
        """Forget everything buffered."""
        self._chunks, self.size = [], 0
