"""The pure engine: flows, repairs and announcements with hand-built parses."""

from __future__ import annotations

from datetime import timedelta

import pytest

from assistant.dialog.actions import (
    CancelEvent,
    CreateEvent,
    FetchEvents,
    FetchUnread,
    MarkRead,
    SendMessage,
    Speak,
    StopSpeaking,
)
from assistant.dialog.events import (
    BargeIn,
    DeliveryFailed,
    Done,
    Failed,
    Fetched,
    Incoming,
    Timeout,
)
from assistant.dialog.state import DialogState, Policy
from assistant.models import CalendarEvent, Intent, SendReceipt
from intents.result import Expect, ParseResult
from tests.assistant.dialog.helpers import (
    APOLLO,
    LI_NA,
    LI_WEI_FINANCE,
    LI_WEI_SALES,
    NOW,
    Driver,
    ambiguous,
    known,
    message,
    said,
    unknown,
)

BODY = "I'll be ten minutes late"


def sends(driver: Driver) -> list[SendMessage]:
    return [a for a in driver.actions if isinstance(a, SendMessage)]


def test_send_all_at_once_reads_back_and_sends_only_after_yes() -> None:
    d = Driver()
    out = d.say(said(Intent.SEND_MESSAGE, recipient=known(LI_NA), body=BODY))
    assert d.spoken(out) == f"Here's your message to Li Na: {BODY}. Send it?"
    assert d.listen(out).context.expect is Expect.YES_NO
    assert sends(d) == []
    out = d.say(said(Intent.CONFIRM))
    (send,) = sends(d)
    assert send.message.idempotency_key == "utt-2"  # the confirming utterance's id
    assert (send.message.recipient_id, send.message.body) == (LI_NA.id, BODY)
    out = d.event(Done(send.request, receipt=SendReceipt("m9", "dm-u-li-na", NOW)))
    assert d.spoken(out) == "Sent to Li Na."
    assert d.state.task is None


def test_send_piece_by_piece_asks_for_each_missing_part() -> None:
    d = Driver()
    out = d.say(said(Intent.SEND_MESSAGE))
    assert d.spoken(out) == "Who should I send it to?"
    assert d.listen(out).context.expect is Expect.CONTACT
    out = d.say(said(Intent.SEND_MESSAGE, recipient=known(LI_NA)))
    assert d.spoken(out) == "What's the message for Li Na?"
    assert d.listen(out).context.expect is Expect.BODY
    out = d.say(said(Intent.SEND_MESSAGE, body=BODY))
    assert "Send it?" in d.spoken(out)


def test_ambiguous_name_is_asked_and_answered_by_choice() -> None:
    d = Driver()
    out = d.say(said(Intent.SEND_MESSAGE, recipient=ambiguous(LI_WEI_SALES, LI_WEI_FINANCE)))
    assert d.spoken(out) == "Li Wei in Sales or Li Wei in Finance?"
    window = d.listen(out)
    assert window.context.expect is Expect.CHOICE
    assert window.context.choices == ("Li Wei, Sales", "Li Wei, Finance")
    assert {"li wei in sales", "sales", "finance", "the first one"} <= set(window.vocabulary)
    d.say(said(Intent.CONFIRM, choice=1))
    d.say(said(Intent.SEND_MESSAGE, body=BODY))
    d.say(said(Intent.CONFIRM))
    assert sends(d)[0].message.recipient_id == LI_WEI_FINANCE.id


def test_a_doubted_name_with_one_candidate_is_asked_and_yes_takes_it() -> None:
    d = Driver()
    out = d.say(said(Intent.SEND_MESSAGE, recipient=ambiguous(LI_NA)))
    assert d.spoken(out) == "Did you mean Li Na in Marketing?"
    assert d.listen(out).context.choices == ("Li Na, Marketing",)
    d.say(said(Intent.CONFIRM, choice=0))  # "yes" at one choice (intents/parser.py)
    d.say(said(Intent.SEND_MESSAGE, body=BODY))
    d.say(said(Intent.CONFIRM))
    assert sends(d)[0].message.recipient_id == LI_NA.id


def test_out_of_range_choice_asks_again() -> None:
    d = Driver()
    d.say(said(Intent.SEND_MESSAGE, recipient=ambiguous(LI_WEI_SALES, LI_WEI_FINANCE)))
    out = d.say(said(Intent.CONFIRM, choice=5))
    assert d.spoken(out).startswith("Sorry, I didn't catch that. Li Wei in Sales or")


