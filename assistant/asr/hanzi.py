"""Chinese text on the recognizer's side: words without spaces, grammars in model words.

vosk's Chinese models write a result as space-separated words (``给 张三 发
消息``) and take a runtime grammar only as phrases of words from their own
vocabulary. :func:`join_words` writes results the way Chinese is written
(no space between two characters; a space stays next to a Latin word), and
:func:`to_model_words` cuts a phrase the dialog expects (``好的``, ``第一个``)
into the model's words by forward maximum matching against its vocabulary.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from assistant.scripts import has_han, is_han

__all__ = ["has_han", "is_han", "join_words", "to_model_words", "uncovered"]

#: Longest word tried when cutting a phrase (vosk cn lexicon words are short).
_LONGEST = 8


def join_words(words: Iterable[str]) -> str:
    """Words as text: a space between them unless both sides are Chinese characters."""
    out = ""
    for word in words:
        if not word:
            continue
        if out and not (is_han(out[-1]) and is_han(word[0])):
            out += " "
        out += word
    return out


def to_model_words(token: str, known: Callable[[str], bool]) -> list[str] | None:
    """``token`` cut into words the model knows (longest first), or None if it cannot be."""
    words: list[str] = []
    start = 0
    while start < len(token):
        for end in range(min(len(token), start + _LONGEST), start, -1):
            if known(token[start:end]):
                words.append(token[start:end])
                start = end
                break
        else:
            return None
    return words


def uncovered(token: str, known: Callable[[str], bool]) -> list[str]:
    """Characters of ``token`` that no known word starting there covers."""
    missing = []
    start = 0
    while start < len(token):
        end = next(
            (
                e
                for e in range(min(len(token), start + _LONGEST), start, -1)
                if known(token[start:e])
            ),
            None,
        )
        if end is None:
            missing.append(token[start])
            start += 1
        else:
            start = end
    return missing
