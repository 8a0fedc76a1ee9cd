"""Synthetic car-cabin noise: reproducible, shaped like a car's, mixed at the asked SNR."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.errors import UserInputError
from assistant.replay.noise import NOISES, active_power, make_noise, mix_at_snr

RATE = 16000


def spectrum(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    power = np.abs(np.fft.rfft(x)) ** 2
    return np.fft.rfftfreq(len(x), 1 / RATE), power


def centroid(x: np.ndarray) -> float:
    freqs, power = spectrum(x)
    return float((freqs * power).sum() / power.sum())


@pytest.mark.parametrize("kind", sorted(NOISES))
def test_same_seed_same_noise_unit_level(kind: str) -> None:
    a = make_noise(kind, RATE, RATE, np.random.default_rng(7))
    b = make_noise(kind, RATE, RATE, np.random.default_rng(7))
    c = make_noise(kind, RATE, RATE, np.random.default_rng(8))
    assert a.dtype == np.float32
    assert len(a) == RATE
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    assert np.sqrt(np.mean(a.astype(np.float64) ** 2)) == pytest.approx(1.0, rel=1e-3)
    assert np.isfinite(a).all()


def test_engine_hum_sits_on_the_firing_frequency() -> None:
    engine = make_noise("engine", 4 * RATE, RATE, np.random.default_rng(1))
    freqs, power = spectrum(engine)
    peak = freqs[np.argmax(power)]
    assert 55 <= peak <= 85  # 1800-2400 rpm, two firings per revolution, +- wobble


@pytest.mark.parametrize("kind", ["engine", "road", "cabin"])
def test_engine_and_road_are_low_frequency(kind: str) -> None:
    assert centroid(make_noise(kind, 2 * RATE, RATE, np.random.default_rng(2))) < 400


@pytest.mark.parametrize("kind", ["fan", "rain"])
def test_fan_and_rain_are_broadband(kind: str) -> None:
    assert centroid(make_noise(kind, 2 * RATE, RATE, np.random.default_rng(3))) > 800


def test_road_has_no_subsonic_rumble() -> None:
    freqs, power = spectrum(make_noise("road", 4 * RATE, RATE, np.random.default_rng(4)))
    assert power[freqs < 20].sum() < 0.05 * power.sum()


@pytest.mark.parametrize("snr", [20.0, 10.0, 5.0, 0.0])
def test_mixing_hits_the_snr_over_active_speech(snr: float) -> None:
    t = np.arange(2 * RATE) / RATE
    speech = (0.1 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    speech[: RATE // 2] = 0  # leading silence must not count as speech
    noise = make_noise("cabin", len(speech), RATE, np.random.default_rng(5))
    mixed = mix_at_snr(speech, noise, snr, RATE)
    added = (mixed - speech).astype(np.float64)
    measured = 10 * np.log10(active_power(speech, RATE) / np.mean(added**2))
    assert measured == pytest.approx(snr, abs=0.05)


def test_unknown_noise_kind() -> None:
    with pytest.raises(UserInputError, match="unknown noise kind 'hail'"):
        make_noise("hail", 100, RATE, np.random.default_rng(0))


def test_mixing_needs_equal_lengths() -> None:
    with pytest.raises(ValueError, match="same length"):
        mix_at_snr(np.zeros(10, np.float32), np.zeros(11, np.float32), 10, RATE)


def test_wind_is_low_and_gusty() -> None:
    wind = make_noise("wind", 12 * RATE, RATE, np.random.default_rng(6))
    assert centroid(wind) < 600
    windows = wind[: 12 * RATE].astype(np.float64).reshape(24, -1)  # half-second windows
    loudness = np.sqrt(np.mean(windows**2, axis=1))
    assert loudness.max() > 1.8 * loudness.min()  # gusts swell and fade
