"""Cabin scenes: utterances placed with known spans under noise at a chosen SNR."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.replay.noise import active_power
from assistant.replay.scenes import SPEECH_DBFS, build_scene, noise_only, speech_bounds

RATE = 16000


def _burst(seconds: float, pad: float = 0.2) -> np.ndarray:
    """A tone with ``pad`` seconds of silence either side (as espeak-ng leaves)."""
    t = np.arange(int(seconds * RATE)) / RATE
    tone = (0.3 * np.sin(2 * np.pi * 300 * t)).astype(np.float32)
    silence = np.zeros(int(pad * RATE), np.float32)
    return np.concatenate([silence, tone, silence])


def test_spans_are_where_the_speech_was_put_trimmed_of_its_silence() -> None:
    scene = build_scene([_burst(0.5), _burst(1.0)], RATE, noise=None, snr_db=None, seed=1)
    first, second = scene.spans
    assert first.start == pytest.approx(1.0, abs=0.01)
    assert first.end - first.start == pytest.approx(0.5, abs=0.01)
    assert second.end - second.start == pytest.approx(1.0, abs=0.01)
    assert 1.5 <= second.start - first.end <= 3.0  # the pause, drawn from gaps_s
    assert scene.seconds == pytest.approx(second.end + 2.0, abs=0.01)
    inside = scene.samples[int(second.start * RATE) : int(second.end * RATE)]
    assert 10 * np.log10(np.mean(inside.astype(np.float64) ** 2)) == pytest.approx(
        SPEECH_DBFS, abs=0.1
    )


def test_the_same_seed_gives_the_same_scene_and_the_snr_holds() -> None:
    utterances = [_burst(0.5), _burst(0.7), _burst(0.4)]
    a = build_scene(utterances, RATE, noise="cabin", snr_db=5, seed=3)
    b = build_scene(utterances, RATE, noise="cabin", snr_db=5, seed=3)
    clean = build_scene(utterances, RATE, noise=None, snr_db=None, seed=3)
    assert np.array_equal(a.samples, b.samples)
    assert a.spans == clean.spans
    noise = (a.samples - clean.samples).astype(np.float64)
    snr = 10 * np.log10(active_power(clean.samples, RATE) / np.mean(noise**2))
    assert snr == pytest.approx(5.0, abs=0.1)


def test_noise_alone_is_as_loud_as_under_speech_at_that_snr() -> None:
    scene = noise_only("wind", 4, RATE, snr_db=10, seed=2)
    assert scene.spans == ()
    level = 10 * np.log10(np.mean(scene.samples.astype(np.float64) ** 2))
    assert level == pytest.approx(SPEECH_DBFS - 10, abs=0.1)
    assert len(scene.pcm()) == 2 * 4 * RATE


def test_speech_bounds_skip_quiet_lead_and_tail() -> None:
    first, last = speech_bounds(_burst(0.5), RATE)
    assert first == pytest.approx(0.2 * RATE, abs=RATE // 100)
    assert last == pytest.approx(0.7 * RATE, abs=RATE // 100)
