"""Names as the driver hears them in the conversation's language.

In Chinese a colleague is called by the name written in characters: the
contact's first alias written wholly in CJK characters (李娜 for "Li Na"),
or the name itself when it is written so; people and groups without one
keep their name (David Miller). Departments come from the directory in
English and are said the usual Chinese way (销售部) from the catalogue, and
so are the job titles the catalogue knows (客户经理).

:class:`NameBook` does the same for messages, which carry only the names a
backend gave them: the runner passes every fetched or pushed message
through it before the pure engine sees it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from assistant.dialog.locale import current, speaking
from assistant.dialog.prompts import phrase, word
from assistant.locales import Locale, is_cjk
from assistant.models import Contact, Message


def chinese_name(contact: Contact) -> str:
    """The contact's name in characters: the name if CJK, else the first CJK alias, else ""."""
    if is_cjk(contact.name):
        return contact.name
    return next((alias for alias in contact.aliases if is_cjk(alias)), "")


def display_name(contact: Contact, locale: Locale | None = None) -> str:
    """How the dialog names ``contact`` in ``locale`` (default: the step's locale)."""
    if (locale or current()) == "zh":
        return chinese_name(contact) or contact.name
    return contact.name


def job_title(contact: Contact, locale: Locale | None = None) -> str:
    """The contact's job title as said in ``locale`` ("Account Manager" -> "客户经理")."""
    if not contact.title:
        return ""
    return word("titles", contact.title, locale or current())


def department(contact: Contact, locale: Locale | None = None) -> str:
    """The contact's department as said in ``locale`` ("Sales" -> "销售部")."""
    if not contact.department:
        return ""
    return word("departments", contact.department, locale or current())


def sounds_alike(parser: object) -> Callable[[Contact], bool] | None:
    """Whether a contact sounds like someone else, from a parser that knows
    (:attr:`intents.parser.Parser.alike`); None for one that does not."""
    alike = getattr(parser, "alike", None)
    if alike is None:
        return None
    return lambda contact: bool(alike.of(contact))


@dataclass(frozen=True, slots=True)
class NameBook:
    """Directory ids to display names in one locale, for renaming messages.

    With ``alike`` (does this person sound like someone else in the
    directory?), a sender who does is named with their department, as the
    read-backs name them: "New message from Li Wei in Sales."
    """

    names: dict[str, str] = field(default_factory=dict)
    locale: Locale = "en"
    people: dict[str, Contact] = field(default_factory=dict)
    alike: Callable[[Contact], bool] | None = None

    @classmethod
    def build(
        cls,
        contacts: Iterable[Contact],
        locale: Locale,
        alike: Callable[[Contact], bool] | None = None,
    ) -> NameBook:
        """Only names that differ are kept (none at all in English) and, with
        ``alike``, the people who may need their department said."""
        names = {}
        people = {}
        for contact in contacts:
            shown = display_name(contact, locale)
            if shown != contact.name:
                names[contact.id] = shown
            if alike is not None and contact.department and contact.kind == "person":
                people[contact.id] = contact
        return cls(names, locale, people, alike)

    def message(self, message: Message) -> Message:
        """``message`` with its sender and group named in the book's language."""
        if not self.names and not self.people:
            return message
        sender = self._sender(message)
        if message.conversation_name == message.sender_name:  # a direct chat
            conversation = sender
        else:
            conversation = self.names.get(message.conversation_id, message.conversation_name)
        return replace(message, sender_name=sender, conversation_name=conversation)

    def _sender(self, message: Message) -> str:
        return self.person(message.sender_id, message.sender_name)

    def person(self, contact_id: str, name: str) -> str:
        """How to name directory entry ``contact_id`` (known to the caller as ``name``):
        in the book's language, with the department when they sound like someone else
        ("Your message to Li Wei in Sales was delivered.")."""
        said = self.names.get(contact_id, name)
        person = self.people.get(contact_id)
        if person is None or self.alike is None or not self.alike(person):
            return said
        with speaking(self.locale):
            return phrase("choice_person", name=said, department=department(person))

    def messages(self, messages: Iterable[Message]) -> tuple[Message, ...]:
        """Every message renamed."""
        return tuple(self.message(m) for m in messages)
