"""Car-cabin noise, synthesised with numpy, and mixing at a given SNR.

The replay set needs noise that behaves like a car's, reproducibly and
without shipping recordings. Each generator takes a seeded
``numpy.random.Generator`` and returns float32 samples in [-1, 1] at the
requested rate; the same seed gives the same samples on every machine
(numpy's PCG64 stream and its normal/exponential samplers are stable).

* **engine**: the firing frequency of a four-cylinder, four-stroke engine
  (two ignitions per revolution, so ``rpm / 30`` Hz, about 60-80 Hz at
  1800-2400 rpm) and its first harmonics with falling amplitudes; the rpm
  wobbles slowly (a sine plus a smoothed random walk), as it does on a
  motorway, and a little low-passed noise gives the exhaust rumble.
* **road**: tyre and road roar, brown noise (spectrum falling 6 dB/octave)
  band-limited to about 40-500 Hz (below 40 Hz is felt, not heard).
* **fan**: the ventilation blower, white noise band-limited to 150-4000 Hz
  with a gentle tilt, plus a faint blade tone.
* **rain**: drops on the roof and windscreen, Poisson-distributed impulses
  (a few hundred per second) each a short decaying burst, high-passed, over
  a pink hiss.
* **wind**: air rushing past the mirrors and seals, pink noise band-limited
  to about 30-1500 Hz whose loudness swells and fades with gusts (a slow,
  smoothed random envelope of a few seconds).
* **cabin**: engine + road + fan together, the usual motorway mix.

Spectral shaping is done in the frequency domain (FFT of white noise times a
magnitude response), which needs no filter design library and is exact.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from assistant.errors import UserInputError

Samples = npt.NDArray[np.float32]
Array = npt.NDArray[Any]
#: A magnitude response: frequencies (Hz) -> gains.
Response = Callable[[Array], Array]
Generator = Callable[[int, int, np.random.Generator], Samples]


def _shaped(
    n: int,
    rate: int,
    rng: np.random.Generator,
    response: Response,
) -> Array:
    """White noise of length ``n`` filtered by a magnitude ``response(freqs)``."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, d=1.0 / rate)
    shaped: Array = np.fft.irfft(spectrum * response(freqs), n)
    return shaped


def _lowpass(cutoff: float, order: int = 4) -> Response:
    return lambda f: 1.0 / np.sqrt(1.0 + (f / cutoff) ** (2 * order))


def _highpass(cutoff: float, order: int = 2) -> Response:
    return lambda f: 1.0 / np.sqrt(1.0 + (cutoff / np.maximum(f, 1e-3)) ** (2 * order))


def _normalise(x: Array) -> Samples:
    """Scale to unit RMS (mixing sets the real level)."""
    rms = float(np.sqrt(np.mean(x**2))) or 1.0
    return (x / rms).astype(np.float32)


def engine(n: int, rate: int, rng: np.random.Generator) -> Samples:
    """Engine hum: firing frequency and harmonics with a wobbling rpm."""
    t = np.arange(n) / rate
    base_rpm = rng.uniform(1800, 2400)
    walk = np.cumsum(rng.standard_normal(n)) / np.sqrt(rate)
    walk -= np.linspace(walk[0], walk[-1], n)  # no drift: the car holds its speed
    rpm = base_rpm * (1 + 0.03 * np.sin(2 * np.pi * 0.4 * t)) + 40.0 * walk
    phase = 2 * np.pi * np.cumsum(rpm / 30.0) / rate
    hum = sum((0.7**k) * np.sin(k * phase + rng.uniform(0, 2 * np.pi)) for k in range(1, 7))
    rumble = _shaped(n, rate, rng, _lowpass(120.0))
    rumble *= 0.5 * np.sqrt(np.mean(hum**2)) / (np.sqrt(np.mean(rumble**2)) or 1.0)
    return _normalise(hum + rumble)


def road(n: int, rate: int, rng: np.random.Generator) -> Samples:
    """Road roar: brown noise band-limited to about 40-500 Hz."""
    low, high = _highpass(40.0), _lowpass(500.0)
    return _normalise(_shaped(n, rate, rng, lambda f: low(f) * high(f) / np.maximum(f, 20.0)))


