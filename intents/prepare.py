"""Clean an utterance before matching: hesitations, wake words, slips.

Driven by ``speech.yaml``: words dropped anywhere ("uh"), frames stripped
from the ends ("hey siri", "can you", "please"), recogniser slips respelled
("remainder" -> "reminder"). A second, fuzzy pass maps words the grammar
does not know onto grammar words that are spelled almost the same
(rapidfuzz), for misrecognised keywords ("calandar", "mesage").
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz, process

from intents.text import Tokens

#: Minimum similarity (0-100) for the fuzzy keyword correction.
FUZZY_CUTOFF = 82
#: Words shorter than this are never corrected (too many near neighbours).
FUZZY_MIN_LENGTH = 5


class Preparer:
    """Applies the speech rules and the fuzzy keyword correction."""

    def __init__(self, speech: Mapping[str, Any], vocabulary: frozenset[str]) -> None:
        self._drop = frozenset(speech.get("drop_anywhere", ()))
        self._prefixes = _by_length(speech.get("strip_prefix", ()))
        self._suffixes = _by_length(speech.get("strip_suffix", ()))
        self._respell = {k: tuple(str(v).split()) for k, v in (speech.get("respell") or {}).items()}
        self._vocabulary = vocabulary
        self._by_initial: dict[str, list[str]] = {}
        for word in sorted(vocabulary):
            if len(word) >= FUZZY_MIN_LENGTH - 1:
                self._by_initial.setdefault(word[0], []).append(word)
        self.correct_word = lru_cache(maxsize=20_000)(self._correct_word)

    def clean(self, tokens: Tokens) -> Tokens:
        """Drop hesitations, respell slips, strip frames at both ends."""
        keep = {i for i, w in enumerate(tokens.words) if w in self._drop}
        tokens = tokens.without(keep)
        tokens = self._respelled(tokens)
        return self._strip(tokens)

    def _respelled(self, tokens: Tokens) -> Tokens:
        if not any(w in self._respell for w in tokens.words):
            return tokens
        words: list[str] = []
        spans: list[tuple[int, int]] = []
        for word, span in zip(tokens.words, tokens.spans, strict=True):
            for part in self._respell.get(word, (word,)):
                words.append(part)
                spans.append(span)
        return Tokens(tokens.original, tuple(words), tuple(spans))

    def _strip(self, tokens: Tokens) -> Tokens:
        words = tokens.words
        lo, hi = 0, len(words)
        changed = True
        while changed and lo < hi:
            changed = False
            for phrase in self._prefixes:
                if hi - lo > len(phrase) and words[lo : lo + len(phrase)] == phrase:
                    lo, changed = lo + len(phrase), True
                    break
            for phrase in self._suffixes:
                if hi - lo > len(phrase) and words[hi - len(phrase) : hi] == phrase:
                    hi, changed = hi - len(phrase), True
                    break
        return tokens.slice(lo, hi)

    def corrected(self, tokens: Tokens) -> Tokens | None:
        """Tokens with unknown words mapped to close grammar words, or None."""
        words = tuple(self.correct_word(w) for w in tokens.words)
        return tokens.replace_words(words) if words != tokens.words else None

    def _correct_word(self, word: str) -> str:
        if len(word) < FUZZY_MIN_LENGTH or word in self._vocabulary or not word.isalpha():
            return word
        # Recognisers rarely get the first sound wrong; "seven" is not "event".
        best = process.extractOne(
            word,
            self._by_initial.get(word[0], ()),
            scorer=fuzz.ratio,
            score_cutoff=FUZZY_CUTOFF,
        )
        return str(best[0]) if best else word


def _by_length(phrases: Any) -> tuple[tuple[str, ...], ...]:
    return tuple(sorted((tuple(str(p).split()) for p in phrases), key=len, reverse=True))
