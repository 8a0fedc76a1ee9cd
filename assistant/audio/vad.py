"""Voice activity detection: is this frame of audio speech?

Two detectors, chosen by ``[asr] vad``:

* ``silero``: silero's small neural model (:mod:`.silero`), run with
  onnxruntime on 32 ms windows; it tells speech from engine, road, wind and
  rain noise down to 5 dB SNR. Needs the ``onnxruntime`` package.
* ``webrtc``: webrtcvad's GMM on 10-30 ms frames; tiny and always installed,
  but at 10 dB SNR and below it calls most cabin noise speech.
* ``auto`` (the default): ``silero`` when onnxruntime is installed, else
  ``webrtc``.

Both sit behind :class:`VoiceDetector`, which adds the adaptive
:class:`~.noise_floor.NoiseFloor`: a frame is speech only if the model says
so *and* it stands out from the cabin's noise. A detector keeps state (the
model's memory, the noise floor) for one stream; :meth:`VoiceDetector.reset`
starts a new one.
"""

from __future__ import annotations

import functools
import logging
from typing import Literal, Protocol

import webrtcvad

from assistant.audio.noise_floor import NoiseFloor, frame_db
from assistant.audio.silero import INSTALL_HINT, SileroVad, runtime_installed
from assistant.errors import AudioFormatError, ConfigError

log = logging.getLogger(__name__)

#: VAD names ``[asr] vad`` accepts.
VadName = Literal["auto", "silero", "webrtc"]
VAD_NAMES: tuple[str, ...] = ("auto", "silero", "webrtc")
#: Rates webrtcvad accepts.
WEBRTC_RATES = (8000, 16000, 32000, 48000)
#: How far below the start threshold a silero probability may fall while
#: speech goes on (hysteresis, as silero's own iterator does): soft word
#: endings do not end an utterance.
SILERO_HYSTERESIS = 0.15


class FrameClassifier(Protocol):
    """A VAD model: speech or not, one fixed-length frame at a time."""

    #: int16 samples per frame at the stream's rate.
    frame_samples: int
    #: Noise-floor margin (dB) this model works best with, measured in
    #: benchmarks/vad_bench.py (BENCHMARKS.md).
    default_margin_db: float
    #: Whether speech must also stand out from the noise floor to *start*
    #: (it always must to go on).
    floor_gates_starts: bool

    def is_speech(self, frame: bytes, in_speech: bool) -> bool:
        """Whether ``frame`` is speech; ``in_speech`` allows a lower bar mid-utterance."""
        ...

    def reset(self) -> None:
        """Forget the stream heard so far."""
        ...


class WebrtcClassifier:
    """webrtcvad at a fixed aggressiveness (0-3) and frame length (10/20/30 ms)."""

    #: webrtcvad calls steady cabin noise speech; only a clear margin over the
    #: floor lets an utterance end on silence at 10 dB SNR and below.
    default_margin_db = 4.0
    floor_gates_starts = True

    def __init__(self, sample_rate: int, aggressiveness: int, frame_ms: int) -> None:
        if sample_rate not in WEBRTC_RATES:
            raise AudioFormatError(f"VAD needs 8, 16, 32 or 48 kHz audio, not {sample_rate} Hz")
        self.rate = sample_rate
        self.frame_samples = sample_rate * frame_ms // 1000
        self._vad = webrtcvad.Vad(aggressiveness)

    def is_speech(self, frame: bytes, in_speech: bool) -> bool:
        """webrtcvad's decision (it has no probability to lower mid-utterance)."""
        return bool(self._vad.is_speech(frame, self.rate))

    def reset(self) -> None:
        """webrtcvad's adaptation is internal and short; nothing to forget."""


class SileroClassifier:
    """The silero model's probability against a threshold, with hysteresis."""

    #: The model tells noise from speech by itself, but keeps saying "speech"
    #: for ~150 ms after a word under noise; the margin cuts that lag (ends
    #: within 300 ms p95 at 5 dB SNR, and inside a 0.9 s trailing pause).
    default_margin_db = 3.0
    #: At 5 dB SNR much of a word is no louder than the noise around it,
    #: which the model hears through; gating its starts would lose short words.
    floor_gates_starts = False

    def __init__(self, sample_rate: int, threshold: float) -> None:
        self._model = SileroVad(sample_rate)
        self.frame_samples = self._model.frame_samples
        self.threshold = threshold

    def is_speech(self, frame: bytes, in_speech: bool) -> bool:
        """Probability at least the threshold (less the hysteresis mid-utterance)."""
        bar = self.threshold - SILERO_HYSTERESIS if in_speech else self.threshold
        return self._model.probability(frame) >= bar

    def reset(self) -> None:
        """Clear the model's recurrent state."""
        self._model.reset()


def resolve_vad(name: str) -> Literal["silero", "webrtc"]:
    """The detector ``name`` stands for; a clear ConfigError when it cannot run here."""
    if name == "auto":
        if runtime_installed():
            return "silero"
        _note_fallback()
        return "webrtc"
    if name == "silero":
        if not runtime_installed():
            raise ConfigError(f'[asr] vad = "silero" needs onnxruntime: {INSTALL_HINT}')
        return "silero"
    if name == "webrtc":
        return "webrtc"
    known = ", ".join(VAD_NAMES)
    raise ConfigError(f"unknown VAD {name!r} in [asr] vad (known: {known})")


@functools.cache
def _note_fallback() -> None:
    """Say once per process that the weaker VAD is in use, and how to get the other."""
    log.info(
        "onnxruntime is not installed: endpointing with webrtcvad, weak in road noise "
        "(pip install onnxruntime for the neural VAD)"
    )


class VoiceDetector:
    """A frame classifier gated by the stream's adaptive noise floor."""

    def __init__(self, classifier: FrameClassifier, sample_rate: int, margin_db: float) -> None:
        self.classifier = classifier
        self.rate = sample_rate
        self.frame_samples = classifier.frame_samples
        self.frame_bytes = self.frame_samples * 2
        self.frame_seconds = self.frame_samples / sample_rate
        self.noise_floor = NoiseFloor(self.frame_seconds, margin_db) if margin_db > 0 else None

    def is_speech(self, frame: bytes, in_speech: bool) -> bool:
        """Speech by the model and, with a noise floor, loud enough above it."""
        voiced = self.classifier.is_speech(frame, in_speech)
        if self.noise_floor is None:
            return voiced
        # The floor hears every frame, voiced or not, so it keeps tracking.
        loud = self.noise_floor.loud_enough(frame_db(frame))
        if not in_speech and not self.classifier.floor_gates_starts:
            return voiced
        return voiced and loud

    def reset(self) -> None:
        """A new stream: forget the model's state and the noise floor."""
        self.classifier.reset()
        if self.noise_floor is not None:
            self.noise_floor.reset()


def make_classifier(
    name: str, sample_rate: int, *, aggressiveness: int, frame_ms: int, threshold: float
) -> FrameClassifier:
    """The frame classifier ``name`` (``auto``, ``silero`` or ``webrtc``) stands for."""
    if resolve_vad(name) == "silero":
        return SileroClassifier(sample_rate, threshold)
    return WebrtcClassifier(sample_rate, aggressiveness, frame_ms)
