"""Live microphone input through sounddevice (PortAudio), imported lazily.

sounddevice is an optional dependency (``drivetalk[mic]``) and PortAudio may
have no input device at all (servers, containers): both give a
:class:`~assistant.errors.MicrophoneUnavailableError` with one clear line.
The PortAudio callback thread only copies bytes into a bounded queue; the
consumer (sync iterator or async iterator) does everything else.
"""

from __future__ import annotations

import asyncio
import queue
from collections.abc import AsyncIterator, Iterator
from types import TracebackType
from typing import Any

from assistant.audio.formats import PcmFormat, SampleFormat
from assistant.errors import MicrophoneUnavailableError

#: Chunks buffered before the oldest audio is dropped (10 s at 100 ms chunks).
MAX_QUEUED_CHUNKS = 100


class Microphone:
    """An open input stream yielding int16 mono chunks at ``rate``.

    Use as a context manager; iterate (sync) or ``async for`` over it.
    """

    def __init__(self, rate: int = 16000, *, chunk_ms: int = 100, device: str | None = None):
        self.format = PcmFormat(rate, 1, SampleFormat.S16)
        self._blocksize = rate * chunk_ms // 1000
        self._device = device
        self._queue: queue.Queue[bytes] = queue.Queue(MAX_QUEUED_CHUNKS)
        self._stream: Any = None
        #: Chunks dropped because the consumer fell behind.
        self.dropped = 0

    def start(self) -> None:
        """Open the device; raises MicrophoneUnavailableError without one."""
        try:
            import sounddevice
        except (ImportError, OSError) as exc:
            raise MicrophoneUnavailableError(
                "microphone input needs sounddevice and PortAudio: pip install 'drivetalk[mic]'"
            ) from exc
        try:
            self._stream = sounddevice.RawInputStream(
                samplerate=self.format.rate,
                channels=1,
                dtype="int16",
                blocksize=self._blocksize,
                device=self._device,
                callback=self._on_audio,
            )
            self._stream.start()
        except Exception as exc:  # PortAudioError, ValueError for a bad device name
            self._stream = None
            raise MicrophoneUnavailableError(f"no usable microphone: {exc}") from exc

    def _on_audio(self, indata: Any, frames: int, time: Any, status: Any) -> None:
        try:
            self._queue.put_nowait(bytes(indata))
        except queue.Full:
            self.dropped += 1

    def close(self) -> None:
        """Stop and close the device."""
        if self._stream is not None:
            self._stream.stop()
            self._stream.close()
            self._stream = None

    def read(self, timeout: float = 1.0) -> bytes:
        """The next chunk, or ``b""`` if none arrived within ``timeout`` seconds."""
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return b""

    def __iter__(self) -> Iterator[bytes]:
        while self._stream is not None:
            chunk = self.read()
            if chunk:
                yield chunk

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self._stream is not None:
            chunk = await asyncio.to_thread(self.read)
            if chunk:
                yield chunk

    def __enter__(self) -> Microphone:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
