"""Relative moves: "postpone the review by an hour", "push my 3 o'clock back a day",
"bring the sales meeting forward by 30 minutes", "move my 10 am an hour later".

The amount becomes the ``shift`` slot of a move, in signed minutes (later is
positive), which the dialog adds to the meeting's own start. Found on the
words of a move before its time phrases are read, so "by 15 minutes" is never
a clock time of 15:00.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from intents.numbers import NumberWords

_UNITS = {
    "minute": 1,
    "minutes": 1,
    "min": 1,
    "mins": 1,
    "hour": 60,
    "hours": 60,
    "hr": 60,
    "hrs": 60,
    "day": 24 * 60,
    "days": 24 * 60,
    "week": 7 * 24 * 60,
    "weeks": 7 * 24 * 60,
}
_EARLIER = frozenset({"earlier", "sooner", "forward", "ahead", "up"})
_LATER = frozenset({"later", "back", "out"})
_ARTICLES = frozenset({"a", "an", "one"})


@dataclass(frozen=True, slots=True)
class Shift:
    """A relative move: ``minutes`` (later positive), its amount said by ``words[start:end]``."""

    minutes: int
    start: int
    end: int
    #: Whether the words said which way ("later", "forward"); "by an hour" alone did not.
    directed: bool = True


def find_shift(numbers: NumberWords, words: Sequence[str]) -> Shift | None:
    """The relative move said in ``words``, or None."""
    for i in range(len(words)):
        found = _amount(numbers, words, i)
        if found is None:
            continue
        minutes, after = found
        lo = i - 1 if i > 0 and words[i - 1] == "by" else i
        direction_lo = lo - 1 if lo > 0 and words[lo - 1] in _EARLIER | _LATER else None
        direction_hi = after if after < len(words) and words[after] in _EARLIER | _LATER else None
        if lo == i and direction_lo is None and direction_hi is None:
            continue  # "in 20 minutes", "for an hour": no move by an amount
        # The span is the amount only: "back", "forward" stay for the grammar.
        sign = _sign(words, direction_lo, direction_hi)
        directed = direction_lo is not None or direction_hi is not None or _forward(words)
        return Shift(sign * minutes, lo, after, directed)
    return None


def _amount(numbers: NumberWords, words: Sequence[str], i: int) -> tuple[int, int] | None:
    """ "an hour", "half an hour", "two days", "90 minutes": (minutes, index after)."""
    if words[i] == "half" and tuple(words[i + 1 : i + 3]) == ("an", "hour"):
        return 30, i + 3
    if tuple(words[i : i + 2]) == ("a", "couple") and i + 3 < len(words):
        count, j = 2.0, i + 3 if words[i + 2] == "of" else i + 2
    elif words[i] in _ARTICLES:
        count, j = 1.0, i + 1
    else:
        read = numbers.cardinal(words, i)
        if read is None:
            return None
        count, j = read
    if j >= len(words) or words[j] not in _UNITS:
        return None
    minutes = count * _UNITS[words[j]]
    if tuple(words[j + 1 : j + 4]) == ("and", "a", "half"):
        return round(minutes * 1.5), j + 4
    return round(minutes), j + 1


def _sign(words: Sequence[str], lo: int | None, hi: int | None) -> int:
    for index in (hi, lo):
        if index is not None:
            return -1 if words[index] in _EARLIER else 1
    if _forward(words):
        return -1  # "bring the review forward by an hour"
    return 1  # "postpone/delay/move ... by an hour": later unless said otherwise


def _forward(words: Sequence[str]) -> bool:
    return any(w in ("forward", "earlier", "sooner") for w in words)
