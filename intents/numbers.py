"""Numbers spoken as words or written as digits: "twenty one", "1st", "half".

The vocabulary comes from ``grammar/<locale>/numbers.yaml``; this module only
knows how English composes them (tens + units, "hundred", "thousand").
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

_ORDINAL_DIGITS = re.compile(r"^(\d+)(st|nd|rd|th)$")


@dataclass(frozen=True, slots=True)
class NumberWords:
    """Cardinal and ordinal vocabulary of one locale."""

    cardinals: Mapping[str, float]
    ordinals: Mapping[str, int]
    tens: frozenset[str]
    weak: frozenset[str]

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> NumberWords:
        """Build from the parsed ``numbers.yaml``."""
        return cls(
            cardinals={str(k): float(v) for k, v in data["cardinals"].items()},
            ordinals={str(k): int(v) for k, v in data["ordinals"].items()},
            tens=frozenset(data["tens"]),
            weak=frozenset(data["weak"]),
        )

    def cardinal(self, words: Sequence[str], i: int) -> tuple[float, int] | None:
        """Read a cardinal number at ``words[i]``: ``(value, index after it)``."""
        if i >= len(words):
            return None
        word = words[i]
        if word.isdigit():
            return float(word), i + 1
        if word not in self.cardinals or word in self.weak:
            return None
        return self._compose(words, i)

    def _compose(self, words: Sequence[str], i: int) -> tuple[float, int]:
        total, current, j = 0.0, 0.0, i
        while j < len(words):
            word = words[j]
            value = self.cardinals.get(word)
            if value is None or (word in self.weak and j > i):
                if (
                    word == "and"
                    and j > i
                    and (current >= 100 or total)
                    and _next_is_number(self, words, j)
                ):
                    j += 1
                    continue
                break
            if value == 100:
                current = max(current, 1) * 100
            elif value == 1000:
                total += max(current, 1) * 1000
                current = 0
            elif self._adds(current, value, words[j - 1]):
                current += value
            else:
                break
            j += 1
        return total + current, j

    def _adds(self, current: float, value: float, previous: str) -> bool:
        """Whether ``value`` extends the number so far ("twenty" + "one")."""
        if current == 0:
            return True
        if current % 100 == 0 and value < 100:
            return True  # "one hundred" + "thirty"
        return previous in self.tens and value < 10

    def ordinal(self, words: Sequence[str], i: int) -> tuple[int, int] | None:
        """Read an ordinal ("third", "3rd", "twenty first") at ``words[i]``."""
        if i >= len(words):
            return None
        word = words[i]
        digits = _ORDINAL_DIGITS.match(word)
        if digits:
            return int(digits.group(1)), i + 1
        if word in self.tens and i + 1 < len(words) and words[i + 1] in self.ordinals:
            unit = self.ordinals[words[i + 1]]
            if 0 < unit < 10:
                return int(self.cardinals[word]) + unit, i + 2
        if word in self.ordinals:
            return self.ordinals[word], i + 1
        return None


def _next_is_number(numbers: NumberWords, words: Sequence[str], j: int) -> bool:
    return j + 1 < len(words) and words[j + 1] in numbers.cardinals
