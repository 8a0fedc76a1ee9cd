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

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from assistant.dialog.locale import current
from assistant.dialog.prompts import word
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


@dataclass(frozen=True, slots=True)
class NameBook:
    """Directory ids to display names in one locale, for renaming messages."""

    names: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, contacts: Iterable[Contact], locale: Locale) -> NameBook:
        """Only names that differ are kept (none at all in English)."""
        names = {}
        for contact in contacts:
            shown = display_name(contact, locale)
            if shown != contact.name:
                names[contact.id] = shown
        return cls(names)

    def message(self, message: Message) -> Message:
        """``message`` with its sender and group named in the book's language."""
        if not self.names:
            return message
        sender = self.names.get(message.sender_id, message.sender_name)
        if message.conversation_name == message.sender_name:  # a direct chat
            conversation = sender
        else:
            conversation = self.names.get(message.conversation_id, message.conversation_name)
        return replace(message, sender_name=sender, conversation_name=conversation)

    def messages(self, messages: Iterable[Message]) -> tuple[Message, ...]:
        """Every message renamed."""
        return tuple(self.message(m) for m in messages)
