"""The pocketsphinx engine's domain language model, built in Python and cached.

Rhasspy's recipe: sentences generated from the intent grammar and the
directory's names (:mod:`assistant.asr.lm_corpus`) give a trigram model
(:mod:`assistant.asr.arpa`), which is mixed with the stock English model
that pocketsphinx ships, so that commands and names are likely while free
dictation (message bodies) keeps the stock model's odds. Every word of the
result has a pronunciation: from the shipped CMU dictionary, else a letter-
rule guess (:mod:`assistant.asr.g2p`), else the sentences holding it are
dropped (both counted and logged).

Building takes seconds, so the model and its dictionary are cached on disk
under a key hashing every input (grammar, extra phrases, names, stock model,
weights); a changed directory builds a new one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import shutil
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from assistant.asr.arpa import BOS, EOS, GAP, estimate, mix, write_arpa
from assistant.asr.g2p import RULES_ID, guess_phones
from assistant.asr.lm_corpus import corpus_source, sentences
from assistant.asr.pinyin_phones import TABLES_ID, pinyin_pronunciations
from assistant.errors import ModelError

log = logging.getLogger(__name__)

#: Bump when the build changes, so old caches are not reused.
FORMAT = 1
#: Share of probability the domain model gets in the mix.
DOMAIN_WEIGHT = 0.9
#: The stock model's most likely words kept for free dictation.
STOCK_WORDS = 10000
#: Word pairs of the stock model listed as bigrams: among its most likely words.
STOCK_PAIR_WORDS = 250
#: Pronunciations a word keeps at most (CMUdict's, then pinyin names' readings).
MAX_PRONUNCIATIONS = 4
#: pocketsphinx's log base (logmath default).
_LOG_BASE = math.log(1.0001)
#: pocketsphinx's score for a word it does not know.
_UNKNOWN_SCORE = -536870912


@dataclass(frozen=True, slots=True)
class DomainModel:
    """A built (or cached) model: its ARPA file, dictionary, and how it was made."""

    lm_path: Path
    dict_path: Path
    key: str
    build_seconds: float
    cached: bool
    words: int
    guessed: int
    dropped: int


class Pronunciations:
    """A CMU-style dictionary: word -> its pronunciations (ARPAbet)."""

    def __init__(self, entries: dict[str, list[str]]) -> None:
        self.entries = entries

    @classmethod
    def read(cls, path: Path) -> Pronunciations:
        """Parse a dictionary file (``word phones``, ``word(2) phones``)."""
        entries: dict[str, list[str]] = {}
        with path.open(encoding="utf-8", errors="replace") as fh:
            for line in fh:
                head, _, phones = line.strip().partition(" ")
                if not phones or head.startswith(";;;"):
                    continue
                word = head.split("(", 1)[0] if head.endswith(")") else head
                entries.setdefault(word, []).append(phones.split("#", 1)[0].strip())
        return cls(entries)

    def phones(self, word: str) -> list[str]:
        """The word's pronunciations (none if unknown)."""
        return self.entries.get(word, [])

    def lines(
        self,
        words: Iterable[str],
        guessed: dict[str, str],
        extra: Mapping[str, Sequence[str]] | None = None,
    ) -> list[str]:
        """Dictionary lines for ``words`` (alternates numbered), guesses included,
        and ``extra`` pronunciations after a word's own (pinyin names' readings)."""
        out: list[str] = []
        more = extra or {}
        for word in sorted(words):
            prons = list(self.phones(word) or [guessed[word]])
            prons += [p for p in more.get(word, ()) if p not in prons]
            prons = prons[:MAX_PRONUNCIATIONS]
            out += [w + f" {p}" for w, p in zip(_variants(word, len(prons)), prons, strict=True)]
        return out


def _variants(word: str, count: int) -> list[str]:
    return [word if i == 0 else f"{word}({i + 1})" for i in range(count)]


@cache
def shipped_dictionary(path: Path) -> Pronunciations:
    """The dictionary shipped with pocketsphinx, read once per process."""
    return Pronunciations.read(path)


class StockModel:
    """The shipped n-gram model, asked probabilities through pocketsphinx."""

    def __init__(self, path: Path) -> None:
        import pocketsphinx

        self.path = path
        try:
            self._lm = pocketsphinx.NGramModel.readfile(str(path))
        except Exception as exc:  # the binding raises bare RuntimeError/ValueError
            raise ModelError(f"pocketsphinx could not read the language model {path}") from exc

    def _p(self, words: list[str]) -> float:
        score = self._lm.prob(words)
        return 1e-12 if score <= _UNKNOWN_SCORE else math.exp(score * _LOG_BASE)

    def unigram(self, word: str) -> float:
        """P(word)."""
        return self._p([word])

    def bigram(self, history: str, word: str) -> float:
        """P(word | history)."""
        return self._p([word, history])  # pocketsphinx takes the history reversed

    def trigram(self, first: str, second: str, word: str) -> float:
        """P(word | first second)."""
        return self._p([word, second, first])

    def likeliest(self, words: Iterable[str], count: int) -> list[str]:
        """The ``count`` most likely of ``words``."""
        scored = sorted(((self.unigram(w), w) for w in words), reverse=True)
        return [w for p, w in scored[:count] if p > 1e-12]


