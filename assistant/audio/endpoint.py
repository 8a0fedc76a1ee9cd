"""Endpointing: where an utterance starts and ends in a live audio stream.

A :class:`~.vad.VoiceDetector` (silero's neural VAD or webrtcvad, gated by an
adaptive noise floor) classifies fixed frames as speech or not;
:class:`Endpointer` turns that into utterance boundaries with the limits a
driver needs: give up
when nobody speaks (leading silence), stop after a pause (trailing silence),
and never record forever (maximum length). In push-to-talk mode the button
decides: the utterance starts with the first audio and ends when the stream
ends (button released) or at the maximum length.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from enum import IntEnum
from typing import Literal

from assistant.audio.vad import VAD_NAMES, VoiceDetector, make_classifier
from assistant.config import ASRSettings
from assistant.errors import ConfigError

#: Why an utterance ended.
EndReason = Literal["silence", "no_speech", "max_length", "end_of_stream"]


class Completeness(IntEnum):
    """How whole what was heard so far is, for the open question (:meth:`Endpointer.hurry`).

    False-y only for :attr:`NO`, so it reads as the "complete enough?" bool.
    """

    #: Not (yet) an answer: the long pause (``trailing_silence_ms``).
    NO = 0
    #: A whole command or a name: ``early_silence_ms``.
    COMPLETE = 1
    #: A closed answer (a yes/no, a choice) or a question that only looks
    #: something up: ``answer_silence_ms``; whatever follows soon is joined
    #: to it (``rejoin_ms``).
    CLOSED = 2


@dataclass(frozen=True, slots=True)
class EndpointConfig:
    """Endpointing limits; see ``[asr]`` in the configuration."""

    #: Which VAD: ``auto`` (silero when onnxruntime is installed), ``silero``, ``webrtc``.
    vad: str = "auto"
    #: silero: speech probability that starts speech (mid-utterance bar is 0.15 lower).
    speech_threshold: float = 0.5
    #: A speech frame must be this many dB above the adaptive noise floor (0: no
    #: floor; None: the VAD's own default, see :mod:`.vad`).
    noise_margin_db: float | None = None
    vad_aggressiveness: int = 2
    frame_ms: int = 30
    #: webrtcvad keeps saying "speech" for ~90 ms after any burst, so a click
    #: looks like 120 ms of speech; requiring more than that ignores clicks.
    speech_start_ms: int = 150
    leading_silence_ms: int = 5000
    trailing_silence_ms: int = 800
    #: The shorter pause that ends an utterance once the caller says what was
    #: heard is complete (:meth:`Endpointer.hurry`): a "yes", a full command.
    early_silence_ms: int = 200
    #: The pause that ends a closed answer (a yes/no, a choice) once heard:
    #: three silero frames. Short, because the end is provisional: speech
    #: resuming within ``rejoin_ms`` ("yes | please") continues the answer.
    answer_silence_ms: int = 96
    #: Speech starting within this long of an utterance that ended early
    #: continues it (the listener marks its final; 0: never).
    rejoin_ms: int = 800
    max_utterance_s: float = 15.0
    push_to_talk: bool = False

    def __post_init__(self) -> None:
        if self.vad not in VAD_NAMES:
            known = ", ".join(VAD_NAMES)
            raise ConfigError(f"unknown VAD {self.vad!r} (known: {known})")
        if not 0.0 < self.speech_threshold < 1.0:
            raise ConfigError("the VAD speech threshold must be between 0 and 1")
        if not 0 <= self.vad_aggressiveness <= 3:
            raise ConfigError("VAD aggressiveness must be 0, 1, 2 or 3")
        if self.frame_ms not in (10, 20, 30):
            raise ConfigError("VAD frame length must be 10, 20 or 30 ms")
        if self.max_utterance_s <= 0:
            raise ConfigError("maximum utterance length must be positive")
        if not 0 < self.early_silence_ms <= self.trailing_silence_ms:
            raise ConfigError(
                "the early-end pause must be positive and no longer than the trailing silence"
            )
        if not 0 < self.answer_silence_ms <= self.early_silence_ms:
            raise ConfigError(
                "the closed-answer pause must be positive and no longer than the early-end pause"
            )
        if self.rejoin_ms < 0:
            raise ConfigError("the re-join window after an early end must not be negative")

    @classmethod
    def from_settings(cls, asr: ASRSettings) -> EndpointConfig:
        """The limits configured in ``[asr]``."""
        return cls(
            vad=asr.vad,
            speech_threshold=asr.vad_threshold,
            noise_margin_db=asr.noise_margin_db,
            vad_aggressiveness=asr.vad_aggressiveness,
            speech_start_ms=asr.speech_start_ms,
            leading_silence_ms=asr.leading_silence_ms,
            trailing_silence_ms=asr.trailing_silence_ms,
            early_silence_ms=asr.early_silence_ms,
            answer_silence_ms=asr.answer_silence_ms,
            rejoin_ms=asr.rejoin_ms,
            max_utterance_s=asr.max_utterance_s,
            push_to_talk=asr.push_to_talk,
        )

    def detector(self, sample_rate: int) -> VoiceDetector:
        """A fresh voice detector for one stream at ``sample_rate``.

        Raises ConfigError naming what to install when the chosen VAD's
        runtime is missing, AudioFormatError for a rate no VAD takes.
        """
        classifier = make_classifier(
            self.vad,
            sample_rate,
            aggressiveness=self.vad_aggressiveness,
            frame_ms=self.frame_ms,
            threshold=self.speech_threshold,
        )
        margin = self.noise_margin_db
        return VoiceDetector(
            classifier, sample_rate, classifier.default_margin_db if margin is None else margin
        )


@dataclass(frozen=True, slots=True)
class Boundary:
    """An utterance boundary at ``time`` seconds from the start of the stream."""

    kind: Literal["start", "end"]
    time: float
    reason: EndReason | None = None


class Endpointer:
    """Feed int16 mono PCM; get at most one start and one end boundary per utterance.

    ``detector`` carries what was learnt about the stream so far (the noise
    floor, the model's memory) from one utterance to the next; without one,
    a fresh detector is made from ``config``. Boundary times count from the
    start of the stream: ``offset`` is how many seconds of it came before
    this utterance's first sample.
    """

    def __init__(
        self,
        sample_rate: int,
        config: EndpointConfig | None = None,
        *,
        detector: VoiceDetector | None = None,
        offset: float = 0.0,
    ) -> None:
        self.config = config or EndpointConfig()
        self.rate = sample_rate
        self.detector = detector or self.config.detector(sample_rate)
        self.offset = offset
        self._frame_seconds = self.detector.frame_seconds
        self._frame_bytes = self.detector.frame_bytes
        self._buffer = b""
        self._frames_seen = 0
        self._voiced_run = 0
        self._silent_run = 0
        self._start: float | None = None
        self._complete = Completeness.NO
        self._early = False
        self.done = False

    @property
    def in_speech(self) -> bool:
        """Whether an utterance has started and not yet ended."""
        return self._start is not None and not self.done

    @property
    def ended_early(self) -> bool:
        """Whether the utterance ended on the short pause of a complete answer."""
        return self._early

    @property
    def complete(self) -> Completeness:
        """What the caller said of what was heard so far (:meth:`hurry`)."""
        return self._complete

    def hurry(self, complete: bool | Completeness) -> list[Boundary]:
        """Say whether what was heard so far is complete (a "yes", a whole command).

        While it is, a pause of ``early_silence_ms`` (``True`` or
        :attr:`Completeness.COMPLETE`) or ``answer_silence_ms``
        (:attr:`Completeness.CLOSED`) ends the utterance instead of
        ``trailing_silence_ms``; speech going on past that pause is still
        heard, and a later ``hurry(False)`` (the partial transcript grew into
        something incomplete) brings the long pause back. Returns the end
        boundary when the pause already heard is long enough now.
        """
        self._complete = Completeness(int(complete))
        if self.done or self._start is None or self.config.push_to_talk:
            return []
        return self._pause_check()

    def feed(self, pcm: bytes) -> list[Boundary]:
        """Process more audio; returns the boundaries it crossed (possibly none)."""
        if self.done:
            return []
        data = self._buffer + pcm
        usable = len(data) - len(data) % self._frame_bytes
        self._buffer = data[usable:]
        found: list[Boundary] = []
        for offset in range(0, usable, self._frame_bytes):
            found.extend(self._frame(data[offset : offset + self._frame_bytes]))
            if self.done:
                break
        return found

    def finish(self) -> list[Boundary]:
        """The stream ended (or the push-to-talk button was released)."""
        if self.done:
            return []
        self.done = True
        found = [] if self._start is not None else [Boundary("start", self._now())]
        if self._start is None and not self.config.push_to_talk:
            return [Boundary("end", self._now(), "no_speech")]
        return [*found, Boundary("end", self._now(), "end_of_stream")]

    def _now(self) -> float:
        return self._at(self._frames_seen)

    def _at(self, frames: int) -> float:
        """Stream time at the end of the ``frames``-th frame of this utterance."""
        return round(self.offset + frames * self._frame_seconds, 3)

    def _frame(self, frame: bytes) -> list[Boundary]:
        cfg = self.config
        self._frames_seen += 1
        if cfg.push_to_talk:
            return self._push_to_talk_frame()
        voiced = self.detector.is_speech(frame, in_speech=self._start is not None)
        self._voiced_run = self._voiced_run + 1 if voiced else 0
        self._silent_run = 0 if voiced else self._silent_run + 1
        if self._start is None:
            return self._waiting_frame()
        return self._speech_frame()

    def _push_to_talk_frame(self) -> list[Boundary]:
        if self._start is None:
            self._start = self._at(self._frames_seen - 1)
            return [Boundary("start", self._start)]
        return self._max_length_check()

    def _waiting_frame(self) -> list[Boundary]:
        cfg = self.config
        if self._voiced_run * self._frame_seconds * 1000 >= cfg.speech_start_ms:
            self._start = self._at(self._frames_seen - self._voiced_run)
            return [Boundary("start", self._start)]
        # Someone who began speaking just before the limit is not cut off:
        # the limit waits for the voiced run to become speech or to stop.
        waited = self._frames_seen * self._frame_seconds * 1000
        if waited >= cfg.leading_silence_ms and self._voiced_run == 0:
            self.done = True
            return [Boundary("end", self._now(), "no_speech")]
        return []

    def _speech_frame(self) -> list[Boundary]:
        return self._pause_check() or self._max_length_check()

    def _pause_check(self) -> list[Boundary]:
        cfg = self.config
        pause = self._pause()
        if self._silent_run == 0 or self._silent_run * self._frame_seconds * 1000 < pause:
            return []
        self.done = True
        self._early = pause < cfg.trailing_silence_ms
        return [Boundary("end", self._at(self._frames_seen - self._silent_run), "silence")]

    def _pause(self) -> int:
        """The silence (ms) that ends the utterance now."""
        cfg = self.config
        if self._complete is Completeness.CLOSED:
            return cfg.answer_silence_ms
        if self._complete is Completeness.COMPLETE:
            return cfg.early_silence_ms
        return cfg.trailing_silence_ms

    def _max_length_check(self) -> list[Boundary]:
        assert self._start is not None
        if self._now() - self._start >= self.config.max_utterance_s:
            self.done = True
            return [Boundary("end", self._now(), "max_length")]
        return []


class EndpointStream:
    """Endpointing of one whole audio stream, utterance after utterance.

    Every utterance gets a fresh :class:`Endpointer`, but they share the
    stream's voice detector (its noise floor and model memory carry over
    the pauses) and its clock: boundary times count from the stream's first
    sample. :class:`~assistant.asr.listener.Listener` runs one per stream;
    :meth:`segment` does the same without a recognizer.
    """

    def __init__(self, sample_rate: int, config: EndpointConfig | None = None) -> None:
        self.config = config or EndpointConfig()
        self.rate = sample_rate
        self.detector = self.config.detector(sample_rate)
        self._samples = 0

    @property
    def seconds(self) -> float:
        """Audio of the stream heard so far."""
        return self._samples / self.rate

    def utterance(self, leading_silence_ms: int | None = None) -> Endpointer:
        """The endpointer for the next utterance, starting at the current stream time.

        ``leading_silence_ms`` overrides how long it waits for speech (after
        a wake phrase, the driver has its own time to start the command).
        """
        config = self.config
        if leading_silence_ms is not None:
            config = replace(config, leading_silence_ms=leading_silence_ms)
        return Endpointer(self.rate, config, detector=self.detector, offset=self.seconds)

    def heard(self, chunk: bytes) -> None:
        """Count ``chunk`` (int16 mono) as heard, whether or not an endpointer saw it all."""
        self._samples += len(chunk) // 2

    def segment(self, chunks: Iterable[bytes]) -> Iterator[Boundary]:
        """Every boundary of the stream, as a listener would find them.

        As in the listener, an utterance that ends mid-chunk drops the rest
        of that chunk and the next endpointer starts with the next chunk;
        ``no_speech`` ends (nobody spoke within the leading silence) are
        yielded too, so a caller can tell how long the stream was quiet.
        """
        endpointer = self.utterance()
        for chunk in chunks:
            found = endpointer.feed(chunk)
            self.heard(chunk)
            yield from found
            if endpointer.done:
                endpointer = self.utterance()
        yield from endpointer.finish()
