"""A statistical intent arbiter beside the grammar (issue 15, item 3).

A linear model per locale (multinomial logistic regression over hashed word
uni/bi-grams and character n-grams; for Chinese, character 1-3-grams) reads
the whole utterance and says which in-domain intent it is, or that it is out
of domain. The grammar stays in charge of slots; the arbiter only decides
*whether* to act when the two disagree (see :mod:`intents.arbitration`).

Inference is numpy only: the weights ship in ``intents/models/arbiter_<locale>.npz``
(float16), made by ``scripts/train_arbiter.py`` (scikit-learn, the ``train``
extra), with the data sources, their SHA-256 and the thresholds chosen by
cross-validation recorded beside them in ``arbiter_<locale>.json``. A model is
loaded once per process, on first use.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zlib
from dataclasses import dataclass, fields
from functools import cache
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from assistant.errors import ConfigError
from intents.text import fold, tokenize, unsegmented

#: Hashed feature space: 2**18 buckets (the zero rows of unused buckets compress away).
BUCKETS = 1 << 18
#: A threshold no probability reaches.
NEVER = 1.01
#: The label of everything the assistant does not do.
OUT_OF_DOMAIN = "ood"
MODEL_ROOT = resources.files("intents") / "models"

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_UNIT = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[a-z]+|\d+")


@dataclass(frozen=True, slots=True)
class Features:
    """Which feature families beside the base ones a model reads (recorded with it)."""

    skip_grams: bool = False  # English: word pairs one word apart ("send * li")
    words: bool = False  # Chinese: jieba words (and word pairs) beside the characters

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Features:
        """The families named in a model's record (absent: the base features only)."""
        chosen = record.get("features") or {}
        return cls(**{f.name: bool(chosen.get(f.name, False)) for f in fields(cls)})


BASE = Features()


def feature_names(text: str, characters: bool, features: Features = BASE) -> list[str]:
    """The (unhashed) features of one utterance.

    English: words, word pairs (with sentence edges), the first two words,
    and the character 3-5-grams inside each word (so "txt", "texting" and a
    misspelt name share features); with ``skip_grams`` also word pairs one
    word apart. Chinese: character 1-3-grams over the text without a
    recogniser's spaces (Latin words count as one unit); with ``words`` also
    jieba's words and word pairs.
    """
    if characters:
        joined = unsegmented(fold(text)).replace(" ", "")
        names = _ngrams(_UNIT.findall(joined), 3, "c")
        if features.words:
            names += _ngrams(_segmented(joined), 2, "j")
        return names
    words = list(tokenize(text).words)
    names = [f"w:{w}" for w in words]
    edged = ["<s>", *words, "</s>"]
    names += [f"b:{a} {b}" for a, b in pairwise(edged)]
    if features.skip_grams:
        names += [f"s:{a} {b}" for a, b in zip(edged, edged[2:], strict=False)]
    names += [f"f:{w}" for w in words[:2]]
    for word in words:
        padded = f" {word} "
        names += [f"g:{padded[i : i + n]}" for n in (3, 4, 5) for i in range(len(padded) - n + 1)]
    return names


def _segmented(text: str) -> list[str]:
    """jieba's words of a Chinese text (imported on first use: only Chinese models with words)."""
    import jieba

    jieba.setLogLevel(60)  # its dictionary-loading chatter is no log of ours
    return [w for w in jieba.lcut(text) if w.strip()]


def _ngrams(units: list[str], longest: int, tag: str) -> list[str]:
    edged = ["<", *units, ">"]
    return [
        f"{tag}{n}:{''.join(edged[i : i + n])}"
        for n in range(1, longest + 1)
        for i in range(len(edged) - n + 1)
    ]


def feature_indices(text: str, characters: bool, features: Features = BASE) -> np.ndarray:
    """Distinct hashed bucket indices of the utterance's features (sorted)."""
    found = {
        zlib.crc32(name.encode("utf-8")) & (BUCKETS - 1)
        for name in feature_names(text, characters, features)
    }
    return np.fromiter(sorted(found), dtype=np.int64, count=len(found))


