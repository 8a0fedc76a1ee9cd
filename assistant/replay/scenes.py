"""Cabin scenes for judging the endpointer: several utterances in one noisy recording.

A scene is what a driver's microphone hears over a stretch of road: silence,
an utterance, a pause, another utterance, ..., all under one continuous car
noise at a chosen SNR. Because the speech is placed by us, the true start and
end of every utterance is known, so an endpointer's decisions can be scored
(ended by silence or not, how far its end is from the true end, merged with a
neighbour, false starts in the pauses). Deterministic: the same utterances,
seed, noise and SNR give the same samples.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from assistant.replay.noise import Samples, make_noise, mix_at_snr

#: Level of active speech in a scene, dBFS (a close car microphone).
SPEECH_DBFS = -26.0
#: Frames quieter than this far below the utterance's loudest frame are not speech.
SPEECH_RANGE_DB = 40.0
#: Peak ceiling after mixing, to never clip.
PEAK = 0.95


@dataclass(frozen=True, slots=True)
class Span:
    """Where one utterance really is, in seconds from the start of the scene."""

    start: float
    end: float


@dataclass(frozen=True, slots=True)
class Scene:
    """A scene's samples (float32, mono) and the true spans of its utterances."""

    samples: Samples
    rate: int
    spans: tuple[Span, ...]

    @property
    def seconds(self) -> float:
        """Length of the scene."""
        return len(self.samples) / self.rate

    def pcm(self) -> bytes:
        """The samples as int16 little-endian PCM (what the endpointer takes)."""
        clipped = np.clip(np.round(self.samples.astype(np.float64) * 32767.0), -32768, 32767)
        return clipped.astype("<i2").tobytes()


def speech_bounds(speech: Samples, rate: int, frame_ms: int = 10) -> tuple[int, int]:
    """First and last sample of the frames within 40 dB of the loudest frame."""
    frame = max(1, rate * frame_ms // 1000)
    usable = len(speech) - len(speech) % frame
    if usable == 0:
        return 0, len(speech)
    power = np.mean(speech[:usable].astype(np.float64).reshape(-1, frame) ** 2, axis=1)
    loud = np.flatnonzero(power >= power.max() * 10 ** (-SPEECH_RANGE_DB / 10))
    return int(loud[0]) * frame, min(len(speech), (int(loud[-1]) + 1) * frame)


def _levelled(speech: Samples, rate: int) -> Samples:
    first, last = speech_bounds(speech, rate)
    core = speech[first:last].astype(np.float64)
    rms = float(np.sqrt(np.mean(core**2))) or 1.0
    return (core * (10 ** (SPEECH_DBFS / 20) / rms)).astype(np.float32)


def build_scene(
    utterances: Sequence[Samples],
    rate: int,
    *,
    noise: str | None,
    snr_db: float | None,
    seed: int,
    lead_s: float = 1.0,
    gaps_s: tuple[float, float] = (1.5, 3.0),
    tail_s: float = 2.0,
) -> Scene:
    """``utterances`` (trimmed to their speech, levelled) with pauses, under ``noise``.

    Pauses between utterances are drawn from ``gaps_s`` with the seed; with
    ``noise`` None (or ``snr_db`` None) the scene is clean.
    """
    rng = np.random.default_rng(seed)
    parts: list[Samples] = [np.zeros(int(lead_s * rate), np.float32)]
    spans: list[Span] = []
    at = len(parts[0])
    for index, utterance in enumerate(utterances):
        if index:
            gap = np.zeros(int(rng.uniform(*gaps_s) * rate), np.float32)
            parts.append(gap)
            at += len(gap)
        speech = _levelled(utterance, rate)
        parts.append(speech)
        spans.append(Span(round(at / rate, 4), round((at + len(speech)) / rate, 4)))
        at += len(speech)
    parts.append(np.zeros(int(tail_s * rate), np.float32))
    clip = np.concatenate(parts)
    if noise is not None and snr_db is not None:
        clip = mix_at_snr(clip, make_noise(noise, len(clip), rate, rng), snr_db, rate)
    return Scene(_under_peak(clip), rate, tuple(spans))


def noise_only(noise: str, seconds: float, rate: int, *, snr_db: float, seed: int) -> Scene:
    """Cabin noise alone, as loud as it would be under speech at ``snr_db``."""
    n = int(seconds * rate)
    samples = make_noise(noise, n, rate, np.random.default_rng(seed))
    level = 10 ** ((SPEECH_DBFS - snr_db) / 20)
    return Scene(_under_peak((samples * level).astype(np.float32)), rate, ())


def _under_peak(clip: Samples) -> Samples:
    peak = float(np.max(np.abs(clip))) if len(clip) else 0.0
    return (clip * (PEAK / peak) if peak > PEAK else clip).astype(np.float32)
