"""The driver goes on after an early end: joined, absorbed, or a turn of its own.

Scripted finals through the real runner (parser, dialog, local backend and
outbox of the demo organisation): the listener's part, marking a final that
began within ``[asr] rejoin_ms`` of an early end, is tested in
``tests/assistant/asr/test_listener.py``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant.asr.events import Final
from assistant.audio.endpoint import Completeness
from assistant.compose import Session, open_conversation
from assistant.config import Settings
from assistant.dialog.actions import SendMessage
from assistant.dialog.continuation import adds_nothing, joined
from assistant.dialog.events import Timeout
from assistant.dialog.runner import DialogRunner
from assistant.dialog.sink import ShownAndSpoken
from assistant.dialog.turn import Turn
from assistant.models import Hypothesis, Intent
from assistant.server.assembly import DialogConversation
from intents.result import ParseResult
from tests.conftest import NOW, ZONE

ROWS: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "data" / "continuation.yaml").read_text(encoding="utf-8")
)


@dataclass
class Chat:
    """A conversation on the demo organisation: what it said, and a clock the test moves."""

    session: Session
    said: list[str]
    now: list[datetime] = field(default_factory=lambda: [NOW])

    @property
    def runner(self) -> DialogRunner:
        return self.session.runner


Opener = Callable[[str], Awaitable[Chat]]


@pytest.fixture
async def chat_in(tmp_path: Path) -> AsyncIterator[Opener]:
    """Opens a conversation in a locale; closed after the test."""
    opened: list[Chat] = []

    async def open_in(locale: str) -> Chat:
        settings = Settings(
            data_dir=tmp_path, locale=locale, connectors={"local": {"seed_demo": True}}
        )
        said: list[str] = []
        now = [NOW]
        session = await open_conversation(
            settings, zone=ZONE, clock=lambda: now[0], speech=ShownAndSpoken(said.append)
        )
        opened.append(Chat(session, said, now))
        return opened[-1]

    yield open_in
    for chat in opened:
        await chat.session.aclose()


@pytest.fixture
async def english(chat_in: Opener) -> Chat:
    return await chat_in("en")


@pytest.fixture
async def answered_no(english: Chat) -> DialogRunner:
    """A draft to Li Wen, and "no" at its read-back (ended early: it may be joined)."""
    runner = english.runner
    await runner.hear("send a message to Li Wen saying see you at noon")
    await runner.hear([Hypothesis("no")])
    return runner


def _sent_to(turns: list[Turn]) -> list[str]:
    return [a.message.recipient_id for t in turns for a in t.actions if isinstance(a, SendMessage)]


@pytest.mark.parametrize("row", ROWS, ids=[r["id"] for r in ROWS])
async def test_what_follows_an_early_end_is_joined_absorbed_or_its_own_turn(
    chat_in: Opener, row: dict[str, Any]
) -> None:
    chat = await chat_in(row["locale"])
    runner = chat.runner
    turns = [await runner.hear(text) for text in row["before"]]
    answer = await runner.hear([Hypothesis(row["answer"])])
    turns.append(answer)
    ends = {
        "alone": runner.complete_enough(row["goes_on"]),
        "continued": runner.complete_enough(row["goes_on"], continues=True),
    }
    assert {k: v.name.lower() for k, v in ends.items()} == row["ends"]
    runner.barge_in()  # the driver went on while the answer's reply was playing
    spoken = len(chat.said)
    went_on = await runner.hear([Hypothesis(row["goes_on"])], continues=True)
    turns.append(went_on)
    assert went_on.transcript == row["transcript"]
    assert went_on.absorbed is (row["outcome"] == "absorbed")
    if row["outcome"] == "absorbed":
        # No stray turn: the answer's reply again (the continuation cut it off).
        assert went_on.replies == answer.replies
        assert chat.said[spoken:] == list(answer.replies)
        assert not went_on.actions
    if "then" in row:
        turns.append(await runner.hear([Hypothesis(row["then"])]))
    assert _sent_to(turns) == row["sent_to"]


async def test_a_continuation_after_other_dialog_events_is_a_turn_of_its_own(
    answered_no: DialogRunner,
) -> None:
    await answered_no.dispatch(Timeout(answered_no.window.turn))  # the dialog moved on meanwhile
    turn = await answered_no.hear([Hypothesis("to Li Na")], continues=True)
    assert turn.transcript == "to Li Na"


async def test_without_an_early_end_before_it_an_utterance_is_never_joined(
    answered_no: DialogRunner,
) -> None:
    turn = await answered_no.hear([Hypothesis("to Li Na")])  # not marked: the long pause passed
    assert turn.transcript == "to Li Na"
    assert turn.parse is not None
    assert turn.parse.slots.get("body") == "to Li Na"  # the new body, as asked


async def test_the_server_conversation_passes_the_finals_mark_to_the_runner(
    english: Chat,
) -> None:
    conversation = DialogConversation(english.runner)
    await conversation.hear_text("send a message to Li Wen saying see you at noon")
    await conversation.hear(Final("no", (Hypothesis("no"),)))
    turn = await conversation.hear(Final("to Li Na", (Hypothesis("to Li Na"),), continues=True))
    assert turn.transcript == "no to Li Na"
    assert turn.parse is not None
    assert turn.parse.intent is Intent.SEND_MESSAGE


async def test_the_server_conversation_judges_a_continuation_joined_and_passes_barge_ins_on(
    english: Chat,
) -> None:
    conversation = DialogConversation(english.runner)
    await conversation.hear_text("send a message to Li Wen saying see you at noon")
    await conversation.hear(Final("no", (Hypothesis("no"),)))
    assert conversation.complete_enough("to Li Na") is Completeness.NO  # a new body, alone
    assert conversation.complete_enough("to Li Na", continues=True) is Completeness.COMPLETE
    await conversation.hear(Final("to Li Na", (Hypothesis("to Li Na"),), continues=True))
    answer = await conversation.hear(Final("yes", (Hypothesis("yes"),)))
    conversation.barge_in()  # the stream heard the driver start over the reply's audio
    went_on = await conversation.hear(Final("please", (Hypothesis("please"),), continues=True))
    assert went_on.absorbed
    assert went_on.replies == answer.replies


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


async def _unread(chat: Chat) -> list[str]:
    return sorted(m.sender_name for m in await chat.session.connector.unread_messages())


#: Demo inbox: Zhang San's urgent message is read first, whoever was asked for.
_INBOX = ["David Zhang", "Huang Min", "Li Wei", "Song Yu", "Zhang San"]
#: The inbox once the reading's first message (Zhang San's, urgent) is marked read.
_FIRST_READ = [n for n in _INBOX if n != "Zhang San"]


@pytest.fixture
async def reading(english: Chat) -> Turn:
    """A stream's runner ([asr] rejoin_ms holds the marks) that began reading messages."""
    english.runner.hold_marks = 0.8
    return await english.runner.hear([Hypothesis("read messages")])