@dataclass(frozen=True, slots=True)
class Verdict:
    """The arbiter's reading of one utterance: best label and its probability."""

    label: str  # an intent value, or OUT_OF_DOMAIN
    probability: float
    out_of_domain: float  # probability of OUT_OF_DOMAIN


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When the arbiter overrides the grammar (chosen by leave-one-set-out CV)."""

    accept_action: float  # take a send/create/cancel the grammar missed at this probability
    accept_question: float  # take a read/calendar/contact question the grammar missed
    reject: float  # decline a grammar action when out of domain is this likely
    override: float  # take another question than the grammar's at this probability
    promote: float  # take an action where the grammar heard a question
    #: Where the grammar would act: answer the question the model is this sure of
    #: instead (a question never acts), or take the other action it is this sure of
    #: (read back before anything is done). 1.01: never (models trained before them).
    correct: float = NEVER
    switch: float = NEVER
    #: Take an in-domain intent where the grammar matched an out-of-domain template.
    overrule: float = NEVER
    #: Per-intent thresholds where one kind of reading earns its own (None: the shared
    #: one above). A reply or a new event the grammar would make is declined at
    #: ``reject_reply`` / ``reject_create``; a new event the grammar missed is taken
    #: at ``accept_create``: the two actions nearly every false action is.
    reject_reply: float | None = None
    reject_create: float | None = None
    accept_create: float | None = None


class ArbiterModel:
    """Weights of one locale's model; :meth:`verdict` is a few microseconds."""

    def __init__(
        self,
        weights: np.ndarray,
        bias: np.ndarray,
        labels: tuple[str, ...],
        characters: bool,
        thresholds: Thresholds,
        *,
        features: Features = BASE,
    ) -> None:
        if weights.shape != (BUCKETS, len(labels)) or bias.shape != (len(labels),):
            raise ConfigError("arbiter model: weights do not match its labels")
        self.weights = weights.astype(np.float32)
        self.bias = bias.astype(np.float32)
        self.labels = labels
        self.characters = characters
        self.thresholds = thresholds
        self.features = features
        self._ood = labels.index(OUT_OF_DOMAIN)

    def probabilities(self, text: str) -> np.ndarray:
        """Probability of each label (in :attr:`labels` order)."""
        indices = feature_indices(text, self.characters, self.features)
        scale = 1.0 / np.sqrt(len(indices)) if len(indices) else 0.0
        scores = self.weights[indices].sum(axis=0) * scale + self.bias
        scores = np.exp(scores - scores.max())
        return scores / scores.sum()

    def verdict(self, text: str) -> Verdict:
        """The most likely label of ``text``."""
        probabilities = self.probabilities(text)
        best = int(probabilities.argmax())
        return Verdict(
            self.labels[best], float(probabilities[best]), float(probabilities[self._ood])
        )


def model_paths(locale: str, root: Path | Any = MODEL_ROOT) -> tuple[Any, Any]:
    """The weights (``.npz``) and the record (``.json``) of a locale's model."""
    return root / f"arbiter_{locale}.npz", root / f"arbiter_{locale}.json"


def read_model(weights_path: Path | Any, record_path: Path | Any) -> ArbiterModel:
    """Load a model; a missing file or one that does not match its record is a ConfigError."""
    try:
        raw = weights_path.read_bytes()
        record = json.loads(record_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read the arbiter model {weights_path}: {exc}") from exc
    digest = hashlib.sha256(raw).hexdigest()
    if digest != record.get("weights_sha256"):
        raise ConfigError(
            f"arbiter model {weights_path} does not match its record (sha256 {digest[:12]}…)"
        )
    try:
        with np.load(io.BytesIO(raw)) as data:
            weights, bias = data["weights"], data["bias"]
        chosen = record["thresholds"]
        features = Features.from_record(record)
        if features.words:
            import jieba  # noqa: F401  (checked here, not at the first parse)
        return ArbiterModel(
            weights,
            bias,
            tuple(record["labels"]),
            bool(record["characters"]),
            _thresholds(chosen),
            features=features,
        )
    except ModuleNotFoundError as exc:  # a model with jieba words where jieba is not installed
        raise ConfigError(f"arbiter model {weights_path} needs {exc.name}: {exc}") from exc
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        # A record or archive without what a model needs (a threshold, the labels, the weights).
        raise ConfigError(f"arbiter model {weights_path} is incomplete: {exc!r}") from exc


def _thresholds(chosen: dict[str, Any]) -> Thresholds:
    """The recorded thresholds; a per-intent one may be absent or null ("the shared one")."""
    values: dict[str, Any] = {}
    for f in fields(Thresholds):
        value = chosen.get(f.name, f.default)
        values[f.name] = None if value is None and f.default is None else float(value)
    return Thresholds(**values)


@cache
def load_arbiter(locale: str) -> ArbiterModel | None:
    """The shipped model of ``locale`` (loaded once per process), or None if none ships."""
    weights, record = model_paths(locale)
    if not weights.is_file():
        return None
    return read_model(weights, record)
