"""Pinyin as an English recogniser writes it, read back into pinyin.

A recogniser that does not know "Zhang Ruitao" writes what it hears in
English spelling: "jung rwaytao". Each pinyin syllable is heard as its
initial and its final, each possibly respelled (``heard_pinyin`` in
``phonetics.yaml``: zh -> j, x -> sh or s, q -> ch; ui -> way, ei -> ay,
ao -> ow, ...), and the words of the name may be split or glued anywhere
(a given name in two words, or surname and given name run together).

:class:`HeardPinyin` inverts that model: every respelled form of every
syllable is known in advance, a heard word is cut into such forms (every
cut, not only the shortest), and each cut is read back as the pinyin it may
stand for, weighted by how many respellings it needed. The result is a
handful of *glued* pinyin strings ("zhangruitao") with weights; the
directory index looks them up exactly. Word boundaries are ignored on
purpose: a recogniser puts them anywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from itertools import product
from typing import Any

#: Cuts of one heard word kept (the fewest syllables first).
MAX_CUTS = 6
#: Readings of one word, and of a whole name, kept (the likeliest first).
MAX_WORD_READINGS = 12
MAX_READINGS = 24
#: Letters of a heard word beyond which it is not a name.
MAX_LETTERS = 30


class HeardPinyin:
    """Reads English-spelled pinyin back as weighted pinyin (see the module)."""

    def __init__(
        self,
        data: Mapping[str, Any],
        syllables: Iterable[str],
        parts: Callable[[str], tuple[str, str]],
    ) -> None:
        self.respelled = float(data.get("respelled", 0.96))
        self._forms = self._inventory(data, syllables, parts)
        self._longest = max((len(f) for f in self._forms), default=0)
        self.word_readings = lru_cache(maxsize=100_000)(self._word_readings)

    def _inventory(
        self,
        data: Mapping[str, Any],
        syllables: Iterable[str],
        parts: Callable[[str], tuple[str, str]],
    ) -> dict[str, tuple[tuple[str, float], ...]]:
        """Each heard form -> the syllables it may be, with their weights."""
        initials = {str(k): [str(v) for v in vs] for k, vs in (data.get("initials") or {}).items()}
        finals = [(str(k), [str(v) for v in vs]) for k, vs in (data.get("finals") or {}).items()]
        glides = frozenset(str(h) for h in data.get("glide_dropped") or ())
        forms: dict[str, dict[str, float]] = {}
        for syllable in syllables:
            initial, final = parts(syllable)
            heads = [(initial, 1.0)] + [(h, self.respelled) for h in initials.get(initial, ())]
            tails = [(final, 1.0)]
            for old, news in finals:
                if final.endswith(old):
                    stem = final[: -len(old)]
                    tails.extend((stem + new, self.respelled) for new in news)
            for (head, w1), (tail, w2) in product(heads, tails):
                spellings = [(head + tail, w1 * w2)]
                if head in glides and len(tail) > 1 and tail[0] == "i" and tail[1] in "aeou":
                    # xiao heard "shao", qiang "chang": the glide goes with the initial
                    spellings.append((head + tail[1:], w1 * w2 * self.respelled))
                for form, weight in spellings:
                    known = forms.setdefault(form, {})
                    known[syllable] = max(weight, known.get(syllable, 0.0))
        return {
            form: tuple(sorted(options.items(), key=lambda item: (-item[1], item[0])))
            for form, options in forms.items()
        }

    def readings(self, words: Sequence[str]) -> dict[str, float]:
        """Glued pinyin the heard ``words`` may stand for, with weights in (0, 1].

        Empty unless every word reads as pinyin (an English name, or a word
        of the message, is not looked up this way).
        """
        found: dict[str, float] = {"": 1.0}
        for word in words:
            options = self.word_readings(word)
            if not options:
                return {}
            joined: dict[str, float] = {}
            for (head, w1), (tail, w2) in product(found.items(), options):
                glued, weight = head + tail, w1 * w2
                if weight > joined.get(glued, 0.0):
                    joined[glued] = weight
            found = dict(sorted(joined.items(), key=lambda item: -item[1])[:MAX_READINGS])
        return found

    def _word_readings(self, word: str) -> tuple[tuple[str, float], ...]:
        """The pinyin one heard word may be, likeliest first (cached per word)."""
        if not word.isascii() or not word.isalpha() or len(word) > MAX_LETTERS:
            return ()
        found: dict[str, float] = {}
        for cut in self._cuts(word):
            choices = [self._forms[piece] for piece in cut]
            for picked in product(*choices):
                glued = "".join(s for s, _ in picked)
                weight = 1.0
                for _, w in picked:
                    weight *= w
                if weight > found.get(glued, 0.0):
                    found[glued] = weight
        ranked = sorted(found.items(), key=lambda item: (-item[1], item[0]))
        return tuple(ranked[:MAX_WORD_READINGS])

    def _cuts(self, word: str) -> list[tuple[str, ...]]:
        """Ways to cut ``word`` into heard forms, the fewest pieces first.

        Only the first piece may start with a vowel (pinyin writes an
        apostrophe before any other, and a recogniser hears a new syllable
        at a consonant).
        """
        ends: list[list[tuple[str, ...]]] = [[] for _ in range(len(word) + 1)]
        ends[0] = [()]
        for start in range(len(word)):
            if not ends[start]:
                continue
            for end in range(start + 1, min(len(word), start + self._longest) + 1):
                piece = word[start:end]
                if piece not in self._forms or (start and piece[0] in "aeiou"):
                    continue
                grown = ends[end] + [(*cut, piece) for cut in ends[start]]
                ends[end] = sorted(grown, key=len)[:MAX_CUTS]
        return ends[len(word)]
