"""Synthetic utterances: espeak-ng speech, trimmed, levelled and mixed with cabin noise.

Used by ``scripts/make_audio_samples.py`` to build ``audio_samples/`` and by
the tests to make small manifests on the fly. A Chinese line is spoken the
way DriveTalk speaks Chinese (:mod:`assistant.tts.reading`): its Chinese
runs by the Mandarin voice from pypinyin's pinyin, a Latin name or word in
it (David, meeting) by an English voice of the same variant, numbers the
Chinese way. Everything is deterministic:
espeak-ng renders the same text the same way (for one espeak-ng version),
soxr resamples deterministically and noise comes from a seeded generator.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
import wave
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soxr

from assistant.errors import TTSError, TTSUnavailableError
from assistant.replay.noise import Samples, make_noise, mix_at_snr
from assistant.tts.audio import pause_after
from assistant.tts.reading import reading

#: Rate of the generated files: what vosk's small models and webrtcvad take.
OUT_RATE = 16000
#: Silence kept before the speech, and after it (longer than the default
#: 800 ms trailing-silence endpoint, so endpointing ends on silence).
LEAD_S = 0.3
TRAIL_S = 0.9
#: Level of active speech, dBFS (broadcast loudness is about -23).
SPEECH_DBFS = -24.0
#: Peak ceiling after mixing, to never clip.
PEAK = 0.95


@dataclass(frozen=True, slots=True)
class Rendering:
    """How to say a line: espeak-ng voice and rate, noise kind and SNR (None = clean).

    ``locale`` zh: the line is Chinese, read in runs (see the module doc).
    """

    voice: str
    rate: int
    noise: str | None = None
    snr_db: float | None = None
    locale: str = "en"

    @property
    def latin_voice(self) -> str:
        """The English voice of the same variant, for Latin words in a Chinese line."""
        _base, plus, variant = self.voice.partition("+")
        return f"en-us{plus}{variant}"


def espeak_binary() -> str:
    """Path of espeak-ng, or TTSUnavailableError saying how to install it."""
    path = shutil.which("espeak-ng")
    if path is None:
        raise TTSUnavailableError("espeak-ng is not installed (apt-get install espeak-ng)")
    return path


def espeak_version() -> str:
    """The espeak-ng version string, e.g. ``1.51``."""
    out = subprocess.run(
        [espeak_binary(), "--version"], capture_output=True, text=True, check=False, timeout=30
    ).stdout
    parts = out.split()
    return parts[3] if len(parts) > 3 else out.strip()


def speak(text: str, voice: str, rate: int) -> Samples:
    """espeak-ng's rendering of ``text`` as float32 samples at :data:`OUT_RATE`."""
    with tempfile.TemporaryDirectory(prefix="drivetalk-espeak-") as tmp:
        out = Path(tmp) / "speech.wav"
        cmd = [espeak_binary(), "-v", voice, "-s", str(rate), "-w", str(out), "--", text]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=60)
        if done.returncode != 0 or not out.exists():
            raise TTSError(f"espeak-ng failed for voice {voice!r}: {done.stderr.strip()[:200]}")
        samples, rate_in = read_wav_float(out.read_bytes())
    resampled: Samples = soxr.resample(samples, rate_in, OUT_RATE, quality="VHQ")
    return resampled.astype(np.float32)


def speak_line(text: str, how: Rendering) -> Samples:
    """``text`` spoken as ``how`` says: one voice, or a Chinese line in runs."""
    if how.locale != "zh":
        return speak(text, how.voice, how.rate)
    runs = reading(text, "zh", pinyin="pinyin" in how.voice.lower())
    parts: list[Samples] = []
    for index, run in enumerate(runs):
        if index:
            gap = pause_after(runs[index - 1].text)
            parts.append(np.zeros(int(gap * OUT_RATE), np.float32))
        voice = how.voice if run.script == "han" else how.latin_voice
        parts.append(trim(speak(run.text, voice, how.rate)))
    return np.concatenate(parts) if parts else np.zeros(0, np.float32)


def read_wav_float(data: bytes) -> tuple[Samples, int]:
    """Mono 16-bit PCM WAV bytes as float32 samples and their rate."""
    with wave.open(io.BytesIO(data)) as wav:
        if wav.getsampwidth() != 2 or wav.getnchannels() != 1:
            raise TTSError("espeak-ng wrote audio that is not 16-bit mono")
        frames = wav.readframes(wav.getnframes())
        rate = wav.getframerate()
    return np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0, rate


def trim(samples: Samples, threshold: float = 1e-3) -> Samples:
    """Cut the silence espeak-ng leaves before and after the speech."""
    loud = np.flatnonzero(np.abs(samples) > threshold)
    if len(loud) == 0:
        return samples[:0]
    return samples[loud[0] : loud[-1] + 1]


def level(samples: Samples, dbfs: float = SPEECH_DBFS) -> Samples:
    """Scale so the RMS of the (trimmed) speech is ``dbfs``."""
    rms = float(np.sqrt(np.mean(samples.astype(np.float64) ** 2))) or 1.0
    return (samples * (10 ** (dbfs / 20) / rms)).astype(np.float32)


def seed_for(key: str) -> int:
    """A stable seed for a case/turn name (crc32, not Python's salted hash)."""
    return zlib.crc32(key.encode("utf-8"))


def render(text: str, how: Rendering, seed: int) -> Samples:
    """Speak, pad with silence, and mix noise over the whole clip."""
    speech = level(trim(speak_line(text, how)))
    lead, trail = (
        np.zeros(int(LEAD_S * OUT_RATE), np.float32),
        np.zeros(int(TRAIL_S * OUT_RATE), np.float32),
    )
    clip = np.concatenate([lead, speech, trail])
    if how.noise is not None and how.snr_db is not None:
        noise = make_noise(how.noise, len(clip), OUT_RATE, np.random.default_rng(seed))
        clip = mix_at_snr(clip, noise, how.snr_db, OUT_RATE)
    peak = float(np.max(np.abs(clip))) if len(clip) else 0.0
    scaled: Samples = (clip * (PEAK / peak) if peak > PEAK else clip).astype(np.float32)
    return scaled


def wav_bytes(samples: Samples, rate: int = OUT_RATE) -> bytes:
    """16-bit mono PCM WAV of float samples (rounded, clipped to full scale)."""
    pcm = np.clip(np.round(samples.astype(np.float64) * 32767.0), -32768, 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm.tobytes())
    return buffer.getvalue()
