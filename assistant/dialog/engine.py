"""The dialog engine: ``step(state, event, now) -> (state, actions)``, with no I/O.

Order of handling an utterance: the repairs that work anywhere (cancel,
help, repeat) first, then the task in progress, then a new task. Stale
timeouts (for an answer window that is no longer open) are ignored, so the
runner never has to cancel timers precisely.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from assistant.dialog import (
    announce,
    calendar_flow,
    contact_flow,
    move_flow,
    read_flow,
    send_flow,
)
from assistant.dialog.actions import Listen, Speak, StopSpeaking
from assistant.dialog.common import Outcome, ask, finish, help_for, p, say
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
from assistant.dialog.locale import speaking
from assistant.dialog.speech import join_names
from assistant.dialog.state import (
    CalendarQuery,
    Cancelling,
    ContactLookup,
    DialogState,
    MessageDraft,
    Moving,
    NewEvent,
    Offer,
    Reading,
)
from assistant.errors import DialogError
from assistant.locales import foreign_script
from assistant.models import Intent
from intents.result import Expect, ParseContext

#: Answer windows that are questions to the driver (others wait for a backend).
_QUESTIONS = ("recipient", "choice", "body", "confirm", "reading", "rest", "offer", "title", "time")


def step(state: DialogState, event: DialogEvent, now: datetime) -> Outcome:
    """Advance the dialog by one event; pure and deterministic.

    Everything said during the step is in ``state.policy.locale``.
    """
    with speaking(state.policy.locale, directory=state.policy.directory):
        return _step(state, event, now)


def _step(state: DialogState, event: DialogEvent, now: datetime) -> Outcome:
    if isinstance(event, Utterance):
        return _utterance(state, event, now)
    if isinstance(event, Timeout):
        return _timeout(state, event)
    if isinstance(event, Incoming):
        return announce.on_incoming(state, event)
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
        if _switches_task(state, intent):
            return _switch(state, event, now)
        return _answer(state, event, now)
    if state.task is not None:
        return say(state, p("repair.busy"))
    return _start(state, event, now)


#: Requests that may interrupt a task in progress (see _switches_task).
_NEW_REQUESTS = frozenset(
    {Intent.QUERY_CALENDAR, Intent.CREATE_EVENT, Intent.CANCEL_EVENT, Intent.QUERY_CONTACT}
)


def _switches_task(state: DialogState, intent: Intent) -> bool:
    """A new request in the middle of a task (never while a body is dictated)."""
    if isinstance(state.task, Reading | Offer):
        return intent in _NEW_REQUESTS | {Intent.SEND_MESSAGE}
    if isinstance(state.task, MessageDraft) and state.waiting in ("confirm", "recipient"):
        return intent in _NEW_REQUESTS | {Intent.READ_MESSAGES}
    return False


def _switch(state: DialogState, event: Utterance, now: datetime) -> Outcome:
    """Leave the current task for the new request; a message draft is kept."""
    note = ""
    if isinstance(state.task, MessageDraft):
        state = replace(state, kept_draft=state.task)
        note = p("send.kept_for_later")
    idle = replace(state, task=None, waiting="")
    new, actions = _start(idle, event, now)
    if not note:
        return new, actions
    return new, (Speak(note), *actions)


def _answer(state: DialogState, event: Utterance, now: datetime) -> Outcome:
    task = state.task
    if isinstance(task, MessageDraft):
        return send_flow.answer(state, task, event)
    if isinstance(task, Reading):
        return read_flow.answer(state, task, event)
    if isinstance(task, Offer):
        return announce.answer_offer(state, task, event)
    if isinstance(task, NewEvent):
        return calendar_flow.answer_create(state, task, event, now)
    if isinstance(task, Cancelling):
        return calendar_flow.answer_cancel(state, task, event, now)
    if isinstance(task, Moving):
        return move_flow.answer(state, task, event, now)
    if isinstance(task, ContactLookup):
        return contact_flow.answer(state, task, event)
    raise DialogError(f"no flow answers while {state.waiting!r}")


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
    return finish(state, p(key))


def _reask(state: DialogState, text: str) -> Outcome:
    """Say ``text`` and, if a question is open, open its answer window again."""
    if state.task is None or state.waiting not in _QUESTIONS:
        return say(state, text)
    new, actions = _reopen(state)
    listens = tuple(a for a in actions if isinstance(a, Listen))
    return replace(new, last_spoken=state.last_spoken), (Speak(text), *listens)


def _reopen(state: DialogState) -> Outcome:
    """Ask the last question again (same context, a fresh answer window)."""
    if isinstance(state.task, MessageDraft) and state.waiting in (
        "recipient",
        "body",
        "confirm",
        "choice",
    ):
        return send_flow.advance(state, state.task)
    return ask(state, state.last_spoken, state.waiting, _context_of(state))


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
    task = state.task
    if isinstance(task, MessageDraft):
        return send_flow.on_timeout(state, task)
    if isinstance(task, Reading):
        first_unheard = task.index + (0 if state.waiting == "rest" else 1)
        return read_flow.stop(state, task, first_unheard, quiet=True)
    if isinstance(task, Offer):
        return finish(state)
    if isinstance(task, Moving):
        return finish(state, p("timeout.move"))
    key = "timeout.event" if isinstance(task, NewEvent) else "timeout.generic"
    return finish(state, p(key))


def _result(state: DialogState, event: Fetched | Done | Failed | Queued, now: datetime) -> Outcome:
    task = state.task
    if state.waiting not in ("fetching", "sending", "saving") or task is None:
        return state, ()  # a late answer to something already cancelled
    if isinstance(event, Failed) and state.waiting == "fetching":
        return finish(state, p("backend.failed", reason=event.reason))
    if isinstance(task, MessageDraft) and not isinstance(event, Fetched):
        return send_flow.on_result(state, task, event)
    if isinstance(event, Queued):
        raise DialogError(f"only a message can be queued, not while {state.waiting!r}")
    if isinstance(event, Fetched):
        return _fetched(state, event, now)
    if isinstance(task, Moving):
        return move_flow.on_saved(state, task, event, now)
    if isinstance(task, NewEvent):
        return calendar_flow.on_created(state, task, event, now)
    if isinstance(task, Cancelling):
        return calendar_flow.on_cancelled(state, task, event)
    if isinstance(event, Failed):
        return finish(state, p("backend.failed", reason=event.reason))
    raise DialogError(f"unexpected {type(event).__name__} while {state.waiting!r}")


def _fetched(state: DialogState, event: Fetched, now: datetime) -> Outcome:
    task = state.task
    if isinstance(task, Reading):
        return read_flow.on_fetched(state, task, event)
    if isinstance(task, CalendarQuery):
        return calendar_flow.on_events(state, task, event, now)
    if isinstance(task, NewEvent):
        return calendar_flow.on_conflicts(state, task, event, now)
    if isinstance(task, Cancelling):
        return calendar_flow.on_found(state, task, event, now)
    if isinstance(task, Moving):
        return move_flow.on_fetched(state, task, event, now)
    raise DialogError(f"unexpected fetch result while {state.waiting!r}")


def _delivery_notice(state: DialogState, event: DeliveryFailed | DeliveredLate) -> Outcome:
    key = "send.delivery_failed" if isinstance(event, DeliveryFailed) else "send.delivered_late"
    text = p(key, names=join_names(event.recipients))
    if state.busy:
        return replace(state, notices=(*state.notices, text)), ()
    return say(state, text)
