"""Silero's neural voice activity detector, run with onnxruntime.

The model (``data/silero_vad.onnx``, silero-vad v6.2, MIT licence in
``data/LICENSE.silero-vad``) ships inside the package: nothing is downloaded
at run time. It takes 512 samples at 16 kHz (256 at 8 kHz) plus the last 64
(32) samples of the previous window as context, carries a recurrent state
from window to window, and returns the probability that the window holds
speech. Other rates the endpointer accepts (32 and 48 kHz) are resampled to
16 kHz with soxr first.

One ``InferenceSession`` is shared by every stream of the process (its
``run`` is thread-safe); each :class:`SileroVad` keeps only its own state,
a few hundred bytes. The session uses one thread, so one stream costs at most
one core's slice and many streams scale with the cores.
"""

from __future__ import annotations

import functools
import logging
from importlib import resources
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from assistant.errors import AudioFormatError, ConfigError

if TYPE_CHECKING:
    import onnxruntime

#: Rates the model takes directly, with its window and context lengths.
_NATIVE = {16000: (512, 64), 8000: (256, 32)}
#: Rates resampled to 16 kHz before the model.
_RESAMPLED = (32000, 48000)
#: What to tell a user who chose the neural VAD without its runtime.
INSTALL_HINT = 'install it (pip install onnxruntime) or set vad = "webrtc" in [asr]'

log = logging.getLogger(__name__)

Floats = npt.NDArray[np.float32]


def runtime_installed() -> bool:
    """Whether onnxruntime can be imported (a broken install counts as missing)."""
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


@functools.cache
def _session() -> onnxruntime.InferenceSession:
    """The process's one inference session over the packaged model."""
    try:
        import onnxruntime
    except ImportError as exc:
        raise ConfigError(f"the silero VAD needs onnxruntime: {INSTALL_HINT}") from exc
    options = onnxruntime.SessionOptions()
    # One thread per call: a VAD window is tiny, and many streams share the cores.
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    model = resources.files("assistant.audio").joinpath("data/silero_vad.onnx").read_bytes()
    return onnxruntime.InferenceSession(
        model, sess_options=options, providers=["CPUExecutionProvider"]
    )


class SileroVad:
    """Speech probability of each window of a stream (the model's own window)."""

    def __init__(self, sample_rate: int) -> None:
        if sample_rate not in _NATIVE and sample_rate not in _RESAMPLED:
            raise AudioFormatError(
                f"the silero VAD needs 8, 16, 32 or 48 kHz audio, not {sample_rate} Hz"
            )
        self.rate = sample_rate
        model_rate = sample_rate if sample_rate in _NATIVE else 16000
        self._model_rate = model_rate
        self._window, self._context_len = _NATIVE[model_rate]
        #: Samples of the stream's own rate per window.
        self.frame_samples = self._window * sample_rate // model_rate
        self._session = _session()
        self._resampler: Any = None
        self.reset()

    def reset(self) -> None:
        """Forget everything heard (a new stream starts)."""
        self._state = np.zeros((2, 1, 128), dtype=np.float32)
        self._context = np.zeros(self._context_len, dtype=np.float32)
        self._pending = np.zeros(0, dtype=np.float32)
        self._last = 0.0
        if self.rate != self._model_rate:
            import soxr

            self._resampler = soxr.ResampleStream(self.rate, self._model_rate, 1, dtype="float32")

    def probability(self, frame: bytes) -> float:
        """The speech probability of one ``frame_samples`` int16 frame."""
        samples = np.frombuffer(frame, dtype="<i2").astype(np.float32) / 32768.0
        if self._resampler is not None:
            # The resampler's output lags and wobbles by a few samples: run the
            # model on whole windows as they fill, reuse the last answer otherwise.
            self._pending = np.concatenate([self._pending, self._resampler.resample_chunk(samples)])
            while len(self._pending) >= self._window:
                self._last = self._run(self._pending[: self._window])
                self._pending = self._pending[self._window :]
            return self._last
        return self._run(samples)

    def _run(self, window: Floats) -> float:
        x = np.concatenate([self._context, window])[None, :]
        out, state = self._session.run(
            None,
            {"input": x, "state": self._state, "sr": np.array(self._model_rate, dtype=np.int64)},
        )
        self._state = state
        self._context = window[-self._context_len :]
        return float(out[0, 0])
