"""Turn raw input (typed or recognised) into normalised tokens.

The matcher works on a lower-case, punctuation-free string of tokens joined
by single spaces, because that is what a recogniser produces anyway. Each
token remembers where it came from in the original text, so free-text
captures (message bodies, titles) are returned with the driver's own casing
and punctuation when the input was typed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_TOKEN = re.compile(r"[\w']+|&|@|\+")
_ALIASES = {"&": "and", "@": "at", "+": "plus"}
# "2pm", "10am", "30min": a number glued to its unit is two words.
_GLUED = re.compile(r"^(\d+)(am|pm|a\.m|p\.m|h|hr|hrs|min|mins)$")


@dataclass(frozen=True, slots=True)
class Tokens:
    """Normalised tokens of one utterance with their spans in the original text."""

    original: str
    words: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]

    @property
    def text(self) -> str:
        """The normalised tokens joined by single spaces."""
        return " ".join(self.words)

    def __len__(self) -> int:
        return len(self.words)

    def slice(self, start: int, end: int) -> Tokens:
        """The tokens ``start:end`` (indices into ``words``)."""
        return Tokens(self.original, self.words[start:end], self.spans[start:end])

    def without(self, drop: set[int]) -> Tokens:
        """These tokens minus the ones at the given indices."""
        keep = [i for i in range(len(self.words)) if i not in drop]
        return Tokens(
            self.original,
            tuple(self.words[i] for i in keep),
            tuple(self.spans[i] for i in keep),
        )

    def replace_words(self, words: tuple[str, ...]) -> Tokens:
        """Same spans, other words (used by the fuzzy keyword correction)."""
        return Tokens(self.original, words, self.spans)

    def surface(self, start: int, end: int) -> str:
        """The original text covered by tokens ``start:end``, punctuation kept."""
        if start >= end:
            return ""
        pieces = [self.original[self.spans[start][0] : self.spans[start][1]]]
        for i in range(start + 1, end):
            gap = self.original[self.spans[i - 1][1] : self.spans[i][0]]
            # A word between them was removed (a time phrase): keep a plain space.
            pieces.append(" " if any(ch.isalnum() for ch in gap) else gap)
            pieces.append(self.original[self.spans[i][0] : self.spans[i][1]])
        return "".join(pieces).strip()

    def char_to_token(self, offset: int) -> int:
        """Index of the token starting at ``offset`` of :attr:`text`."""
        position = 0
        for index, word in enumerate(self.words):
            if position >= offset:
                return index
            position += len(word) + 1
        return len(self.words)


def fold(text: str) -> str:
    """Lower-case, strip accents ("Zhāng" -> "zhang"), unify apostrophes."""
    if text.isascii():
        return text.replace("`", "'").lower()
    text = text.replace("\u2019", "'").replace("`", "'")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def tokenize(text: str) -> Tokens:
    """Split ``text`` into normalised tokens, keeping their original spans."""
    folded = fold(text)
    # NFKD may change length; fall back to the folded text as "original" then.
    original = text if len(folded) == len(text) else folded
    words: list[str] = []
    spans: list[tuple[int, int]] = []
    for match in _TOKEN.finditer(folded):
        word = match.group().strip("'_")
        if not word:
            continue
        glued = _GLUED.match(word)
        if glued:
            cut = match.start() + len(glued.group(1))
            words.extend((glued.group(1), glued.group(2)))
            spans.extend(((match.start(), cut), (cut, match.end())))
            continue
        words.append(_ALIASES.get(word, word))
        spans.append((match.start(), match.end()))
    return Tokens(original, tuple(words), tuple(spans))


_ASCII_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def name_words(name: str) -> tuple[str, ...]:
    """The normalised words of a directory name (fast path for ASCII names)."""
    if name.isascii():
        return tuple(_ASCII_WORD.findall(name.lower()))
    return tokenize(name).words


#: One token per CJK character; Latin letters/digits (with inner apostrophes) as words.
_CJK_TOKEN = re.compile(
    r"\d{1,2}:\d{2}(?!\d)|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]|[a-z]+(?:'[a-z]+)*|\d+|@"
)
_CJK_CHAR = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")


def is_cjk(token: str) -> bool:
    """True for a token that is one CJK character."""
    return len(token) == 1 and _CJK_CHAR.match(token) is not None


def tokenize_cjk(text: str) -> Tokens:
    """Tokens for Chinese (and mixed) text: each CJK character is one token.

    Latin and digit runs stay words ("给David发个消息" -> 给 david 发 个 消 息),
    so templates match the same whatever segmentation a recogniser used and
    however Chinese and English are mixed. Full-width forms fold to ASCII.
    """
    folded = unicodedata.normalize("NFKC", text)
    original = text if len(folded) == len(text) else folded
    lowered = folded.lower() if len(folded.lower()) == len(folded) else folded
    words: list[str] = []
    spans: list[tuple[int, int]] = []
    for match in _CJK_TOKEN.finditer(lowered):
        words.append(_ALIASES.get(match.group(), match.group()))
        spans.append((match.start(), match.end()))
    return Tokens(original, tuple(words), tuple(spans))


def join_words(words: tuple[str, ...] | list[str]) -> str:
    """Words as one text: CJK characters run together, other words space-separated."""
    out: list[str] = []
    previous = ""
    for word in words:
        if out and not (is_cjk(word) or is_cjk(previous)):
            out.append(" ")
        out.append(word)
        previous = word
    return "".join(out)


_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_SPACE_BETWEEN_CJK = re.compile(
    r"(?<=[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff])\s+(?=[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff])"
)
#: Chinese written with a space after every word or two is a recogniser's
#: segmentation ("给 张三 发 消息"), not the pauses of a typist.
SEGMENTED_RUN_LENGTH = 2.0


def unsegmented(text: str) -> str:
    """Chinese text without a recogniser's word spaces ("给 张三 发 消息" -> "给张三发消息").

    Only when the text looks segmented (three or more runs of characters, on
    average shorter than two); spaces a person typed between phrases ("今晚的饭局
    我去不了了") and spaces next to Latin words are kept.
    """
    runs = _CJK_RUN.findall(text)
    if len(runs) < 3 or sum(map(len, runs)) / len(runs) >= SEGMENTED_RUN_LENGTH:
        return text
    return _SPACE_BETWEEN_CJK.sub("", text)
