"""Contact questions: "what's Li Wei's phone number", "which department is Zhang San in"."""

from __future__ import annotations

from assistant.dialog.common import Outcome, ask, finish, p, spoken
from assistant.dialog.contacts import choice_question, first_resolution, pick, resolve, unknown_name
from assistant.dialog.events import Utterance
from assistant.dialog.names import department, display_name, job_title
from assistant.dialog.prompts import phrase
from assistant.dialog.speech import spoken_email, spoken_phone
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
    name = display_name(contact)
    if field not in _FIELDS:
        return _summary(contact)
    value = _VALUES[field](contact) if field in _VALUES else getattr(contact, field)
    if not value:
        return p("contact.missing", name=name, field=phrase(f"field_{field}"))
    return p(f"contact.{field}", name=name, value=_spoken(field, value))


#: Fields said in the conversation's language rather than as the directory has them.
_VALUES = {"department": department, "title": job_title}


def _summary(contact: Contact) -> str:
    name, dept, title = display_name(contact), department(contact), job_title(contact)
    role = phrase("role", title=title, department=dept) if title and dept else title or dept
    text = phrase("summary", name=name, role=role) if role else phrase("summary_name", name=name)
    if contact.phone:
        text += " " + p("contact.summary_phone", value=spoken_phone(contact.phone))
    return spoken(text)


def _spoken(field: str, value: str) -> str:
    if field == "phone":
        return spoken_phone(value)
    if field == "email":
        return spoken_email(value)
    return value
