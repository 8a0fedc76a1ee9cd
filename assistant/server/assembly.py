"""The real conversation of a session: parser + dialog runner + the tenant's backend.

One :class:`~intents.parser.Parser` per tenant (compiled once from the
tenant's directory, thread-safe, shared by its sessions); one
:class:`~assistant.dialog.runner.DialogRunner` per session, with the
tenant's connector and outbox. What the runner says during a turn is the
turn's reply; what it says at other times (announcements of incoming
messages, answer-window timeouts, failed deliveries) goes to
:meth:`DialogConversation.announcements`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from datetime import datetime
from typing import Any

from assistant.asr.events import Final
from assistant.config import Settings
from assistant.dialog import snapshot as snapshots
from assistant.dialog.events import Utterance
from assistant.dialog.runner import DialogRunner
from assistant.dialog.session import policy_from
from assistant.dialog.state import DialogState
from assistant.errors import DriveTalkError
from assistant.models import Hypothesis
from assistant.server.conversation import Conversation, Turn
from assistant.server.keys import Principal
from assistant.server.state import ConversationFactory
from assistant.server.tenants import Tenant
from intents.parser import Parser

log = logging.getLogger(__name__)

#: How often answer-window deadlines are checked (seconds).
TICK_SECONDS = 0.5
#: Delivery notices (late deliveries, final failures) are looked for every this many
#: ticks (a database read).
NOTICE_CHECK_TICKS = 4
#: Announcements kept for a client that is not listening (oldest dropped).
MAX_PENDING_ANNOUNCEMENTS = 50


class DialogConversation:
    """:class:`~assistant.server.conversation.Conversation` over a DialogRunner."""

    def __init__(self, runner: DialogRunner) -> None:
        self.runner = runner
        self._turn: list[str] | None = None
        self._said: asyncio.Queue[str] = asyncio.Queue(MAX_PENDING_ANNOUNCEMENTS)
        runner.on_say = self._on_say
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """Tell notices owed, then watch for incoming messages, timeouts and notices.

        Never waits for the network: the tenant's delivery worker delivers.
        """
        await self.runner.start()
        self._tasks = [
            asyncio.create_task(self._guard(self.runner.watch_incoming())),
            asyncio.create_task(self._guard(self._ticks())),
        ]

    def _on_say(self, text: str) -> None:
        if self._turn is not None:
            self._turn.append(text)
            return
        if self._said.full():
            self._said.get_nowait()  # a client away for long hears only the latest news
        self._said.put_nowait(text)

    def vocabulary(self) -> tuple[str, ...]:
        """Phrases the open question expects."""
        return self.runner.vocabulary

    def snapshot(self) -> str:
        """The dialog state and open answer window, as JSON."""
        return snapshots.dump(snapshots.DialogSnapshot(self.runner.state, self.runner.window))

    def restore(self, snapshot: str) -> None:
        """Take up the dialog where a snapshot left it (a draft awaiting "yes" awaits it)."""
        found = snapshots.load(snapshot)
        self.runner.state, self.runner.window = found.state, found.window

    async def hear(self, final: Final) -> Turn:
        """Handle a recognized utterance (its n-best list)."""
        heard: str | Sequence[Hypothesis] = final.alternatives or final.text
        return await self._turn_of(final.text, heard)

    async def hear_text(self, text: str) -> Turn:
        """Handle a typed utterance."""
        return await self._turn_of(text, text)

    async def _turn_of(self, transcript: str, heard: str | Sequence[Hypothesis]) -> Turn:
        if not transcript.strip():
            return Turn(transcript="", parse=None, replies=())
        parse = self.runner.parse(heard)
        self._turn = []
        try:
            await self.runner.dispatch(Utterance(parse, self.runner.new_id()))
            replies = tuple(self._turn)
        finally:
            self._turn = None
        return Turn(transcript=transcript, parse=parse, replies=replies)

    async def announcements(self) -> AsyncIterator[str]:
        """What the assistant says unprompted, as it happens."""
        while True:
            yield await self._said.get()

    def take_notices(self) -> tuple[str, ...]:
        """What the assistant said unprompted and nobody has heard yet, oldest first.

        For REST clients, which have no announcement stream: each notice is
        handed out once, here or on the WebSocket, never both.
        """
        notices = []
        while not self._said.empty():
            notices.append(self._said.get_nowait())
        return tuple(notices)

    async def _ticks(self) -> None:
        ticks = 0
        while True:
            await asyncio.sleep(TICK_SECONDS)
            await self.runner.tick()
            ticks += 1
            if ticks % NOTICE_CHECK_TICKS == 0:
                await self.runner.report_notices()

    @staticmethod
    async def _guard(work: Coroutine[Any, Any, None]) -> None:
        try:
            await work
        except DriveTalkError as exc:
            log.warning("session background work stopped: %s", exc)

    async def aclose(self) -> None:
        """Stop background tasks; confirmed messages stay in the outbox."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


def dialog_conversations(settings: Settings, clock: Callable[[], datetime]) -> ConversationFactory:
    """The factory ``create_app`` uses by default: real parser, runner, connector."""
    parsers: dict[str, Parser] = {}
    lock = asyncio.Lock()

    async def parser_for(tenant: Tenant) -> Parser:
        async with lock:
            if tenant.name not in parsers:
                contacts = await tenant.contacts()
                parsers[tenant.name] = await asyncio.to_thread(
                    Parser.from_contacts, contacts, settings.locale
                )
            return parsers[tenant.name]

    async def make(tenant: Tenant, who: Principal) -> Conversation:
        runner = DialogRunner(
            owner=who.vehicle,
            connector=tenant.connector,
            outbox=tenant.outbox,
            parser=await parser_for(tenant),
            clock=clock,
            state=DialogState(policy=policy_from(settings.dialog)),
        )
        conversation = DialogConversation(runner)
        await conversation.start()
        return conversation

    return make
