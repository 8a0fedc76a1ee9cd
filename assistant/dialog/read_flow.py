"""Reading unread messages aloud, one at a time: urgent ones first, then newest conversations.

After each message the driver can say "next", "repeat", "reply" or "stop".
A message is marked read only right after it was spoken in full (the
``MarkRead`` follows its ``Speak``; the runner drops it on a barge-in). A
long message is cut at a sentence and the rest offered.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from assistant.dialog.actions import DialogAction, FetchUnread, MarkRead, Speak
from assistant.dialog.common import Outcome, ask, finish, is_group_message, p, spoken, wait_for
from assistant.dialog.contacts import first_resolution
from assistant.dialog.events import Fetched, Utterance
from assistant.dialog.prompts import vocabulary
from assistant.dialog.speech import count, split_for_speech, spoken_limit
from assistant.dialog.state import DialogState, Reading
from assistant.models import Intent, Message
from intents.result import Expect, ParseContext, ParseResult

_NEXT = (Intent.NEXT, Intent.CONFIRM, Intent.READ_MESSAGES)
_STOP = (Intent.DENY, Intent.CANCEL)


def start_read(state: DialogState, result: ParseResult) -> Outcome:
    """read_messages: fetch unread messages, optionally of one sender or chat.

    "read that again" or "go back one" once the reading is over reads the
    message heard last once more (no summary after it).
    """
    if result.slots.get("step") in ("again", "back") and state.last_heard is not None:
        return read_current(state, Reading((state.last_heard,), announced=True))
    reading = Reading(urgent_only=result.slots.get("urgent_only") is True)
    for name in ("sender", "conversation"):
        resolution = result.slots.get(name)
        best = getattr(resolution, "best", None)
        if best is not None:
            key = "conversation_id" if best.kind == "group" else "sender_id"
            reading = replace(reading, **{key: best.id})
    request = f"unread-{state.turn}"
    return wait_for(state, "fetching", reading, FetchUnread(request))


def order_for_reading(messages: Iterable[Message]) -> tuple[Message, ...]:
    """Urgent messages first; then newest conversations first, each oldest message first."""
    by_conv: dict[str, list[Message]] = {}
    for message in sorted(messages, key=lambda m: m.sent_at):
        by_conv.setdefault(message.conversation_id, []).append(message)
    convs = sorted(by_conv.values(), key=lambda ms: ms[-1].sent_at, reverse=True)
    ordered = [m for conv in convs for m in conv]
    return tuple([m for m in ordered if m.urgent] + [m for m in ordered if not m.urgent])


def on_fetched(state: DialogState, reading: Reading, event: Fetched) -> Outcome:
    """Unread messages arrived: say how many and read the first."""
    wanted = [
        m
        for m in event.messages
        if reading.sender_id in (None, m.sender_id)
        and reading.conversation_id in (None, m.conversation_id)
        and (m.urgent or not reading.urgent_only)
    ]
    if not wanted:
        return finish(state, p("read.none_urgent" if reading.urgent_only else "read.none"))
    messages = order_for_reading(wanted)
    noun = "urgent message" if reading.urgent_only else "unread message"
    intro = p("read.count", count=count(len(messages), noun))
    return read_current(state, replace(reading, messages=messages), intro)


def start_reading(state: DialogState, messages: tuple[Message, ...], intro: str) -> Outcome:
    """Read ``messages`` (e.g. just announced) as a reading session."""
    return read_current(state, Reading(order_for_reading(messages), announced=True), intro)


def read_current(state: DialogState, reading: Reading, intro: str = "") -> Outcome:
    """Speak the current message (or its first part) and wait for what next."""
    message = reading.messages[reading.index]
    limit = spoken_limit(state.policy.max_spoken_chars, message.body)
    head, rest = split_for_speech(message.body, limit)
    text = " ".join(x for x in (intro, who_says(message), head) if x)
    state = replace(state, last_heard=message)
    if rest:
        text = f"{text} {p('read.more')}"
        new = replace(reading, rest=rest)
        return ask(state, text, "rest", ParseContext(Expect.YES_NO), task=new)
    return _after_message(state, replace(reading, rest=""), Speak(spoken(text)))


def who_says(message: Message) -> str:
    """ "Li Wei says:" or "Li Wei in Project Apollo says:" (urgent ones flagged)."""
    key = "read.says_group" if is_group_message(message) else "read.says"
    text = p(key, sender=message.sender_name, conversation=message.conversation_name)
    return f"{p('read.urgent')} {text}" if message.urgent else text


def _after_message(state: DialogState, reading: Reading, spoken: DialogAction) -> Outcome:
    message = reading.messages[reading.index]
    done: tuple[DialogAction, ...] = (spoken, MarkRead((message.id,)))
    left = len(reading.messages) - reading.index - 1
    if left == 0:
        new, actions = finish(state, _all_done(reading))
        return new, done + actions
    text = p("read.what_next", left=count(left, "more message"))
    new, actions = ask(state, text, "reading", ParseContext(), task=reading, vocab=_vocab())
    return new, done + actions


def _vocab() -> tuple[str, ...]:
    return vocabulary("reading")


def answer(state: DialogState, reading: Reading, event: Utterance) -> Outcome:
    """The driver said what to do after (or in the middle of) a message."""
    intent = event.result.intent
    if state.waiting == "rest":
        return _answer_rest(state, reading, intent)
    if intent is Intent.READ_MESSAGES and first_resolution(event.result.slots) is not None:
        return start_read(state, event.result)  # "read messages from Zhang San": a new filter
    step = event.result.slots.get("step") if intent is Intent.READ_MESSAGES else None
    if intent is Intent.REPEAT or step == "again":  # "read that again"
        return read_current(state, reading)
    if step == "back":  # "go back one": the message before, heard again
        return read_current(state, replace(reading, index=max(0, reading.index - 1), rest=""))
    if intent in _NEXT:
        return _next(state, reading)
    # "reply" is taken by the engine before this (a reply flow, then this reading resumed).
    if intent in _STOP:
        return stop(state, reading, reading.index + 1)
    text = p("repair.reading")
    return ask(state, text, "reading", ParseContext(), vocab=_vocab())


def _answer_rest(state: DialogState, reading: Reading, intent: Intent) -> Outcome:
    if intent in (Intent.CONFIRM, Intent.NEXT):
        limit = spoken_limit(state.policy.max_spoken_chars, reading.rest)
        head, rest = split_for_speech(reading.rest, limit)
        if rest:
            text = f"{head} {p('read.more')}"
            new = replace(reading, rest=rest)
            return ask(state, text, "rest", ParseContext(Expect.YES_NO), task=new)
        return _after_message(state, replace(reading, rest=""), Speak(head))
    if intent is Intent.REPEAT:
        return read_current(state, reading)
    if intent in (Intent.DENY, Intent.CANCEL):
        # The driver heard the start and chose to skip the rest: it counts as read.
        return _after_message(state, replace(reading, rest=""), Speak(p("read.skipped")))
    return ask(state, p("repair.yes_or_no"), "rest", ParseContext(Expect.YES_NO))


def _next(state: DialogState, reading: Reading) -> Outcome:
    if reading.index + 1 >= len(reading.messages):
        return finish(state, _all_done(reading))
    return read_current(state, replace(reading, index=reading.index + 1, rest=""))


def _all_done(reading: Reading) -> str:
    """The end of a reading session ("" after an announcement: no summary)."""
    if reading.announced:
        return ""
    return p("read.all_urgent_done" if reading.urgent_only else "read.all_done")


def resume_after_reply(state: DialogState, reading: Reading, sent: str) -> Outcome:
    """The reply went out: carry on with the messages still to read."""
    left = len(reading.messages) - reading.index - 1
    if left <= 0:
        return finish(state, sent, _all_done(reading))
    text = f"{sent} {p('read.what_next', left=count(left, 'more message'))}"
    return ask(state, text, "reading", ParseContext(), task=reading, vocab=_vocab())


def stop(
    state: DialogState, reading: Reading, first_unheard: int, *, quiet: bool = False
) -> Outcome:
    """Stop reading (``quiet``: nobody answered); say how many stay unread."""
    left = max(len(reading.messages) - first_unheard, 0)
    lead = p("read.paused") if quiet else p("read.stopped")
    if left == 0:
        return finish(state, lead)
    return finish(state, lead, p("read.left", left=count(left, "message")))
