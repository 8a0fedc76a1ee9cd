"""Hand-built parse results and contacts for testing the pure engine alone."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from assistant.dialog.actions import DialogAction, Listen, Speak
from assistant.dialog.engine import step
from assistant.dialog.events import DialogEvent, Utterance
from assistant.dialog.state import DialogState
from assistant.models import Contact, Intent, Message
from intents.result import ContactCandidate, ContactResolution, ParseResult, SlotValue

ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 8, 30, tzinfo=ZONE)  # a Monday morning

LI_WEI_SALES = Contact("u-li-wei-sales", "Li Wei", department="Sales", phone="+86 138 0000 0101")
LI_WEI_FINANCE = Contact("u-li-wei-finance", "Li Wei", department="Finance")
LI_NA = Contact("u-li-na", "Li Na", department="Marketing", email="li.na@example.com")
APOLLO = Contact("g-project-apollo", "Project Apollo", kind="group")


def known(contact: Contact, query: str | None = None) -> ContactResolution:
    """A resolution that found exactly ``contact``."""
    return ContactResolution(query or contact.name, (ContactCandidate(contact, 0.95),))


def ambiguous(*contacts: Contact) -> ContactResolution:
    """A resolution the driver must disambiguate."""
    cands = tuple(ContactCandidate(c, 0.9) for c in contacts)
    return ContactResolution(contacts[0].name, cands, ambiguous=True)


def unknown(query: str) -> ContactResolution:
    """Nobody in the directory matches ``query``."""
    return ContactResolution(query)


def said(intent: Intent | str, text: str = "", **slots: SlotValue) -> ParseResult:
    """What the parser would return for an utterance."""
    return ParseResult(text or str(intent), Intent(intent), 0.9, slots)


def message(
    sender: Contact,
    body: str,
    *,
    minutes_ago: int = 5,
    conversation: Contact | None = None,
    mid: str = "m1",
    urgent: bool = False,
) -> Message:
    """An incoming message, from ``sender`` directly or in a group ``conversation``."""
    conv = conversation or sender
    return Message(
        mid,
        conv.id,
        conv.name,
        sender.id,
        sender.name,
        body,
        NOW - timedelta(minutes=minutes_ago),
        urgent=urgent,
    )


class Driver:
    """Steps the engine and keeps every action, like a runner without a world."""

    def __init__(self, state: DialogState | None = None) -> None:
        self.state = state or DialogState()
        self.actions: list[DialogAction] = []
        self._ids = 0

    def event(self, event: DialogEvent, now: datetime = NOW) -> list[DialogAction]:
        """Step with ``event`` and return the new actions."""
        self.state, actions = step(self.state, event, now)
        self.actions.extend(actions)
        return list(actions)

    def say(self, result: ParseResult, now: datetime = NOW) -> list[DialogAction]:
        """The driver says something (each utterance gets a fresh event id)."""
        self._ids += 1
        return self.event(Utterance(result, f"utt-{self._ids}"), now)

    @staticmethod
    def spoken(actions: list[DialogAction]) -> str:
        """All text spoken in ``actions``, joined."""
        return " ".join(a.text for a in actions if isinstance(a, Speak))

    @staticmethod
    def listen(actions: list[DialogAction]) -> Listen:
        """The answer window opened by ``actions``."""
        found = [a for a in actions if isinstance(a, Listen)]
        assert len(found) == 1, actions
        return found[0]
