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

from assistant.errors import ConfigError
from intents.grammar import phrase_tokens
from intents.text import Tokens

#: Minimum similarity (0-100) for the fuzzy keyword correction.
FUZZY_CUTOFF = 82
#: Words shorter than this are never corrected (too many near neighbours).
FUZZY_MIN_LENGTH = 5


class Preparer:
    """Applies the speech rules and the fuzzy keyword correction."""

    def __init__(self, speech: Mapping[str, Any], vocabulary: frozenset[str]) -> None:
        self._drop = frozenset(speech.get("drop_anywhere", ()))
        #: Words a driver stutters ("did did shoo jing ..."): said twice, heard once.
        self._doubled = frozenset(speech.get("stutter_words", ()))
        self._prefixes = _by_length(speech.get("strip_prefix", ()))
        self._suffixes = _by_length(speech.get("strip_suffix", ()))
        self._restarts = _by_length(speech.get("restarts", ()))
        self._pause_fillers = _by_length(speech.get("fillers_between_pauses", ()))
        #: A restart followed by a time is left to the parser, which replaces
        #: only the time said before it ("明天三点 不对 四点").
        self._time_starts = frozenset(str(speech.get("restart_time_starts", "")))
        self._paused_restarts = _by_length(speech.get("restarts_after_pause", ()))
        self._respell = {k: tuple(str(v).split()) for k, v in (speech.get("respell") or {}).items()}
        self._respell_phrases = _phrase_pairs(speech.get("respell_phrases") or {})
        #: Stutters dropped: a stretch of up to this many tokens said again after a pause.
        self._stutter = int(speech.get("stutter_tokens", 0))
        #: A hesitation and then a word said in the few words before it: the
        #: driver took that stretch again ("tell peter uh peter zhou ...").
        self._retake = int(speech.get("retake_after_hesitation", 0))
        #: Words too common to mark a retake ("the number for uh the logistics guy").
        self._retake_never = frozenset(speech.get("retake_never", ()))
        self._vocabulary = vocabulary
        self._by_initial: dict[str, list[str]] = {}
        for word in sorted(vocabulary):
            if len(word) >= FUZZY_MIN_LENGTH - 1:
                self._by_initial.setdefault(word[0], []).append(word)
        self.correct_word = lru_cache(maxsize=20_000)(self._correct_word)

    def clean(self, tokens: Tokens) -> Tokens:
        """Drop hesitations, respell slips, strip frames at both ends."""
        keep = {i for i, w in enumerate(tokens.words) if w in self._drop}
        if self._retake:
            keep |= self._retaken(tokens.words, keep)
        if self._pause_fillers:
            keep |= self._fillers(tokens)
        if self._stutter:
            keep |= self._stutters(tokens)
        tokens = tokens.without(keep)
        if self._doubled:
            tokens = self._undoubled(tokens)
        tokens = self._respelled(tokens)
        if self._respell_phrases:
            tokens = self._phrases_respelled(tokens)
        tokens = self._strip(tokens)
        if self._restarts or self._paused_restarts:
            restarted = self._restarted(tokens)
            if restarted is not tokens:
                tokens = self._strip(restarted)
        return tokens

    def _retaken(self, words: tuple[str, ...], hesitations: set[int]) -> set[int]:
        """The first try of a stretch said again after a hesitation.

        "text li na uh li na from marketing that ...": the word after "uh" was
        said at most ``retake_after_hesitation`` words before it, so everything
        from that earlier word up to the hesitation goes.
        """
        found: set[int] = set()
        for i in sorted(hesitations):
            after = next((k for k in range(i + 1, len(words)) if k not in hesitations), None)
            if after is None or words[after] in self._retake_never:
                continue
            before = [k for k in range(i - 1, -1, -1) if k not in hesitations][: self._retake]
            again = next((k for k in before if words[k] == words[after]), None)
            if again is not None:
                found.update(range(again, i))
        return found

    def _undoubled(self, tokens: Tokens) -> Tokens:
        """ "cancel the uh the one with lee way": a stuttered word once (hesitations gone)."""
        words = tokens.words
        twice = {
            i
            for i in range(1, len(words))
            if words[i] == words[i - 1] and words[i] in self._doubled
        }
        return tokens.without(twice) if twice else tokens

    def _fillers(self, tokens: Tokens) -> set[int]:
        """Fillers said on their own between pauses ("给张三 那个 发个消息")."""
        found: set[int] = set()
        words, size = tokens.words, len(tokens.words)
        for start in range(size):
            if start and not _paused(tokens, start):
                continue
            for phrase in self._pause_fillers:
                end = start + len(phrase)
                if words[start:end] == phrase and (end == size or _paused(tokens, end)):
                    found.update(range(start, end))
                    break
        return found

    def _stutters(self, tokens: Tokens) -> set[int]:
        """A stretch said alone, a pause, and said again ("给 给谢婷"): the first goes.

        Only a whole stretch between pauses counts: in "记一下 下周一" the 下 after
        the pause starts a new word.
        """
        found: set[int] = set()
        words = tokens.words
        for end in range(1, len(words)):
            if not _paused(tokens, end):
                continue
            start = _last_pause(tokens, end)
            size = end - start
            if size <= self._stutter and words[start:end] == words[end : end + size]:
                found.update(range(start, end))
        return found

    @property
    def restart_phrases(self) -> tuple[tuple[str, ...], ...]:
        """Every restart phrase, longest first (also the ambiguous ones)."""
        return tuple(sorted((*self._restarts, *self._paused_restarts), key=len, reverse=True))

    def without_hesitations(self, tokens: Tokens) -> Tokens:
        """The tokens minus hesitations only (a dictated body keeps everything else)."""
        return tokens.without({i for i, w in enumerate(tokens.words) if w in self._drop})

    def _restarted(self, tokens: Tokens) -> Tokens:
        """The utterance as meant after a restart ("给李伟 不对 给李娜发消息").

        At the very start a restart is an answer ("不对，发给徐静"), left to the
        grammar, also when restarts are stacked ("不对，我是说发给徐静").
        Mid-utterance, what follows replaces what it repeats: from the
        last earlier occurrence of its first word (给李伟 -> 给李娜), else the
        stretch since the last pause (说 明天 我是说后天 -> 说后天), else everything
        before. Ambiguous words (不对, 不是: "数据不对") count only after a pause or
        when what follows repeats an earlier word.
        """
        words = tokens.words
        for start in range(len(words) - 2, 0, -1):
            for phrase in (*self._restarts, *self._paused_restarts):
                end = start + len(phrase)
                if end >= len(words) or words[start:end] != phrase:
                    continue
                if words[end][0] in self._time_starts:
                    continue
                repeat = _last_index(words, words[end], start)
                paused = _paused(tokens, start)
                if phrase in self._paused_restarts and not (paused or repeat is not None):
                    continue
                if self._only_restarts(words[:start]):
                    continue  # "不对，我是说发给徐静": still the answer's opening
                keep = repeat if repeat is not None else _last_pause(tokens, start)
                return _joined(tokens.slice(0, keep), tokens.slice(end, len(words)))
        return tokens

    def _only_restarts(self, words: tuple[str, ...]) -> bool:
        """True when ``words`` are nothing but restart phrases ("不对", "不是 不是")."""
        phrases = (*self._restarts, *self._paused_restarts)
        at = 0
        while at < len(words):
            size = next((len(p) for p in phrases if words[at : at + len(p)] == p), 0)
            if not size:
                return False
            at += size
        return bool(words)

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

    def _phrases_respelled(self, tokens: Tokens) -> Tokens:
        """Keyword slips of several tokens respelled in place ("取销" -> "取消").

        Each slip has as many tokens as its respelling, so every token keeps its span.
        """
        words = list(tokens.words)
        changed = False
        for slip, meant in self._respell_phrases:
            size = len(slip)
            for start in range(len(words) - size + 1):
                if tuple(words[start : start + size]) == slip:
                    words[start : start + size] = meant
                    changed = True
        return tokens.replace_words(tuple(words)) if changed else tokens

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


