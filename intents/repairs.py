"""Restarts: a driver who starts a command, stops and says another one.

"tell zhang san uh no wait tell lin tao the trucks are loaded" means the
second command only. A restart marker ("no wait", "scratch that", "sorry i
mean") splits the utterance; the words after the last marker are a restart
when they make a command of their own (the parser decides). "tell li na i
mean it" keeps its body: "it" is no command.
"""

from __future__ import annotations

from collections.abc import Iterable

from intents.text import Tokens


class Restarts:
    """Finds where the last restart of an utterance begins."""

    def __init__(self, markers: Iterable[str]) -> None:
        phrases = {tuple(m.split()) for m in markers if m.split()}
        #: Longest first, so "no wait" wins over "wait".
        self._markers = sorted(phrases, key=len, reverse=True)

    def tail(self, tokens: Tokens) -> Tokens | None:
        """The tokens after the last restart marker, or None without one.

        A marker at the very start or end restarts nothing ("no wait" alone
        is an answer for the dialog, not a repaired command).
        """
        words = tokens.words
        for start in range(len(words) - 1, 0, -1):
            for marker in self._markers:
                end = start + len(marker)
                if end < len(words) and words[start:end] == marker:
                    return tokens.slice(end, len(words))
        return None
