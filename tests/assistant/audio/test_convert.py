"""Streaming downmix and resampling to the model's format, with bounded memory."""

from __future__ import annotations

import io
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from assistant.audio import (
    ChunkReader,
    PcmConverter,
    PcmFormat,
    RawPcmSource,
    SampleFormat,
    open_audio,
)
from assistant.errors import AudioFormatError
from tests.assistant.audio.wavgen import encode, tone, wav_bytes


def _int16(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768


def _peak_hz(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples))
    return float(np.argmax(spectrum) * rate / len(samples))


@pytest.mark.parametrize(
    ("rate", "channels", "sample"),
    [
        (8000, 1, SampleFormat.S16),
        (22050, 1, SampleFormat.U8),
        (44100, 2, SampleFormat.S24),
        (48000, 2, SampleFormat.F32),
        (16000, 1, SampleFormat.S16),
    ],
)
def test_any_format_becomes_16k_mono_int16_with_pitch_and_length_kept(
    rate: int, channels: int, sample: SampleFormat
) -> None:
    converter = PcmConverter(PcmFormat(rate, channels, sample), 16000)
    data = encode(tone(1000, 2.0, rate, channels), sample)
    # Odd chunk sizes: frames split across chunks must be carried over.
    pieces = [converter.convert(data[i : i + 3001]) for i in range(0, len(data), 3001)]
    out = _int16(b"".join(pieces) + converter.flush())
    assert len(out) == pytest.approx(32000, abs=16)
    assert _peak_hz(out, 16000) == pytest.approx(1000, abs=5)
    assert np.abs(out).max() == pytest.approx(0.5, abs=0.03)


def test_stereo_is_downmixed_by_averaging_the_channels() -> None:
    left = tone(500, 1.0, 16000)[:, 0]
    stereo = np.stack([left, -left], axis=1)  # opposite phase: the mix is silence
    converter = PcmConverter(PcmFormat(16000, 2, SampleFormat.F32), 16000)
    out = _int16(converter.convert(encode(stereo, SampleFormat.F32)))
    assert np.abs(out).max() < 1e-3


def test_mono_int16_at_the_model_rate_passes_through_unchanged() -> None:
    data = encode(tone(300, 0.5, 16000), SampleFormat.S16)
    converter = PcmConverter(PcmFormat(16000, 1, SampleFormat.S16), 16000)
    assert converter.convert(data) == data
    assert converter.flush() == b""


def test_nan_in_a_raw_float_stream_is_an_audio_format_error() -> None:
    samples = tone(300, 0.5, 16000)
    samples[10] = np.inf
    converter = PcmConverter(PcmFormat(16000, 1, SampleFormat.F32), 16000)
    with pytest.raises(AudioFormatError, match="NaN or infinite"):
        converter.convert(encode(samples, SampleFormat.F32))


def test_an_empty_raw_stream_is_an_audio_format_error() -> None:
    source = RawPcmSource(io.BytesIO(b""), PcmFormat(16000))
    with pytest.raises(AudioFormatError, match="no samples"):
        list(ChunkReader(source, 16000))


@pytest.mark.usefixtures("no_leaks")
def test_a_ten_minute_file_streams_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "long.wav"
    minute = tone(220, 60.0, 44100, 2, amp=0.1)
    header = wav_bytes(minute[:1], 44100, SampleFormat.S16)
    payload = encode(minute, SampleFormat.S16)
    with path.open("wb") as fh:  # header of a 1-frame file, then patch the sizes
        fh.write(header[:-4])
        for _ in range(10):
            fh.write(payload)
    _patch_sizes(path, len(header) - 4, 10 * len(payload))
    tracemalloc.start()
    try:
        with open_audio(path) as source:
            reader = ChunkReader(source, 16000, chunk_ms=100)
            produced = sum(len(chunk) for chunk in reader)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert reader.seconds == pytest.approx(600.0)
    assert produced == pytest.approx(600 * 16000 * 2, rel=1e-3)
    assert peak < 5_000_000  # the file is 106 MB; a chunk is ~20 kB


def _patch_sizes(path: Path, header_len: int, data_len: int) -> None:
    with path.open("r+b") as fh:
        fh.seek(4)
        fh.write((header_len - 8 + data_len).to_bytes(4, "little"))
        fh.seek(header_len - 4)
        fh.write(data_len.to_bytes(4, "little"))


def test_max_seconds_stops_reading_and_says_the_input_was_cut(tmp_path: Path) -> None:
    path = tmp_path / "long.wav"
    path.write_bytes(wav_bytes(tone(440, 5.0, 8000), 8000))
    with open_audio(path) as source:
        reader = ChunkReader(source, 16000, max_seconds=2.0)
        out = b"".join(reader)
    assert reader.truncated
    assert reader.seconds == pytest.approx(2.0)
    assert len(out) == pytest.approx(2 * 16000 * 2, rel=0.01)


def test_a_file_shorter_than_max_seconds_is_not_truncated(tmp_path: Path) -> None:
    path = tmp_path / "short.wav"
    path.write_bytes(wav_bytes(tone(440, 1.0, 8000), 8000))
    with open_audio(path) as source:
        reader = ChunkReader(source, 16000, max_seconds=1.0)
        b"".join(reader)
    assert not reader.truncated