@pytest.mark.parametrize(
    ("correction", "expected"),
    [
        ({"recipient": known(LI_WEI_SALES)}, f"Here's your message to Li Wei: {BODY}. Send it?"),
        ({"body": "Running late"}, "Here's your message to Li Na: Running late. Send it?"),
    ],
)
def test_corrections_at_the_read_back(correction: dict, expected: str) -> None:
    d = Driver()
    d.say(said(Intent.SEND_MESSAGE, recipient=known(LI_NA), body=BODY))
    out = d.say(said(Intent.SEND_MESSAGE, correction=True, **correction))
    assert d.spoken(out) == expected
    assert sends(d) == []


def test_no_at_the_read_back_sends_nothing_and_asks_for_new_words() -> None:
    d = Driver()
    d.say(said(Intent.SEND_MESSAGE, recipient=known(LI_NA), body=BODY))
    out = d.say(said(Intent.DENY))
    assert "won't send" in d.spoken(out)
    assert d.listen(out).context.expect is Expect.BODY
    assert sends(d) == []


def test_cancel_anywhere_drops_the_draft() -> None:
    d = Driver()
    d.say(said(Intent.SEND_MESSAGE, recipient=known(LI_NA), body=BODY))
    out = d.say(said(Intent.CANCEL))
    assert d.spoken(out) == "OK, cancelled. Nothing was sent."
    assert d.state.task is None
    assert d.state.kept_draft is None
    assert sends(d) == []


def test_timeout_keeps_the_draft_and_sends_nothing() -> None:
    d = Driver()
    out = d.say(said(Intent.SEND_MESSAGE, recipient=known(LI_NA), body=BODY))
    turn = d.listen(out).turn
    assert d.event(Timeout(turn - 1)) == []  # stale window: ignored
    out = d.event(Timeout(turn))
    assert "nothing was sent" in d.spoken(out)
    assert "Li Na" in d.spoken(out)
    assert d.state.kept_draft is not None
    assert d.state.task is None
    out = d.say(said(Intent.SEND_MESSAGE))  # "send a message" picks the draft up
    assert d.spoken(out) == f"Back to your draft. Here's your message to Li Na: {BODY}. Send it?"
    assert sends(d) == []


def test_unknown_name_is_said_and_asked_again() -> None:
    d = Driver()
    out = d.say(said(Intent.SEND_MESSAGE, recipient=unknown("Bob"), body=BODY))
    assert d.spoken(out) == "I don't know anyone called Bob. Who should I send it to?"


def test_urgent_group_message() -> None:
    d = Driver()
    out = d.say(
        said(Intent.SEND_MESSAGE, recipient=known(APOLLO), body="Build is red", urgent=True)
    )
    assert d.spoken(out) == "Here's your urgent message to Project Apollo: Build is red. Send it?"
    d.say(said(Intent.CONFIRM))
    sent = sends(d)[0].message
    assert sent.to_group
    assert sent.urgent
    assert sent.recipient_id == APOLLO.id
    out = d.event(Done(sends(d)[0].request))
    assert d.spoken(out) == "Sent to Project Apollo as urgent."


def test_help_and_repeat_keep_the_question_open() -> None:
    d = Driver()
    first = d.say(said(Intent.SEND_MESSAGE, recipient=known(LI_NA), body=BODY))
    out = d.say(said(Intent.HELP))
    assert d.spoken(out) == "Say yes to go ahead, no to change it, or cancel."
    assert d.listen(out).context.expect is Expect.YES_NO
    out = d.say(said(Intent.REPEAT))
    assert d.spoken(out) == d.spoken(first)
    d.say(said(Intent.CONFIRM))
    assert len(sends(d)) == 1


def test_failed_delivery_keeps_the_draft() -> None:
    d = Driver()
    d.say(said(Intent.SEND_MESSAGE, recipient=known(LI_NA), body=BODY))
    d.say(said(Intent.CONFIRM))
    out = d.event(Failed(sends(d)[0].request, "the server is unreachable"))
    assert "couldn't send your message to Li Na" in d.spoken(out)
    assert d.state.kept_draft is not None


# -- reading -------------------------------------------------------------------


def unread() -> tuple:
    return (
        message(LI_NA, "Lunch at noon?", minutes_ago=40, mid="a"),
        message(LI_WEI_SALES, "Client moved to four.", minutes_ago=30, mid="b"),
        message(LI_WEI_SALES, "Can you make it?", minutes_ago=20, mid="c"),
    )


