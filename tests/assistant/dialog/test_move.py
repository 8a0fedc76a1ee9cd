"""Moving a meeting with the pure engine: find, ask where to, read back, create then cancel."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from assistant.dialog.actions import CancelEvent, CreateEvent, DialogAction, FetchEvents
from assistant.dialog.events import Done, Failed, Fetched, Timeout
from assistant.dialog.move_flow import new_time
from assistant.models import CalendarEvent, Intent
from intents.result import Expect, SlotValue
from tests.assistant.dialog.helpers import (
    LI_NA,
    LI_WEI_FINANCE,
    LI_WEI_SALES,
    NOW,
    Driver,
    ambiguous,
    said,
    unknown,
)

TODAY = NOW.replace(hour=0, minute=0)


def at(hour: int, minute: int = 0, days: int = 0) -> datetime:
    """A local moment ``days`` after today (NOW is Monday 08:30)."""
    return TODAY + timedelta(days=days, hours=hour, minutes=minute)


DESIGN = CalendarEvent(
    "e-design",
    "Design review",
    at(15),
    at(15, 30),
    (LI_NA.id, LI_WEI_SALES.id),
    location="Room 3A",
)
CLIENT = CalendarEvent("e-client", "Client meeting", at(16), at(17), (LI_WEI_SALES.id,))
BUDGET = CalendarEvent(
    "e-budget", "Budget check-in", at(14, 30, 1), at(15, 0, 1), (LI_WEI_FINANCE.id,)
)


def move(**slots: SlotValue) -> dict[str, SlotValue]:
    return {"move": True, **slots}


def only(actions: list[DialogAction], kind: type) -> list:
    return [a for a in actions if isinstance(a, kind)]


def found(d: Driver, out: list[DialogAction], *events: CalendarEvent) -> list[DialogAction]:
    """Answer the flow's FetchEvents with ``events``."""
    (fetch,) = only(out, FetchEvents)
    return d.event(Fetched(fetch.request, events=events))


def writes(d: Driver) -> list[DialogAction]:
    return [a for a in d.actions if isinstance(a, CreateEvent | CancelEvent)]


def test_my_three_oclock_is_asked_where_to_then_moved_create_first() -> None:
    d = Driver()
    out = d.say(said(Intent.CANCEL_EVENT, **move(start=at(15))))
    (fetch,) = only(out, FetchEvents)
    assert (fetch.start, fetch.end) == (TODAY, TODAY + timedelta(days=1))
    out = found(d, out, CLIENT, DESIGN)
    assert d.spoken(out) == "When should I move Design review to?"
    assert d.listen(out).context.expect is Expect.TIME
    out = d.say(said(Intent.CREATE_EVENT, start=at(16), keep="day"))
    (check,) = only(out, FetchEvents)
    assert (check.start, check.end) == (at(16), at(16, 30))
    out = found(d, out, CLIENT, DESIGN)  # the meeting itself is no conflict
    assert d.spoken(out) == (
        "Heads up: at that time you have Client meeting at 4 PM today. "
        "Move Design review from 3 PM today to 4 PM today?"
    )
    assert d.listen(out).context.expect is Expect.YES_NO
    assert writes(d) == []
    out = d.say(said(Intent.CONFIRM))
    (create,) = only(out, CreateEvent)
    assert create.draft.title == "Design review"
    assert (create.draft.start, create.draft.end) == (at(16), at(16, 30))
    assert create.draft.attendee_ids == DESIGN.attendee_ids
    assert create.draft.location == "Room 3A"
    assert only(out, CancelEvent) == []  # the old one goes only once the new one exists
    out = d.event(Done(create.request))
    (cancel,) = only(out, CancelEvent)
    assert cancel.event_id == DESIGN.id
    out = d.event(Done(cancel.request))
    assert d.spoken(out) == "Done. Design review is now at 4 PM today."
    assert d.state.task is None


@pytest.mark.parametrize("answer", [Intent.DENY, Intent.CANCEL])
def test_no_or_cancel_at_the_read_back_changes_nothing(answer: Intent) -> None:
    d = Driver()
    out = d.say(said(Intent.CANCEL_EVENT, **move(start=at(15), new_start=at(17), keep="day")))
    out = found(d, found(d, out, DESIGN))
    assert d.spoken(out) == "Move Design review from 3 PM today to 5 PM today?"
    out = d.say(said(answer))
    expected = (
        "OK, Design review stays at 3 PM today." if answer is Intent.DENY else "OK, cancelled."
    )
    assert d.spoken(out) == expected
    assert writes(d) == []
    assert d.state.task is None


def test_a_failed_create_keeps_the_meeting_where_it_was() -> None:
    d = Driver()
    out = found(d, d.say(said(Intent.CANCEL_EVENT, **move(start=at(15), new_start=at(17)))), DESIGN)
    found(d, out)
    (create,) = only(d.say(said(Intent.CONFIRM)), CreateEvent)
    out = d.event(Failed(create.request, "the calendar is offline"))
    assert d.spoken(out) == (
        "I couldn't move it: the calendar is offline. Design review is still at 3 PM today."
    )
    assert only(d.actions, CancelEvent) == []


