"""Turning the parser's contact resolutions into a choice, a question or a refusal."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from assistant.dialog.locale import current, has_directory
from assistant.dialog.names import department, display_name
from assistant.dialog.prompts import phrase, prompt
from assistant.dialog.speech import alternatives
from assistant.models import Contact
from intents.result import ContactResolution, Expect, ParseContext, SlotValue

#: Candidates closer than this to the best score are offered as a choice.
_CLOSE = 0.15
_MAX_CHOICES = 3


@dataclass(frozen=True, slots=True)
class Resolved:
    """Outcome of a resolution: exactly one of the three fields is meaningful."""

    contact: Contact | None = None
    candidates: tuple[Contact, ...] = ()
    unknown: str = ""


def resolve(resolution: ContactResolution) -> Resolved:
    """One contact, a short list of namesakes to choose from, or an unknown name."""
    if resolution.best is not None:
        return Resolved(contact=resolution.best)
    if not resolution.candidates:
        return Resolved(unknown=resolution.query)
    top = resolution.candidates[0].score
    close = [c.contact for c in resolution.candidates if c.score >= top - _CLOSE]
    # Namesakes ("Li Wei" in Sales and in Finance) are the real question; a
    # near-homophone that merely scored close (Lee Way) would only confuse.
    query = resolution.query.casefold().removesuffix("'s")
    namesakes = [c for c in close if c.name.casefold() == query]
    chosen = namesakes if len(namesakes) > 1 else close
    return Resolved(candidates=tuple(chosen[:_MAX_CHOICES]))


def first_resolution(slots: Mapping[str, SlotValue]) -> ContactResolution | None:
    """The first contact-like slot of a parse (recipient, contact, sender, ...)."""
    for name in ("recipient", "contact", "sender", "conversation"):
        value = slots.get(name)
        if isinstance(value, ContactResolution):
            return value
    return next((v for v in slots.values() if isinstance(v, ContactResolution)), None)


def choice_label(contact: Contact) -> str:
    """How a candidate is named to the parser: "Li Wei, Sales" ("李伟, 销售部" in Chinese)."""
    group = phrase("label_group") if contact.kind == "group" else contact.title
    detail = department(contact) or group
    name = display_name(contact)
    return phrase("label_person", name=name, detail=detail) if detail else name


def spoken_choice(contact: Contact) -> str:
    """How a candidate is named to the driver: "Li Wei in Sales" ("销售部的李伟")."""
    name = display_name(contact)
    if contact.kind == "group":
        return phrase("choice_group", name=name)
    if not contact.department:
        return name
    return phrase("choice_person", name=name, department=department(contact))


def choice_question(candidates: Iterable[Contact]) -> tuple[str, ParseContext]:
    """ "Li Wei in Sales or Li Wei in Finance?" and the matching parse context."""
    items = list(candidates)
    if len(items) == 1:  # a name the recogniser doubted: "Did you mean Li Wei in Sales?"
        text = phrase("one_choice", choice=spoken_choice(items[0]))
    else:
        text = alternatives([spoken_choice(c) for c in items]) + phrase("question_mark")
    return text, ParseContext(Expect.CHOICE, tuple(choice_label(c) for c in items))


def pick(candidates: tuple[Contact, ...], slots: Mapping[str, SlotValue]) -> Contact | None:
    """The candidate an answer picks: a 0-based ``choice`` or a resolved name."""
    choice = slots.get("choice")
    if isinstance(choice, int) and not isinstance(choice, bool):
        return candidates[choice] if 0 <= choice < len(candidates) else None
    resolution = first_resolution(slots)
    if resolution is None:
        return None
    ids = {c.id for c in candidates}
    best = resolution.best
    if best is not None and best.id in ids:
        return best
    inside = [c.contact for c in resolution.candidates if c.contact.id in ids]
    return inside[0] if len(inside) == 1 else None


def unknown_name(query: str) -> str:
    """ "I don't know anyone called Bob."; "my wife": "I can't find your wife ..."

    Without any directory the reason is that, whatever the name.
    """
    if not has_directory():
        return prompt("contact.no_directory")
    who = _relation(query)
    if who:
        return prompt("contact.unknown_relation", who=who)
    return prompt("contact.unknown", name=spoken_name(query))


def left_out(names: str) -> str:
    """ "I don't know Bob, so I left them out." (attendees), or why no name is known."""
    key = "calendar.dropped" if has_directory() else "calendar.dropped_no_directory"
    return prompt(key, names=names)


def _relation(query: str) -> str:
    """ "my wife" -> "wife", "我老婆"/"我的司机" -> "老婆"/"司机"; "" for a name."""
    if current() == "zh":
        for mine in ("我们的", "我的", "我"):
            if query.startswith(mine) and len(query) > len(mine):
                return query[len(mine) :]
        return ""
    first, _, rest = query.partition(" ")
    return rest if first.lower() in ("my", "our") and rest else ""


def spoken_person(query: str) -> str:
    """A heard name, or who someone is to the driver: "bob" -> "Bob", "my wife" -> "your wife"."""
    who = _relation(query)
    return phrase("your_relation", who=who) if who else spoken_name(query)


def spoken_name(query: str) -> str:
    """A heard name as it is written: "bob" -> "Bob" (typed capitals are kept)."""
    return query.title() if query.islower() else query
