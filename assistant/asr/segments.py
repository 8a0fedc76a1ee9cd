"""A recording cut into utterances: ``drivetalk transcribe --segments``.

The file is streamed through the same :class:`~assistant.asr.listener.Listener`
(VAD endpointing and recognition) as the microphone, the server's stream and
replay, utterance after utterance until the file ends, so a tester sees
exactly where the endpointer decided speech started and ended on a long
recording, and why it ended. Times are seconds from the start of the file.
The shape of a segment line is :data:`SEGMENT_SCHEMA`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.asr.events import Final, SpeechEnded, SpeechStarted, hypothesis_to_dict
from assistant.asr.listener import Listener
from assistant.audio.formats import PcmFormat
from assistant.audio.sources import AudioSource, ChunkReader, open_audio

#: JSON Schema of one line of ``drivetalk transcribe --segments``.
SEGMENT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "drivetalk transcribe --segments line",
    "type": "object",
    "required": ["file", "start", "end", "end_reason", "text", "alternatives"],
    "additionalProperties": False,
    "properties": {
        "file": {"type": "string"},
        "start": {"type": "number", "minimum": 0},
        "end": {"type": "number", "minimum": 0},
        "end_reason": {"enum": ["silence", "max_length", "end_of_stream"]},
        "text": {"type": "string"},
        # What the model hears (ISO 639-1), added by ``drivetalk transcribe``; null: unknown.
        "language": {"type": ["string", "null"]},
        "alternatives": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["text", "score", "words"],
                "properties": {
                    "text": {"type": "string"},
                    "score": {"type": ["number", "null"]},
                    "words": {"type": "array"},
                },
            },
        },
    },
}


@dataclass(frozen=True, slots=True)
class Segment:
    """One utterance the endpointer found in a file, and what was heard in it."""

    file: str
    start: float
    end: float
    end_reason: str
    final: Final

    def to_dict(self) -> dict[str, Any]:
        """The JSON object ``drivetalk transcribe --segments`` prints."""
        return {
            "file": self.file,
            "start": self.start,
            "end": self.end,
            "end_reason": self.end_reason,
            "text": self.final.text,
            "alternatives": [hypothesis_to_dict(h) for h in self.final.alternatives],
        }


@dataclass(frozen=True, slots=True)
class FileSegments:
    """Every segment of one file, and whether the file was cut at the length limit."""

    file: str
    segments: tuple[Segment, ...]
    audio_duration: float
    truncated: bool


def segment_file(
    listener: Listener,
    path: str | Path,
    *,
    raw: PcmFormat | None = None,
    grammar: Sequence[str] | None = None,
    max_seconds: float | None = None,
) -> FileSegments:
    """Cut ``path`` into utterances and transcribe each one; blocking.

    Raises InputFileError / AudioFormatError for a bad file.
    """
    with open_audio(path, raw) as source:
        return segment_source(listener, source, str(path), grammar=grammar, max_seconds=max_seconds)


def segment_source(
    listener: Listener,
    source: AudioSource,
    name: str,
    *,
    grammar: Sequence[str] | None = None,
    max_seconds: float | None = None,
    chunk_ms: int = 100,
) -> FileSegments:
    """Cut any audio source into utterances (the caller closes it); blocking."""
    reader = ChunkReader(
        source, listener.transcriber.sample_rate, chunk_ms=chunk_ms, max_seconds=max_seconds
    )
    segments = asyncio.run(_collect(listener, iter(reader), name, grammar))
    return FileSegments(name, tuple(segments), reader.seconds, reader.truncated)


async def _collect(
    listener: Listener, chunks: Iterator[bytes], name: str, grammar: Sequence[str] | None
) -> list[Segment]:
    source = _Chunks(chunks)
    found: list[Segment] = []
    while not source.exhausted:
        start: float | None = None
        ended: SpeechEnded | None = None
        async for event in listener.listen(source, grammar=grammar or None):
            if isinstance(event, SpeechStarted):
                start = event.time
            elif isinstance(event, SpeechEnded):
                ended = event
            elif isinstance(event, Final) and start is not None and ended is not None:
                found.append(Segment(name, start, ended.time, ended.reason, event))
    return found


class _Chunks:
    """A file's chunks as the one async stream the listener goes back to."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self.exhausted = False

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self

    async def __anext__(self) -> bytes:
        chunk = next(self._chunks, None)
        if chunk is None:
            self.exhausted = True
            raise StopAsyncIteration
        return chunk
