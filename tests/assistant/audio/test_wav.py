"""WAV reading: every PCM and float encoding, and a specific error for everything else."""

from __future__ import annotations

import contextlib
import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.audio import PcmFormat, SampleFormat, open_audio
from assistant.audio.formats import decode_frames
from assistant.errors import AudioFormatError, InputFileError
from tests.assistant.audio.wavgen import tone, wav_bytes

ENCODINGS = [
    (SampleFormat.U8, False, 1 / 64),
    (SampleFormat.S16, False, 1e-4),
    (SampleFormat.S24, False, 1e-6),
    (SampleFormat.S32, False, 1e-6),
    (SampleFormat.F32, False, 1e-7),
    (SampleFormat.F64, False, 1e-7),
    (SampleFormat.S16, True, 1e-4),
    (SampleFormat.S24, True, 1e-6),
    (SampleFormat.F32, True, 1e-7),
]


@pytest.mark.usefixtures("no_leaks")
@pytest.mark.parametrize(("sample", "extensible", "tolerance"), ENCODINGS)
@pytest.mark.parametrize("channels", [1, 2])
def test_every_encoding_decodes_to_the_samples_written(
    tmp_path: Path, sample: SampleFormat, extensible: bool, tolerance: float, channels: int
) -> None:
    samples = tone(440, 0.25, 22050, channels)
    path = tmp_path / "tone.wav"
    path.write_bytes(wav_bytes(samples, 22050, sample, extensible=extensible))
    with open_audio(path) as source:
        assert source.format == PcmFormat(22050, channels, sample)
        assert source.duration == pytest.approx(0.25, abs=1e-3)
        data = b"".join(iter(lambda: source.read(1000), b""))
    decoded = decode_frames(data, source.format)
    assert decoded.shape == samples.shape
    assert np.abs(decoded - samples).max() <= tolerance


def _bad_files(tmp_path: Path) -> dict[str, bytes]:
    good = wav_bytes(tone(440, 0.1, 16000), 16000)
    nan = tone(440, 0.1, 16000)
    nan[100, 0] = np.nan
    return {
        "non-audio bytes": b"%PDF-1.7 this is not audio at all" * 10,
        "empty file": b"",
        "truncated header": good[:30],
        "A-law": wav_bytes(tone(440, 0.1, 8000), 8000, SampleFormat.U8, tag=6),
        "mu-law": wav_bytes(tone(440, 0.1, 8000), 8000, SampleFormat.U8, tag=7),
        "12-bit": wav_bytes(tone(440, 0.1, 8000), 8000, SampleFormat.S16, bits=12),
        "zero-length data": wav_bytes(tone(440, 0.0, 8000), 8000),
        "NaN samples": wav_bytes(nan, 16000, SampleFormat.F32),
        "no data chunk": good[: good.index(b"data")],
        "data before fmt": b"RIFF"
        + struct.pack("<I", 20)
        + b"WAVEdata"
        + struct.pack("<I", 4)
        + b"\0" * 4,
        "zero sample rate": good[:24] + struct.pack("<I", 0) + good[28:],
    }


BAD_MESSAGES = {
    "non-audio bytes": "not a WAV file",
    "empty file": "not a WAV file",
    "truncated header": "truncated WAV header",
    "A-law": "unsupported WAV encoding: A-law",
    "mu-law": "unsupported WAV encoding: mu-law",
    "12-bit": "unsupported WAV sample width: 12-bit",
    "zero-length data": "no audio samples",
    "NaN samples": "NaN",
    "no data chunk": "no data chunk",
    "data before fmt": "before its fmt chunk",
    "zero sample rate": "unsupported sample rate 0",
}


@pytest.mark.usefixtures("no_leaks")
@pytest.mark.parametrize("case", sorted(BAD_MESSAGES))
def test_bad_files_give_a_specific_error_and_close_the_file(tmp_path: Path, case: str) -> None:
    path = tmp_path / "bad.wav"
    path.write_bytes(_bad_files(tmp_path)[case])
    with pytest.raises(AudioFormatError, match=BAD_MESSAGES[case]):
        _read_all(path)


def _read_all(path: Path) -> None:
    with open_audio(path) as source:
        decode_frames(b"".join(iter(lambda: source.read(4096), b"")), source.format)


@pytest.mark.usefixtures("no_leaks")
def test_a_missing_file_and_a_directory_are_input_file_errors(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="not found"):
        open_audio(tmp_path / "nope.wav")
    with pytest.raises(InputFileError, match="directory"):
        open_audio(tmp_path)


def test_a_data_size_left_open_by_a_streaming_writer_is_clamped(tmp_path: Path) -> None:
    data = bytearray(wav_bytes(tone(440, 0.5, 16000), 16000))
    at = data.index(b"data") + 4
    data[at : at + 4] = struct.pack("<I", 0xFFFFFFFF)
    path = tmp_path / "stream.wav"
    path.write_bytes(bytes(data))
    with open_audio(path) as source:
        assert source.duration == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("s16le:16000", PcmFormat(16000, 1, SampleFormat.S16)),
        ("f32le:48000:2", PcmFormat(48000, 2, SampleFormat.F32)),
        ("S24LE:44100:1", PcmFormat(44100, 1, SampleFormat.S24)),
    ],
)
def test_raw_pcm_formats_parse(spec: str, expected: PcmFormat) -> None:
    assert PcmFormat.parse(spec) == expected
    assert PcmFormat.parse(str(expected)) == expected


@pytest.mark.parametrize(
    "spec", ["", "s16le", "alaw:8000", "s16le:fast", "s16le:16000:1:x", "s16le:5:1"]
)
def test_bad_raw_pcm_formats_are_rejected(spec: str) -> None:
    with pytest.raises(AudioFormatError):
        PcmFormat.parse(spec)


@settings(max_examples=300, deadline=None)
@given(tail=st.binary(max_size=200), mutate_at=st.integers(0, 80), byte=st.integers(0, 255))
def test_any_damaged_header_is_read_or_refused_with_an_audio_format_error(
    tmp_path_factory: pytest.TempPathFactory, tail: bytes, mutate_at: int, byte: int
) -> None:
    good = bytearray(wav_bytes(tone(440, 0.01, 8000), 8000))
    good[mutate_at % len(good)] = byte
    path = tmp_path_factory.mktemp("fuzz") / "f.wav"
    path.write_bytes(bytes(good[: 12 + len(tail) % 60]) + tail if tail else bytes(good))
    with contextlib.suppress(AudioFormatError):  # anything else fails the test
        _read_all(path)
