"""Scoring one turn: word errors of the transcript and the expected slots.

Expected slots are a subset of the parser's slots, compared on the JSON form
``drivetalk parse`` prints (:meth:`intents.result.ParseResult.to_json`):

* a text is compared case- and punctuation-insensitively;
* a contact slot (a resolution: ``{"id", "name", "ambiguous", ...}``)
  matches a string that is its directory id or display name, or a mapping
  whose every key matches (``{ambiguous: true}``, ``{query: li wei}``);
* a list (attendees) matches when every expected item matches some item;
* a time matches an ISO 8601 instant exactly, or a bare date
  (``2026-11-24``) by its local day; an expected ``end`` is also met by
  ``start + duration`` when the parser gave a duration instead;
* a flag or number must be equal; an absent flag counts as false.

Word errors come from jiwer on normalised text (same normalisation on both
sides), kept as edit counts so a corpus WER is total edits over total
reference words, not a mean of per-turn rates. Chinese is written without
spaces, so there every character counts as a word (the character error rate
usual for Mandarin recognition); Latin words in it stay words.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import jiwer

from assistant.scripts import HAN_CLASS

_NOT_WORD = re.compile(r"[^\w']+")
_HAN = re.compile(f"({HAN_CLASS})")
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def normalise(text: str) -> str:
    """Lower case, punctuation (but in-word apostrophes) to spaces, single spaces."""
    spaced = _HAN.sub(r" \1 ", text.lower().replace("\u2019", "'"))
    words = _NOT_WORD.sub(" ", spaced).split()
    return " ".join(w.strip("'") for w in words if w.strip("'"))


@dataclass(frozen=True, slots=True)
class WordErrors:
    """Edit counts of a hypothesis against a reference transcript."""

    substitutions: int
    deletions: int
    insertions: int
    reference_words: int

    @property
    def errors(self) -> int:
        """Total edits."""
        return self.substitutions + self.deletions + self.insertions

    @property
    def rate(self) -> float:
        """Word error rate of this pair."""
        return self.errors / self.reference_words if self.reference_words else 0.0


def word_errors(reference: str, hypothesis: str) -> WordErrors:
    """Word-level Levenshtein alignment (jiwer) of normalised texts."""
    ref, hyp = normalise(reference), normalise(hypothesis)
    if not ref:
        return WordErrors(0, 0, len(hyp.split()), 0)
    out = jiwer.process_words(ref, hyp)
    return WordErrors(out.substitutions, out.deletions, out.insertions, len(ref.split()))


def slot_errors(expected: Mapping[str, Any], actual: Mapping[str, Any]) -> list[str]:
    """Names of the expected slots the parser got wrong (or missed), in order."""
    return [name for name, want in expected.items() if not _slot_ok(name, want, actual)]


def _slot_ok(name: str, want: Any, actual: Mapping[str, Any]) -> bool:
    if name not in actual or actual[name] is None:
        if name == "end" and "start" in actual and "duration" in actual:
            return _matches(want, _end_from_duration(actual["start"], actual["duration"]))
        return want is None or want is False
    return _matches(want, actual[name])


def _end_from_duration(start: Any, minutes: Any) -> str | None:
    try:
        return (datetime.fromisoformat(str(start)) + timedelta(minutes=float(minutes))).isoformat()
    except (TypeError, ValueError):
        return None


def _matches(want: Any, got: Any) -> bool:
    if isinstance(want, Mapping):
        return isinstance(got, Mapping) and all(_matches(v, got.get(k)) for k, v in want.items())
    if isinstance(want, list):
        items = got if isinstance(got, list) else [got]
        return all(any(_matches(w, g) for g in items) for w in want)
    if isinstance(want, bool) or want is None:
        return got is want or (want is False and got is None)
    if isinstance(want, int | float):
        return isinstance(got, int | float) and not isinstance(got, bool) and abs(want - got) < 1e-6
    if isinstance(want, datetime | date):
        want = want.isoformat()
    return _text_matches(str(want), got)


def _text_matches(want: str, got: Any) -> bool:
    if isinstance(got, Mapping):  # a contact resolution: by id or name, never by query
        return got.get("id") is not None and normalise(want) in (
            normalise(str(got.get("id"))),
            normalise(str(got.get("name") or "")),
        )
    if isinstance(got, list):
        return any(_text_matches(want, g) for g in got)
    if got is None:
        return False
    return (
        _time_matches(want, str(got))
        if _looks_like_time(want)
        else (normalise(want) == normalise(str(got)))
    )


def _looks_like_time(text: str) -> bool:
    return bool(_DATE_ONLY.match(text)) or ("T" in text and text[:4].isdigit())


def _time_matches(want: str, got: str) -> bool:
    try:
        actual = datetime.fromisoformat(got)
        if _DATE_ONLY.match(want):
            return actual.date() == date.fromisoformat(want)
        expected = datetime.fromisoformat(want)
    except ValueError:
        return False
    if (expected.tzinfo is None) != (actual.tzinfo is None):
        return expected.replace(tzinfo=None) == actual.replace(tzinfo=None)
    return expected == actual


def outcome_errors(
    expected: Mapping[str, list[dict[str, Any]]], actual: Mapping[str, list[dict[str, Any]]]
) -> list[str]:
    """Mismatches between a case's expected and actual backend effects.

    Each kind given (``sent``, ``created``, ``cancelled``) must have exactly
    as many items as expected, each matching the expected subset in order.
    """
    problems = []
    for kind, wanted in expected.items():
        got = actual.get(kind, [])
        if len(got) != len(wanted):
            problems.append(f"{kind}: {len(got)} (expected {len(wanted)})")
            continue
        for number, (want, item) in enumerate(zip(wanted, got, strict=True), start=1):
            wrong = [key for key, value in want.items() if not _slot_ok(key, value, item)]
            if wrong:
                details = ", ".join(f"{k}={item.get(k)!r}" for k in wrong)
                problems.append(f"{kind} #{number}: {details}")
    return problems
