"""Back-off n-gram models: estimation, mixing and the ARPA files pocketsphinx reads."""

from __future__ import annotations

import io
import math
from pathlib import Path

import pytest

from assistant.asr.arpa import BOS, EOS, GAP, BackoffModel, estimate, mix, write_arpa

CORPUS = [
    ("send", "a", "message", "to", "li", "na"),
    ("send", "a", "message", "to", "zhang", "san"),
    ("read", "my", "messages"),
    ("yes",),
    ("no",),
    ("send", "a", "message", "saying", GAP),
]


def _total(model: BackoffModel, history: tuple[str, ...]) -> float:
    words = [w for w in model.unigrams if w != BOS]
    if len(history) == 2:
        return sum(model.trigram(*history, w) for w in words)
    if len(history) == 1:
        return sum(model.bigram(history[0], w) for w in words)
    return sum(model.unigram(w) for w in words)


@pytest.mark.parametrize(
    "history", [(), ("send",), ("a",), ("to",), (BOS, "send"), ("a", "message")]
)
def test_every_history_of_an_estimated_model_is_a_distribution(history: tuple[str, ...]) -> None:
    assert _total(estimate(CORPUS), history) == pytest.approx(1.0, abs=1e-6)


def test_no_ngram_spans_free_text() -> None:
    model = estimate(CORPUS)
    assert GAP not in model.unigrams
    assert not [g for g in (*model.bigrams, *model.trigrams) if GAP in g]


def test_seen_continuations_are_likelier_than_unseen_ones() -> None:
    model = estimate(CORPUS)
    assert model.trigram("message", "to", "li") > model.trigram("message", "to", "messages")
    assert model.bigram(BOS, "send") > model.bigram(BOS, "li")


class _Uniform:
    """A general model that knows a larger vocabulary, uniformly."""

    def __init__(self, words: list[str]) -> None:
        self.words = words

    def unigram(self, word: str) -> float:
        return 1 / len(self.words) if word in self.words else 1e-12

    def bigram(self, history: str, word: str) -> float:
        return self.unigram(word)

    def trigram(self, first: str, second: str, word: str) -> float:
        return self.unigram(word)


GENERAL = ["the", "report", "is", "ready", "late", "i'll", "be", EOS]


@pytest.mark.parametrize("history", [(), ("saying",), ("send",), ("a", "message"), ("the",)])
def test_a_mix_is_still_a_distribution(history: tuple[str, ...]) -> None:
    mixed = mix(estimate(CORPUS), _Uniform(GENERAL), 0.8, words=GENERAL, pairs=[("the", "report")])
    assert _total(mixed, history) == pytest.approx(1.0, abs=1e-6)


def test_the_mix_keeps_dictation_words_and_domain_odds() -> None:
    domain = estimate(CORPUS)
    mixed = mix(domain, _Uniform(GENERAL), 0.8, words=GENERAL)
    assert mixed.unigram("report") > 0.01  # free dictation is possible after "saying"
    assert mixed.trigram("message", "to", "li") > mixed.trigram("message", "to", "report")


def test_the_domain_weight_must_be_a_share() -> None:
    with pytest.raises(ValueError, match="weight"):
        mix(estimate(CORPUS), _Uniform(GENERAL), 0.0, words=GENERAL)


def test_pocketsphinx_reads_the_written_model_with_the_same_odds(tmp_path: Path) -> None:
    pocketsphinx = pytest.importorskip("pocketsphinx")
    model = estimate(CORPUS)
    text = io.StringIO()
    write_arpa(model, text)
    path = tmp_path / "lm.arpa"
    path.write_text(text.getvalue(), encoding="utf-8")
    loaded = pocketsphinx.NGramModel.readfile(str(path))
    # pocketsphinx takes the word first and its history reversed, in log base 1.0001.
    score = loaded.prob(["li", "to", "message"])
    assert math.exp(score * math.log(1.0001)) == pytest.approx(
        model.trigram("message", "to", "li"), rel=0.01
    )
