"""Same-sounding people: who else in the directory a resolved name may be heard as.

Two colleagues called Li Wei, 李伟 and 李薇, or Li Wei and Lee Way sound the
same through a car speaker. A read-back that only says "to Li Wei" cannot
tell the driver which one a message goes to, so every resolved contact of a
parse carries the ids of the others that sound like it
(:attr:`intents.result.ContactResolution.alike`) and the dialog names the
department then. Looked up once per contact (by its name and its names in
characters) and remembered: the directory does not change under a parser.
"""

from __future__ import annotations

from dataclasses import replace

from assistant.models import Contact
from intents.contacts import ContactIndex
from intents.phonetics import has_han
from intents.result import ContactResolution, ParseResult, SlotValue

#: Another contact found for a person's own name with this score or more sounds like them
#: (the same name, a homophone in characters, Lee Way for Li Wei; not Li Wen).
ALIKE = 0.85
#: Contacts remembered per parser (cleared when full).
CACHE_SIZE = 4096


class SoundAlikes:
    """Finds and remembers the same-sounding others of each contact."""

    def __init__(self, index: ContactIndex) -> None:
        self.index = index
        self._known: dict[str, tuple[str, ...]] = {}

    def of(self, contact: Contact) -> tuple[str, ...]:
        """Ids of the other directory entries that sound like ``contact``."""
        found = self._known.get(contact.id)
        if found is None:
            names = (contact.name, *(a for a in contact.aliases if has_han(a)))
            ids = (
                candidate.contact.id
                for name in names
                for candidate in self.index.resolve(name).candidates
                if candidate.score >= ALIKE and candidate.contact.id != contact.id
            )
            found = tuple(dict.fromkeys(ids))
            if len(self._known) >= CACHE_SIZE:
                self._known.clear()
            self._known[contact.id] = found
        return found

    def annotate(self, result: ParseResult) -> ParseResult:
        """``result`` with each resolved contact's sound-alikes filled in."""
        if not any(_resolved(v) for v in result.slots.values()):
            return result
        slots = {name: self._slot(value) for name, value in result.slots.items()}
        return replace(result, slots=slots)

    def _slot(self, value: SlotValue) -> SlotValue:
        if isinstance(value, ContactResolution) and value.best is not None:
            return replace(value, alike=self.of(value.best))
        if isinstance(value, tuple):
            return tuple(self._slot(v) for v in value)  # type: ignore[misc]
        return value


def _resolved(value: SlotValue) -> bool:
    if isinstance(value, ContactResolution):
        return value.best is not None
    return isinstance(value, tuple) and any(_resolved(v) for v in value)
