"""The dialog's memory: frozen dataclasses, replaced (never mutated) by ``step``.

``DialogState.task`` is the flow in progress (a message draft, a reading
session, an event draft, ...) and ``DialogState.waiting`` names the answer
the last question asked for. Between tasks the state remembers the message
the driver heard last (for "reply"), a kept draft (after a timeout),
announcements queued while a task ran, and notices still to be spoken.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from assistant.locales import Locale
from assistant.models import CalendarEvent, Contact, Message
from intents.result import ParseContext

AnnouncementRead = Literal["always", "on_request", "never"]


@dataclass(frozen=True, slots=True)
class Policy:
    """Tunable behaviour, taken from ``DialogSettings`` by the runner."""

    answer_timeout: float = 8.0
    confirm_timeout: float = 10.0
    announcement_read: AnnouncementRead = "on_request"
    max_spoken_chars: int = 220
    #: The language the dialog speaks (prompts, times, names); the parser's too.
    locale: Locale = "en"
    #: Whether names can be looked up at all (False: no directory is configured).
    directory: bool = True


@dataclass(frozen=True, slots=True)
class Target:
    """Where a message goes: a person (1:1) or a group conversation."""

    id: str
    name: str
    to_group: bool = False
    #: What tells this person from same-sounding ones ("Finance"), said with the name.
    detail: str = ""


@dataclass(frozen=True, slots=True)
class PendingName:
    """A recipient after one still to choose (see MessageDraft.later), kept in spoken order.

    ``sure``: the one candidate is the person (settled in turn, without a
    question); otherwise the driver chooses between the candidates.
    """

    query: str
    candidates: tuple[Contact, ...] = ()
    sure: bool = False
    #: The person sounds like someone else in the directory (the read-back says which).
    alike: bool = False


@dataclass(frozen=True, slots=True)
class MessageDraft:
    """A message being put together: send_message or reply_message."""

    target: Target | None = None
    body: str = ""
    urgent: bool = False
    is_reply: bool = False
    in_reply_to: str | None = None
    #: Contacts offered when the spoken name was ambiguous.
    candidates: tuple[Contact, ...] = ()
    #: The reading session a reply interrupted, resumed once the reply is sent.
    resume: Reading | None = None
    #: More recipients ("to li na and xu jing"), in the order they were settled.
    also: tuple[Target, ...] = ()
    #: Names still to choose for, after the one ``candidates`` asks about.
    later: tuple[PendingName, ...] = ()
    #: While sending: (request, outcome) per recipient reported so far.
    outcomes: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Reading:
    """Reading unread messages out one at a time."""

    messages: tuple[Message, ...] = ()
    index: int = 0
    #: The unspoken remainder of a long message, offered as "the rest".
    rest: str = ""
    sender_id: str | None = None
    conversation_id: str | None = None
    #: Started by an announcement: no "that's all" summary at the end.
    announced: bool = False
    #: Only urgent messages ("do I have any urgent messages").
    urgent_only: bool = False


@dataclass(frozen=True, slots=True)
class Offer:
    """An announcement asked "Want to hear it?" and awaits the answer."""

    messages: tuple[Message, ...]


@dataclass(frozen=True, slots=True)
class CalendarQuery:
    """Waiting for the events of a period (``next_only``: just the next one)."""

    start: datetime
    end: datetime
    next_only: bool = False


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event being put together, checked for conflicts, then confirmed."""

    title: str = ""
    start: datetime | None = None
    minutes: int | None = None
    end: datetime | None = None
    attendees: tuple[Contact, ...] = ()
    location: str = ""
    #: Attendee names still to disambiguate, first one being asked about.
    open_choices: tuple[tuple[Contact, ...], ...] = ()
    dropped: tuple[str, ...] = ()
    conflicts: tuple[CalendarEvent, ...] = ()
    #: The same time on the next day, offered for a start already past.
    proposed: datetime | None = None


