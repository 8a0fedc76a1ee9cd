"""Dialog snapshots: every kind of task survives the trip through JSON unchanged."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from assistant.dialog.runner import AnswerWindow
from assistant.dialog.snapshot import DialogSnapshot, dump, load
from assistant.dialog.state import (
    CalendarQuery,
    CallOffer,
    Cancelling,
    ContactLookup,
    DialogState,
    MessageDraft,
    Moving,
    NewEvent,
    Offer,
    PendingName,
    Policy,
    Question,
    Reading,
    Suspended,
    Target,
)
from assistant.errors import StorageError
from assistant.models import CalendarEvent, Contact, Message
from intents.result import Expect, ParseContext

AT = datetime(2026, 11, 23, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
LI = Contact("u-li-wei", "Li Wei", aliases=("Wei",))
WANG = Contact("u-wang", "Wang Fang", department="Sales")
MSG = Message("m1", "c1", "Li Wei", "u-li-wei", "Li Wei", "running late?", AT, urgent=True)
EVENT = CalendarEvent("e1", "Budget", AT, AT + timedelta(hours=1), ("u-li-wei",), "Room 3")
DRAFT = MessageDraft(Target("u-li-wei", "Li Wei"), "I'm 10 minutes late", urgent=True)

TASKS = [
    DRAFT,
    MessageDraft(candidates=(LI, WANG), resume=Reading((MSG,), 0, rest="...")),
    MessageDraft(
        Target("u-li-wei", "Li Wei", detail="Finance"),
        "Trucks loaded",
        also=(Target("u-wang", "Wang Fang"),),
        later=(PendingName("li wei", (LI, WANG)), PendingName("xu jing", (LI,), sure=True)),
        outcomes=(("send-1-u-li-wei", "sent"), ("send-1-u-wang", "")),
    ),
    Reading((MSG, MSG), 1, "the rest", "u-li-wei", "c1", announced=True),
    Offer((MSG,)),
    CalendarQuery(AT, AT + timedelta(days=1), next_only=True),
    NewEvent("Sync", AT, 30, None, (LI,), "Cafe", ((LI, WANG),), ("Zhang",), (EVENT,)),
    Cancelling("Budget", AT, (EVENT,), EVENT),
    Moving("Budget", AT, AT, (("u-li-wei", "u-li-2"),), ("Li",), AT, "day", (EVENT,), EVENT),
    ContactLookup("phone", (LI, WANG)),
    CallOffer((LI, WANG)),
    None,
]
#: The question asked, as it was asked (its choices), and one a new command interrupted.
CHOICE = Question("Li Wei or Wang Fang?", ParseContext(Expect.CHOICE, ("Li Wei", "Wang Fang")))


@pytest.mark.parametrize("task", TASKS, ids=lambda t: type(t).__name__)
def test_every_task_round_trips(task: object) -> None:
    state = DialogState(
        policy=Policy(answer_timeout=5.0, announcement_read="always"),
        task=task,  # type: ignore[arg-type]
        waiting="confirm",
        turn=7,
        last_spoken="Send it?",
        last_heard=MSG,
        kept_draft=DRAFT,
        queued=(MSG,),
        notices=("delivered to Li Wei",),
        question=CHOICE,
        failures=2,
        suspended=Suspended(NewEvent("Sync", AT), "choice", CHOICE),
    )
    window = AnswerWindow(7, ParseContext(Expect.YES_NO, ("yes", "no")), ("yes", "no"), AT)
    restored = load(dump(DialogSnapshot(state, window)))
    assert restored.state == state
    assert restored.window == window
    assert restored.window.deadline is not None
    assert restored.window.deadline.utcoffset() == AT.utcoffset()


def test_the_sessions_language_comes_along() -> None:
    state = DialogState(policy=Policy(locale="zh"), task=DRAFT, waiting="confirm")
    restored = load(dump(DialogSnapshot(state, AnswerWindow(0, ParseContext()))))
    assert restored.state.policy.locale == "zh"


def test_a_draft_awaiting_yes_keeps_awaiting_yes() -> None:
    state = DialogState(task=DRAFT, waiting="confirm", turn=3)
    window = AnswerWindow(3, ParseContext(Expect.YES_NO))
    restored = load(dump(DialogSnapshot(state, window)))
    assert (restored.state.waiting, restored.state.task) == ("confirm", DRAFT)
    assert restored.window.context.expect is Expect.YES_NO


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        '{"format": 99, "state": {}, "window": {}}',
        '{"format": 1, "state": {"$": "os.system"}, "window": {}}',
        '{"format": 1, "state": {"$": "Contact", "id": "x", "name": "y"}, "window": null}',
    ],
)
def test_anything_else_is_a_storage_error(text: str) -> None:
    with pytest.raises(StorageError, match="dialog snapshot"):
        load(text)
