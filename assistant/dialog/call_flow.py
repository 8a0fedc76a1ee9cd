"""Phone calls the assistant cannot place: "call li wei", "打电话给李娜", "ring my boss".

A call is never a calendar answer nor silently a message. The driver hears
that calls are not possible and is offered a message to the person instead;
a "yes" hands over to the sending flow (the engine's move), which asks for
the body.
"""

from __future__ import annotations

from assistant.dialog.common import Outcome, ask, finish, p, sentence_case
from assistant.dialog.contacts import resolve, unknown_name
from assistant.dialog.events import Utterance
from assistant.dialog.names import display_name
from assistant.dialog.state import CallOffer, DialogState
from assistant.models import Intent
from intents.result import ContactResolution, Expect, ParseContext, ParseResult


def is_call(result: ParseResult) -> bool:
    """A request to phone someone (the parser's ``callee`` slot on an out-of-domain intent)."""
    return result.intent is Intent.NONE and "callee" in result.slots


def start_call(state: DialogState, result: ParseResult) -> Outcome:
    """Say calls are not possible; offer a message to the person if the directory knows them."""
    whom = result.slots.get("callee")
    if not isinstance(whom, ContactResolution):
        return finish(state, p("call.cannot"))
    found = resolve(whom)
    if found.unknown:
        return finish(state, p("call.cannot"), unknown_name(found.unknown))
    people = (found.contact,) if found.contact is not None else found.candidates
    text = p("call.offer_message", name=display_name(people[0]))
    body = result.slots.get("body")
    offer = CallOffer(people, sentence_case(body) if isinstance(body, str) else "")
    return ask(state, text, "confirm", ParseContext(Expect.YES_NO), task=offer)


def answer(state: DialogState, offer: CallOffer, event: Utterance) -> Outcome:
    """Anything but "yes" (the engine's hand-over to sending) to "Shall I send a message?"."""
    if event.result.intent in (Intent.DENY, Intent.CANCEL):
        return finish(state, p("call.declined"))
    return ask(state, p("repair.yes_or_no"), "confirm", ParseContext(Expect.YES_NO))