def start_reading(d: Driver) -> list:
    out = d.say(said(Intent.READ_MESSAGES))
    (fetch,) = [a for a in out if isinstance(a, FetchUnread)]
    return d.event(Fetched(fetch.request, messages=unread()))


def test_reading_newest_conversation_first_marking_each_after_speaking_it() -> None:
    d = Driver()
    out = start_reading(d)
    assert isinstance(out[0], Speak)
    assert isinstance(out[1], MarkRead)
    assert d.spoken(out[:1]) == "You have three unread messages. Li Wei says: Client moved to four."
    assert out[1].message_ids == ("b",)
    out = d.say(said(Intent.NEXT))
    assert d.spoken(out[:1]) == "Li Wei says: Can you make it?"
    out = d.say(said(Intent.REPEAT))
    assert d.spoken(out[:1]) == "Li Wei says: Can you make it?"
    out = d.say(said(Intent.CANCEL))
    assert d.spoken(out) == "OK, stopping. You still have one message unread."
    read = [i for a in d.actions if isinstance(a, MarkRead) for i in a.message_ids]
    assert read == ["b", "c", "c"]


def test_reply_while_reading_answers_the_message_just_read() -> None:
    d = Driver()
    start_reading(d)
    out = d.say(said(Intent.REPLY_MESSAGE))
    assert d.spoken(out) == "What's your reply to Li Wei?"
    out = d.say(said(Intent.SEND_MESSAGE, body="Yes, see you"))
    assert d.spoken(out) == "Here's your reply to Li Wei: Yes, see you. Send it?"
    d.say(said(Intent.CONFIRM))
    assert sends(d)[0].message.in_reply_to == "b"
    out = d.event(Done(sends(d)[0].request))
    assert d.spoken(out) == "Sent to Li Wei. Two more messages. Next, repeat, reply, or stop?"
    out = d.say(said(Intent.NEXT))
    assert d.spoken(out[:1]) == "Li Wei says: Can you make it?"


def test_long_messages_are_cut_and_the_rest_offered() -> None:
    d = Driver(DialogState(policy=Policy(max_spoken_chars=60)))
    long = "First sentence is short. " + "Second sentence goes on and on for quite a while now."
    out = d.say(said(Intent.READ_MESSAGES))
    out = d.event(Fetched(out[0].request, messages=(message(LI_NA, long),)))
    assert d.spoken(out) == (
        "You have one unread message. Li Na says: First sentence is short. "
        "The message goes on. Want to hear the rest?"
    )
    assert not any(isinstance(a, MarkRead) for a in out)
    out = d.say(said(Intent.CONFIRM))
    assert d.spoken(out).startswith("Second sentence goes on")
    assert any(isinstance(a, MarkRead) for a in out)


def test_barge_in_stops_speech() -> None:
    d = Driver()
    assert d.event(BargeIn()) == [StopSpeaking()]


# -- announcements ---------------------------------------------------------------


def test_announcement_on_request_offers_to_read_and_reply_answers_it() -> None:
    d = Driver()
    out = d.event(Incoming((message(LI_WEI_SALES, "Call me", conversation=APOLLO),)))
    assert d.spoken(out) == "New message from Li Wei in Project Apollo. Want to hear it?"
    out = d.say(said(Intent.REPLY_MESSAGE, body="On my way"))
    assert d.spoken(out) == "Here's your reply to Project Apollo: On my way. Send it?"


def test_announcements_wait_for_the_running_task_and_bursts_are_summed_up() -> None:
    d = Driver(DialogState(policy=Policy(announcement_read="never")))
    d.say(said(Intent.SEND_MESSAGE, recipient=known(LI_NA), body=BODY))
    burst = tuple(
        message(LI_WEI_SALES, f"m{i}", conversation=APOLLO, mid=f"x{i}") for i in range(3)
    )
    assert d.event(Incoming(burst)) == []
    out = d.say(said(Intent.CANCEL))
    assert d.spoken(out) == "OK, cancelled. Nothing was sent. Three new messages in Project Apollo."
    assert d.state.last_heard is not None  # "reply" now answers Project Apollo


def test_announcement_policy_always_reads_the_body() -> None:
    d = Driver(DialogState(policy=Policy(announcement_read="always")))
    out = d.event(Incoming((message(LI_NA, "Lunch?"),)))
    assert d.spoken(out) == "Li Na says: Lunch?"
    assert d.state.task is None


def test_delivery_failure_is_told_when_the_dialog_is_free() -> None:
    d = Driver()
    d.say(said(Intent.SEND_MESSAGE, recipient=known(LI_NA)))
    assert d.event(DeliveryFailed(("Zhang San",))) == []
    out = d.say(said(Intent.CANCEL))
    assert "earlier message to Zhang San could not be delivered" in d.spoken(out)


