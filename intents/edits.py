"""Additions at a read-back: "also say thanks", "再加一句我会带合同".

At "Here's your message ... Send it?" a driver may add a sentence to the
draft. Ways of opening an addition are data (``addition_openers`` in a
locale's speech.yaml); what follows the opener is the added text, as
dictated. Only an answer to a yes/no question is read this way, so "say
thanks" said out of the blue is never a message.
"""

from __future__ import annotations

from collections.abc import Iterable

from assistant.models import Intent
from intents.grammar import phrase_tokens
from intents.result import ParseResult, SlotValue
from intents.text import Tokens


class Additions:
    """Recognises an addition to a draft by its opening words."""

    def __init__(self, openers: Iterable[str]) -> None:
        phrases = {phrase_tokens(str(o)) for o in openers}
        #: Longest first, so "and also say" wins over "also".
        self._openers = sorted((p for p in phrases if p), key=len, reverse=True)

    def addition(self, text: str, tokens: Tokens) -> ParseResult | None:
        """send_message with the added ``body`` (``append``), or None if no addition."""
        words = tokens.words
        for opener in self._openers:
            size = len(opener)
            if len(words) > size and words[:size] == opener:
                body = tokens.surface(size, len(words)).strip(" ,，:：")
                if body:
                    slots: dict[str, SlotValue] = {"body": body, "append": True}
                    slots["correction"] = True
                    return ParseResult(text, Intent.SEND_MESSAGE, 0.9, slots)
        return None
