"""What the parser returns, and what the dialog tells it to expect.

These types are the contract between ``intents`` and its callers (the dialog,
``drivetalk parse``, the server, the replay harness). ``to_json`` gives the
exact shape ``drivetalk parse`` prints.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from assistant.models import Contact, Intent


@dataclass(frozen=True, slots=True)
class ContactCandidate:
    """A directory entry that may be the one the driver meant, with a 0..1 score."""

    contact: Contact
    score: float

    def to_json(self) -> dict[str, Any]:
        c = self.contact
        return {
            "id": c.id,
            "name": c.name,
            "kind": c.kind,
            "department": c.department,
            "score": round(self.score, 3),
        }


@dataclass(frozen=True, slots=True)
class ContactResolution:
    """The result of resolving a spoken name against the directory.

    ``candidates`` are ranked best first. ``ambiguous`` is true when the top
    candidates are too close to choose between (the dialog must ask);
    ``candidates`` is empty when nobody in the directory matches (the dialog
    says it does not know that person), yet the intent still stands.
    """

    query: str
    candidates: tuple[ContactCandidate, ...] = ()
    ambiguous: bool = False
    #: Ids of other directory entries that sound like ``best`` (intents/alike.py):
    #: the dialog then names who is meant ("Li Wei in Finance").
    alike: tuple[str, ...] = ()

    @property
    def best(self) -> Contact | None:
        """The chosen contact, or None when unknown or ambiguous."""
        if not self.candidates or self.ambiguous:
            return None
        return self.candidates[0].contact

    def to_json(self) -> dict[str, Any]:
        best = self.best
        return {
            "query": self.query,
            "id": best.id if best else None,
            "name": best.name if best else None,
            "ambiguous": self.ambiguous,
            "candidates": [c.to_json() for c in self.candidates],
        }


#: A slot value: plain text, a flag, a number, an aware datetime (printed as
#: ISO 8601 with offset), a duration in minutes, a resolved contact, or a tuple
#: of resolved contacts (attendees).
SlotValue = str | bool | int | float | datetime | ContactResolution | tuple[ContactResolution, ...]


class Expect(StrEnum):
    """What answer the dialog is waiting for (see intents/README.md for the rules)."""

    ANYTHING = "anything"
    YES_NO = "yes_no"
    BODY = "body"
    CHOICE = "choice"
    TIME = "time"
    TITLE = "title"
    CONTACT = "contact"


@dataclass(frozen=True, slots=True)
class ParseContext:
    """Dialog context for one parse: the expected answer and the choices offered."""

    expect: Expect = Expect.ANYTHING
    choices: tuple[str, ...] = ()
    #: Titles of the driver's calendar events (a dynamic list, as contacts are):
    #: "cancel the budget check-in" names "Budget check-in", not "budget".
    titles: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ParseResult:
    """An intent with its slots and a 0..1 confidence."""

    text: str
    intent: Intent
    confidence: float
    slots: Mapping[str, SlotValue] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The JSON object ``drivetalk parse`` prints for one line."""
        return {
            "text": self.text,
            "intent": self.intent.value,
            "confidence": round(self.confidence, 3),
            "slots": {name: slot_to_json(value) for name, value in self.slots.items()},
        }


def slot_to_json(value: SlotValue) -> Any:
    """Render one slot value as JSON-compatible data."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, ContactResolution):
        return value.to_json()
    if isinstance(value, tuple):
        return [slot_to_json(v) for v in value]
    return value
