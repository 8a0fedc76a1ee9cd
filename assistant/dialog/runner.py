"""The runner: carries out the engine's actions against the backend, outbox and speaker.

It owns everything impure the engine must not touch: the clock, the parser
(with the context of the last question), answer-window deadlines, the
connector, the outbox and the speech sink. Results of actions come back as
events and are stepped in the same dispatch, so one driver turn runs to the
next question or the end of a task. A barge-in stops speech and drops the
rest of the batch (see :mod:`assistant.dialog.actions`).

One turn API for every front end: :meth:`DialogRunner.hear` parses what the
driver said in the context of the open question, steps the dialog and
returns the :class:`~assistant.dialog.turn.Turn`. The runner is built by the
composition root (:mod:`assistant.compose`).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from assistant.audio.endpoint import Completeness
from assistant.dialog.actions import (
    DialogAction,
    Listen,
    MarkRead,
    Speak,
    StopSpeaking,
)
from assistant.dialog.backend_calls import OutboxLike, carry_out
from assistant.dialog.calendar_titles import event_titles, names_an_event
from assistant.dialog.continuation import Answered, adds_nothing, joined
from assistant.dialog.early_end import completeness
from assistant.dialog.engine import step
from assistant.dialog.events import (
    BargeIn,
    DeliveredLate,
    DeliveryFailed,
    DialogEvent,
    Fetched,
    Incoming,
    Timeout,
    Utterance,
)
from assistant.dialog.names import NameBook, display_name, sounds_alike
from assistant.dialog.prompts import vocabulary
from assistant.dialog.sink import ShownAndSpoken, SpeechSink
from assistant.dialog.state import DialogState
from assistant.dialog.turn import Turn
from assistant.errors import ConnectorError, DriveTalkError
from assistant.locales import Locale
from assistant.models import Contact, Hypothesis, Message
from connectors.ports import MessagingPort
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
class _TurnLog:
    """What one driver turn said and did, collected while it is dispatched."""

    replies: list[str] = field(default_factory=list)
    actions: list[DialogAction] = field(default_factory=list)
    interrupted: bool = False


def _text_of(heard: str | Sequence[Hypothesis]) -> str:
    """The best transcript of ``heard``."""
    if isinstance(heard, str):
        return heard
    return heard[0].text if heard else ""


def directory_names(contacts: Iterable[Contact], locale: Locale) -> tuple[str, ...]:
    """Names of ``contacts`` as said in ``locale``, once each (recognizer vocabulary)."""
    return tuple(dict.fromkeys(display_name(c, locale) for c in contacts))


@dataclass
class DialogRunner:
    """One driver's conversation with the assistant."""

    connector: object
    outbox: OutboxLike
    parser: ParserLike
    clock: Callable[[], datetime]
    #: Where everything the assistant says goes; stopped by a barge-in.
    speech: SpeechSink = field(default_factory=ShownAndSpoken)
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
    #: Whether this runner announces an incoming message (None: always). A
    #: session with copies on several replicas announces each message once.
    claim_incoming: Callable[[Message], Awaitable[bool]] | None = None
    window: AnswerWindow = field(default_factory=lambda: AnswerWindow(0, ParseContext()))
    #: Seconds a driver turn's "mark as read" waits while the next utterance
    #: may still join the turn (``[asr] rejoin_ms``): a joined "read messages
    #: | from Zhang San" then marks only Zhang San's messages read. 0: at once.
    hold_marks: float = 0.0
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)
    #: The turn being dispatched (None: the runner speaks unprompted).
    _log: _TurnLog | None = field(default=None, repr=False)
    #: The last driver turn, which the next utterance may continue.
    _answered: Answered | None = field(default=None, repr=False)
    #: The last turn's held "mark as read"s and when they are due.
    _held: list[MarkRead] = field(default_factory=list, repr=False)
    _held_until: datetime | None = field(default=None, repr=False)

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

    def complete_enough(self, heard: str, *, continues: bool = False) -> Completeness:
        """Whether ``heard`` (a partial transcript) already answers the open question.

        The listener's early-end predicate: true for a confident yes/no, a
        choice, a contact or a command without free text, never while a
        body, a title or a time is being dictated (see :mod:`.early_end`);
        a yes/no or a choice is :attr:`~Completeness.CLOSED` (shortest pause).
        ``continues``: the utterance goes on from one that ended early, so
        it is judged as :meth:`hear` will take it: joined to the last turn
        in that turn's question ("no | to Li Na" as "no to Li Na" at the
        read-back), absorbed by it (closed), or alone.
        """
        if not heard.strip():
            return Completeness.NO
        last = self._answered if continues else None
        if last is not None:
            together, window = self._joined_parse(last, heard)
            if self._joinable(last):
                return self._completeness(together, window.context)
            if adds_nothing(last.parse, together):
                return Completeness.CLOSED  # absorbed: the answer stands as it was
        return self._completeness(self.parse(heard), self.window.context)

    def _completeness(self, result: ParseResult, context: ParseContext) -> Completeness:
        return completeness(result, context, reads_held=self.hold_marks > 0)

    async def hear(self, heard: str | Sequence[Hypothesis], *, continues: bool = False) -> Turn:
        """One driver turn: typed text or an ASR n-best list, parsed, stepped, carried out.

        Blank text is no turn (nothing is parsed or said). An n-best list is
        always a turn: the recognizer heard an utterance, however unclear.
        ``continues``: the driver went on right after an utterance that
        ended early (the listener's ``Final.continues``); it is joined to the
        last turn or absorbed by it where that is right (see
        :mod:`.continuation`), else a turn of its own.
        """
        last, self._answered = self._answered, None
        if continues and last is not None and _text_of(heard).strip():
            return await self._continue(last, heard)
        await self.settle()
        return await self._turn(heard)

    async def _turn(self, heard: str | Sequence[Hypothesis]) -> Turn:
        transcript = _text_of(heard)
        if isinstance(heard, str) and not heard.strip():
            return Turn(transcript="", parse=None)
        before = (self.state, self.window)
        parse = self.parse(heard)
        if names_an_event(parse):  # the calendar's titles over occasion words
            titles = await event_titles(self.connector, self.clock())
            if titles:
                context = replace(self.window.context, titles=titles)
                parse = self.parser.parse(heard, now=self.clock(), context=context)
        log = _TurnLog()
        await self.dispatch(Utterance(parse, self.new_id()), log=log)
        replies, actions = tuple(log.replies), tuple(log.actions)
        self._answered = Answered(
            before,
            self.state,
            transcript,
            parse,
            replies,
            actions,
            marks_held=bool(self._held),
            cut_off=log.interrupted,
        )
        return Turn(
            transcript=transcript,
            parse=parse,
            replies=replies,
            actions=actions,
            awaiting_answer=self.awaiting_answer,
            interrupted=log.interrupted,
        )

    def _joinable(self, last: Answered) -> bool:
        """Whether ``last`` can be taken back and heard again with what followed it."""
        return last.revocable and self.state is last.after

    def _joined_parse(
        self, last: Answered, heard: str | Sequence[Hypothesis]
    ) -> tuple[ParseResult, AnswerWindow]:
        """``heard`` after ``last``'s words, parsed in the question ``last`` answered."""
        _state, window = last.before
        assert isinstance(window, AnswerWindow)
        both = joined(last.transcript, heard)
        return self.parser.parse(both, now=self.clock(), context=window.context), window

    async def _continue(self, last: Answered, heard: str | Sequence[Hypothesis]) -> Turn:
        """``heard`` went on from ``last``: join the two, absorb it, or a turn of its own."""
        both = joined(last.transcript, heard)
        if self._joinable(last):
            # Nothing was done but talk: back to before the answer, both parts as one
            # (what it would have marked read was not heard as asked: forgotten).
            state, window = last.before
            assert isinstance(window, AnswerWindow)
            self._held.clear()
            self.state, self.window = state, window
            return await self._turn(both)
        await self.settle()
        together, _window = self._joined_parse(last, heard)
        if not adds_nothing(last.parse, together):
            return await self._turn(heard)
        # "yes | please": the answer stands. Its reply is said again only if the
        # continuation cut it off (a barge-in); one that was heard to the end is not.
        replies = last.replies if last.cut_off else ()
        for reply in replies:
            await self.speech.say(reply, reply=True)
        self._answered = replace(last, marks_held=False)
        return Turn(
            transcript=_text_of(both),
            parse=together,
            replies=replies,
            awaiting_answer=self.awaiting_answer,
            absorbed=True,
        )

    def barge_in(self) -> None:
        """The driver started talking: stop speech now (the batch is dropped).

        The last turn's reply counts as cut off: a continuation it absorbs
        says it again.
        """
        self.speech.stop()
        if self._answered is not None:
            self._answered = replace(self._answered, cut_off=True)

    def use_locale(self, locale: Locale, parser: ParserLike, contacts: Iterable[Contact]) -> None:
        """Parse with ``parser`` and speak ``locale`` from the next turn on.

        The task in progress goes on; names are said in the new language.
        """
        contacts = tuple(contacts)
        self.parser = parser
        self.state = replace(self.state, policy=replace(self.state.policy, locale=locale))
        self.names = directory_names(contacts, locale)
        self.name_book = NameBook.build(contacts, locale, sounds_alike(parser))

    async def tick(self) -> None:
        """Fire a due answer-window timeout, mark held messages read when due; call periodically."""
        if self._held_until is not None and self.clock() >= self._held_until:
            await self.settle()
        window = self.window
        if window.deadline is not None and self.clock() >= window.deadline:
            window.deadline = None
            await self.dispatch(Timeout(window.turn))

    async def settle(self) -> None:
        """Mark read now what the last turn read out (held for ``hold_marks``); at the end too."""
        held, self._held, self._held_until = self._held, [], None
        if held and self._answered is not None:  # carried out: no longer to be taken back
            self._answered = replace(self._answered, marks_held=False)
        async with self._lock:
            for action in held:
                await self._backend(action)

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
                message = entry.message  # named as read-backs name them
                names.append(self.name_book.person(message.recipient_id, message.recipient_name))
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
                mine = await self._claimed(burst)
                if mine:
                    await self.dispatch(Incoming(mine))
        finally:
            reader.cancel()

    async def _claimed(self, burst: list[Message]) -> tuple[Message, ...]:
        """The messages of ``burst`` this runner announces (all, unless claims are shared)."""
        claim = self.claim_incoming
        if claim is None:
            return tuple(burst)
        try:
            return tuple([m for m in burst if await claim(m)])
        except DriveTalkError as exc:  # the database blinked: stay silent, never twice
            log.warning("incoming messages not announced: %s", exc)
            return ()

    # -- the loop ----------------------------------------------------------------

    async def dispatch(self, event: DialogEvent, *, log: _TurnLog | None = None) -> None:
        """Step the engine with ``event`` and carry out the actions, until quiet.

        ``log`` (a driver turn's) collects what is said and done; without it
        the lines are unprompted.
        """
        async with self._lock:
            self._log = log
            try:
                await self._run(event)
            finally:
                self._log = None

    async def _run(self, event: DialogEvent) -> None:
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
                    if self._log is not None:
                        self._log.interrupted = True
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
        log = self._log
        if isinstance(action, Speak):
            if log is not None:
                log.replies.append(action.text)
            done = await self.speech.say(action.text, reply=log is not None)
            return None if done else _INTERRUPTED
        if isinstance(action, Listen):
            self._open_window(action)
            return None
        if isinstance(action, StopSpeaking):
            self.speech.stop()
            return None
        if log is not None:
            log.actions.append(action)
            if isinstance(action, MarkRead) and self.hold_marks > 0:
                # Held while the driver may still go on: a join takes the turn back.
                self._held.append(action)
                self._held_until = self.clock() + timedelta(seconds=self.hold_marks)
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
        return await carry_out(
            action, connector=self.connector, outbox=self.outbox, owner=self.owner
        )
