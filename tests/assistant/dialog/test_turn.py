"""``DialogRunner.hear``: the one turn API: what was understood, said and done."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from assistant.compose import Session, open_conversation
from assistant.config import Settings
from assistant.dialog.actions import SendMessage
from assistant.dialog.events import Incoming
from assistant.models import Hypothesis
from connectors.local import LocalConnector
from tests.conftest import NOW, ZONE


@dataclass
class Lines:
    """A speech sink that keeps every line with whether it answered a turn."""

    said: list[tuple[str, bool]] = field(default_factory=list)
    hold: asyncio.Event | None = None
    stopped: bool = False

    async def say(self, text: str, *, reply: bool) -> bool:
        self.said.append((text, reply))
        if self.hold is not None:
            await self.hold.wait()
        return not self.stopped

    def stop(self) -> None:
        self.stopped = True
        if self.hold is not None:
            self.hold.set()

    async def aclose(self) -> None:
        self.stop()


@pytest.fixture
async def opened(tmp_path: Path) -> AsyncIterator[tuple[Session, Lines]]:
    lines = Lines()
    settings = Settings(data_dir=tmp_path, connectors={"local": {"seed_demo": True}})
    session = await open_conversation(settings, zone=ZONE, clock=lambda: NOW, speech=lines)
    yield session, lines
    await session.aclose()


async def test_a_question_turn_says_the_read_back_and_awaits_the_answer(
    opened: tuple[Session, Lines],
) -> None:
    session, lines = opened
    turn = await session.runner.hear("send a message to Li Na saying I'll be late")
    assert turn.transcript == "send a message to Li Na saying I'll be late"
    assert turn.parse is not None
    assert turn.parse.intent.value == "send_message"
    assert turn.replies
    assert lines.said == [(r, True) for r in turn.replies]
    assert turn.actions == ()
    assert turn.awaiting_answer
    assert not turn.interrupted


async def test_the_confirming_turn_carries_the_send_it_made(opened: tuple[Session, Lines]) -> None:
    session, _lines = opened
    await session.runner.hear("send a message to Li Na saying I'll be late")
    turn = await session.runner.hear("yes")
    [send] = turn.actions
    assert isinstance(send, SendMessage)
    assert send.message.recipient_name == "Li Na"
    assert not turn.awaiting_answer


async def test_blank_text_is_no_turn(opened: tuple[Session, Lines]) -> None:
    session, lines = opened
    turn = await session.runner.hear("   ")
    assert (turn.transcript, turn.parse, turn.replies) == ("", None, ())
    assert lines.said == []


async def test_an_nbest_list_is_always_a_turn(opened: tuple[Session, Lines]) -> None:
    session, _lines = opened
    turn = await session.runner.hear([Hypothesis("read my messages"), Hypothesis("red")])
    assert turn.transcript == "read my messages"
    assert turn.parse is not None
    assert turn.parse.intent.value == "read_messages"
    unheard = await session.runner.hear(())
    assert unheard.parse is not None
    assert unheard.parse.intent.value == "none"
    assert unheard.replies  # the driver hears that it was not understood


async def test_unprompted_lines_are_not_replies(opened: tuple[Session, Lines]) -> None:
    session, lines = opened
    assert isinstance(session.connector, LocalConnector)
    store = session.connector.store
    sent = store.add_message(store.direct_conversation_id("u-li-na"), "u-li-na", "Lunch?", NOW)
    [message] = [m for m in store.messages(unread_only=True) if m.id == sent]
    await session.runner.dispatch(Incoming((message,)))
    assert lines.said == [("New message from Li Na. Want to hear it?", False)]


async def test_a_barge_in_marks_the_turn_interrupted(opened: tuple[Session, Lines]) -> None:
    session, lines = opened
    lines.hold = asyncio.Event()
    turn = asyncio.create_task(session.runner.hear("read my messages"))
    while not lines.said:
        await asyncio.sleep(0.01)
    session.runner.barge_in()
    heard = await asyncio.wait_for(turn, 30)
    assert heard.interrupted
