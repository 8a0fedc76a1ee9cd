"""Transcribing whole files (``drivetalk transcribe``, replay of recorded utterances).

The file is streamed: read a chunk, resample it, decode it; memory does not
grow with the file's length. ``max_seconds`` bounds the work on a very long
file, and the result says when it was cut.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.asr.base import Transcriber
from assistant.asr.events import Final, hypothesis_to_dict, word_to_dict
from assistant.audio.formats import PcmFormat
from assistant.audio.sources import AudioSource, ChunkReader, open_audio


@dataclass(frozen=True, slots=True)
class FileTranscript:
    """The result of one file: what was said and what it cost."""

    file: str
    final: Final
    audio_duration: float
    decode_time: float
    truncated: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The JSON object ``drivetalk transcribe`` prints."""
        return {
            "file": self.file,
            "text": self.final.text,
            "alternatives": [hypothesis_to_dict(h) for h in self.final.alternatives],
            "words": [word_to_dict(w) for w in self.final.words],
            "audio_duration": round(self.audio_duration, 3),
            "decode_time": round(self.decode_time, 3),
            "truncated": self.truncated,
        }


def transcribe_file(
    transcriber: Transcriber,
    path: str | Path,
    *,
    raw: PcmFormat | None = None,
    grammar: Sequence[str] | None = None,
    alternatives: int | None = None,
    max_seconds: float | None = None,
    chunk_ms: int = 200,
) -> FileTranscript:
    """Decode one WAV (or raw PCM, with ``raw``) file; blocking.

    Raises InputFileError / AudioFormatError for a bad file; the file is
    always closed and the recognizer freed.
    """
    started = time.perf_counter()
    with open_audio(path, raw) as source:
        return transcribe_source(
            transcriber,
            source,
            str(path),
            grammar=grammar,
            alternatives=alternatives,
            max_seconds=max_seconds,
            chunk_ms=chunk_ms,
            started=started,
        )


def transcribe_source(
    transcriber: Transcriber,
    source: AudioSource,
    name: str,
    *,
    grammar: Sequence[str] | None = None,
    alternatives: int | None = None,
    max_seconds: float | None = None,
    chunk_ms: int = 200,
    started: float | None = None,
) -> FileTranscript:
    """Decode any audio source (e.g. raw PCM on stdin) to its end; blocking.

    The caller closes ``source``; the recognizer is always freed.
    """
    started = time.perf_counter() if started is None else started
    reader = ChunkReader(
        source, transcriber.sample_rate, chunk_ms=chunk_ms, max_seconds=max_seconds
    )
    session = transcriber.open_session(grammar, alternatives=alternatives)
    try:
        for chunk in reader:
            session.accept(chunk)
        final = session.finish()
    finally:
        session.close()
    return FileTranscript(
        file=name,
        final=final,
        audio_duration=reader.seconds,
        decode_time=time.perf_counter() - started,
        truncated=reader.truncated,
    )
