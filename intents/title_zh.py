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
        self._with = _phrases(speech.get("attendee_markers", ()))
        self._cancel_prefixes = _phrases(speech.get("cancel_frame_prefix", ()))
        self._cancel_suffixes = _phrases(speech.get("cancel_frame_suffix", ()))
        self._where = _phrases(speech.get("location_markers", ()))
        self._places = tuple(str(w) for w in speech.get("location_nouns", ()))
        self._verbs = _phrases(speech.get("title_verbs", ()))
        self._verb_keeps = _phrases(speech.get("title_verb_keeps", ()))
        self._meeting_nouns = tuple(str(w) for w in speech.get("title_meeting_nouns", ()))

    def title(self, tokens: Tokens, names: Sequence[str]) -> str | None:
        """The title said in ``tokens`` (time phrases already out), or None."""
        return self.title_and_place(tokens, names)[0]

    def title_and_place(
        self, tokens: Tokens, names: Sequence[str]
    ) -> tuple[str | None, str | None]:
        """The title and the place ("在三号会议室") said in ``tokens``."""
        found: list[str] = []
        place = None
        for start, end in _stretches(tokens):
            where = self._place(tokens, start, end)
            if where is not None and place is None:
                place = where
                continue
            lo, hi = self._strip(tokens.words, start, end, names)
            lo = self._without_verb(tokens, lo, hi)
            if lo >= hi or tokens.words[lo:hi] in self._generic:
                continue
            found.append(tokens.surface(lo, hi))
        return (" ".join(found) if found else None), place

    def cancel_title(self, tokens: Tokens) -> str | None:
        """The meeting a cancel or a move names ("删除月底的季度复盘会" -> 季度复盘会).

        Only a name: a bare calendar word (会议) or whose meeting it is (跟张三的会)
        is no title.
        """
        found: list[str] = []
        for start, end in _stretches(tokens):
            lo, hi = self._strip_with(
                tokens.words, start, end, self._cancel_prefixes, self._cancel_suffixes
            )
            if lo >= hi or tokens.words[lo:hi] in self._generic:
                continue
            if any(tokens.words[lo : lo + len(m)] == m for m in self._with):
                continue
            found.append(tokens.surface(lo, hi))
        return " ".join(found) if found else None

    def _strip_with(
        self,
        words: tuple[str, ...],
        lo: int,
        hi: int,
        prefixes: tuple[tuple[str, ...], ...],
        suffixes: tuple[tuple[str, ...], ...],
    ) -> tuple[int, int]:
        changed = True
        while changed and lo < hi:
            changed = False
            for phrase in prefixes:
                if words[lo : lo + len(phrase)] == phrase:
                    lo, changed = lo + len(phrase), True
                    break
            for phrase in suffixes:
                if hi - lo >= len(phrase) and words[hi - len(phrase) : hi] == phrase:
                    hi, changed = hi - len(phrase), True
                    break
        return lo, hi

    def _without_verb(self, tokens: Tokens, lo: int, hi: int) -> int:
        """Where the title starts once a verb of holding a meeting is left out.

        "开预算会", "召开季度总结会", "约个面谈": 开/召开/约 say what to do with
        the meeting, not which one. Only before a meeting noun (开学典礼 is a
        title) and never inside a word that starts like one (开发评审会).
        """
        words = tokens.words
        if any(words[lo : lo + len(keep)] == keep for keep in self._verb_keeps):
            return lo
        if not tokens.surface(lo, hi).endswith(self._meeting_nouns):
            return lo
        for verb in self._verbs:
            if hi - lo > len(verb) and words[lo : lo + len(verb)] == verb:
                return lo + len(verb)
        return lo

    def _place(self, tokens: Tokens, lo: int, hi: int) -> str | None:
        """ "在三号会议室", "地点在公司一楼会议室": a stretch that says where."""
        for marker in self._where:
            if tokens.words[lo : lo + len(marker)] == marker and lo + len(marker) < hi:
                said = tokens.surface(lo + len(marker), hi)
                if any(said.endswith(noun) for noun in self._places):
                    return said
        return None

    def _strip(
        self, words: tuple[str, ...], lo: int, hi: int, names: Sequence[str]
    ) -> tuple[int, int]:
        changed = True
        while changed and lo < hi:
            changed = False
            for marker in self._with:  # 跟孙丽 / 和王芳 李娜 / 邀请陈慧
                if words[lo : lo + len(marker)] != marker:
                    continue
                after = lo + len(marker)
                for name in names:
                    size = len(tokenize_cjk(name).words)
                    if join_words(words[after : after + size]) == name:
                        lo, changed = after + size, True
                        break
                if changed:
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
