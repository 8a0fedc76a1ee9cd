"""Slots of an intent the arbiter took where the grammar found none.

Only what the words plainly give: a name the directory knows (the longest
run of words that resolves, leftmost first) and, for a message, the body
said after a marker ("saying", "说", "告诉他"; per locale in
``grammar/<locale>/rescue.yaml``). Times come from the parser's own scanners.
Anything missing the dialog asks for, and a message is read back before it
is sent, so a rescued reading can never send what the driver did not hear.
"""

from __future__ import annotations

from assistant.models import Intent
from intents.grammar import GRAMMAR_ROOT, load_yaml, phrase_tokens
from intents.result import ContactResolution, SlotValue
from intents.slots import SlotFiller
from intents.text import Tokens

#: The slot a name found in a rescued utterance goes to.
NAME_SLOTS = {
    Intent.SEND_MESSAGE: "recipient",
    Intent.QUERY_CONTACT: "contact",
    Intent.READ_MESSAGES: "sender",
}
#: Lowest score of a directory match taken as the name said.
MIN_NAME_SCORE = 0.9
#: Words (English) or characters (Chinese) a name may span, and how far in to look.
LONGEST_NAME = {"en": 3, "zh": 4}
SHORTEST_NAME = {"en": 1, "zh": 2}
SEARCHED_TOKENS = 24


class Rescue:
    """Finds a name and a body in words the grammar could not match."""

    def __init__(self, filler: SlotFiller, locale: str) -> None:
        data = load_yaml(GRAMMAR_ROOT / locale / "rescue.yaml")
        self.filler = filler
        self.markers = tuple(
            sorted((phrase_tokens(str(m)) for m in data["body_markers"]), key=len, reverse=True)
        )
        self.not_names = frozenset(str(w) for w in data.get("not_names") or ())
        self.longest = LONGEST_NAME.get(locale, 3)
        self.shortest = SHORTEST_NAME.get(locale, 1)

    def slots(self, intent: Intent, tokens: Tokens, timeless: Tokens) -> dict[str, SlotValue]:
        """Slot values for ``intent`` found in the words (time phrases already left out)."""
        slots: dict[str, SlotValue] = {}
        slot = NAME_SLOTS.get(intent)
        if slot is None:
            return slots
        body_at = self._body_start(timeless) if intent is Intent.SEND_MESSAGE else None
        name = self._name(timeless, body_at if body_at is not None else len(timeless))
        if name is not None:
            slots[slot] = name
            if body_at is not None and body_at < len(timeless):
                body = timeless.surface(body_at, len(timeless))
                if body:
                    slots["body"] = body
        return slots

    def _body_start(self, tokens: Tokens) -> int | None:
        """Index of the first word after the first body marker (None: no marker said)."""
        words = tokens.words
        for start in range(1, len(words)):
            for marker in self.markers:
                if words[start : start + len(marker)] == marker:
                    return start + len(marker)
        return None

    def _name(self, tokens: Tokens, end: int) -> ContactResolution | None:
        """The longest, leftmost run of words before ``end`` that the directory knows."""
        words = tokens.words[: min(end, SEARCHED_TOKENS)]
        for size in range(self.longest, self.shortest - 1, -1):
            for start in range(len(words) - size + 1):
                run = words[start : start + size]
                if any(w in self.not_names for w in run):
                    continue
                if run[-1].endswith("'s"):  # "li wei's digits": the owner is the name
                    run = (*run[:-1], run[-1][:-2])
                resolution = self.filler.resolve(self.filler.join(run))
                if resolution.candidates and resolution.candidates[0].score >= MIN_NAME_SCORE:
                    return resolution
        return None
