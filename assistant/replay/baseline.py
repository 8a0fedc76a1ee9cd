"""``--baseline RESULTS``: the cases that got worse since a previous replay.

RESULTS is what ``--jsonl`` wrote (case lines and a summary line), or one
JSON object with a ``cases`` list of the same case objects. A case regressed
when, compared with its line in RESULTS:

* it passed then and fails now;
* its slowest reply (end of speech to the first reply audio, or to the reply
  text when either run had no audio) grew by more than the latency tolerance
  (milliseconds) *and* by more than :data:`LATENCY_GROWTH` of what it was,
  so a noisy shared machine does not flag a 3 ms case that took 5;
* its word error rate (audio mode) rose by more than the WER tolerance.

Cases that are new, or that the baseline failed and now pass, are listed
too, but are no regression.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import InputFileError
from assistant.replay.results import CaseResult

#: A latency regression must also be this fraction above the baseline's value.
LATENCY_GROWTH = 0.25
DEFAULT_LATENCY_TOLERANCE_MS = 100.0
DEFAULT_WER_TOLERANCE = 0.05


@dataclass(frozen=True, slots=True)
class Tolerance:
    """How much worse a case may get before it counts as regressed."""

    latency_ms: float = DEFAULT_LATENCY_TOLERANCE_MS
    wer: float = DEFAULT_WER_TOLERANCE


@dataclass(frozen=True, slots=True)
class Regression:
    """One case that got worse, and how."""

    id: str
    reasons: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """``{"id": ..., "reasons": [...]}``."""
        return {"id": self.id, "reasons": list(self.reasons)}


@dataclass(frozen=True, slots=True)
class Comparison:
    """A replay against its baseline."""

    path: Path
    regressions: tuple[Regression, ...]
    #: Failed in the baseline, pass now.
    fixed: tuple[str, ...] = ()
    #: Not in the baseline.
    new: tuple[str, ...] = ()

    @property
    def verdict(self) -> str | None:
        """None without regressions; else the one-line reason the gate fails."""
        if not self.regressions:
            return None
        count = len(self.regressions)
        ids = ", ".join(r.id for r in self.regressions[:10])
        more = f" and {count - 10} more" if count > 10 else ""
        return f"{count} case{'' if count == 1 else 's'} regressed: {ids}{more}"

    def to_json(self) -> dict[str, Any]:
        """The comparison as the JSONL summary embeds it."""
        return {
            "path": str(self.path),
            "regressions": [r.to_json() for r in self.regressions],
            "fixed": list(self.fixed),
            "new": list(self.new),
        }


def load_baseline(path: Path) -> dict[str, Mapping[str, Any]]:
    """The case objects of a previous results file by id; InputFileError when unusable."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = getattr(exc, "strerror", None) or exc
        raise InputFileError(f"cannot read baseline {path}: {why}") from None
    cases = _cases(path, text)
    if not cases:
        raise InputFileError(f"baseline {path} holds no case results (write one with --jsonl)")
    return cases


def _cases(path: Path, text: str) -> dict[str, Mapping[str, Any]]:
    try:
        whole = json.loads(text)
    except json.JSONDecodeError:
        rows = [_line(path, number, line) for number, line in _lines(text)]
    else:
        if isinstance(whole, dict) and "type" in whole:  # JSONL of one line
            whole = {"cases": [whole]}
        if not isinstance(whole, dict) or not isinstance(whole.get("cases"), list):
            raise InputFileError(
                f"baseline {path} is neither replay JSONL nor an object with a 'cases' list"
            )
        rows = [{"type": "case", **c} for c in whole["cases"] if isinstance(c, dict)]
    found: dict[str, Mapping[str, Any]] = {}
    for row in rows:
        if row.get("type", "case") != "case":
            continue
        if not isinstance(row.get("id"), str) or not isinstance(row.get("passed"), bool):
            raise InputFileError(f"baseline {path}: a case line needs an 'id' and 'passed'")
        found[row["id"]] = row
    return found


def _lines(text: str) -> list[tuple[int, str]]:
    return [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]


def _line(path: Path, number: int, line: str) -> dict[str, Any]:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputFileError(f"baseline {path}:{number}: not JSON ({exc.msg})") from None
    if not isinstance(row, dict):
        raise InputFileError(f"baseline {path}:{number}: not a JSON object")
    return row


def compare(
    path: Path,
    before: Mapping[str, Mapping[str, Any]],
    results: Sequence[CaseResult],
    tolerance: Tolerance = Tolerance(),
) -> Comparison:
    """Every case of ``results`` that regressed against ``before``."""
    regressions, fixed, new = [], [], []
    for result in results:
        old = before.get(result.id)
        if old is None:
            new.append(result.id)
            continue
        now = result.to_json()
        reasons = _reasons(old, now, result, tolerance)
        if reasons:
            regressions.append(Regression(result.id, tuple(reasons)))
        elif result.passed and not old["passed"]:
            fixed.append(result.id)
    return Comparison(path, tuple(regressions), tuple(fixed), tuple(new))


def _reasons(
    old: Mapping[str, Any], now: Mapping[str, Any], result: CaseResult, tolerance: Tolerance
) -> list[str]:
    reasons = []
    if old["passed"] and not result.passed:
        problems = result.problems()
        reasons.append("passed before, fails now" + (f": {problems[0]}" if problems else ""))
    reasons += _latency_reason(old, now, tolerance.latency_ms)
    was, is_ = case_wer(old), case_wer(now)
    if was is not None and is_ is not None and is_ - was > tolerance.wer + 1e-9:
        reasons.append(f"WER {is_:.1%} (was {was:.1%})")
    return reasons


def _latency_reason(
    old: Mapping[str, Any], now: Mapping[str, Any], tolerance_ms: float
) -> list[str]:
    key = "reply_audio_ms" if _slowest(old, "reply_audio_ms") is not None else "reply_text_ms"
    if _slowest(now, key) is None:
        key = "reply_text_ms"
    was, is_ = _slowest(old, key), _slowest(now, key)
    if was is None or is_ is None:
        return []
    if is_ - was > tolerance_ms and is_ > was * (1 + LATENCY_GROWTH):
        what = "first reply audio" if key == "reply_audio_ms" else "reply text"
        return [f"slowest {what} {is_:.0f} ms (was {was:.0f} ms)"]
    return []


def _slowest(case: Mapping[str, Any], key: str) -> float | None:
    values = [t.get(key) for t in case.get("turns") or () if isinstance(t, Mapping)]
    numbers = [float(v) for v in values if isinstance(v, int | float)]
    return max(numbers) if numbers else None


def case_wer(case: Mapping[str, Any]) -> float | None:
    """Word edits / reference words over a case object's turns (None: not from audio)."""
    turns = [t for t in case.get("turns") or () if isinstance(t, Mapping)]
    scored = [t for t in turns if isinstance(t.get("word_errors"), int)]
    words = sum(int(t.get("reference_words") or 0) for t in scored)
    return sum(int(t["word_errors"]) for t in scored) / words if scored and words else None