# -- calendar and contacts -------------------------------------------------------


def meeting(title: str, hours: float, minutes: int = 60, mid: str = "e1") -> CalendarEvent:
    start = NOW + timedelta(hours=hours)
    return CalendarEvent(mid, title, start, start + timedelta(minutes=minutes))


def test_calendar_tomorrow_is_spoken_naturally() -> None:
    d = Driver()
    start = (NOW + timedelta(days=1)).replace(hour=0, minute=0)
    out = d.say(said(Intent.QUERY_CALENDAR, start=start, end=start + timedelta(days=1)))
    (fetch,) = out
    assert isinstance(fetch, FetchEvents)
    assert fetch.start == start
    events = (meeting("Apollo review", 25.5), meeting("Budget check-in", 30, mid="e2"))
    out = d.event(Fetched(fetch.request, events=events))
    assert d.spoken(out) == (
        "Tomorrow you have two meetings: Apollo review at 10 AM and Budget check-in at 2:30 PM."
    )


def test_whats_next() -> None:
    d = Driver()
    (fetch,) = d.say(said(Intent.QUERY_CALENDAR))
    out = d.event(Fetched(fetch.request, events=(meeting("Sales stand-up", 6.5),)))
    assert d.spoken(out) == "Next up: Sales stand-up at 3 PM today."


def test_create_event_warns_about_conflicts_and_creates_after_yes() -> None:
    d = Driver()
    start = NOW + timedelta(hours=30)
    out = d.say(
        said(
            Intent.CREATE_EVENT,
            title="Budget sync",
            start=start,
            duration=30,
            attendees=(known(LI_NA),),
        )
    )
    (fetch,) = out
    out = d.event(Fetched(fetch.request, events=(meeting("Budget check-in", 30, 30),)))
    assert d.spoken(out) == (
        "Budget sync at 2:30 PM tomorrow for 30 minutes with Li Na. "
        "Heads up: it overlaps Budget check-in at 2:30 PM tomorrow. Create it?"
    )
    out = d.say(said(Intent.CONFIRM))
    (create,) = out
    assert isinstance(create, CreateEvent)
    assert create.draft.attendee_ids == (LI_NA.id,)
    assert create.draft.end - create.draft.start == timedelta(minutes=30)


def test_create_event_asks_for_title_and_time() -> None:
    d = Driver()
    out = d.say(said(Intent.CREATE_EVENT))
    assert d.spoken(out) == "What's the meeting called?"
    out = d.say(said(Intent.CREATE_EVENT, title="Design review"))
    assert d.spoken(out) == "When should it be?"
    assert d.listen(out).context.expect is Expect.TIME


def test_cancel_event_confirms_first() -> None:
    d = Driver()
    (fetch,) = d.say(said(Intent.CANCEL_EVENT, title="budget"))
    out = d.event(Fetched(fetch.request, events=(meeting("Budget check-in", 30),)))
    assert d.spoken(out) == "Cancel Budget check-in at 2:30 PM tomorrow?"
    (cancel,) = d.say(said(Intent.CONFIRM))
    assert isinstance(cancel, CancelEvent)
    assert cancel.event_id == "e1"
    assert d.spoken(d.event(Done(cancel.request))) == "Cancelled Budget check-in."


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("phone", "Li Wei's phone number is plus 8 6, 1 3 8, 0 0 0 0, 0 1 0 1."),
        ("department", "Li Wei works in Sales."),
        ("email", "I don't have a email address for Li Wei."),
    ],
)
def test_contact_questions(field: str, expected: str) -> None:
    d = Driver()
    out = d.say(said(Intent.QUERY_CONTACT, contact=known(LI_WEI_SALES), field=field))
    assert d.spoken(out) == expected


def test_contact_question_about_namesakes_asks_which() -> None:
    d = Driver()
    out = d.say(
        said(
            Intent.QUERY_CONTACT,
            contact=ambiguous(LI_WEI_SALES, LI_WEI_FINANCE),
            field="department",
        )
    )
    assert d.spoken(out) == "Li Wei in Sales or Li Wei in Finance?"
    out = d.say(said(Intent.CONFIRM, choice=0))
    assert d.spoken(out) == "Li Wei works in Sales."


def test_out_of_domain_is_never_an_action() -> None:
    d = Driver()
    out = d.say(said(Intent.NONE, "play some jazz"))
    assert [type(a) for a in out] == [Speak]


