"""Sound keys for names: spelling rules for English ears, then metaphone.

``phonetics.yaml`` rewrites pinyin spellings the way an English recogniser
would write what it heard ("zhang" -> "jang", "xiao" -> "shiao"), then
jellyfish's metaphone collapses the rest (vowels, doubled letters). Keys are
cached per word: a 100,000-person directory has far fewer distinct words.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import jellyfish

_VOWEL_GROUP = re.compile(r"[aeiouy]+")


class SoundKeys:
    """Computes per-word phonetic keys with a locale's spelling rules."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._rules = tuple((re.compile(p), r) for p, r in data["rules"])
        self.word_key = lru_cache(maxsize=200_000)(self._word_key)

    def _word_key(self, word: str) -> str:
        spelled = word
        for pattern, replacement in self._rules:
            spelled = pattern.sub(replacement, spelled)
        if not spelled.isalpha():
            return spelled
        # Metaphone drops vowels, but pinyin syllables differ mostly by their
        # vowels (xue / chao / xiao): keep the vowel groups as a suffix.
        vowels = "".join(_VOWEL_GROUP.findall(spelled)) or "-"
        return (jellyfish.metaphone(spelled) or spelled).upper() + vowels

    def name_key(self, words: Sequence[str]) -> str:
        """The key of a whole name: its word keys joined by spaces."""
        return " ".join(self.word_key(w) for w in words)
