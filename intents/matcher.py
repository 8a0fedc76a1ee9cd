"""Run the compiled templates over an utterance and rank what matched.

A template is tried only when the utterance contains every word it needs
(a set test), then its regex runs over the normalised text. Matches are
ranked by the template's priority, then by how much of the utterance the
template's literal words explain (a template that names the words beats one
that waves them through as free text).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from assistant.models import Intent
from intents.grammar import CompiledTemplate, Grammar
from intents.template import ANY_PREFIX
from intents.text import Tokens


@dataclass(frozen=True, slots=True)
class Match:
    """One template that accepted the utterance, with its captured spans."""

    template: CompiledTemplate
    tokens: Tokens
    spans: Mapping[str, tuple[int, int]]
    coverage: float

    @property
    def intent(self) -> Intent:
        """The template's intent."""
        return self.template.intent

    @property
    def rank(self) -> tuple[int, float, bool, int]:
        """Sort key: higher is better; on a tie, "none" wins (ask, don't act)."""
        return (
            self.template.priority,
            round(self.coverage, 6),
            self.intent is Intent.NONE,
            -len(self.spans),
        )


#: Weight of a word swallowed by ``<any>`` against one captured in a slot.
ANY_COST = 1.05


class Matcher:
    """All templates of a grammar, with the word prefilter."""

    def __init__(self, grammar: Grammar) -> None:
        self.templates = grammar.templates

    def match(
        self,
        tokens: Tokens,
        timeless: Tokens | None = None,
        intents: Iterable[Intent] | None = None,
    ) -> list[Match]:
        """Every template matching, best first; ``timeless`` has time phrases removed."""
        allowed = frozenset(intents) if intents is not None else None
        found: list[Match] = []
        variants = {"keep": tokens, "extract": timeless if timeless is not None else tokens}
        prepared = {mode: _prepare(t) for mode, t in variants.items()}
        for template in self.templates:
            if allowed is not None and template.intent not in allowed:
                continue
            text, words, starts = prepared[template.times]
            if not template.required <= words or _lacks_any(template, words):
                continue
            result = template.regex.fullmatch(text)
            if result is None:
                continue
            found.append(_to_match(template, variants[template.times], result, starts))
        found.sort(key=lambda m: m.rank, reverse=True)
        return found


def _lacks_any(template: CompiledTemplate, words: frozenset[str]) -> bool:
    """True when the utterance has none of the words of one required choice."""
    # A plain loop: a generator costs more than the test itself on this hot path.
    for choices in template.required_any:  # noqa: SIM110 - smallest (most selective) first
        if choices.isdisjoint(words):
            return True
    return False


def _prepare(tokens: Tokens) -> tuple[str, frozenset[str], list[int]]:
    starts: list[int] = []
    position = 0
    for word in tokens.words:
        starts.append(position)
        position += len(word) + 1
    return tokens.text + " ", frozenset(tokens.words), starts


def _to_match(
    template: CompiledTemplate, tokens: Tokens, result: re.Match[str], starts: list[int]
) -> Match:
    spans: dict[str, tuple[int, int]] = {}
    loose = 0.0
    for name in result.groupdict():
        lo, hi = result.span(name)
        if lo < 0:
            continue
        first = bisect_right(starts, lo) - 1
        last = bisect_right(starts, hi - 1)
        if name.startswith(ANY_PREFIX):
            # Ignored words explain a little less than captured ones.
            loose += (last - first) * ANY_COST
            continue
        spans[name] = (first, last)
        if template.slot_lists[name].kind != "values":
            loose += last - first
    total = max(len(tokens), 1)
    return Match(template, tokens, spans, (total - loose) / total)