@pytest.mark.parametrize("sender", ["Zhang San", "Song Yu"])
async def test_a_joined_reading_marks_read_only_the_messages_it_was_asked_for(
    english: Chat, reading: Turn, sender: str
) -> None:
    assert "Zhang San says" in reading.replies[0]  # the urgent one, marked read only later
    assert await _unread(english) == _INBOX
    turn = await english.runner.hear([Hypothesis(f"from {sender}")], continues=True)
    assert turn.transcript == f"read messages from {sender}"
    assert f"{sender} " in turn.replies[0]
    assert "Zhang San" not in turn.replies[0] or sender == "Zhang San"
    await english.runner.settle()
    assert await _unread(english) == [n for n in _INBOX if n != sender]


async def test_held_marks_are_carried_out_by_the_next_turn_of_its_own(
    english: Chat, reading: Turn
) -> None:
    await english.runner.hear([Hypothesis("stop")])
    assert await _unread(english) == _FIRST_READ


async def test_held_marks_are_carried_out_once_the_rejoin_window_has_passed(
    english: Chat, reading: Turn
) -> None:
    runner = english.runner
    await runner.tick()
    assert await _unread(english) == _INBOX  # still joinable
    english.now[0] += timedelta(seconds=0.8)
    await runner.tick()
    assert await _unread(english) == _FIRST_READ
    # Carried out: a late continuation can no longer take the reading back.
    turn = await runner.hear([Hypothesis("from Song Yu")], continues=True)
    assert turn.transcript == "from Song Yu"


async def test_without_held_marks_a_reading_is_not_taken_back(english: Chat) -> None:
    await english.runner.hear([Hypothesis("read messages")])  # marked read at once (text chat)
    assert await _unread(english) == _FIRST_READ
    turn = await english.runner.hear([Hypothesis("from Song Yu")], continues=True)
    assert turn.transcript == "from Song Yu"


async def test_closing_a_server_conversation_carries_out_held_marks(english: Chat) -> None:
    english.runner.hold_marks = 0.8
    conversation = DialogConversation(english.runner)
    await conversation.hear(Final("read messages", (Hypothesis("read messages"),)))
    await conversation.aclose()
    assert await _unread(english) == _FIRST_READ


@pytest.mark.parametrize("cut_off", [True, False], ids=["reply-cut-off", "reply-heard-whole"])
async def test_an_absorbed_continuation_says_the_reply_again_only_if_it_cut_it_off(
    english: Chat, cut_off: bool
) -> None:
    runner = english.runner
    await runner.hear("send a message to Li Na saying see you at noon")
    answer = await runner.hear([Hypothesis("yes")])
    if cut_off:
        runner.barge_in()  # "please" began while "Sent to Li Na." was playing
    spoken = len(english.said)
    went_on = await runner.hear([Hypothesis("please")], continues=True)
    assert went_on.absorbed
    again = answer.replies if cut_off else ()
    assert went_on.replies == again
    assert english.said[spoken:] == list(again)
    assert not went_on.actions


class StoppedSpeech(ShownAndSpoken):
    """A voice the driver talks over: every reply is stopped before its end."""

    async def say(self, text: str, *, reply: bool) -> bool:
        await super().say(text, reply=reply)
        return False


async def test_a_reply_stopped_while_it_played_is_said_again_after_an_absorbed_continuation(
    english: Chat,
) -> None:
    runner = english.runner
    await runner.hear("send a message to Li Na saying see you at noon")
    runner.speech = StoppedSpeech(english.said.append)  # the driver talks over the reply
    answer = await runner.hear([Hypothesis("yes")])
    assert answer.interrupted
    went_on = await runner.hear([Hypothesis("please")], continues=True)
    assert went_on.absorbed
    assert went_on.replies == answer.replies