def fan(n: int, rate: int, rng: np.random.Generator) -> Samples:
    """Blower: band-limited white noise with a faint blade-pass tone."""
    low, high = _highpass(150.0), _lowpass(4000.0)
    hiss = _normalise(
        _shaped(n, rate, rng, lambda f: low(f) * high(f) / np.sqrt(np.maximum(f, 150.0) / 150.0))
    )
    blade = rng.uniform(180, 260)
    tone = 0.15 * np.sqrt(2) * np.sin(2 * np.pi * blade * np.arange(n) / rate)
    return _normalise(hiss + tone)


def rain(n: int, rate: int, rng: np.random.Generator) -> Samples:
    """Rain: Poisson impulses with short decaying bursts over a pink hiss."""
    drops = np.zeros(n)
    count = rng.poisson(300 * n / rate)
    drops[rng.integers(0, n, count)] = rng.exponential(1.0, count) * rng.choice([-1.0, 1.0], count)
    decay = np.exp(-np.arange(int(0.004 * rate)) / (0.0008 * rate))
    bursts = np.convolve(drops, decay)[:n]
    bursts = np.fft.irfft(np.fft.rfft(bursts) * _highpass(1000.0)(np.fft.rfftfreq(n, 1 / rate)), n)
    pink = _shaped(n, rate, rng, lambda f: 1.0 / np.sqrt(np.maximum(f, 50.0)))
    return _normalise(_normalise(bursts) + 0.4 * _normalise(pink))


def wind(n: int, rate: int, rng: np.random.Generator) -> Samples:
    """Wind: band-limited pink noise under a slow gusting envelope."""
    low, high = _highpass(30.0), _lowpass(1500.0)
    rush = _shaped(n, rate, rng, lambda f: low(f) * high(f) / np.sqrt(np.maximum(f, 30.0)))
    # Gusts: white noise smoothed to below ~0.5 Hz, mapped to 0.4-1.6 x loudness.
    gusts = _shaped(n, rate, rng, _lowpass(0.5, order=2))
    gusts /= np.max(np.abs(gusts)) or 1.0
    return _normalise(rush * (1.0 + 0.6 * gusts))


def cabin(n: int, rate: int, rng: np.random.Generator) -> Samples:
    """The motorway mix: engine, road and fan together."""
    return _normalise(engine(n, rate, rng) + 0.8 * road(n, rate, rng) + 0.5 * fan(n, rate, rng))


#: Noise kinds by the name used in manifests (tag ``noise``).
NOISES: dict[str, Generator] = {
    "engine": engine,
    "road": road,
    "fan": fan,
    "rain": rain,
    "wind": wind,
    "cabin": cabin,
}


def make_noise(kind: str, n: int, rate: int, rng: np.random.Generator) -> Samples:
    """``n`` samples of the named noise kind at unit RMS."""
    try:
        generate = NOISES[kind]
    except KeyError:
        known = ", ".join(sorted(NOISES))
        raise UserInputError(f"unknown noise kind {kind!r} (known: {known})") from None
    return generate(n, rate, rng)


def active_power(speech: Samples, rate: int, frame_ms: int = 20) -> float:
    """Mean power of the frames that carry speech (within 40 dB of the loudest).

    Measuring SNR over the whole clip would count the leading and trailing
    silence and make noisy cases look cleaner than they are.
    """
    frame = max(1, rate * frame_ms // 1000)
    usable = len(speech) - len(speech) % frame
    if usable == 0:
        return float(np.mean(speech.astype(np.float64) ** 2)) if len(speech) else 0.0
    powers = np.mean(speech[:usable].astype(np.float64).reshape(-1, frame) ** 2, axis=1)
    loud = powers[powers >= powers.max() * 1e-4]
    return float(loud.mean())


def mix_at_snr(speech: Samples, noise: Samples, snr_db: float, rate: int) -> Samples:
    """Add ``noise`` to ``speech`` so active speech is ``snr_db`` above the noise."""
    if len(noise) != len(speech):
        raise ValueError("speech and noise must have the same length")
    p_speech = active_power(speech, rate)
    p_noise = float(np.mean(noise.astype(np.float64) ** 2)) or 1.0
    gain = np.sqrt(p_speech / (p_noise * 10 ** (snr_db / 10)))
    return (speech + gain * noise).astype(np.float32)
