"""What replaying a case produced: per-turn and per-case results, JSON-ready.

Latencies are seconds of wall time from the end of the driver's speech (the
endpointer's end boundary in audio mode; the hand-over of the transcript in
``--transcripts`` mode) to the final transcript, the reply text and the first
synthesised reply audio. ``None`` means not measured (no audio, no TTS, or
the assistant said nothing on that turn).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assistant.replay.scoring import WordErrors


@dataclass(frozen=True, slots=True)
class Latency:
    """Seconds from end of speech to each milestone of one turn."""

    final: float | None = None
    reply_text: float | None = None
    reply_audio: float | None = None

    def to_json(self) -> dict[str, float | None]:
        """Milliseconds, rounded to 0.1 ms."""
        return {
            "final_ms": _ms(self.final),
            "reply_text_ms": _ms(self.reply_text),
            "reply_audio_ms": _ms(self.reply_audio),
        }


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


@dataclass(frozen=True, slots=True)
class TurnResult:
    """One utterance: what was heard and understood against what was expected."""

    index: int
    transcript: str
    heard: str
    expected_intent: str
    intent: str
    confidence: float
    expected_slots: dict[str, Any] = field(hash=False)
    slots: dict[str, Any] = field(hash=False)
    wrong_slots: tuple[str, ...] = ()
    words: WordErrors | None = None
    reply: str = ""
    latency: Latency = Latency()
    end_reason: str | None = None
    #: Seconds of recording the front end read (None in transcript mode).
    audio_seconds: float | None = None

    @property
    def intent_ok(self) -> bool:
        """The parser found the expected intent."""
        return self.intent == self.expected_intent

    @property
    def accepted(self) -> bool:
        """Command acceptance: the intent and every expected slot right."""
        return self.intent_ok and not self.wrong_slots

    def problems(self) -> list[str]:
        """Human-readable mismatches (empty when accepted)."""
        found = []
        if not self.intent_ok:
            found.append(f"intent {self.intent} (expected {self.expected_intent})")
        for name in self.wrong_slots:
            got = self.slots.get(name)
            found.append(
                f"slot {name}={_short(got)} (expected {_short(self.expected_slots[name])})"
            )
        return found

    def to_json(self) -> dict[str, Any]:
        """The turn as a JSON object (the JSONL report embeds these)."""
        return {
            "turn": self.index,
            "transcript": self.transcript,
            "heard": self.heard,
            "wer": None if self.words is None else round(self.words.rate, 4),
            "word_errors": None if self.words is None else self.words.errors,
            "reference_words": None if self.words is None else self.words.reference_words,
            "expected_intent": self.expected_intent,
            "intent": self.intent,
            "confidence": round(self.confidence, 3),
            "expected_slots": self.expected_slots,
            "slots": self.slots,
            "wrong_slots": list(self.wrong_slots),
            "accepted": self.accepted,
            "reply": self.reply,
            "end_reason": self.end_reason,
            "audio_s": None if self.audio_seconds is None else round(self.audio_seconds, 3),
            **self.latency.to_json(),
        }


def _short(value: Any) -> str:
    if isinstance(value, dict) and "candidates" in value:  # a contact resolution
        value = {k: value[k] for k in ("id", "query", "ambiguous") if k in value}
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass(frozen=True, slots=True)
class CaseResult:
    """A replayed case: its turns, or the error that stopped it."""

    id: str
    tags: dict[str, str] = field(hash=False)
    turns: tuple[TurnResult, ...] = ()
    error: str | None = None
    seconds: float = 0.0
    #: Turns and expected slots in the manifest; a case stopped by an error
    #: replayed fewer, and the ones it never reached count as wrong.
    planned_turns: int = 0
    planned_slots: int = 0
    #: Mismatches of the expected backend outcome; None when none was expected.
    outcome_problems: tuple[str, ...] | None = None

    @property
    def outcome_ok(self) -> bool | None:
        """Whether the backend saw what the case expects (None: not checked)."""
        if self.outcome_problems is None:
            return None
        return self.error is None and not self.outcome_problems

    @property
    def passed(self) -> bool:
        """Every turn accepted, the outcome right (if given) and no error."""
        return (
            self.error is None
            and all(t.accepted for t in self.turns)
            and self.outcome_ok is not False
        )

    def problems(self) -> list[str]:
        """'turn N: ...' lines for every mismatch, outcome mismatches, or the error."""
        if self.error is not None:
            return [self.error]
        found = [f"turn {t.index}: {p}" for t in self.turns for p in t.problems()]
        return found + [f"outcome: {p}" for p in self.outcome_problems or ()]

    def to_json(self) -> dict[str, Any]:
        """One line of the JSONL report."""
        return {
            "id": self.id,
            "tags": self.tags,
            "passed": self.passed,
            "error": self.error,
            "outcome_ok": self.outcome_ok,
            "outcome_problems": None
            if self.outcome_problems is None
            else list(self.outcome_problems),
            "seconds": round(self.seconds, 3),
            "turns": [t.to_json() for t in self.turns],
        }