def cache_key(material: str, stock: Path, dictionary: Path, weight: float) -> str:
    """The hash of everything a model is built from."""
    digest = hashlib.sha256()
    for part in (
        str(FORMAT),
        material,
        _file_id(stock),
        _file_id(dictionary),
        repr((weight, STOCK_WORDS, STOCK_PAIR_WORDS)),
        RULES_ID,
        TABLES_ID,
    ):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:24]


def _file_id(path: Path) -> str:
    stat = path.stat()
    return f"{path.resolve()}:{stat.st_size}:{int(stat.st_mtime)}"


def domain_model(
    locale: str,
    names: Sequence[str],
    *,
    stock: Path,
    dictionary: Path,
    cache_dir: Path,
    weight: float = DOMAIN_WEIGHT,
) -> DomainModel:
    """The model for ``locale`` and ``names``: from the cache, or built and cached."""
    source = corpus_source(locale, names)
    key = cache_key(source.key_material(), stock, dictionary, weight)
    target = cache_dir / key
    info = _read_info(target)
    if info is not None:
        return DomainModel(
            target / "lm.arpa", target / "words.dict", key, 0.0, True, **_counts(info)
        )
    started = time.perf_counter()
    pron = shipped_dictionary(dictionary)
    corpus, guessed, dropped = _pronounceable(sentences(source), pron)
    stock_model = StockModel(stock)
    common = stock_model.likeliest(pron.entries, STOCK_WORDS)
    top = common[:STOCK_PAIR_WORDS]
    pairs = [
        (h, w)
        for h in top
        for w in top
        if stock_model.bigram(h, w) > 2 * stock_model.unigram(w)  # pairs that say something
    ]
    mixed = mix(estimate(corpus), stock_model, weight, words=common, pairs=pairs)
    vocabulary = [w for w in mixed.unigrams if w not in (BOS, EOS)]
    counts = {"words": len(vocabulary), "guessed": len(guessed), "dropped": dropped}
    said = name_readings(source.names, set(common))
    _write(target, mixed, pron.lines(vocabulary, guessed, said), counts)
    seconds = time.perf_counter() - started
    log.info(
        "built the %s speech language model in %.1f s: %d words (%d pronunciations guessed, "
        "%d sentences dropped for unspellable words)",
        locale,
        seconds,
        counts["words"],
        counts["guessed"],
        dropped,
    )
    return DomainModel(target / "lm.arpa", target / "words.dict", key, seconds, False, **counts)


def name_readings(names: Iterable[str], common: set[str]) -> dict[str, list[str]]:
    """Pinyin name words' readings, English and Mandarin-like, as extra
    pronunciations; not for everyday words ("he", "long"), which keep theirs."""
    found: dict[str, list[str]] = {}
    for name in names:
        for word in name.split():
            if word not in found and word not in common:
                found[word] = pinyin_pronunciations(word)
    return {w: p for w, p in found.items() if p}


def _pronounceable(
    corpus: Iterable[tuple[str, ...]], pron: Pronunciations
) -> tuple[list[tuple[str, ...]], dict[str, str], int]:
    """The sentences every word of which can be said; guessed pronunciations; dropped count."""
    kept: list[tuple[str, ...]] = []
    guessed: dict[str, str] = {}
    unspellable: set[str] = set()
    dropped = 0
    for sentence in corpus:
        for word in sentence:
            if word == GAP or word in guessed or pron.phones(word) or word in unspellable:
                continue
            phones = guess_phones(word)
            if phones:
                guessed[word] = phones
            else:
                unspellable.add(word)
        if unspellable.intersection(sentence):
            dropped += 1
        elif sentence:
            kept.append(sentence)
    return kept, guessed, dropped


def _write(target: Path, model: Any, dictionary: list[str], counts: dict[str, int]) -> None:
    """Write the model's files into ``target`` atomically (a whole directory or nothing)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".build-", dir=target.parent))
    try:
        with (staging / "lm.arpa").open("w", encoding="utf-8") as out:
            write_arpa(model, out)
        (staging / "words.dict").write_text("\n".join(dictionary) + "\n", encoding="utf-8")
        (staging / "info.json").write_text(json.dumps(counts), encoding="utf-8")
        try:
            os.replace(staging, target)
        except OSError:  # another process built the same model meanwhile
            if _read_info(target) is None:
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _read_info(target: Path) -> dict[str, Any] | None:
    try:
        info = json.loads((target / "info.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) else None


def _counts(info: dict[str, Any]) -> dict[str, int]:
    return {k: int(info.get(k, 0)) for k in ("words", "guessed", "dropped")}