@dataclass(frozen=True, slots=True)
class Cancelling:
    """Finding the event to cancel, then confirming."""

    title: str = ""
    start: datetime | None = None
    matches: tuple[CalendarEvent, ...] = ()
    chosen: CalendarEvent | None = None


@dataclass(frozen=True, slots=True)
class Moving:
    """A meeting being moved: found, given its new time, checked, confirmed, moved.

    ``people`` holds, for each person the driver named, the directory ids
    that person may be (namesakes stay possible: the meeting decides).
    ``keep`` is what the driver left out of the new time (``"day"`` or
    ``"time"``), taken from the meeting. ``moved`` is set once the meeting
    exists at its new time and only the old one is left to remove.
    """

    title: str = ""
    start: datetime | None = None
    day_end: datetime | None = None
    people: tuple[tuple[str, ...], ...] = ()
    names: tuple[str, ...] = ()
    new_start: datetime | None = None
    keep: str = ""
    matches: tuple[CalendarEvent, ...] = ()
    chosen: CalendarEvent | None = None
    target: datetime | None = None
    conflicts: tuple[CalendarEvent, ...] = ()
    moved: bool = False
    #: The same time on the next day, offered for a new time already past.
    proposed: datetime | None = None
    #: A move by an amount ("an hour later": 60, "提前半小时": -30), from the meeting's start.
    shift: int | None = None
    #: "bring it forward" said without an amount: the amount said next moves it earlier.
    earlier: bool = False


@dataclass(frozen=True, slots=True)
class ContactLookup:
    """A contact question waiting for the driver to pick between namesakes."""

    field: str
    candidates: tuple[Contact, ...]


@dataclass(frozen=True, slots=True)
class CallOffer:
    """A call was asked for; a message to the person is offered instead.

    ``people``: the person, or the namesakes the driver will choose between;
    ``body``: what the driver asked to tell them ("call zhang san and tell him
    I'm late"), carried into the message if they accept.
    """

    people: tuple[Contact, ...]
    body: str = ""


Task = (
    MessageDraft
    | Reading
    | Offer
    | CalendarQuery
    | NewEvent
    | Cancelling
    | Moving
    | ContactLookup
    | CallOffer
)

#: What the last question asked for ("" when nothing is pending).
Waiting = Literal[
    "",
    "recipient",
    "choice",
    "body",
    "confirm",
    "sending",
    "fetching",
    "reading",
    "rest",
    "offer",
    "title",
    "time",
    "saving",
]


@dataclass(frozen=True, slots=True)
class Question:
    """The open question as it was asked: repeated as it is, never rebuilt.

    Its parse context holds the choices offered, so "the first one" still
    picks after "repeat" or "help".
    """

    text: str
    context: ParseContext
    vocabulary: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Suspended:
    """A question left for a new command, asked again once that command is done."""

    task: Task
    waiting: Waiting
    question: Question


@dataclass(frozen=True, slots=True)
class DialogState:
    """Everything the dialog remembers between two events."""

    policy: Policy = Policy()
    task: Task | None = None
    waiting: Waiting = ""
    #: Number of the open answer window; a Timeout for another turn is stale.
    turn: int = 0
    last_spoken: str = ""
    last_heard: Message | None = None
    kept_draft: MessageDraft | None = None
    #: The body last read back (sent or not): "send the same message to ..." reuses it.
    last_body: str = ""
    queued: tuple[Message, ...] = ()
    notices: tuple[str, ...] = ()
    #: What a task said as it finished, left for the engine to speak first of
    #: what follows; empty between two steps.
    closing: tuple[str, ...] = ()
    #: The question whose answer window is open (None when nothing is asked).
    question: Question | None = None
    #: Answers in a row that did not answer ``question`` (see engine._answer).
    failures: int = 0
    #: A task's question a new command interrupted (a message draft is kept instead).
    suspended: Suspended | None = None

    @property
    def busy(self) -> bool:
        """Whether a task is in progress (announcements wait until it ends)."""
        return self.task is not None
