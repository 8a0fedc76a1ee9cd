"""Streaming downmix and resampling to the recognizer's format.

The recognizer wants 16-bit little-endian mono PCM at the model's rate.
:class:`PcmConverter` takes bytes in any :class:`PcmFormat`, chunk by chunk,
and keeps only a partial frame and soxr's filter state between chunks, so
memory stays bounded whatever the length of the input. numpy and soxr are
imported only when a stream needs converting: model-format audio (16-bit
mono at the model rate) passes through without loading them.
"""

from __future__ import annotations

from typing import Any

from assistant.audio.formats import PcmFormat, SampleFormat, decode_frames, to_int16_bytes


class PcmConverter:
    """Convert a PCM byte stream to int16 mono bytes at ``out_rate``, incrementally."""

    def __init__(self, fmt: PcmFormat, out_rate: int) -> None:
        self.format = fmt
        self.out_rate = out_rate
        self.frames_in = 0
        self._pending = b""
        # Mono int16 at the right rate is passed through untouched: no cost.
        self._passthrough = fmt == PcmFormat(out_rate, 1, SampleFormat.S16)
        self._resampler = None if fmt.rate == out_rate else _resampler(fmt.rate, out_rate)

    @property
    def seconds_in(self) -> float:
        """Seconds of input audio consumed so far."""
        return self.frames_in / self.format.rate

    def convert(self, data: bytes) -> bytes:
        """Convert the next chunk; a trailing partial frame is kept for the next call."""
        data = self._pending + data
        usable = len(data) - len(data) % self.format.frame_bytes
        self._pending = data[usable:]
        self.frames_in += usable // self.format.frame_bytes
        if self._passthrough:
            return data[:usable]
        return self._process(data[:usable], last=False)

    def flush(self) -> bytes:
        """Drain the resampler at end of stream; a dangling partial frame is dropped."""
        self._pending = b""
        if self._resampler is None:
            return b""
        return self._process(b"", last=True)

    def _process(self, data: bytes, *, last: bool) -> bytes:
        import numpy as np

        frames = decode_frames(data, self.format)
        mono = frames[:, 0] if self.format.channels == 1 else frames.mean(axis=1)
        mono = np.ascontiguousarray(mono, dtype=np.float32)
        if self._resampler is not None:
            mono = self._resampler.resample_chunk(mono, last=last)
        return to_int16_bytes(mono)


def _resampler(rate_in: int, rate_out: int) -> Any:
    """A streaming soxr resampler (float32 mono, high quality)."""
    import soxr

    return soxr.ResampleStream(rate_in, rate_out, 1, dtype="float32", quality="HQ")
