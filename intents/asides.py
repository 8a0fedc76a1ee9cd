"""Requests said inside thinking aloud.

"so i was just talking to the customer and they want the invoice split so
can you tell sun li to split it" asks one thing, after a request opener
("can you", "could you", "maybe", "let me think"). When the whole
utterance makes no command, the words after each opener (earliest first)
are tried alone; the parser takes the first that is a command of its own.
"""

from __future__ import annotations

from collections.abc import Iterable

from intents.text import Tokens

#: Openers tried per utterance: bounds the extra parses of a long monologue.
MAX_TAILS = 4


class Asides:
    """Finds where requests may begin inside an utterance."""

    def __init__(self, openers: Iterable[str]) -> None:
        phrases = {tuple(m.split()) for m in openers if m.split()}
        #: Longest first, so "so can you" wins over "can you".
        self._openers = sorted(phrases, key=len, reverse=True)

    def tails(self, tokens: Tokens) -> list[Tokens]:
        """The words after each opener said after the first word, earliest first.

        An opener at the very start is the request itself (the preparer strips
        it); one at the end opens nothing.
        """
        found: list[Tokens] = []
        words = tokens.words
        start = 1
        while start < len(words) - 1 and len(found) < MAX_TAILS:
            end = next(
                (
                    start + len(opener)
                    for opener in self._openers
                    if words[start : start + len(opener)] == opener
                ),
                0,
            )
            if end and end < len(words):
                found.append(tokens.slice(end, len(words)))
                start = end
            else:
                start += 1
        return found
