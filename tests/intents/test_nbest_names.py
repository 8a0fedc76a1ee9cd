"""A name the recogniser's rival hypotheses heard as someone else is asked about."""

from __future__ import annotations

from assistant.models import Contact
from intents.nbest_names import disputed
from intents.result import ContactCandidate, ContactResolution, Intent, ParseResult

XU = Contact(id="xu", name="Xu Yingping")
SU = Contact(id="su", name="Su Yunping")


def _send(person: Contact | None, *, intent: Intent = Intent.SEND_MESSAGE) -> ParseResult:
    said = person.name.lower() if person else "nobody"
    candidates = (ContactCandidate(person, 1.0),) if person else ()
    recipient = ContactResolution(query=said, candidates=candidates)
    return ParseResult(f"send a message to {said}", intent, 0.9, {"recipient": recipient})


def test_a_rival_reading_naming_another_person_makes_the_name_a_question() -> None:
    best = _send(SU)
    asked = disputed(best, [best, _send(XU)])
    recipient = asked.slots["recipient"]
    assert isinstance(recipient, ContactResolution)
    assert recipient.ambiguous
    assert [c.contact.id for c in recipient.candidates] == ["su", "xu"]


def test_rivals_that_agree_or_name_nobody_leave_the_name_sure() -> None:
    best = _send(SU)
    assert disputed(best, [best, _send(SU), _send(None)]) is best


def test_a_rival_of_another_intent_does_not_dispute_the_name() -> None:
    best = _send(SU)
    assert disputed(best, [best, _send(XU, intent=Intent.READ_MESSAGES)]) is best
