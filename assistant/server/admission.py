"""Admission control: a replica that cannot answer in time says ``busy`` at once.

Decoding speech is CPU-bound. Past a few real-time streams per core, every
stream's replies come late together (BENCHMARKS.md: p95 doubles between 16
and 32 streams on two quiet cores), and a queue in front of the decoders
only turns "late" into "useless". So new real-time work (a session, a
stream, an audio upload) is refused with ``503 busy`` and ``Retry-After``
when either

* the work already admitted (open streams + uploads being decoded) has
  reached ``[server.admission] max_active`` (0: ``streams_per_core`` x
  cores), or
* more utterances wait for a speech decoder than ``max_decoder_waiting``
  (-1: the decoder pool's size), which is what a busy neighbour on the same
  machine shows first.

The car or the load balancer then goes to another replica. Work already
admitted is never cut off. Both figures are exported for autoscaling
(``drivetalk_admission_active``, ``drivetalk_decoder_pool_waiting``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from assistant.config import AdmissionSettings
from assistant.errors import RequestRejectedError


@dataclass(frozen=True, slots=True)
class DecoderLoad:
    """The speech decoder pool right now: its bound, recognizers lent out, utterances queued."""

    size: int = 0
    busy: int = 0
    waiting: int = 0


def decoder_load(transcriber: object | None) -> DecoderLoad:
    """The load of ``transcriber``'s decoder pool (an engine without a pool: all zero)."""
    pool = getattr(transcriber, "pool", None)
    if pool is None:
        return DecoderLoad()
    return DecoderLoad(size=pool.size, busy=max(0, pool.live - pool.idle), waiting=pool.waiting)


class Admission:
    """Counts admitted real-time work and refuses more when the replica is saturated."""

    def __init__(
        self,
        settings: AdmissionSettings,
        decoders: Callable[[], DecoderLoad],
        *,
        cores: int | None = None,
    ) -> None:
        self._settings = settings
        self._decoders = decoders
        cores = cores or os.cpu_count() or 1
        derived = max(1, round(settings.streams_per_core * cores))
        #: The most streams + uploads admitted at once.
        self.capacity = settings.max_active or derived
        self._active = 0

    @property
    def active(self) -> int:
        """Streams and uploads admitted and not finished yet."""
        return self._active

    @property
    def retry_after(self) -> int:
        """Seconds a refused client is told to wait (``Retry-After``)."""
        return self._settings.retry_after_s

    def refusal(self) -> RequestRejectedError | None:
        """Why new work would be refused now, or None if it would be admitted."""
        if self._active >= self.capacity:
            why = f"{self._active} real-time streams and uploads (the limit is {self.capacity})"
        else:
            load = self._decoders()
            limit = self._settings.max_decoder_waiting
            limit = load.size if limit < 0 else limit
            if load.size == 0 or load.waiting <= limit:
                return None
            why = f"{load.waiting} utterances waiting for {load.size} speech decoders"
        return RequestRejectedError(
            503,
            "busy",
            f"this server is at capacity ({why}); retry later or elsewhere",
            retry_after=self.retry_after,
        )

    def check(self) -> None:
        """Raise ``503 busy`` (with ``retry_after``) if new work would be refused now."""
        error = self.refusal()
        if error is not None:
            raise error

    @contextmanager
    def admit(self) -> Iterator[None]:
        """Hold one unit of real-time work for the block; ``503 busy`` if refused."""
        self.check()
        self._active += 1
        try:
            yield
        finally:
            self._active -= 1
