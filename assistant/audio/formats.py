"""PCM sample formats and their decoding to float samples.

Every audio source (WAV file, raw stream, microphone) describes its bytes
with a :class:`PcmFormat`; :func:`decode_frames` turns those bytes into a
``(frames, channels)`` float32 array in [-1, 1] for downmixing and resampling.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy loads only when samples are converted (start-up)
    import numpy as np

from assistant.errors import AudioFormatError

#: Rates outside this range are not audio we can do anything sensible with.
MIN_RATE = 1000
MAX_RATE = 384_000
MAX_CHANNELS = 32


class SampleFormat(StrEnum):
    """Little-endian sample encodings (names as in sox / ffmpeg)."""

    U8 = "u8"
    S16 = "s16le"
    S24 = "s24le"
    S32 = "s32le"
    F32 = "f32le"
    F64 = "f64le"

    @property
    def width(self) -> int:
        """Bytes per sample."""
        return _WIDTHS[self]

    @property
    def is_float(self) -> bool:
        """Whether samples are IEEE floats (and so may hold NaN)."""
        return self in (SampleFormat.F32, SampleFormat.F64)


_WIDTHS = {
    SampleFormat.U8: 1,
    SampleFormat.S16: 2,
    SampleFormat.S24: 3,
    SampleFormat.S32: 4,
    SampleFormat.F32: 4,
    SampleFormat.F64: 8,
}


@dataclass(frozen=True, slots=True)
class PcmFormat:
    """What a stream of PCM bytes holds: rate, channel count and sample encoding."""

    rate: int
    channels: int = 1
    sample: SampleFormat = SampleFormat.S16

    def __post_init__(self) -> None:
        if not MIN_RATE <= self.rate <= MAX_RATE:
            raise AudioFormatError(f"unsupported sample rate {self.rate} Hz")
        if not 1 <= self.channels <= MAX_CHANNELS:
            raise AudioFormatError(f"unsupported channel count {self.channels}")

    @property
    def frame_bytes(self) -> int:
        """Bytes per frame (one sample for every channel)."""
        return self.channels * self.sample.width

    @classmethod
    def parse(cls, spec: str) -> PcmFormat:
        """Parse ``FORMAT:RATE[:CHANNELS]``, e.g. ``s16le:16000:1`` or ``f32le:48000:2``."""
        parts = spec.split(":")
        try:
            sample = SampleFormat(parts[0].lower())
            rate = int(parts[1])
            channels = int(parts[2]) if len(parts) > 2 else 1
        except (ValueError, IndexError) as exc:
            names = ", ".join(f.value for f in SampleFormat)
            raise AudioFormatError(
                f"bad raw PCM format {spec!r}: expected FORMAT:RATE[:CHANNELS] "
                f"with FORMAT one of {names}"
            ) from exc
        if len(parts) > 3:
            raise AudioFormatError(f"bad raw PCM format {spec!r}: too many fields")
        return cls(rate=rate, channels=channels, sample=sample)

    def __str__(self) -> str:
        return f"{self.sample.value}:{self.rate}:{self.channels}"


def decode_frames(data: bytes, fmt: PcmFormat) -> np.ndarray:
    """Decode whole frames of ``data`` to float32 ``(frames, channels)`` in [-1, 1].

    Raises AudioFormatError for NaN or infinite float samples: they would
    poison the resampler and the recognizer's feature pipeline.
    """
    import numpy as np

    if len(data) % fmt.frame_bytes:
        raise AudioFormatError("PCM data does not end on a frame boundary")
    samples = _decode_samples(data, fmt.sample)
    if fmt.sample.is_float:
        if not np.isfinite(samples).all():
            raise AudioFormatError("audio contains NaN or infinite float samples")
        np.clip(samples, -1.0, 1.0, out=samples)
    return samples.reshape(-1, fmt.channels)


def _decode_samples(data: bytes, sample: SampleFormat) -> np.ndarray:
    import numpy as np

    if sample is SampleFormat.U8:
        raw = np.frombuffer(data, dtype=np.uint8).astype(np.float32)
        return (raw - 128.0) / 128.0
    if sample is SampleFormat.S16:
        return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0
    if sample is SampleFormat.S24:
        # Place the 3 bytes in the top of an int32 so the sign comes for free.
        triples = np.frombuffer(data, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        joined = (triples[:, 0] << 8) | (triples[:, 1] << 16) | (triples[:, 2] << 24)
        return joined.astype(np.float32) / 2147483648.0
    if sample is SampleFormat.S32:
        return (np.frombuffer(data, dtype="<i4").astype(np.float64) / 2147483648.0).astype(
            np.float32
        )
    if sample is SampleFormat.F32:
        return np.frombuffer(data, dtype="<f4").astype(np.float32)
    return np.frombuffer(data, dtype="<f8").astype(np.float32)


def to_int16_bytes(samples: np.ndarray) -> bytes:
    """Float samples in [-1, 1] to little-endian int16 bytes (clipped, rounded)."""
    import numpy as np

    scaled = np.clip(np.rint(samples * 32768.0), -32768, 32767)
    return scaled.astype("<i2").tobytes()
