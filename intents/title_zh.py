"""A Chinese event's title when no template captured one.

"周五晚上七点家庭聚餐 记一下", "添加日程 后天上午十点 客户拜访", "跟孙丽约个会 讨论报销流程":
Chinese puts the what anywhere around the command, so after the time phrases
are taken out, the title is what remains of each stretch between pauses once
the command's own words (``title_frame_prefix`` / ``title_frame_suffix`` in
``speech.yaml``) and the attendees ("跟孙丽") are stripped. A stretch that is
only a generic word (会, 开会, 日程) names nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from intents.grammar import phrase_tokens
from intents.text import Tokens, is_cjk, join_words, tokenize_cjk


class TitleFinder:
    """Strips command words from the stretches of a calendar request."""

    def __init__(self, speech: Mapping[str, Any]) -> None:
        self._prefixes = _phrases(speech.get("title_frame_prefix", ()))
        self._suffixes = _phrases(speech.get("title_frame_suffix", ()))
        self._generic = frozenset(phrase_tokens(str(w)) for w in speech.get("title_generic", ()))
        self._with = frozenset(speech.get("attendee_markers", ()))

    def title(self, tokens: Tokens, names: Sequence[str]) -> str | None:
        """The title said in ``tokens`` (time phrases already out), or None."""
        found = []
        for start, end in _stretches(tokens):
            lo, hi = self._strip(tokens.words, start, end, names)
            if lo < hi and tokens.words[lo:hi] not in self._generic:
                found.append(tokens.surface(lo, hi))
        return " ".join(found) if found else None

    def _strip(
        self, words: tuple[str, ...], lo: int, hi: int, names: Sequence[str]
    ) -> tuple[int, int]:
        changed = True
        while changed and lo < hi:
            changed = False
            if words[lo] in self._with:  # 跟孙丽 / 和王芳 李娜
                for name in names:
                    size = len(tokenize_cjk(name).words)
                    if join_words(words[lo + 1 : lo + 1 + size]) == name:
                        lo, changed = lo + 1 + size, True
                        break
            for phrase in self._prefixes:
                if words[lo : lo + len(phrase)] == phrase:
                    lo, changed = lo + len(phrase), True
                    break
            for phrase in self._suffixes:
                if hi - lo >= len(phrase) and words[hi - len(phrase) : hi] == phrase:
                    hi, changed = hi - len(phrase), True
                    break
        return lo, hi


def _phrases(words: Any) -> tuple[tuple[str, ...], ...]:
    return tuple(sorted((phrase_tokens(str(w)) for w in words), key=len, reverse=True))


def _stretches(tokens: Tokens) -> list[tuple[int, int]]:
    """Index ranges of what was said between pauses (spaces, punctuation, removed
    times) next to Chinese characters ("David Miller" is one stretch)."""
    out: list[tuple[int, int]] = []
    start = 0
    for i in range(1, len(tokens.words)):
        paused = tokens.spans[i - 1][1] < tokens.spans[i][0]
        if paused and (is_cjk(tokens.words[i - 1]) or is_cjk(tokens.words[i])):
            out.append((start, i))
            start = i
    if tokens.words:
        out.append((start, len(tokens.words)))
    return out
