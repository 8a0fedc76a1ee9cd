"""Audio sources: WAV files and raw PCM streams, read chunk by chunk.

A source says what its bytes are (:class:`PcmFormat`) and hands them out in
pieces; :func:`model_chunks` turns any source into int16 mono chunks at the
recognizer's rate. Nothing ever reads a whole file into memory.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Protocol

from assistant.audio.convert import PcmConverter
from assistant.audio.formats import PcmFormat
from assistant.audio.wav import read_wav_header
from assistant.errors import AudioFormatError, InputFileError


class AudioSource(Protocol):
    """Anything that yields PCM bytes in a declared format."""

    @property
    def format(self) -> PcmFormat:
        """Encoding of the bytes :meth:`read` returns."""

    def read(self, frames: int) -> bytes:
        """Up to ``frames`` whole frames; ``b""`` at the end."""

    def close(self) -> None:
        """Release the underlying file or stream."""


class RawPcmSource:
    """Headerless PCM from a binary stream, in a format the caller declares."""

    def __init__(self, stream: BinaryIO, fmt: PcmFormat, *, owns_stream: bool = False) -> None:
        self._stream = stream
        self._format = fmt
        self._owns = owns_stream
        self._remaining: int | None = None

    @property
    def format(self) -> PcmFormat:
        """The declared encoding."""
        return self._format

    @property
    def duration(self) -> float | None:
        """Length in seconds when known (a raw stream's is not)."""
        return None

    def limit(self, nbytes: int) -> None:
        """Stop after ``nbytes`` bytes (used for the data chunk of a WAV file)."""
        self._remaining = nbytes

    def read(self, frames: int) -> bytes:
        """Read up to ``frames`` frames (fewer at the end of the stream)."""
        want = frames * self._format.frame_bytes
        if self._remaining is not None:
            want = min(want, self._remaining)
        try:
            data = self._stream.read(want) if want else b""
        except OSError as exc:
            raise InputFileError(f"cannot read audio: {exc.strerror or exc}") from exc
        if self._remaining is not None:
            self._remaining -= len(data)
        return data

    def close(self) -> None:
        """Close the stream if this source opened it."""
        if self._owns:
            self._stream.close()

    def __enter__(self) -> RawPcmSource:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class WavFileSource(RawPcmSource):
    """The samples of a WAV file (any PCM or float encoding, see :mod:`.wav`)."""

    def __init__(self, stream: BinaryIO, file_size: int, *, owns_stream: bool = False) -> None:
        try:
            self.header = read_wav_header(stream, file_size)
        except BaseException:
            if owns_stream:
                stream.close()
            raise
        super().__init__(stream, self.header.format, owns_stream=owns_stream)
        self.limit(self.header.data_size)

    @property
    def duration(self) -> float | None:
        """Length of the audio in seconds."""
        return self.header.duration


def open_audio(path: str | Path, raw: PcmFormat | None = None) -> RawPcmSource:
    """Open a WAV file, or a headerless PCM file when ``raw`` declares its format."""
    path = Path(path)
    try:
        stream = path.open("rb")
        size = os.fstat(stream.fileno()).st_size
    except FileNotFoundError as exc:
        raise InputFileError(f"audio file not found: {path}") from exc
    except IsADirectoryError as exc:
        raise InputFileError(f"not an audio file but a directory: {path}") from exc
    except OSError as exc:
        raise InputFileError(f"cannot open audio file {path}: {exc.strerror}") from exc
    if raw is not None:
        return RawPcmSource(stream, raw, owns_stream=True)
    return WavFileSource(stream, size, owns_stream=True)


def model_chunks(
    source: AudioSource,
    out_rate: int,
    *,
    chunk_ms: int = 100,
    max_seconds: float | None = None,
) -> Iterator[bytes]:
    """Yield int16 mono chunks at ``out_rate`` until the source ends or ``max_seconds``.

    Raises AudioFormatError when the source holds no audio at all. Callers
    that need the duration read or whether ``max_seconds`` cut the input use
    :class:`ChunkReader` instead.
    """
    yield from ChunkReader(source, out_rate, chunk_ms=chunk_ms, max_seconds=max_seconds)


class ChunkReader:
    """Iterate a source as model-rate chunks, remembering duration and truncation."""

    def __init__(
        self,
        source: AudioSource,
        out_rate: int,
        *,
        chunk_ms: int = 100,
        max_seconds: float | None = None,
    ) -> None:
        self.source = source
        self.converter = PcmConverter(source.format, out_rate)
        self._frames = max(1, source.format.rate * chunk_ms // 1000)
        self._max_frames = None if not max_seconds else int(max_seconds * source.format.rate)
        #: True once reading stopped at ``max_seconds`` with audio left over.
        self.truncated = False

    @property
    def seconds(self) -> float:
        """Seconds of source audio consumed so far."""
        return self.converter.seconds_in

    def __iter__(self) -> Iterator[bytes]:
        while True:
            frames = self._frames
            if self._max_frames is not None:
                frames = min(frames, self._max_frames - self.converter.frames_in)
                if frames <= 0:
                    self.truncated = bool(self.source.read(1))
                    break
            data = self.source.read(frames)
            if not data:
                break
            out = self.converter.convert(data)
            if out:
                yield out
        if self.converter.frames_in == 0:
            raise AudioFormatError("audio contains no samples")
        tail = self.converter.flush()
        if tail:
            yield tail
