"""Events a streaming recognition produces, as round-trippable dataclasses.

Each event converts to a plain dict with a ``type`` tag (what the server's
WebSocket sends as JSON) and back with :func:`event_from_dict`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from assistant.errors import UserInputError
from assistant.models import Hypothesis, Word


@dataclass(frozen=True, slots=True)
class Partial:
    """The transcript so far of the utterance being spoken; it may still change."""

    type: ClassVar[str] = "partial"
    text: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"type": self.type, "text": self.text}


@dataclass(frozen=True, slots=True)
class Final:
    """The result of an utterance: best text, n-best alternatives, best words.

    ``alternatives`` are best first and are what the parser's n-best input
    takes; ``alternatives[0].text == text`` whenever there is any. ``words``
    are the best hypothesis's words, times in seconds from utterance start.
    ``continues`` is true when the utterance began within ``[asr] rejoin_ms``
    of the end of one that ended early: the driver was not done, and the
    dialog may join the two (:meth:`~assistant.dialog.runner.DialogRunner.hear`).
    """

    type: ClassVar[str] = "final"
    text: str
    alternatives: tuple[Hypothesis, ...] = ()
    words: tuple[Word, ...] = ()
    continues: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "type": self.type,
            "text": self.text,
            "alternatives": [hypothesis_to_dict(h) for h in self.alternatives],
            "words": [word_to_dict(w) for w in self.words],
            "continues": self.continues,
        }


#: What :meth:`StreamingSession.finish` returns.
FinalResult = Final


@dataclass(frozen=True, slots=True)
class SpeechStarted:
    """Voice activity began at ``time`` seconds from the start of the stream."""

    type: ClassVar[str] = "speech_started"
    time: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"type": self.type, "time": self.time}


@dataclass(frozen=True, slots=True)
class SpeechEnded:
    """The utterance ended (endpoint) at ``time``; ``reason`` says why.

    Reasons: ``silence`` (trailing pause), ``no_speech`` (nobody spoke before
    the leading-silence limit), ``max_length``, ``end_of_stream`` (input
    ended or the push-to-talk button was released).
    """

    type: ClassVar[str] = "speech_ended"
    time: float = 0.0
    reason: str = "silence"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"type": self.type, "time": self.time, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class BargeIn:
    """The driver started speaking while the assistant was talking: stop speaking."""

    type: ClassVar[str] = "barge_in"
    time: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"type": self.type, "time": self.time}


@dataclass(frozen=True, slots=True)
class WakeHeard:
    """The wake phrase ended at ``time``: the listening window for a command is open."""

    type: ClassVar[str] = "wake"
    time: float = 0.0
    phrase: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"type": self.type, "time": self.time, "phrase": self.phrase}


Event = Partial | Final | SpeechStarted | SpeechEnded | BargeIn | WakeHeard


def word_to_dict(word: Word) -> dict[str, Any]:
    """A :class:`Word` as a JSON-ready dict."""
    return {"word": word.word, "start": word.start, "end": word.end, "confidence": word.confidence}


def word_from_dict(data: dict[str, Any]) -> Word:
    """The inverse of :func:`word_to_dict`."""
    return Word(
        word=str(data["word"]),
        start=float(data["start"]),
        end=float(data["end"]),
        confidence=float(data["confidence"]),
    )


def hypothesis_to_dict(hypothesis: Hypothesis) -> dict[str, Any]:
    """A :class:`Hypothesis` as a JSON-ready dict."""
    return {
        "text": hypothesis.text,
        "score": hypothesis.score,
        "words": [word_to_dict(w) for w in hypothesis.words],
    }


def hypothesis_from_dict(data: dict[str, Any]) -> Hypothesis:
    """The inverse of :func:`hypothesis_to_dict`."""
    return Hypothesis(
        text=str(data["text"]),
        score=float(data.get("score", 1.0)),
        words=tuple(word_from_dict(w) for w in data.get("words", ())),
    )


def event_to_dict(event: Event) -> dict[str, Any]:
    """Any event as a JSON-ready dict with a ``type`` tag."""
    return event.to_dict()


def event_from_dict(data: dict[str, Any]) -> Event:
    """Rebuild an event from :func:`event_to_dict` output; UserInputError if malformed."""
    try:
        kind = data["type"]
        if kind == Partial.type:
            return Partial(text=str(data["text"]))
        if kind == Final.type:
            return Final(
                text=str(data["text"]),
                alternatives=tuple(hypothesis_from_dict(h) for h in data.get("alternatives", ())),
                words=tuple(word_from_dict(w) for w in data.get("words", ())),
                continues=bool(data.get("continues", False)),
            )
        if kind == SpeechStarted.type:
            return SpeechStarted(time=float(data.get("time", 0.0)))
        if kind == SpeechEnded.type:
            return SpeechEnded(
                time=float(data.get("time", 0.0)), reason=str(data.get("reason", "silence"))
            )
        if kind == BargeIn.type:
            return BargeIn(time=float(data.get("time", 0.0)))
        if kind == WakeHeard.type:
            return WakeHeard(time=float(data.get("time", 0.0)), phrase=str(data["phrase"]))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise UserInputError(f"malformed ASR event: {exc!r}") from exc
    raise UserInputError(f"unknown ASR event type {kind!r}")
