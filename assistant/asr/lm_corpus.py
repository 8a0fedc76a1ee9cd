"""Sentences for a domain language model, generated from the intent grammar.

What Rhasspy does: every template of the locale's grammar
(``intents/grammar/<locale>``) is expanded into sentences, ``{recipient}``
and the like filled with the directory's names, value lists with their
values, and the phrases of ``assistant/asr/lm/<locale>.yaml`` (times, short
answers) added. Free text (``{body}``, ``{title}``) is left to the general
model: it becomes a :data:`GAP`, and no n-gram spans it. Expansion samples
alternatives with a fixed seed, a fixed number of times per template, so
the corpus (and the model built from it) is the same on every run.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from assistant.asr.arpa import GAP
from assistant.errors import ConfigError
from intents.grammar import GRAMMAR_ROOT, _merge, load_yaml
from intents.template import Alt, Node, RuleRef, Seq, SlotRef, Word, parse_template

#: Samples drawn per template (and per extra phrase template).
SAMPLES = 40
_SEED = 20261206
#: Chance that a command taking times has one said before/after it.
_TIME_CHANCE = 0.6


@dataclass(frozen=True, slots=True)
class CorpusSource:
    """Everything a corpus is generated from (and what its cache key hashes)."""

    locale: str
    intents: Mapping[str, Any]
    lists: Mapping[str, Any]
    rules: Mapping[str, str]
    extra: Mapping[str, Any]
    names: tuple[str, ...]

    def key_material(self) -> str:
        """A stable text of the inputs, for hashing."""
        import json

        return json.dumps(
            [self.locale, self.intents, self.lists, self.rules, self.extra, self.names],
            sort_keys=True,
            default=str,
        )


def corpus_source(locale: str, names: Sequence[str]) -> CorpusSource:
    """The grammar files of ``locale`` and the extra phrases, with ``names``."""
    root = GRAMMAR_ROOT / locale / "sentences"
    extra_file = resources.files("assistant.asr") / "lm" / f"{locale}.yaml"
    if not root.is_dir() or not extra_file.is_file():
        raise ConfigError(f"no language model sentences for locale {locale!r}")
    files = sorted((p for p in root.iterdir() if p.name.endswith(".yaml")), key=lambda p: p.name)
    merged = _merge([load_yaml(p) for p in files])
    # "Hill-King" is said as two words, each in the dictionary: as one word
    # it has no pronunciation, and every sentence naming the person was dropped.
    clean = tuple(
        sorted({" ".join(n.lower().replace("-", " ").split()) for n in names if n.strip()})
    )
    return CorpusSource(
        locale, merged["intents"], merged["lists"], merged["rules"], load_yaml(extra_file), clean
    )


def sentences(source: CorpusSource, samples: int = SAMPLES) -> Iterator[tuple[str, ...]]:
    """The generated sentences, as word tuples (lower case; :data:`GAP` for free text)."""
    rng = random.Random(_SEED)
    rules = {n: parse_template(str(t)) for n, t in source.rules.items()}
    rules |= {n: parse_template(str(t)) for n, t in source.extra.get("rules", {}).items()}
    expander = _Expander(rules, source.lists, source.names, rng)
    times = [parse_template(t) for t in source.extra.get("times", ())]
    for spec in source.intents.values():
        takes_times = spec.get("times") == "extract"
        for block in spec["data"]:
            for template in block["sentences"]:
                node = parse_template(template)
                for _ in range(samples):
                    words = expander.expand(node)
                    if takes_times and times and rng.random() < _TIME_CHANCE:
                        said = expander.expand(rng.choice(times))
                        words = [*words, *said] if rng.random() < 0.7 else [*said, *words]
                    yield tuple(words)
    for key in ("times", "answers"):
        for template in source.extra.get(key, ()):
            node = parse_template(template)
            for _ in range(samples):
                yield tuple(expander.expand(node))
    for name in source.names:
        yield tuple(name.split())


class _Expander:
    """One random sentence of a template tree at a time."""

    def __init__(
        self,
        rules: Mapping[str, Node],
        lists: Mapping[str, Any],
        names: Sequence[str],
        rng: random.Random,
    ) -> None:
        self._rules = rules
        self._lists = lists
        self._names = list(names) or ["someone"]
        self._rng = rng

    def expand(self, node: Node) -> list[str]:
        out: list[str] = []
        self._walk(node, out)
        return out

    def _walk(self, node: Node, out: list[str]) -> None:
        if isinstance(node, Word):
            out.append(node.text)
        elif isinstance(node, Seq):
            for item in node.items:
                self._walk(item, out)
        elif isinstance(node, Alt):
            if node.optional and self._rng.random() < 0.5:
                return
            self._walk(self._rng.choice(node.options), out)
        elif isinstance(node, SlotRef):
            out += self._slot(node)
        elif isinstance(node, RuleRef):
            if node.name == "any":
                out.append(GAP)
            elif node.name in self._rules:
                self._walk(self._rules[node.name], out)

    def _slot(self, ref: SlotRef) -> list[str]:
        spec = self._lists.get(ref.list_name, {})
        if spec.get("contact"):
            name = self._rng.choice(self._names).split()
            if spec.get("possessive"):
                name[-1] += "'s"
            return name
        if spec.get("contacts"):
            count = self._rng.choice((1, 1, 2))
            picked = self._rng.sample(self._names, min(count, len(self._names)))
            return " and ".join(picked).split()
        values = spec.get("values")
        if isinstance(values, dict | list) and values:
            return str(self._rng.choice(list(values))).lower().split()
        return [GAP]  # free text: the general model's business