def test_a_failed_cancel_is_told_the_meeting_is_there_twice() -> None:
    d = Driver()
    out = found(d, d.say(said(Intent.CANCEL_EVENT, **move(start=at(15), new_start=at(17)))), DESIGN)
    found(d, out)
    (create,) = only(d.say(said(Intent.CONFIRM)), CreateEvent)
    (cancel,) = only(d.event(Done(create.request)), CancelEvent)
    out = d.event(Failed(cancel.request, "permission denied"))
    assert d.spoken(out) == (
        "I added Design review at 5 PM today, but I couldn't remove the one at 3 PM today: "
        "permission denied. It's on your calendar twice."
    )


def test_nothing_at_that_time() -> None:
    d = Driver()
    out = found(d, d.say(said(Intent.CANCEL_EVENT, **move(start=at(15)))), CLIENT)
    assert d.spoken(out) == "You have nothing at 3 PM today."
    assert d.state.task is None


def test_title_matches_fuzzily_and_a_day_alone_keeps_the_time_of_day() -> None:
    d = Driver()
    friday = at(0, days=4)
    out = d.say(
        said(Intent.CANCEL_EVENT, **move(title="budget check in", new_start=friday, keep="time"))
    )
    (fetch,) = only(out, FetchEvents)
    assert (fetch.start, fetch.end) == (NOW, NOW + timedelta(days=7))
    out = found(d, found(d, out, DESIGN, BUDGET))
    assert d.spoken(out) == "Move Budget check-in from 2:30 PM tomorrow to 2:30 PM on Friday?"


def test_two_meetings_with_the_person_are_asked_about() -> None:
    d = Driver()
    slots = move(attendees=(ambiguous(LI_WEI_SALES, LI_WEI_FINANCE),), new_start=at(18))
    out = found(d, d.say(said(Intent.CANCEL_EVENT, **slots)), CLIENT, BUDGET)
    assert d.spoken(out) == (
        "Which one: Client meeting at 4 PM today or Budget check-in at 2:30 PM tomorrow?"
    )
    window = d.listen(out).context
    assert window.expect is Expect.CHOICE
    assert window.choices == ("Client meeting, 4 PM", "Budget check-in, 2:30 PM")
    out = found(d, d.say(said(Intent.CONFIRM, choice=1)))
    assert d.spoken(out) == "Move Budget check-in from 2:30 PM tomorrow to 6 PM today?"


def test_a_correction_at_the_read_back_keeps_the_proposed_day() -> None:
    d = Driver()
    slots = move(title="budget", new_start=at(10, days=4))
    out = found(d, found(d, d.say(said(Intent.CANCEL_EVENT, **slots)), BUDGET))
    assert d.spoken(out).endswith("to 10 AM on Friday?")
    out = found(d, d.say(said(Intent.CREATE_EVENT, start=at(11), keep="day")))
    assert d.spoken(out) == "Move Budget check-in from 2:30 PM tomorrow to 11 AM on Friday?"


def test_a_person_nobody_knows_is_said_before_looking() -> None:
    d = Driver()
    out = d.say(said(Intent.CANCEL_EVENT, **move(attendees=(unknown("bob"),))))
    assert d.spoken(out) == "I don't know anyone called Bob."
    assert only(out, FetchEvents) == []


def test_the_same_time_is_no_move() -> None:
    d = Driver()
    out = found(
        d, d.say(said(Intent.CANCEL_EVENT, **move(title="design", new_start=at(15)))), DESIGN
    )
    assert d.spoken(out) == "Design review is already at 3 PM today."
    assert writes(d) == []


def test_silence_at_the_read_back_moves_nothing() -> None:
    d = Driver()
    out = found(d, d.say(said(Intent.CANCEL_EVENT, **move(start=at(15), new_start=at(17)))), DESIGN)
    out = found(d, out)
    out = d.event(Timeout(d.listen(out).turn))
    assert d.spoken(out) == "I didn't hear an answer, so I didn't move the meeting."
    assert writes(d) == []


def test_a_plain_cancel_is_still_a_cancel() -> None:
    d = Driver()
    out = found(d, d.say(said(Intent.CANCEL_EVENT, start=at(15))), DESIGN)
    assert d.spoken(out) == "Cancel Design review at 3 PM today?"


@pytest.mark.parametrize(
    ("keep", "said_at", "expected"),
    [
        ("day", at(16), at(16, days=1)),  # "to 4 pm": the meeting's day (tomorrow)
        ("time", at(0, days=4), at(14, 30, 4)),  # "to Friday": its time of day
        ("", at(9, days=2), at(9, days=2)),  # both said
    ],
)
def test_new_time_fills_in_what_was_left_out(
    keep: str, said_at: datetime, expected: datetime
) -> None:
    assert new_time(BUDGET.start, said_at, keep, NOW) == expected


def test_a_kept_day_never_moves_a_meeting_into_the_past() -> None:
    # Today's 3 PM meeting "to 8": 8 AM today is past, so the next 8 o'clock.
    assert new_time(DESIGN.start, at(8, days=1), "day", NOW) == at(8, days=1)
