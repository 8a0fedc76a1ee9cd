"""What a server session talks to: one driver's conversation with the assistant.

The server only needs "hear this, tell me what to say" plus a stream of
announcements; :mod:`assistant.server.assembly` builds the real one from the
parser, the dialog runner and the tenant's connector.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol, runtime_checkable

from assistant.asr.events import Final
from assistant.audio.endpoint import Completeness
from assistant.dialog.turn import Turn
from assistant.locales import Locale

__all__ = ["Conversation", "Resumable", "Turn"]


class Conversation(Protocol):
    """One session's dialog with the assistant."""

    @property
    def locale(self) -> Locale:
        """The language the conversation understands and speaks."""

    async def use_locale(self, locale: Locale) -> None:
        """Understand and speak ``locale`` from the next turn on."""

    def vocabulary(self) -> tuple[str, ...]:
        """Phrases expected next (for constrained recognition); empty for free speech."""

    def awaiting_answer(self) -> bool:
        """Whether the assistant asked a question and waits for its answer."""

    def complete_enough(self, partial: str, *, continues: bool = False) -> bool | Completeness:
        """Whether ``partial`` already answers the open question (ends the utterance early;
        a closed answer, a yes/no or a choice, after the shortest pause). ``continues``:
        the utterance goes on from one that ended early (judged as it will be heard)."""

    def barge_in(self) -> None:
        """The driver talked over the reply being played: the client stops it."""

    async def hear(self, final: Final) -> Turn:
        """Handle a recognized utterance (n-best) and return the assistant's replies."""

    async def hear_text(self, text: str) -> Turn:
        """Handle a typed utterance."""

    def announcements(self) -> AsyncIterator[str]:
        """Things the assistant says unprompted (incoming messages, delivery notices)."""

    def take_notices(self) -> tuple[str, ...]:
        """Unprompted things not yet streamed to anyone, removed as they are returned."""

    async def catch_up_notices(self) -> None:
        """Claim the delivery notices owed since the last look (a REST client asks)."""

    async def watch_notices(self) -> None:
        """Claim delivery notices as they become owed, while a stream is open (a task)."""

    async def aclose(self) -> None:
        """Stop background work (timers, subscriptions)."""


@runtime_checkable
class Resumable(Protocol):
    """A conversation whose dialog can be written down and taken up elsewhere."""

    def snapshot(self) -> str:
        """The dialog between two turns, as text for the session store."""
        ...

    async def restore(self, snapshot: str) -> None:
        """Continue from a snapshot another replica (or this one, earlier) wrote."""
        ...
