"""The engine-neutral speech recognition interface.

A :class:`Transcriber` is a loaded engine, shared by every session in the
process; a :class:`StreamingSession` is one audio stream being decoded.
Callers depend on these protocols only, so a second engine (say a
whisper.cpp one) plugs in without touching them. Session methods block
(they decode); async code goes through :class:`~assistant.asr.aio.AsyncSession`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from assistant.asr.events import Final, Partial


@runtime_checkable
class StreamingSession(Protocol):
    """One stream of int16 little-endian mono PCM at the transcriber's rate.

    Not thread-safe: one caller (thread) at a time, which is what
    :class:`~assistant.asr.aio.AsyncSession` guarantees.
    """

    @property
    def constrained(self) -> bool:
        """True when a runtime grammar restricts what can be recognized."""

    def accept(self, pcm: bytes) -> list[Partial]:
        """Decode more audio; returns a Partial when the running transcript changed."""

    def finish(self) -> Final:
        """End the utterance and return its final result; the session can go on."""

    def close(self) -> None:
        """Free the decoder; the session is unusable afterwards."""


@runtime_checkable
class Transcriber(Protocol):
    """A loaded speech engine: thread-safe, shared, cheap to open sessions on."""

    @property
    def name(self) -> str:
        """Engine name (``vosk``)."""

    @property
    def sample_rate(self) -> int:
        """The PCM rate sessions expect."""

    def open_session(
        self, grammar: Sequence[str] | None = None, *, alternatives: int | None = None
    ) -> StreamingSession:
        """Start a session; ``grammar`` lists the phrases expected, if constrained.

        ``alternatives`` overrides the transcriber's default n-best size.
        Where the engine cannot constrain recognition to ``grammar``, the
        session recognizes freely (``session.constrained`` is then False).
        """
