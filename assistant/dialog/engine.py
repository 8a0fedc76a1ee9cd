"""The dialog engine: ``step(state, event, now) -> (state, actions)``, with no I/O.

Order of handling an utterance: the repairs that work anywhere (cancel,
help, repeat) first, then the task in progress, then a new task. Stale
timeouts (for an answer window that is no longer open) are ignored, so the
runner never has to cancel timers precisely.

The flows (``send_flow``, ``read_flow``, ``announce``, ``calendar_flow``,
``move_flow``, ``contact_flow``, ``call_flow``) are leaves: they never import
one another. :data:`assistant.dialog.flows.FLOWS` says which flow handles each
kind of task; the engine alone
moves from one flow to another (a reply from a reading or an announcement,
reading what was announced) and says what follows a finished task (a reading
resumed after a reply, delivery notices, queued announcements).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from assistant.dialog import (
    announce,
    calendar_flow,
    call_flow,
    contact_flow,
    move_flow,
    read_flow,
    send_flow,
)
from assistant.dialog.actions import Listen, Speak, StopSpeaking
from assistant.dialog.common import Outcome, ask, finish, help_for, p, say, spoken
from assistant.dialog.events import (
    BargeIn,
    DeliveredLate,
    DeliveryFailed,
    DialogEvent,
    Done,
    Failed,
    Fetched,
    Incoming,
    Queued,
    Timeout,
    Utterance,
)
from assistant.dialog.flows import flow_of
from assistant.dialog.locale import speaking
from assistant.dialog.speech import join_names
from assistant.dialog.state import (
    DialogState,
    MessageDraft,
    Offer,
    Reading,
    Suspended,
    Task,
)
from assistant.errors import DialogError
from assistant.locales import foreign_script
from assistant.models import Intent, Message
from intents.result import Expect, ParseContext, ParseResult

#: Answer windows that are questions to the driver (others wait for a backend).
_QUESTIONS = ("recipient", "choice", "body", "confirm", "reading", "rest", "offer", "title", "time")


def step(state: DialogState, event: DialogEvent, now: datetime) -> Outcome:
    """Advance the dialog by one event; pure and deterministic.

    Everything said during the step is in ``state.policy.locale``.
    """
    with speaking(state.policy.locale, directory=state.policy.directory):
        return _step(state, event, now)


def _step(state: DialogState, event: DialogEvent, now: datetime) -> Outcome:
    new, actions = _handle(state, event, now)
    if new.task is not None:
        return new, actions
    new, more = _after(state.task, new, event)
    return new, (*actions, *more)


def _handle(state: DialogState, event: DialogEvent, now: datetime) -> Outcome:
    if isinstance(event, Utterance):
        return _utterance(state, event, now)
    if isinstance(event, Timeout):
        return _timeout(state, event)
    if isinstance(event, Incoming):
        return _incoming(state, event)
    if isinstance(event, BargeIn):
        return state, (StopSpeaking(),)
    if isinstance(event, Fetched | Done | Failed | Queued):
        return _result(state, event, now)
    if isinstance(event, DeliveryFailed | DeliveredLate):
        return _delivery_notice(state, event)
    raise DialogError(f"the dialog cannot handle {type(event).__name__}")


# -- utterances --------------------------------------------------------------


def _utterance(state: DialogState, event: Utterance, now: datetime) -> Outcome:
    intent = event.result.intent
    if foreign_script(event.result.text):
        # Korean, Arabic, Cyrillic...: never acted on (not even as a dictated
        # body); say which languages we speak and keep the question open.
        return _reask(state, p("repair.unsupported_language"))
    reading_aloud = isinstance(state.task, Reading) and state.waiting in ("reading", "rest")
    if intent is Intent.CANCEL and not reading_aloud:  # "stop" while reading says what's left
        return _cancel(state)
    if intent is Intent.HELP:
        return _reask(state, help_for(state))
    if intent is Intent.REPEAT and not isinstance(state.task, Reading | Offer):
        return _reask(state, state.last_spoken or p("repair.nothing_to_repeat"))
    if state.task is not None and state.waiting in _QUESTIONS:
        if _switches_task(state, event.result):
            return _switch(state, event, now)
        return _answer(state, event, now)
    if state.task is not None:
        return say(state, p("repair.busy"))
    return _start(state, event, now)


#: Requests that may interrupt a task in progress (see _switches_task).
_NEW_REQUESTS = frozenset(
    {
        Intent.QUERY_CALENDAR,
        Intent.CREATE_EVENT,
        Intent.CANCEL_EVENT,
        Intent.QUERY_CONTACT,
        Intent.SEND_MESSAGE,
        Intent.READ_MESSAGES,
    }
)


def _switches_task(state: DialogState, result: ParseResult) -> bool:
    """A new request at any question (never while a body is dictated or a message read).

    Requests the flow takes as corrections of its own task ("make it 4 pm"
    while moving a meeting, another name while sending) are answers.
    """
    if state.task is None or state.waiting in ("body", "rest"):
        return False
    return result.intent in _NEW_REQUESTS - flow_of(state.task).own or call_flow.is_call(result)


def _switch(state: DialogState, event: Utterance, now: datetime) -> Outcome:
    """Leave the current task for the new request.

    A message draft is kept (the driver picks it up with "send a message");
    any other question is asked again once the new request is done.
    """
    note = ""
    if isinstance(state.task, MessageDraft):
        state = replace(state, kept_draft=state.task)
        note = p("send.kept_for_later")
    elif state.task is not None and state.question is not None and flow_of(state.task).resumable:
        left = Suspended(state.task, state.waiting, state.question)
        state = replace(state, suspended=left)
    idle = replace(state, task=None, waiting="", question=None, failures=0)
    new, actions = _start(idle, event, now)
    if not note:
        return new, actions
    return new, (Speak(note), *actions)


def _answer(state: DialogState, event: Utterance, now: datetime) -> Outcome:
    task = state.task
    flow = flow_of(task) if task is not None else None
    if flow is None or flow.answer is None:
        raise DialogError(f"no flow answers while {state.waiting!r}")
    handed = flow.hand_over(state, task, event) if flow.hand_over else None
    if handed is not None:
        return handed
    new, actions = flow.answer(state, task, event, now)
    if not _unanswered(state, new):
        return replace(new, failures=0), actions
    return _failed(state, new, actions)


#: Questions where an answer that leaves everything as it was is a failed answer.
_COUNTED = ("recipient", "choice", "body", "confirm", "offer", "title", "time")


def _unanswered(before: DialogState, after: DialogState) -> bool:
    """The flow asked its question again with nothing learnt: the answer did not fit."""
    return (
        before.waiting in _COUNTED
        and after.waiting == before.waiting
        and after.task == before.task
        and after.turn > before.turn
    )


def _failed(before: DialogState, after: DialogState, actions: tuple[Any, ...]) -> Outcome:
    """A failed answer: the flow's re-ask first; then what the driver can say; then a way out.

    The question stays the one first asked, so its choices never get lost.
    """
    failures = before.failures + 1
    question = before.question or after.question
    after = replace(after, failures=failures, question=question)
    if failures == 1 or question is None:
        return after, actions
    if failures == 2:
        text = spoken(f"{help_for(after)} {question.text}")
        listens = tuple(a for a in actions if isinstance(a, Listen))
        return replace(after, last_spoken=text), (Speak(text), *listens)
    return _way_out(before)


def _way_out(state: DialogState) -> Outcome:
    """Let go of a question the driver cannot answer; a message draft is kept."""
    task = state.task
    way_out = flow_of(task).way_out if task is not None else None
    if way_out is not None:
        return way_out(state, task)
    return finish(state, p("repair.gave_up"))


def _start(state: DialogState, event: Utterance, now: datetime) -> Outcome:
    result = event.result
    intent = result.intent
    if intent is Intent.SEND_MESSAGE:
        return send_flow.start_send(state, result)
    if intent is Intent.REPLY_MESSAGE:
        return send_flow.start_reply(state, result, state.last_heard)
    if intent is Intent.READ_MESSAGES:
        return read_flow.start_read(state, result)
    if intent is Intent.QUERY_CALENDAR:
        return calendar_flow.start_query(state, result, now)
    if intent is Intent.CREATE_EVENT:
        return calendar_flow.start_create(state, result, now)
    if intent is Intent.CANCEL_EVENT and result.slots.get("move") is True:
        return move_flow.start_move(state, result, now)
    if intent is Intent.CANCEL_EVENT:
        return calendar_flow.start_cancel(state, result, now)
    if intent is Intent.QUERY_CONTACT:
        return contact_flow.start_lookup(state, result)
    if call_flow.is_call(result):
        return call_flow.start_call(state, result)
    if intent is Intent.CONFIRM and state.kept_draft is not None:
        return send_flow.start_send(state, replace(result, slots={}))
    if intent is Intent.NEXT:
        return say(state, p("repair.nothing_next"))
    if intent in (Intent.CONFIRM, Intent.DENY):
        return say(state, p("repair.nothing_pending"))
    return say(state, p("repair.out_of_domain"))


def _cancel(state: DialogState) -> Outcome:
    if state.task is None:
        return say(state, p("cancel.nothing"))
    if state.waiting in ("sending", "saving"):
        return say(state, p("cancel.too_late"))
    key = "cancel.message" if isinstance(state.task, MessageDraft) else "cancel.done"
    return finish(state, p(key), suspended=None)


def _reask(state: DialogState, text: str) -> Outcome:
    """Say ``text`` and, if a question is open, open its answer window again."""
    if state.task is None or state.waiting not in _QUESTIONS:
        return say(state, text)
    new, actions = _reopen(state)
    listens = tuple(a for a in actions if isinstance(a, Listen))
    return replace(new, last_spoken=state.last_spoken), (Speak(text), *listens)


def _reopen(state: DialogState) -> Outcome:
    """Ask the open question again as it was asked (its choices kept), in a fresh window."""
    question = state.question
    if question is None:
        return ask(state, state.last_spoken, state.waiting, _context_of(state))
    new, actions = ask(
        state, question.text, state.waiting, question.context, vocab=question.vocabulary
    )
    return replace(new, question=question), actions


def _context_of(state: DialogState) -> ParseContext:
    expect = {
        "confirm": Expect.YES_NO,
        "offer": Expect.YES_NO,
        "rest": Expect.YES_NO,
        "body": Expect.BODY,
        "recipient": Expect.CONTACT,
        "title": Expect.TITLE,
        "time": Expect.TIME,
        "choice": Expect.CHOICE,
    }.get(state.waiting, Expect.ANYTHING)
    return ParseContext(expect)


# -- other events --------------------------------------------------------------


def _timeout(state: DialogState, event: Timeout) -> Outcome:
    if event.turn != state.turn or state.waiting not in _QUESTIONS or state.task is None:
        return state, ()
    # Nobody is answering: an interrupted question is not asked again either.
    return flow_of(state.task).timeout(replace(state, suspended=None), state.task)


def _result(state: DialogState, event: Fetched | Done | Failed | Queued, now: datetime) -> Outcome:
    task = state.task
    if state.waiting not in ("fetching", "sending", "saving") or task is None:
        return state, ()  # a late answer to something already cancelled
    if isinstance(event, Failed) and state.waiting == "fetching":
        return finish(state, p("backend.failed", reason=event.reason))
    flow = flow_of(task)
    if isinstance(event, Fetched):
        if flow.fetched is None:
            raise DialogError(f"unexpected fetch result while {state.waiting!r}")
        return flow.fetched(state, task, event, now)
    if isinstance(event, Queued):
        if flow.queued is None:
            raise DialogError(f"only a message can be queued, not while {state.waiting!r}")
        return flow.queued(state, task, event)
    if flow.saved is not None:
        return flow.saved(state, task, event, now)
    if isinstance(event, Failed):
        return finish(state, p("backend.failed", reason=event.reason))
    raise DialogError(f"unexpected {type(event).__name__} while {state.waiting!r}")


# -- what follows a finished task ------------------------------------------------


def _after(finished: Task | None, state: DialogState, event: DialogEvent) -> Outcome:
    """The task is over: its sequel if any, then its last words, notices and announcements."""
    lead = " ".join(state.closing)
    then = flow_of(finished).then if finished is not None else None
    sequel = then(replace(state, closing=()), finished, event, lead) if then else None
    if sequel is None:
        return _close(state)
    new, actions = sequel
    if new.task is not None:
        return new, actions
    new, more = _close(new)
    return new, (*actions, *more)


def _close(state: DialogState) -> Outcome:
    """Speak a finished task's last words and notices, then the announcements it held up."""
    spoken = [t for t in (*state.closing, *state.notices) if t]
    if state.suspended is not None:
        return _resume(replace(state, closing=(), notices=()), state.suspended, spoken)
    if not spoken and not state.queued:
        return state, ()
    done = replace(state, closing=(), notices=())
    if done.queued:
        return _announce(replace(done, queued=()), done.queued, prefix=" ".join(spoken))
    return say(done, *spoken)


