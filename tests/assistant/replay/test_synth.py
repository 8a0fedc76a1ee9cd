"""Synthetic utterances: espeak-ng speech, trimmed, levelled, padded, written as WAV."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from assistant.errors import TTSError, TTSUnavailableError
from assistant.replay.synth import (
    LEAD_S,
    OUT_RATE,
    TRAIL_S,
    Rendering,
    level,
    read_wav_float,
    render,
    seed_for,
    speak,
    trim,
    wav_bytes,
)

espeak = pytest.mark.espeak
have_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")


def test_wav_round_trip_is_16_bit_mono() -> None:
    samples = np.linspace(-1.2, 1.2, 1000, dtype=np.float32)  # beyond full scale: clipped
    data = wav_bytes(samples)
    back, rate = read_wav_float(data)
    assert rate == OUT_RATE
    assert len(back) == 1000
    assert back.min() == pytest.approx(-1.0, abs=1e-4)
    assert back.max() == pytest.approx(32767 / 32768, abs=1e-4)
    assert np.allclose(back[400:600], samples[400:600], atol=1e-4)


def test_trim_and_level() -> None:
    speech = np.concatenate([np.zeros(100), 0.5 * np.ones(50), np.zeros(30)]).astype(np.float32)
    assert len(trim(speech)) == 50
    assert len(trim(np.zeros(10, np.float32))) == 0
    levelled = level(trim(speech), -20.0)
    assert 20 * np.log10(np.sqrt(np.mean(levelled**2))) == pytest.approx(-20.0, abs=1e-3)


def test_seeds_are_stable_across_runs() -> None:
    assert seed_for("send-urgent/1") == 17617106  # crc32, not Python's per-process hash
    assert seed_for("send-urgent/1") != seed_for("send-urgent/2")


def test_without_espeak_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty PATH: no espeak-ng anywhere
    with pytest.raises(TTSUnavailableError, match=r"apt-get install espeak-ng"):
        speak("hello", "en-us", 160)


@espeak
@have_espeak
def test_a_clean_rendering_has_exact_padding() -> None:
    clip = render("yes", Rendering("en-us", 175), seed=1)
    lead, trail = int(LEAD_S * OUT_RATE), int(TRAIL_S * OUT_RATE)
    assert np.all(clip[:lead] == 0)
    assert np.all(clip[-trail:] == 0)
    assert np.abs(clip[lead : len(clip) - trail]).max() > 0.05
    assert 0.2 < (len(clip) - lead - trail) / OUT_RATE < 1.5


@espeak
@have_espeak
def test_a_noisy_rendering_is_noisy_throughout_and_reproducible() -> None:
    how = Rendering("en-gb", 160, "rain", 10.0)
    clip = render("yes", how, seed=5)
    assert np.abs(clip[: int(LEAD_S * OUT_RATE)]).max() > 0.001
    assert np.array_equal(clip, render("yes", how, seed=5))
    assert np.abs(clip).max() <= 0.95 + 1e-6


@espeak
@have_espeak
def test_an_unknown_voice_is_a_tts_error() -> None:
    with pytest.raises(TTSError, match="espeak-ng failed for voice 'xx-nowhere'"):
        speak("hello", "xx-nowhere", 160)