def _last_index(words: tuple[str, ...], word: str, before: int) -> int | None:
    """Where ``word`` last occurs in the few words before ``before`` (a repeat)."""
    for i in range(before - 1, max(-1, before - 8), -1):
        if words[i] == word:
            return i
    return None


def _paused(tokens: Tokens, i: int) -> bool:
    """True when the original text has a space or punctuation before token ``i``."""
    return i > 0 and tokens.spans[i - 1][1] < tokens.spans[i][0]


def _last_pause(tokens: Tokens, before: int) -> int:
    """Start of the stretch said since the last pause before token ``before`` (0: none)."""
    for i in range(before - 1, 0, -1):
        if _paused(tokens, i):
            return i
    return 0


def _joined(first: Tokens, second: Tokens) -> Tokens:
    return Tokens(first.original, first.words + second.words, first.spans + second.spans)


def _phrase_pairs(data: Any) -> tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]:
    """``respell_phrases`` as token pairs; a slip and its respelling have as many tokens."""
    if not isinstance(data, Mapping):
        raise ConfigError("speech.yaml: respell_phrases must map a slip to what was meant")
    pairs = []
    for slip, meant in data.items():
        pair = (phrase_tokens(str(slip)), phrase_tokens(str(meant)))
        if not pair[0] or len(pair[0]) != len(pair[1]):
            raise ConfigError(
                f"speech.yaml: respell_phrases {slip!r} -> {meant!r} must keep the number of tokens"
            )
        pairs.append(pair)
    return tuple(pairs)


def _by_length(phrases: Any) -> tuple[tuple[str, ...], ...]:
    return tuple(sorted((phrase_tokens(str(p)) for p in phrases), key=len, reverse=True))
