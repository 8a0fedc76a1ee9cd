"""The runner: carries out the engine's actions against the backend, outbox and speaker.

It owns everything impure the engine must not touch: the clock, the parser
(with the context of the last question), answer-window deadlines, the
connector, the outbox and the speaker. Results of actions come back as
events and are stepped in the same dispatch, so one driver turn runs to the
next question or the end of a task. A barge-in stops speech and drops the
rest of the batch (see :mod:`assistant.dialog.actions`).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from assistant.dialog.actions import (
    CancelEvent,
    CreateEvent,
    DialogAction,
    FetchEvents,
    FetchUnread,
    Listen,
    MarkRead,
    SendMessage,
    Speak,
    StopSpeaking,
)
from assistant.dialog.early_end import is_complete
from assistant.dialog.engine import step
from assistant.dialog.events import (
    BargeIn,
    DeliveredLate,
    DeliveryFailed,
    DialogEvent,
    Done,
    Failed,
    Fetched,
    Incoming,
    Queued,
    Timeout,
    Utterance,
)
from assistant.dialog.names import NameBook
from assistant.dialog.prompts import vocabulary
from assistant.dialog.state import DialogState
from assistant.errors import ConnectorError, DialogError, DriveTalkError
from assistant.models import Hypothesis, Message
from assistant.tts.speaker import Speaker, TextOnlySpeaker
from connectors.ports import CalendarPort, MessagingPort
from intents.result import Expect, ParseContext, ParseResult

log = logging.getLogger(__name__)

#: Messages arriving within this many seconds of each other form one burst.
BURST_WINDOW = 0.4
#: How often a running conversation looks for delivery notices it owes (seconds).
NOTICE_POLL = 2.0


class ParserLike(Protocol):
    """What the runner needs from :class:`intents.parser.Parser`."""

    def parse(
        self,
        text_or_nbest: str | Sequence[Hypothesis],
        *,
        now: datetime,
        context: ParseContext | None = None,
    ) -> ParseResult:
        """Parse one utterance in the given dialog context."""
        ...


class OutboxLike(Protocol):
    """What the runner needs from :class:`connectors.outbox.Outbox`."""

    def enqueue(self, message: Any, *, owner: str = "") -> Any: ...
    async def deliver(self, entry: Any, messaging: MessagingPort, *, told: bool = False) -> Any: ...
    def mark_queued(self, key: str) -> Any: ...
    def failures(self, owner: str | None = None) -> list[Any]: ...
    def late_deliveries(self, owner: str | None = None) -> list[Any]: ...
    def claim_notice(self, key: str) -> bool: ...


class CatchUp(Protocol):
    """What the runner needs from :class:`connectors.outbox.DeliveryWorker`."""

    async def catch_up(self) -> Any: ...


@dataclass
class AnswerWindow:
    """The open question: its number, parse context, ASR phrases and deadline."""

    turn: int
    context: ParseContext
    vocabulary: tuple[str, ...] = ()
    deadline: datetime | None = None


_INTERRUPTED = object()


@dataclass
class DialogRunner:
    """One driver's conversation with the assistant."""

    connector: object
    outbox: OutboxLike
    parser: ParserLike
    clock: Callable[[], datetime]
    on_say: Callable[[str], None] = lambda _text: None
    speaker: Speaker = field(default_factory=TextOnlySpeaker)
    state: DialogState = field(default_factory=DialogState)
    new_id: Callable[[], str] = field(default=lambda: uuid.uuid4().hex)
    timeouts: bool = True
    #: Directory names, offered to the recognizer when the question is "who?".
    names: tuple[str, ...] = ()
    #: Names of senders and groups in the dialog's language (see NameBook).
    name_book: NameBook = field(default_factory=NameBook)
    #: Who confirms messages here (a vehicle): only their delivery notices are told here.
    owner: str = ""
    #: The process's delivery worker, if this runner may make it catch up at start.
    delivery: CatchUp | None = None
    window: AnswerWindow = field(default_factory=lambda: AnswerWindow(0, ParseContext()))
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    # -- inputs ----------------------------------------------------------------

    @property
    def context(self) -> ParseContext:
        """The parse context of the open answer window (ANYTHING when none)."""
        return self.window.context

    @property
    def vocabulary(self) -> tuple[str, ...]:
        """Phrases the open answer window expects, for a constrained ASR grammar."""
        return self.window.vocabulary

    def parse(self, heard: str | Sequence[Hypothesis]) -> ParseResult:
        """Parse what the driver said in the context of the last question."""
        return self.parser.parse(heard, now=self.clock(), context=self.window.context)

    @property
    def awaiting_answer(self) -> bool:
        """Whether the assistant asked something and waits for the answer.

        With a wake phrase, the answer to a question needs none: the
        listening window stays open while this holds.
        """
        window = self.window
        return window.context != ParseContext() or bool(window.vocabulary)

    def complete_enough(self, heard: str) -> bool:
        """Whether ``heard`` (a partial transcript) already answers the open question.

        The listener's early-end predicate: true for a confident yes/no, a
        choice, a contact or a command without free text, never while a
        body, a title or a time is being dictated (see :mod:`.early_end`).
        """
        if not heard.strip():
            return False
        return is_complete(self.parse(heard), self.window.context)

    async def hear(self, heard: str | Sequence[Hypothesis]) -> None:
        """One driver turn: typed text or an ASR n-best list."""
        if isinstance(heard, str) and not heard.strip():
            return
        await self.dispatch(Utterance(self.parse(heard), self.new_id()))

    def barge_in(self) -> None:
        """The driver started talking: stop speech now (the batch is dropped)."""
        self.speaker.stop()

    async def tick(self) -> None:
        """Fire a due answer-window timeout; call periodically."""
        window = self.window
        if window.deadline is not None and self.clock() >= window.deadline:
            window.deadline = None
            await self.dispatch(Timeout(window.turn))

    async def report_notices(self) -> None:
        """Tell the driver, once, about late deliveries and final failures of their messages."""
        late = await self._claim(self.outbox.late_deliveries)
        if late:
            await self.dispatch(DeliveredLate(late))
        failed = await self._claim(self.outbox.failures)
        if failed:
            await self.dispatch(DeliveryFailed(failed))

    async def _claim(self, listing: Callable[[str | None], list[Any]]) -> tuple[str, ...]:
        """Recipients of the notices this runner won (another session may take some)."""
        entries = await asyncio.to_thread(listing, self.owner)
        names = []
        for entry in entries:
            if await asyncio.to_thread(self.outbox.claim_notice, entry.key):
                names.append(entry.message.recipient_name)
        return tuple(dict.fromkeys(names))

    async def start(self) -> None:
        """Let the delivery worker (if any) try what is due once, then tell what is owed.

        A server session has no worker here (the tenant's runs on its own),
        so opening a session never waits for the network.
        """
        if self.delivery is not None:
            await self.delivery.catch_up()
        await self.report_notices()

    async def watch_notices(self, every: float = NOTICE_POLL) -> None:
        """Tell late deliveries and final failures as the worker settles them (run as a task).

        An outbox with a notice bell (:class:`~connectors.outbox.bell.NoticeBell`)
        wakes this when a notice is owed to ``owner``; one without is looked at
        every ``every`` seconds.
        """
        bell = getattr(self.outbox, "bell", None)
        if bell is None:
            while True:
                await asyncio.sleep(every)
                await self.report_notices()
        with bell.subscribe(self.owner) as ear:
            while True:  # a first look: a notice owed before we listened rang nobody
                await self.report_notices()
                await ear.wait()

    async def watch_incoming(self) -> None:
        """Announce messages the connector pushes, bursts grouped (run as a task)."""
        messaging = self.connector
        if not isinstance(messaging, MessagingPort):
            return
        arrivals: asyncio.Queue[Message] = asyncio.Queue()

        async def pump() -> None:
            delay = 1.0
            while True:
                try:
                    async for message in messaging.incoming():
                        delay = 1.0
                        await arrivals.put(message)
                    return  # the connector closed
                except ConnectorError as exc:
                    # A dropped push channel must not end announcements for the drive.
                    log.warning(
                        "incoming messages interrupted (%s); retrying in %.0f s", exc, delay
                    )
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 60.0)

        reader = asyncio.create_task(pump())
        try:
            while True:
                burst = [await arrivals.get()]
                await asyncio.sleep(BURST_WINDOW)
                while not arrivals.empty():
                    burst.append(arrivals.get_nowait())
                await self.dispatch(Incoming(tuple(burst)))
        finally:
            reader.cancel()

    # -- the loop ----------------------------------------------------------------

    async def dispatch(self, event: DialogEvent) -> None:
        """Step the engine with ``event`` and carry out the actions, until quiet."""
        async with self._lock:
            events: deque[DialogEvent] = deque([event])
            while events:
                current = events.popleft()
                if isinstance(current, Utterance):
                    self.window = AnswerWindow(self.window.turn, ParseContext())
                current = self._renamed(current)
                self.state, actions = step(self.state, current, self.clock())
                if self.state.task is None:
                    # No question is open (e.g. a timeout ended the task): the
                    # next utterance is a new request, not an answer to it.
                    self.window = AnswerWindow(self.window.turn, ParseContext())
                for action in actions:
                    outcome = await self._execute(action)
                    if outcome is _INTERRUPTED:
                        events.append(BargeIn())
                        break
                    if outcome is not None:
                        events.append(outcome)

    def _renamed(self, event: DialogEvent) -> DialogEvent:
        """Messages named in the dialog's language before the engine sees them."""
        if isinstance(event, Incoming):
            return Incoming(self.name_book.messages(event.messages))
        if isinstance(event, Fetched) and event.messages:
            return replace(event, messages=self.name_book.messages(event.messages))
        return event

    async def _execute(self, action: DialogAction) -> Any:
        if isinstance(action, Speak):
            self.on_say(action.text)
            return None if await self.speaker.say(action.text) else _INTERRUPTED
        if isinstance(action, Listen):
            self._open_window(action)
            return None
        if isinstance(action, StopSpeaking):
            self.speaker.stop()
            return None
        return await self._backend(action)

    def _open_window(self, action: Listen) -> None:
        deadline = None
        if self.timeouts and action.timeout is not None:
            deadline = self.clock() + timedelta(seconds=action.timeout)
        words = action.vocabulary
        if not words and action.context.expect is Expect.CONTACT and self.names:
            locale = self.state.policy.locale
            words = (*(n.lower() for n in self.names), *vocabulary("contact", locale))
        self.window = AnswerWindow(action.turn, action.context, words, deadline)

    async def _backend(self, action: DialogAction) -> DialogEvent | None:
        request = getattr(action, "request", "")
        try:
            return await self._call(action)
        except DialogError:
            raise  # a bug in the flows, not a backend failure
        except DriveTalkError as exc:  # connector or store: the driver hears it, the chat goes on
            log.warning("backend action %s failed: %s", type(action).__name__, exc)
            return Failed(request, str(exc))

    async def _call(self, action: DialogAction) -> DialogEvent | None:
        conn = self.connector
        if isinstance(action, SendMessage):
            return await self._send(action)
        if isinstance(action, MarkRead):
            await self._messaging().mark_read(action.message_ids)
            return None
        if isinstance(action, FetchUnread):
            messages = await self._messaging().unread_messages()
            return Fetched(action.request, messages=tuple(messages))
        if not isinstance(conn, CalendarPort):
            raise ConnectorError("this backend has no calendar")
        if isinstance(action, FetchEvents):
            events = await conn.events(action.start, action.end)
            return Fetched(action.request, events=tuple(events))
        if isinstance(action, CreateEvent):
            return Done(action.request, event=await conn.create_event(action.draft))
        if isinstance(action, CancelEvent):
            await conn.cancel_event(action.event_id)
            return Done(action.request)
        raise DialogError(f"the runner cannot carry out {type(action).__name__}")

    def _messaging(self) -> MessagingPort:
        if not isinstance(self.connector, MessagingPort):
            raise ConnectorError("this backend has no messaging")
        return self.connector

    async def _send(self, action: SendMessage) -> DialogEvent:
        messaging = self._messaging()
        # Persisted (fsync'd) before any network call: a crash after "yes"
        # still delivers, from the delivery worker of the next process.
        entry = await asyncio.to_thread(self.outbox.enqueue, action.message, owner=self.owner)
        try:
            # told=True: the driver hears the outcome right now, so none is owed later.
            receipt = await self.outbox.deliver(entry, messaging, told=True)
        except ConnectorError as exc:
            after = await asyncio.to_thread(self.outbox.mark_queued, entry.key)
            if after.state == "pending":  # the worker goes on; the driver is told when it's in
                return Queued(action.request, str(exc))
            if after.receipt is not None:  # the worker got it through meanwhile
                return Done(action.request, receipt=after.receipt)
            return Failed(action.request, str(exc))
        return Done(action.request, receipt=receipt)
