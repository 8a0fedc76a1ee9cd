"""Contact questions: "what's Li Wei's phone number", "which department is Zhang San in"."""

from __future__ import annotations

from assistant.dialog.common import Outcome, ask, finish, p
from assistant.dialog.contacts import choice_question, first_resolution, pick, resolve, unknown_name
from assistant.dialog.events import Utterance
from assistant.dialog.state import ContactLookup, DialogState
from assistant.models import Contact
from intents.result import ParseResult

_FIELDS = ("phone", "email", "department", "title")


def start_lookup(state: DialogState, result: ParseResult) -> Outcome:
    """query_contact: answer at once, or ask which namesake was meant."""
    field = str(result.slots.get("field") or "any")
    resolution = first_resolution(result.slots)
    if resolution is None:
        return finish(state, p("contact.who"))
    found = resolve(resolution)
    if found.contact is not None:
        return finish(state, describe(found.contact, field))
    if not found.candidates:
        return finish(state, unknown_name(found.unknown))
    question, context = choice_question(found.candidates)
    return ask(state, question, "choice", context, task=ContactLookup(field, found.candidates))


def answer(state: DialogState, lookup: ContactLookup, event: Utterance) -> Outcome:
    """The driver picked one of the namesakes."""
    chosen = pick(lookup.candidates, event.result.slots)
    if chosen is None:
        question, context = choice_question(lookup.candidates)
        return ask(state, f"{p('repair.not_understood')} {question}", "choice", context)
    return finish(state, describe(chosen, lookup.field))


def describe(contact: Contact, field: str) -> str:
    """One spoken answer about ``contact``; phone numbers digit by digit."""
    if field not in _FIELDS:
        return _summary(contact)
    value = getattr(contact, field)
    if not value:
        return p("contact.missing", name=contact.name, field=_FIELD_WORDS[field])
    return p(f"contact.{field}", name=contact.name, value=_spoken(field, value))


_FIELD_WORDS = {
    "phone": "phone number",
    "email": "email address",
    "department": "department",
    "title": "job title",
}


def _summary(contact: Contact) -> str:
    parts = [contact.name]
    if contact.title or contact.department:
        parts.append(" in ".join(x for x in (contact.title, contact.department) if x))
    text = ", ".join(parts) + "."
    if contact.phone:
        text += " " + p("contact.summary_phone", value=spoken_phone(contact.phone))
    return text


def _spoken(field: str, value: str) -> str:
    if field == "phone":
        return spoken_phone(value)
    if field == "email":
        return value.replace("@", " at ").replace(".", " dot ")
    return value


def spoken_phone(number: str) -> str:
    """ "+86 138 0013 8000" -> "plus 8 6, 1 3 8, 0 0 1 3, 8 0 0 0": digits, grouped."""
    groups = []
    for chunk in number.replace("-", " ").split():
        digits = " ".join(ch for ch in chunk if ch.isdigit())
        if digits:
            groups.append(("plus " if chunk.startswith("+") else "") + digits)
    return ", ".join(groups)