def test_a_new_request_during_a_read_back_keeps_the_draft() -> None:
    d = Driver()
    d.say(said(Intent.SEND_MESSAGE, recipient=known(LI_NA), body=BODY))
    out = d.say(said(Intent.QUERY_CALENDAR))
    assert d.spoken(out).startswith("I kept your message draft")
    assert any(isinstance(a, FetchEvents) for a in out)
    assert d.state.kept_draft is not None
    assert sends(d) == []


def test_a_new_request_while_reading_ends_the_reading() -> None:
    d = Driver()
    start_reading(d)
    out = d.say(said(Intent.QUERY_CONTACT, contact=known(LI_NA), field="email"))
    assert d.spoken(out) == "Li Na's email is li dot na at example dot com."
    assert d.state.task is None


def test_reply_to_a_named_person() -> None:
    d = Driver()
    out = d.say(said(Intent.REPLY_MESSAGE, recipient=known(LI_NA)))
    assert d.spoken(out) == "What's your reply to Li Na?"


def test_reply_with_nothing_to_reply_to_asks_whom() -> None:
    d = Driver()
    out = d.say(said(Intent.REPLY_MESSAGE, body="On my way"))
    assert d.spoken(out) == ("There's no message to reply to yet. Who do you want to reply to?")
    out = d.say(said(Intent.SEND_MESSAGE, recipient=known(LI_NA)))
    assert d.spoken(out) == "Here's your reply to Li Na: On my way. Send it?"


def test_a_failed_fetch_is_said_plainly() -> None:
    d = Driver()
    (fetch,) = d.say(said(Intent.READ_MESSAGES))
    out = d.event(Failed(fetch.request, "the chat server did not answer"))
    assert d.spoken(out) == "Sorry, that didn't work: the chat server did not answer."
    assert d.state.task is None


def test_late_results_after_cancel_are_ignored() -> None:
    d = Driver()
    (fetch,) = d.say(said(Intent.READ_MESSAGES))
    d.say(said(Intent.CANCEL))
    assert d.event(Fetched(fetch.request, messages=unread())) == []


def test_read_back_keeps_the_body_punctuation() -> None:
    d = Driver()
    out = d.say(said(Intent.SEND_MESSAGE, recipient=known(LI_NA), body="can you make it?"))
    assert d.spoken(out) == "Here's your message to Li Na: Can you make it? Send it?"


def test_correcting_the_recipient_of_a_reply_drops_the_reply_link() -> None:
    d = Driver()
    start_reading(d)
    d.say(said(Intent.REPLY_MESSAGE, body="Yes"))
    d.say(said(Intent.SEND_MESSAGE, recipient=known(LI_NA), correction=True))
    d.say(said(Intent.CONFIRM))
    sent = sends(d)[0].message
    assert (sent.recipient_id, sent.in_reply_to) == (LI_NA.id, None)


def test_a_mumbled_yes_is_asked_again_not_acted_on() -> None:
    d = Driver()
    d.say(said(Intent.SEND_MESSAGE, recipient=known(LI_NA), body=BODY))
    out = d.say(ParseResult("yeah", Intent.CONFIRM, 0.3, {}))
    assert d.spoken(out).startswith("Sorry, was that a yes? Here's your message to Li Na")
    assert sends(d) == []
    d.say(said(Intent.CONFIRM))
    assert len(sends(d)) == 1


def test_whats_next_says_where() -> None:
    d = Driver()
    (fetch,) = d.say(said(Intent.QUERY_CALENDAR))
    start = NOW + timedelta(hours=7.5)
    event = CalendarEvent(
        "e1", "Client meeting", start, start + timedelta(hours=1), location="Acme headquarters"
    )
    out = d.event(Fetched(fetch.request, events=(event,)))
    assert d.spoken(out) == "Next up: Client meeting at 4 PM today. It's at Acme headquarters."


def test_reply_after_a_mixed_announcement_answers_the_newest_message() -> None:
    d = Driver()
    older = message(LI_NA, "Lunch?", minutes_ago=9, mid="o")
    newer = message(LI_WEI_SALES, "Call me", minutes_ago=1, conversation=APOLLO, mid="n")
    out = d.event(Incoming((older, newer)))
    assert d.spoken(out) == (
        "New message from Li Wei in Project Apollo. New message from Li Na. Want to hear them?"
    )
    out = d.say(said(Intent.REPLY_MESSAGE, body="Soon"))
    assert d.spoken(out) == "Here's your reply to Project Apollo: Soon. Send it?"
