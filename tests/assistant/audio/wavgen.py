"""Building test audio: WAV bytes in any encoding, tones, espeak-ng speech, sox variants."""

from __future__ import annotations

import shutil
import struct
import subprocess
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from assistant.audio.formats import SampleFormat, to_int16_bytes
from assistant.audio.wav import WAVE_FORMAT_EXTENSIBLE, WAVE_FORMAT_IEEE_FLOAT, WAVE_FORMAT_PCM

_GUID_TAIL = b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"


def encode(samples: np.ndarray, sample: SampleFormat) -> bytes:
    """Float samples (frames, channels) in [-1, 1] as interleaved little-endian bytes."""
    flat = samples.reshape(-1)
    if sample is SampleFormat.U8:
        return np.clip(np.rint(flat * 127 + 128), 0, 255).astype(np.uint8).tobytes()
    if sample is SampleFormat.S16:
        return to_int16_bytes(flat)
    if sample is SampleFormat.S24:
        ints = np.clip(np.rint(flat * 8388607), -8388608, 8388607).astype("<i4")
        return ints.view(np.uint8).reshape(-1, 4)[:, :3].tobytes()
    if sample is SampleFormat.S32:
        return np.clip(np.rint(flat * 2147483647.0), -(2**31), 2**31 - 1).astype("<i4").tobytes()
    if sample is SampleFormat.F32:
        return flat.astype("<f4").tobytes()
    return flat.astype("<f8").tobytes()


def wav_bytes(
    samples: np.ndarray,
    rate: int,
    sample: SampleFormat = SampleFormat.S16,
    *,
    extensible: bool = False,
    tag: int | None = None,
    bits: int | None = None,
    data: bytes | None = None,
) -> bytes:
    """A complete WAV file; ``tag``/``bits``/``data`` override fields to build bad files."""
    samples = samples if samples.ndim == 2 else samples[:, None]
    channels = samples.shape[1]
    payload = encode(samples, sample) if data is None else data
    bits = bits or sample.width * 8
    tag = tag or (WAVE_FORMAT_IEEE_FLOAT if sample.is_float else WAVE_FORMAT_PCM)
    block = channels * sample.width
    fmt = struct.pack("<HHIIHH", tag, channels, rate, rate * block, block, bits)
    if extensible:
        sub = struct.pack("<H", tag) + _GUID_TAIL
        fmt = struct.pack(
            "<HHIIHH", WAVE_FORMAT_EXTENSIBLE, channels, rate, rate * block, block, bits
        )
        fmt += struct.pack("<HHI", 22, bits, 0) + sub
    chunks = b"fmt " + struct.pack("<I", len(fmt)) + fmt
    chunks += b"LIST" + struct.pack("<I", 5) + b"INFO!" + b"\x00"  # odd-sized chunk, padded
    chunks += b"data" + struct.pack("<I", len(payload)) + payload
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks


def tone(freq: float, seconds: float, rate: int, channels: int = 1, amp: float = 0.5) -> np.ndarray:
    """A sine wave, the same on every channel, shape (frames, channels)."""
    t = np.arange(int(seconds * rate)) / rate
    mono = (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return np.repeat(mono[:, None], channels, axis=1)


def have_espeak() -> bool:
    """Whether espeak-ng is installed."""
    return shutil.which("espeak-ng") is not None


def espeak(text: str, path: Path, voice: str = "ko") -> Path:
    """Synthesize ``text`` with espeak-ng into a 22.05 kHz mono 16-bit WAV."""
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(path), text], check=True, timeout=60)
    return path


def spoken_sequence(
    base: Path,
    parts: Sequence[tuple[str, float]],
    *,
    voice: str = "ko",
    before_first: float = 0.0,
    before_each: float = 0.0,
    rate: int | None = None,
) -> Path:
    """Phrases spoken one after another into ``base/drive.wav``, each followed by
    its seconds of silence; ``before_first`` seconds open the recording and
    ``before_each`` precede every phrase; resampled to ``rate`` if given."""
    files = []
    for index, (text, pause) in enumerate(parts):
        spoken = espeak(text, base / f"{index}.wav", voice=voice)
        padded = base / f"{index}-padded.wav"
        lead = before_each + (before_first if index == 0 else 0.0)
        subprocess.run(
            ["sox", str(spoken), str(padded), "pad", str(lead), str(pause)], check=True, timeout=60
        )
        files.append(str(padded))
    out = base / "drive.wav"
    resample = ["-r", str(rate)] if rate else []
    subprocess.run(["sox", *files, *resample, str(out)], check=True, timeout=60)
    return out


def sox_convert(src: Path, dst: Path, rate: int, channels: int, *, float32: bool = False) -> Path:
    """Convert with sox (an independent resampler) to another rate / channel count."""
    encoding = ["-e", "floating-point", "-b", "32"] if float32 else ["-b", "16"]
    cmd = ["sox", str(src), "-r", str(rate), "-c", str(channels), *encoding, str(dst)]
    subprocess.run(cmd, check=True, timeout=60)
    return dst


def silence_then(path: Path, speech: Path, lead: float, tail: float) -> Path:
    """``speech`` with ``lead`` seconds of silence before and ``tail`` after (sox pad)."""
    subprocess.run(["sox", str(speech), str(path), "pad", str(lead), str(tail)], check=True)
    return path
