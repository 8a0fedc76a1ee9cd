"""Summary figures over replayed cases, overall and by tag, and release thresholds.

* **wer**: total word edits / total reference words over the turns replayed
  from audio (corpus WER; not measured in ``--transcripts`` mode);
  ``word_accuracy`` is ``1 - wer`` so every threshold is "at least".
* **intent_accuracy**: turns whose intent is right / turns in the manifest.
* **slot_accuracy**: expected slots found right / expected slots in the manifest.
* **command_acceptance**: turns with the intent and every expected slot right.
* **task_success**: cases whose backend outcome (messages sent, events
  created or cancelled: nothing, for a cancelled or out-of-domain request)
  is what the case expects / cases that declare an outcome.
* **case_pass_rate**: cases with every turn accepted, the outcome right and
  no error.
* latencies: p50, p95 and p99 over turns (seconds), ``None`` when none
  measured. The **reply latency** a gate holds is end of speech to the first
  reply audio when replies are synthesised, else to the reply text.

Turns a case never reached (it stopped on an error) count as wrong.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from assistant.config import REPLAY_FRACTION_METRICS
from assistant.errors import UserInputError
from assistant.replay.results import CaseResult, TurnResult

#: Metrics ``--fail-under`` accepts (all higher-is-better fractions).
THRESHOLD_METRICS = REPLAY_FRACTION_METRICS
LATENCY_NAMES = ("final", "reply_text", "reply_audio")


@dataclass(frozen=True, slots=True)
class Percentiles:
    """p50 / p95 / p99 of a latency, seconds, over ``count`` turns."""

    p50: float
    p95: float
    count: int
    p99: float = 0.0

    def at(self, percent: int) -> float:
        """The p50, p95 or p99 value."""
        value: float = getattr(self, f"p{percent}")
        return value


@dataclass(frozen=True, slots=True)
class Figures:
    """The summary of a set of case results."""

    cases: int
    turns: int
    errors: int
    wer: float | None
    intent_accuracy: float | None
    slot_accuracy: float | None
    command_acceptance: float | None
    task_success: float | None
    case_pass_rate: float | None
    latency: dict[str, Percentiles | None]

    @property
    def word_accuracy(self) -> float | None:
        """``1 - wer`` (None when no audio was replayed)."""
        return None if self.wer is None else 1.0 - self.wer

    @property
    def reply_latency(self) -> tuple[str, Percentiles | None]:
        """The latency a gate holds: to first reply audio if measured, else to reply text."""
        if self.latency.get("reply_audio") is not None:
            return "reply_audio", self.latency["reply_audio"]
        return "reply_text", self.latency.get("reply_text")

    def metric(self, name: str) -> float | None:
        """A threshold metric by name (a fraction, or ``latency_pNN_ms`` in milliseconds)."""
        if match := _LATENCY_METRIC.fullmatch(name):
            _which, p = self.reply_latency
            return None if p is None else p.at(int(match.group(1))) * 1000
        value: float | None = getattr(self, name)
        return value

    def to_json(self) -> dict[str, Any]:
        """JSON-ready summary (latencies in milliseconds)."""
        return {
            "cases": self.cases,
            "turns": self.turns,
            "errors": self.errors,
            "wer": _round(self.wer),
            **{name: _round(self.metric(name)) for name in THRESHOLD_METRICS},
            "latency_ms": {
                name: None
                if p is None
                else {
                    "p50": round(p.p50 * 1000, 1),
                    "p95": round(p.p95 * 1000, 1),
                    "p99": round(p.p99 * 1000, 1),
                    "n": p.count,
                }
                for name, p in self.latency.items()
            },
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def summarise(results: Sequence[CaseResult]) -> Figures:
    """Figures over ``results``."""
    turns = [t for r in results for t in r.turns]
    planned_turns = sum(max(r.planned_turns, len(r.turns)) for r in results)
    planned_slots = sum(
        max(r.planned_slots, sum(len(t.expected_slots) for t in r.turns)) for r in results
    )
    scored = [t.words for t in turns if t.words is not None]
    ref_words = sum(w.reference_words for w in scored)
    return Figures(
        cases=len(results),
        turns=planned_turns,
        errors=sum(1 for r in results if r.error is not None),
        wer=_ratio(sum(w.errors for w in scored), ref_words) if scored else None,
        intent_accuracy=_ratio(sum(t.intent_ok for t in turns), planned_turns),
        slot_accuracy=_ratio(
            sum(len(t.expected_slots) - len(t.wrong_slots) for t in turns), planned_slots
        ),
        command_acceptance=_ratio(sum(t.accepted for t in turns), planned_turns),
        task_success=_ratio(
            sum(r.outcome_ok is True for r in results),
            sum(r.outcome_ok is not None for r in results),
        ),
        case_pass_rate=_ratio(sum(r.passed for r in results), len(results)),
        latency={name: percentiles(_latencies(turns, name)) for name in LATENCY_NAMES},
    )


def _latencies(turns: Iterable[TurnResult], name: str) -> list[float]:
    values = (getattr(t.latency, name) for t in turns)
    return [v for v in values if v is not None]


def percentiles(values: Sequence[float]) -> Percentiles | None:
    """p50, p95 and p99 (linear interpolation), or None for no values."""
    if not values:
        return None
    p50, p95, p99 = np.percentile(np.asarray(values, dtype=float), [50, 95, 99])
    return Percentiles(float(p50), float(p95), len(values), float(p99))


def by_tag(results: Sequence[CaseResult]) -> dict[str, dict[str, Figures]]:
    """Figures per value of every tag key, e.g. ``{"snr": {"5": ..., "clean": ...}}``."""
    keys = sorted({k for r in results for k in r.tags})
    grouped: dict[str, dict[str, Figures]] = {}
    for key in keys:
        values = sorted({r.tags[key] for r in results if key in r.tags}, key=_natural)
        grouped[key] = {
            value: summarise([r for r in results if r.tags.get(key) == value]) for value in values
        }
    return grouped


def _natural(text: str) -> tuple[Any, ...]:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text))


# -- thresholds ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Threshold:
    """A release gate on one metric: at least ``bound`` (fractions), or at most (``upper``).

    ``--fail-under METRIC=VALUE`` and ``--min-accuracy`` give lower bounds;
    ``--max-wer`` and ``--max-latency-pNN-ms`` give upper bounds.
    """

    metric: str
    bound: float
    upper: bool = False

    @property
    def label(self) -> str:
        """``intent_accuracy>=0.95``, ``wer<=0.25``, ``latency_p95_ms<=900``."""
        return f"{self.metric}{'<=' if self.upper else '>='}{self.bound:g}"

    @property
    def title(self) -> str:
        """``wer <= 0.25``: the label spaced, as a JUnit test name."""
        return f"{self.metric} {'<=' if self.upper else '>='} {self.bound:g}"

    def check(self, figures: Figures) -> str | None:
        """None when met; otherwise the one-line reason."""
        value = figures.metric(self.metric)
        if value is None:
            return f"{self.metric} was not measured"
        if self.upper and value > self.bound + 1e-9:
            return f"{self._describe(figures, value)} is over {self._show(self.bound)}"
        if not self.upper and value + 1e-9 < self.bound:
            return f"{self._describe(figures, value)} is under {self._show(self.bound)}"
        return None

    def _describe(self, figures: Figures, value: float) -> str:
        if _LATENCY_METRIC.fullmatch(self.metric):
            which, _p = figures.reply_latency
            return f"{self.metric} (end of speech -> {LATENCY_LABELS[which]}) {value:.0f} ms"
        return f"{self.metric} {self._show(value)}"

    def _show(self, value: float) -> str:
        return f"{value:.0f} ms" if self.metric.endswith("_ms") else f"{value:.1%}"


#: What each latency measures up to, for messages.
LATENCY_LABELS = {
    "final": "final transcript",
    "reply_text": "reply text",
    "reply_audio": "first reply audio",
}
_LATENCY_METRIC = re.compile(r"latency_p(50|95|99)_ms")
#: Upper-bound metrics: WER and the reply latency percentiles.
UPPER_METRICS = ("wer", "latency_p50_ms", "latency_p95_ms", "latency_p99_ms")


def parse_threshold(text: str) -> Threshold:
    """``METRIC=VALUE`` with VALUE a fraction (0.9) or a percentage (90%)."""
    name, sep, raw = text.partition("=")
    name = name.strip().replace("-", "_")
    if not sep or not raw.strip():
        raise UserInputError(f"--fail-under takes METRIC=VALUE, not {text!r}")
    if name == "wer":
        raise UserInputError(
            "--fail-under wer: use word_accuracy (= 1 - WER), e.g. 0.85, or --max-wer 0.15"
        )
    return lower_bound(name, fraction(f"--fail-under {name}", raw))


def lower_bound(name: str, value: float) -> Threshold:
    """``name >= value`` for a fraction metric; UserInputError for an unknown one."""
    if name not in THRESHOLD_METRICS:
        raise UserInputError(f"unknown metric {name!r} (one of {', '.join(THRESHOLD_METRICS)})")
    return Threshold(name, value)


def fraction(what: str, raw: str) -> float:
    """A fraction (0.9) or a percentage (90%) between 0 and 1; UserInputError otherwise."""
    raw = raw.strip()
    try:
        value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError:
        raise UserInputError(f"{what}: {raw!r} is not a number") from None
    if not math.isfinite(value) or not 0.0 <= value <= 1.0:
        raise UserInputError(f"{what}: {raw} is not between 0 and 1 (or 0% and 100%)")
    return value
