"""The driver goes on after an early end: joined, absorbed, or a turn of its own.

Scripted finals through the real runner (parser, dialog, local backend and
outbox of the demo organisation): the listener's part, marking a final that
began within ``[asr] rejoin_ms`` of an early end, is tested in
``tests/assistant/asr/test_listener.py``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant.asr.events import Final
from assistant.compose import Session, open_conversation
from assistant.config import Settings
from assistant.dialog.actions import SendMessage
from assistant.dialog.continuation import adds_nothing, joined
from assistant.dialog.events import Timeout
from assistant.dialog.sink import ShownAndSpoken
from assistant.dialog.turn import Turn
from assistant.models import Hypothesis, Intent
from assistant.server.assembly import DialogConversation
from intents.result import ParseResult
from tests.conftest import NOW, ZONE

ROWS: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "data" / "continuation.yaml").read_text(encoding="utf-8")
)


async def _session(tmp_path: Path, locale: str, said: list[str]) -> Session:
    settings = Settings(data_dir=tmp_path, locale=locale, connectors={"local": {"seed_demo": True}})
    return await open_conversation(
        settings, zone=ZONE, clock=lambda: NOW, speech=ShownAndSpoken(said.append)
    )


@pytest.fixture
async def english(tmp_path: Path) -> AsyncIterator[tuple[Session, list[str]]]:
    said: list[str] = []
    session = await _session(tmp_path, "en", said)
    yield session, said
    await session.aclose()


def _sent_to(turns: list[Turn]) -> list[str]:
    return [a.message.recipient_id for t in turns for a in t.actions if isinstance(a, SendMessage)]


@pytest.mark.parametrize("row", ROWS, ids=[r["id"] for r in ROWS])
async def test_what_follows_an_early_end_is_joined_absorbed_or_its_own_turn(
    tmp_path: Path, row: dict[str, Any]
) -> None:
    said: list[str] = []
    session = await _session(tmp_path, row["locale"], said)
    try:
        runner = session.runner
        turns = [await runner.hear(text) for text in row["before"]]
        answer = await runner.hear([Hypothesis(row["answer"])])
        turns.append(answer)
        spoken = len(said)
        went_on = await runner.hear([Hypothesis(row["goes_on"])], continues=True)
        turns.append(went_on)
        assert went_on.transcript == row["transcript"]
        assert went_on.absorbed is (row["outcome"] == "absorbed")
        if row["outcome"] == "absorbed":
            # No stray turn: the answer's reply again (the continuation cut it off).
            assert went_on.replies == answer.replies
            assert said[spoken:] == list(answer.replies)
            assert not went_on.actions
        if "then" in row:
            turns.append(await runner.hear([Hypothesis(row["then"])]))
        assert _sent_to(turns) == row["sent_to"]
    finally:
        await session.aclose()


async def test_a_continuation_after_other_dialog_events_is_a_turn_of_its_own(
    english: tuple[Session, list[str]],
) -> None:
    session, _said = english
    runner = session.runner
    await runner.hear("send a message to Li Wen saying see you at noon")
    await runner.hear([Hypothesis("no")])
    await runner.dispatch(Timeout(runner.window.turn))  # the dialog moved on meanwhile
    turn = await runner.hear([Hypothesis("to Li Na")], continues=True)
    assert turn.transcript == "to Li Na"


async def test_without_an_early_end_before_it_an_utterance_is_never_joined(
    english: tuple[Session, list[str]],
) -> None:
    session, _said = english
    runner = session.runner
    await runner.hear("send a message to Li Wen saying see you at noon")
    await runner.hear([Hypothesis("no")])
    turn = await runner.hear([Hypothesis("to Li Na")])  # not marked: the long pause passed
    assert turn.transcript == "to Li Na"
    assert turn.parse is not None
    assert turn.parse.slots.get("body") == "to Li Na"  # the new body, as asked


async def test_the_server_conversation_passes_the_finals_mark_to_the_runner(
    english: tuple[Session, list[str]],
) -> None:
    session, _said = english
    conversation = DialogConversation(session.runner)
    await conversation.hear_text("send a message to Li Wen saying see you at noon")
    await conversation.hear(Final("no", (Hypothesis("no"),)))
    turn = await conversation.hear(Final("to Li Na", (Hypothesis("to Li Na"),), continues=True))
    assert turn.transcript == "no to Li Na"
    assert turn.parse is not None
    assert turn.parse.intent is Intent.SEND_MESSAGE


@pytest.mark.parametrize(
    ("first", "heard", "expected"),
    [
        ("no", "to Li Na", "no to Li Na"),
        (
            "no",
            (Hypothesis("to Li Na", 2.0), Hypothesis("to Lina", 1.0)),
            ("no to Li Na", "no to Lina"),
        ),
        ("no", (), ("no",)),
    ],
)
def test_joining_puts_the_continuation_after_the_answer_in_every_alternative(
    first: str, heard: Any, expected: Any
) -> None:
    got = joined(first, heard)
    assert (got if isinstance(got, str) else tuple(h.text for h in got)) == expected


def test_a_continuation_adds_nothing_only_if_the_joined_words_mean_the_same() -> None:
    yes = ParseResult("yes", Intent.CONFIRM, 0.95)
    assert adds_nothing(yes, ParseResult("yes please", Intent.CONFIRM, 0.9))
    assert not adds_nothing(yes, ParseResult("yes to li na", Intent.SEND_MESSAGE, 0.9))
    assert not adds_nothing(yes, ParseResult("yes thanks", Intent.CONFIRM, 0.9, {"urgent": True}))


async def _unread(session: Session) -> list[str]:
    return sorted(m.sender_name for m in await session.connector.unread_messages())


#: Demo inbox: Zhang San's urgent message is read first, whoever was asked for.
_INBOX = ["David Zhang", "Huang Min", "Li Wei", "Song Yu", "Zhang San"]


@pytest.mark.parametrize("sender", ["Zhang San", "Song Yu"])
async def test_a_joined_reading_marks_read_only_the_messages_it_was_asked_for(
    english: tuple[Session, list[str]], sender: str
) -> None:
    session, _said = english
    runner = session.runner
    runner.hold_marks = 0.8  # as a stream's runner: [asr] rejoin_ms
    first = await runner.hear([Hypothesis("read messages")])
    assert "Zhang San says" in first.replies[0]  # the urgent one, marked read only later
    assert await _unread(session) == _INBOX
    turn = await runner.hear([Hypothesis(f"from {sender}")], continues=True)
    assert turn.transcript == f"read messages from {sender}"
    assert f"{sender} " in turn.replies[0]
    assert "Zhang San" not in turn.replies[0] or sender == "Zhang San"
    await runner.settle()
    assert await _unread(session) == [n for n in _INBOX if n != sender]


async def test_held_marks_are_carried_out_by_the_next_turn_of_its_own(
    english: tuple[Session, list[str]],
) -> None:
    session, _said = english
    runner = session.runner
    runner.hold_marks = 0.8
    await runner.hear([Hypothesis("read messages")])
    await runner.hear([Hypothesis("stop")])
    assert await _unread(session) == [n for n in _INBOX if n != "Zhang San"]


async def test_held_marks_are_carried_out_once_the_rejoin_window_has_passed(
    tmp_path: Path,
) -> None:
    now = [NOW]
    settings = Settings(data_dir=tmp_path, locale="en", connectors={"local": {"seed_demo": True}})
    session = await open_conversation(
        settings, zone=ZONE, clock=lambda: now[0], speech=ShownAndSpoken(lambda _: None)
    )
    try:
        runner = session.runner
        runner.hold_marks = 0.8
        await runner.hear([Hypothesis("read messages")])
        await runner.tick()
        assert await _unread(session) == _INBOX  # still joinable
        now[0] += timedelta(seconds=0.8)
        await runner.tick()
        assert await _unread(session) == [n for n in _INBOX if n != "Zhang San"]
        # Carried out: a late continuation can no longer take the reading back.
        turn = await runner.hear([Hypothesis("from Song Yu")], continues=True)
        assert turn.transcript == "from Song Yu"
    finally:
        await session.aclose()


async def test_without_held_marks_a_reading_is_not_taken_back(
    english: tuple[Session, list[str]],
) -> None:
    session, _said = english
    runner = session.runner
    await runner.hear([Hypothesis("read messages")])  # marked read at once (text chat)
    assert await _unread(session) == [n for n in _INBOX if n != "Zhang San"]
    turn = await runner.hear([Hypothesis("from Song Yu")], continues=True)
    assert turn.transcript == "from Song Yu"


async def test_closing_a_server_conversation_carries_out_held_marks(
    english: tuple[Session, list[str]],
) -> None:
    session, _said = english
    session.runner.hold_marks = 0.8
    conversation = DialogConversation(session.runner)
    await conversation.hear(Final("read messages", (Hypothesis("read messages"),)))
    await conversation.aclose()
    assert await _unread(session) == [n for n in _INBOX if n != "Zhang San"]
