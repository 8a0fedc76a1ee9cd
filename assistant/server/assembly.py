"""The real conversation of a session: parser + dialog runner + the tenant's backend.

Built through the composition root (:mod:`assistant.compose`): one
:class:`~intents.parser.Parser` per tenant and locale (compiled once from
the tenant's directory, thread-safe, shared by its sessions); one
:class:`~assistant.dialog.runner.DialogRunner` per session, with the
tenant's connector and outbox and a :class:`SessionSpeech` sink. What the
runner says during a turn is the turn's reply (the stream or the REST route
renders its audio); what it says at other times (announcements of incoming
messages, answer-window timeouts, failed deliveries) goes to
:meth:`DialogConversation.announcements`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from assistant.asr.events import Final
from assistant.audio.endpoint import Completeness
from assistant.compose import build_runner, parser_for
from assistant.config import Settings
from assistant.dialog import snapshot as snapshots
from assistant.dialog.runner import DialogRunner
from assistant.errors import DriveTalkError
from assistant.locales import Locale
from assistant.models import Contact, Message
from assistant.server.conversation import Conversation, Turn
from assistant.server.keys import Principal
from assistant.server.notices import SessionNotices
from assistant.server.state import ConversationFactory
from assistant.server.tenants import Tenant
from intents.parser import Parser

log = logging.getLogger(__name__)

#: How often answer-window deadlines are checked (seconds).
TICK_SECONDS = 0.5
#: Announcements kept for a client that is not listening (oldest dropped).
MAX_PENDING_ANNOUNCEMENTS = 50


#: The parser of a locale (built once per tenant and locale).
ParserSource = Callable[[Locale], Awaitable[Parser]]


class SessionSpeech:
    """A server session's speech sink: replies stay in the turn, the rest waits for the client.

    The client plays the audio the server renders for it, so nothing plays
    here: the stream's ``barge_in`` event tells the client to stop.
    """

    def __init__(self, keep: int = MAX_PENDING_ANNOUNCEMENTS) -> None:
        self._said: asyncio.Queue[str] = asyncio.Queue(keep)

    async def say(self, text: str, *, reply: bool) -> bool:
        """Keep an unprompted line for the client (a reply is in the turn already)."""
        if not reply:
            if self._said.full():
                self._said.get_nowait()  # a client away for long hears only the latest news
            self._said.put_nowait(text)
        return True

    def stop(self) -> None:
        """Nothing plays on the server."""

    async def aclose(self) -> None:
        """Nothing to release."""

    async def next(self) -> str:
        """The next unprompted line, waiting for one."""
        return await self._said.get()

    def take(self) -> tuple[str, ...]:
        """Every unprompted line not handed out yet, oldest first."""
        lines = []
        while not self._said.empty():
            lines.append(self._said.get_nowait())
        return tuple(lines)


class DialogConversation:
    """:class:`~assistant.server.conversation.Conversation` over a DialogRunner.

    ``parsers`` and ``contacts`` let the session change language (the
    WebSocket ``start`` message may ask for one); without them it cannot.
    Announcements come from the runner's :class:`SessionSpeech` (a runner
    built with another sink has none).
    """

    def __init__(
        self,
        runner: DialogRunner,
        parsers: ParserSource | None = None,
        contacts: Sequence[Contact] = (),
    ) -> None:
        self.runner = runner
        self._parsers = parsers
        self._contacts = tuple(contacts)
        speech = runner.speech
        self._said = speech if isinstance(speech, SessionSpeech) else SessionSpeech()
        self._tasks: list[asyncio.Task[None]] = []
        self._notices: SessionNotices | None = None

    async def start(self) -> None:
        """Tell notices owed, then watch for incoming messages and timeouts.

        Later delivery notices are claimed when the outbox rings: at once on a
        stream (:meth:`watch_notices`), on the next request over REST
        (:meth:`catch_up_notices`). Never waits for the network: the
        tenant's delivery worker delivers.
        """
        # Listening before the first look: a notice owed in between rings.
        self._notices = SessionNotices(self.runner)
        await self.runner.start()
        self._tasks = [
            asyncio.create_task(self._guard(self.runner.watch_incoming())),
            asyncio.create_task(self._guard(self._ticks())),
        ]

    def announce_once(self, claim: Callable[[Message], Awaitable[bool]]) -> None:
        """Announce an incoming message only when ``claim`` grants it (fleet mode:
        the session's copies on other replicas hear it too)."""
        self.runner.claim_incoming = claim

    def vocabulary(self) -> tuple[str, ...]:
        """Phrases the open question expects."""
        return self.runner.vocabulary

    @property
    def locale(self) -> Locale:
        """The language the runner parses and speaks."""
        return self.runner.state.policy.locale

    async def use_locale(self, locale: Locale) -> None:
        """Parse and speak ``locale`` from the next turn on (the task in progress goes on)."""
        if locale == self.locale:
            return
        if self._parsers is None:
            raise DriveTalkError("this conversation cannot change its language")
        self.runner.use_locale(locale, await self._parsers(locale), self._contacts)

    def awaiting_answer(self) -> bool:
        """Whether the open question waits for an answer (no wake phrase needed for it)."""
        return self.runner.awaiting_answer

    def complete_enough(self, partial: str, *, continues: bool = False) -> Completeness:
        """Whether ``partial`` already answers the open question (the listener's early end)."""
        return self.runner.complete_enough(partial, continues=continues)

    def barge_in(self) -> None:
        """The driver talked over the reply (the client stops playing it)."""
        self.runner.barge_in()

    def snapshot(self) -> str:
        """The dialog state and open answer window, as JSON."""
        return snapshots.dump(snapshots.DialogSnapshot(self.runner.state, self.runner.window))

    async def restore(self, snapshot: str) -> None:
        """Take up the dialog where a snapshot left it (a draft awaiting "yes" awaits it).

        The session's language comes with it: the parser and names switch first.
        """
        found = snapshots.load(snapshot)
        await self.use_locale(found.state.policy.locale)
        # Whether names can be looked up is the tenant's configuration now, not then.
        policy = replace(found.state.policy, directory=self.runner.state.policy.directory)
        self.runner.state = replace(found.state, policy=policy)
        self.runner.window = found.window

    async def hear(self, final: Final) -> Turn:
        """Handle a recognized utterance (its n-best list); a blank one is no turn.

        A final that ``continues`` an early-ended one may join it (see
        :mod:`assistant.dialog.continuation`).
        """
        if not final.text.strip():
            return await self.runner.hear("")
        return await self.runner.hear(final.alternatives or final.text, continues=final.continues)

    async def hear_text(self, text: str) -> Turn:
        """Handle a typed utterance."""
        return await self.runner.hear(text)

    async def announcements(self) -> AsyncIterator[str]:
        """What the assistant says unprompted, as it happens."""
        while True:
            yield await self._said.next()

    def take_notices(self) -> tuple[str, ...]:
        """What the assistant said unprompted and nobody has heard yet, oldest first.

        For REST clients, which have no announcement stream: each notice is
        handed out once, here or on the WebSocket, never both.
        """
        return self._said.take()

    async def catch_up_notices(self) -> None:
        """Claim delivery notices owed since the last look (before a REST answer; cheap if none)."""
        if self._notices is not None:
            await self._notices.catch_up()

    async def watch_notices(self) -> None:
        """Claim delivery notices as they become owed, for an open stream (run as a task)."""
        if self._notices is not None:
            await self._notices.watch()

    async def _ticks(self) -> None:
        while True:
            await asyncio.sleep(TICK_SECONDS)
            await self.runner.tick()

    @staticmethod
    async def _guard(work: Coroutine[Any, Any, None]) -> None:
        try:
            await work
        except DriveTalkError as exc:
            log.warning("session background work stopped: %s", exc)

    async def aclose(self) -> None:
        """Stop background tasks, mark read what was read; confirmed messages stay in the outbox."""
        await self.runner.settle()
        if self._notices is not None:
            self._notices.close()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


def dialog_conversations(settings: Settings, clock: Callable[[], datetime]) -> ConversationFactory:
    """The factory ``create_app`` uses by default: real parser, runner, connector."""
    parsers: dict[tuple[str, Locale], Parser] = {}
    lock = asyncio.Lock()

    async def parser_of(tenant: Tenant, locale: Locale) -> Parser:
        async with lock:
            if (tenant.name, locale) not in parsers:
                contacts = await tenant.contacts()
                parsers[tenant.name, locale] = await asyncio.to_thread(
                    functools.partial(parser_for, contacts, locale, arbiter=settings.nlu.arbiter)
                )
            return parsers[tenant.name, locale]

    async def make(tenant: Tenant, who: Principal, locale: Locale) -> Conversation:
        contacts = await tenant.contacts()
        runner = build_runner(
            settings.dialog,
            connector=tenant.connector,
            outbox=tenant.outbox,
            parser=await parser_of(tenant, locale),
            contacts=contacts,
            locale=locale,
            clock=clock,
            speech=SessionSpeech(),
            owner=who.vehicle,
            directory=tenant.directory.configured,
            # A stream's early end may be joined within rejoin_ms: hold "mark as read" as long.
            hold_marks=settings.asr.rejoin_ms / 1000,
        )
        conversation = DialogConversation(runner, functools.partial(parser_of, tenant), contacts)
        await conversation.start()
        return conversation

    return make
