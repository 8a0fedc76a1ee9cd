"""Back-off n-gram language models in Python: estimating, mixing, writing ARPA.

A domain model is estimated from generated sentences (Witten-Bell
interpolated trigrams, exact for a corpus of this size) and linearly mixed
with a general model (any :class:`Scorer`), so that the phrases of the
grammar are likely while free dictation (message bodies) keeps the general
model's odds. Probabilities are plain floats inside; ARPA writes log10.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import IO, Any, Protocol

BOS, EOS = "<s>", "</s>"
#: Stands for free text in a training sentence; no n-gram spans it.
GAP = "<gap>"
#: Probability floor for words a component gives no mass to.
_FLOOR = 1e-12


@dataclass(frozen=True, slots=True)
class BackoffModel:
    """A back-off model up to trigrams: probabilities and back-off weights (not logs)."""

    unigrams: Mapping[str, float]
    bigrams: Mapping[tuple[str, str], float]
    trigrams: Mapping[tuple[str, str, str], float]
    backoff1: Mapping[str, float]
    backoff2: Mapping[tuple[str, str], float]

    def unigram(self, word: str) -> float:
        """P(word)."""
        return self.unigrams.get(word, _FLOOR)

    def bigram(self, history: str, word: str) -> float:
        """P(word | history), backing off to the unigram."""
        found = self.bigrams.get((history, word))
        if found is not None:
            return found
        return self.backoff1.get(history, 1.0) * self.unigram(word)

    def trigram(self, first: str, second: str, word: str) -> float:
        """P(word | first second), backing off to the bigram."""
        found = self.trigrams.get((first, second, word))
        if found is not None:
            return found
        return self.backoff2.get((first, second), 1.0) * self.bigram(second, word)


def estimate(sentences: Iterable[tuple[str, ...]]) -> BackoffModel:
    """A Witten-Bell interpolated trigram model of ``sentences`` (tuples of words).

    A :data:`GAP` word splits a sentence: no n-gram contains it.
    """
    counts: list[Counter[tuple[str, ...]]] = [Counter(), Counter(), Counter()]
    for sentence in sentences:
        padded = (BOS, *sentence, EOS)
        for order in range(3):
            for i in range(len(padded) - order):
                gram = padded[i : i + order + 1]
                if gram == (BOS,) or GAP in gram:
                    continue
                counts[order][gram] += 1
    total = sum(counts[0].values())
    unigrams = {g[0]: c / total for g, c in counts[0].items()}
    unigrams[BOS] = _FLOOR
    bigrams = _witten_bell(counts[1], lambda h, w: unigrams.get(w, _FLOOR))
    trigrams = _witten_bell(counts[2], lambda h, w: _lookup_bigram(bigrams, unigrams, h[-1], w))
    partial = BackoffModel(unigrams, bigrams, trigrams, {}, {})
    backoff1 = _backoffs(bigrams, lambda h, w: partial.unigram(w))
    with_b1 = BackoffModel(unigrams, bigrams, trigrams, backoff1, {})
    backoff2 = _backoffs(trigrams, lambda h, w: with_b1.bigram(h[-1], w))
    return BackoffModel(unigrams, bigrams, trigrams, backoff1, backoff2)


def _lookup_bigram(
    bigrams: Mapping[tuple[str, ...], float], unigrams: Mapping[str, float], h: str, w: str
) -> float:
    return bigrams.get((h, w)) or unigrams.get(w, _FLOOR)


def _witten_bell(counts: Counter[tuple[str, ...]], lower: Any) -> dict[Any, float]:
    """P(w|h) = (c(h,w) + T(h) P_lower(w|h')) / (c(h) + T(h)) for seen (h, w)."""
    by_history: dict[tuple[str, ...], dict[str, int]] = defaultdict(dict)
    for gram, count in counts.items():
        by_history[gram[:-1]][gram[-1]] = count
    probs: dict[Any, float] = {}
    for history, followers in by_history.items():
        seen = sum(followers.values())
        types = len(followers)
        for word, count in followers.items():
            probs[(*history, word)] = (count + types * lower(history, word)) / (seen + types)
    return probs


def _backoffs(listed: Mapping[Any, float], lower: Any) -> dict[Any, float]:
    """Back-off weights that make each history's distribution sum to one."""
    mass: dict[Any, float] = defaultdict(float)
    lower_mass: dict[Any, float] = defaultdict(float)
    for gram, p in listed.items():
        history = gram[:-1] if len(gram) > 2 else gram[0]
        mass[history] += p
        lower_mass[history] += lower(gram[:-1], gram[-1])
    return {
        h: max(1e-9, 1.0 - mass[h]) / max(1e-9, 1.0 - min(lower_mass[h], 1.0 - 1e-9)) for h in mass
    }


class Scorer(Protocol):
    """A language model that can be asked n-gram probabilities (not logs)."""

    def unigram(self, word: str) -> float:
        """P(word)."""

    def bigram(self, history: str, word: str) -> float:
        """P(word | history)."""

    def trigram(self, first: str, second: str, word: str) -> float:
        """P(word | first second)."""


def mix(
    domain: BackoffModel,
    general: Scorer,
    weight: float,
    *,
    words: Iterable[str],
    pairs: Iterable[tuple[str, str]] = (),
) -> BackoffModel:
    """``weight`` x domain + (1 - weight) x general, as one back-off model over ``words``.

    Listed: the domain's n-grams, plus the general model's bigrams ``pairs``
    (common word pairs of free dictation); each probability is interpolated
    with the other side's (which backs off as it must), and back-off
    weights are recomputed so that the mix normalizes.
    """
    if not 0.0 < weight <= 1.0:
        raise ValueError("the domain weight must be in (0, 1]")
    vocabulary = set(words) | set(domain.unigrams)
    raw = {w: weight * domain.unigram(w) + (1 - weight) * general.unigram(w) for w in vocabulary}
    raw[BOS] = _FLOOR
    total = sum(raw.values())
    unigrams = {w: p / total for w, p in raw.items()}
    listed = set(domain.bigrams) | {p for p in pairs if p[0] in unigrams and p[1] in unigrams}
    bigrams = {
        (h, w): weight * domain.bigram(h, w) + (1 - weight) * general.bigram(h, w)
        for h, w in listed
    }
    partial = BackoffModel(unigrams, bigrams, {}, {}, {})
    backoff1 = _backoffs(bigrams, lambda h, w: partial.unigram(w))
    with_b1 = BackoffModel(unigrams, bigrams, {}, backoff1, {})
    trigrams = {
        (a, b, w): weight * domain.trigram(a, b, w) + (1 - weight) * general.trigram(a, b, w)
        for a, b, w in domain.trigrams
    }
    backoff2 = _backoffs(trigrams, lambda h, w: with_b1.bigram(h[-1], w))
    return BackoffModel(unigrams, bigrams, trigrams, backoff1, backoff2)


def write_arpa(model: BackoffModel, out: IO[str]) -> None:
    """Write ``model`` in ARPA format (log10 probabilities and back-offs)."""
    out.write("\\data\\\n")
    out.write(f"ngram 1={len(model.unigrams)}\n")
    out.write(f"ngram 2={len(model.bigrams)}\n")
    if model.trigrams:
        out.write(f"ngram 3={len(model.trigrams)}\n")
    out.write("\n\\1-grams:\n")
    for word, p in sorted(model.unigrams.items()):
        bo = model.backoff1.get(word)
        out.write(f"{_log(p):.5f}\t{word}" + (f"\t{_log(bo):.5f}\n" if bo is not None else "\n"))
    out.write("\n\\2-grams:\n")
    for (h, w), p in sorted(model.bigrams.items()):
        bo = model.backoff2.get((h, w)) if model.trigrams else None
        tail = f"\t{_log(bo):.5f}" if bo is not None else ""
        out.write(f"{_log(p):.5f}\t{h} {w}{tail}\n")
    if model.trigrams:
        out.write("\n\\3-grams:\n")
        for gram, p in sorted(model.trigrams.items()):
            out.write(f"{_log(p):.5f}\t{' '.join(gram)}\n")
    out.write("\n\\end\\\n")


def _log(p: float) -> float:
    return math.log10(max(p, _FLOOR))
