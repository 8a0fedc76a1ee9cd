"""Hearing a recorded turn through the speech front end, as a live stream would.

The WAV file is read and resampled chunk by chunk (:class:`ChunkReader`) and
fed to the same :class:`~assistant.asr.Listener` the microphone path uses:
VAD endpointing and streaming recognition side by side. Audio is fed as
fast as it decodes, not in real time; the clock starts when the endpointer
declares the end of speech, so "end of speech to final transcript" is the
decoder's finishing work, as in the car.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Callable, Iterator, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from pathlib import Path

from assistant.asr.events import Final, SpeechEnded
from assistant.asr.listener import Listener
from assistant.audio.endpoint import Completeness
from assistant.audio.sources import ChunkReader, open_audio


@dataclass(frozen=True, slots=True)
class Heard:
    """The final result of a turn and when things happened (``perf_counter``)."""

    final: Final
    end_of_speech: float
    final_at: float
    end_reason: str
    audio_seconds: float
    #: What the driver went on to say within ``[asr] rejoin_ms`` of an early
    #: end, in the same recording (the dialog joins it; see ``Final.continues``).
    continuation: Final | None = None


async def hear_file(
    listener: Listener,
    path: Path,
    *,
    grammar: Sequence[str] | None = None,
    chunk_ms: int = 100,
    complete: Callable[[str], bool | Completeness] | None = None,
) -> Heard:
    """Stream ``path`` through endpointing and recognition; the first utterance's result.

    ``complete`` is the conversation's early-end predicate, as in a live stream.
    An utterance that ended early may go on in the same recording ("no |
    to Li Na"): the next utterance, if it continues it, is heard too, its
    partials judged after the first's words ("no to Li Na"), as the dialog
    (which hears both only after the recording) will join them.
    """
    with open_audio(path) as source:
        reader = ChunkReader(source, listener.transcriber.sample_rate, chunk_ms=chunk_ms)
        ended: float | None = None
        reason = "end_of_stream"
        finals: list[Final] = []
        async with aclosing(_threaded(iter(reader))) as chunks:
            while not finals or (len(finals) == 1 and listener.ended_early):
                async for event in listener.listen(
                    chunks,
                    grammar=grammar or None,
                    complete=complete,
                    complete_continued=_after(finals, complete),
                ):
                    if isinstance(event, SpeechEnded) and (
                        not finals or event.reason != "no_speech"
                    ):
                        # (nobody going on after an early end leaves the first end as it was)
                        ended, reason = time.perf_counter(), event.reason
                    elif isinstance(event, Final):
                        finals.append(event)
        final_at = time.perf_counter()
    later = finals[1] if len(finals) > 1 and finals[1].continues else None
    return Heard(finals[0], ended or final_at, final_at, reason, reader.seconds, later)


def _after(
    finals: list[Final], complete: Callable[[str], bool | Completeness] | None
) -> Callable[[str], bool | Completeness] | None:
    """``complete`` asked about a continuation's partial after the first final's words."""
    if complete is None or not finals:
        return None
    first = finals[0].text
    return lambda partial: complete(f"{first} {partial}".strip())


async def _threaded(chunks: Iterator[bytes]) -> AsyncGenerator[bytes, None]:
    """Read and resample each chunk in a worker thread, off the event loop."""
    while True:
        chunk = await asyncio.to_thread(next, chunks, None)
        if chunk is None:
            return
        yield chunk