def _resume(state: DialogState, left: Suspended, spoken: list[str]) -> Outcome:
    """Back to the question a new command interrupted, asked as it was."""
    question = left.question
    text = " ".join([*spoken, p("repair.back_to"), question.text])
    state = replace(state, suspended=None, failures=0)
    new, actions = ask(
        state, text, left.waiting, question.context, task=left.task, vocab=question.vocabulary
    )
    return replace(new, question=question), actions


def _incoming(state: DialogState, event: Incoming) -> Outcome:
    """Announce now when free, otherwise queue for when the task ends."""
    if not event.messages:
        return state, ()
    if state.busy:
        return replace(state, queued=state.queued + event.messages), ()
    return _announce(state, event.messages)


def _announce(state: DialogState, messages: tuple[Message, ...], prefix: str = "") -> Outcome:
    """Announce ``messages``; by policy "always", read them straight away."""
    ordered = read_flow.order_for_reading(messages)
    if state.policy.announcement_read != "always":
        return announce.announce(state, ordered, prefix)
    state = replace(state, last_heard=max(ordered, key=lambda m: m.sent_at))
    return read_flow.start_reading(state, ordered, announce.reading_intro(ordered, prefix))


def _delivery_notice(state: DialogState, event: DeliveryFailed | DeliveredLate) -> Outcome:
    key = "send.delivery_failed" if isinstance(event, DeliveryFailed) else "send.delivered_late"
    text = p(key, names=join_names(event.recipients))
    if state.busy:
        return replace(state, notices=(*state.notices, text)), ()
    return say(state, text)
