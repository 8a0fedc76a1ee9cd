"""The engine's table: which flow handles each kind of task, and the moves between flows.

The flow modules are leaves: they never import one another. What leaves one
flow for another (a reply from a reading or an announcement, reading what
was announced, a message instead of a call) and what follows a finished task
(a reading resumed after a reply) are written here, once, for the engine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
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
from assistant.dialog.common import Outcome, finish, p
from assistant.dialog.contacts import first_resolution
from assistant.dialog.events import DialogEvent, Done, Failed, Fetched, Queued, Utterance
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
    Reading,
    Task,
)
from assistant.models import Intent


@dataclass(frozen=True, slots=True)
class Flow:
    """The handlers of one kind of task; ``None`` where such a task never waits for it.

    ``hand_over`` takes the answers that leave this flow for another (None:
    the flow answers itself); ``then`` is what follows once the task is
    finished (None: only notices and announcements).
    """

    answer: Callable[[DialogState, Any, Utterance, datetime], Outcome] | None
    timeout: Callable[[DialogState, Any], Outcome]
    fetched: Callable[[DialogState, Any, Fetched, datetime], Outcome] | None = None
    saved: Callable[[DialogState, Any, Done | Failed, datetime], Outcome] | None = None
    queued: Callable[[DialogState, Any, Queued], Outcome] | None = None
    hand_over: Callable[[DialogState, Any, Utterance], Outcome | None] | None = None
    then: Callable[[DialogState, Any, DialogEvent, str], Outcome | None] | None = None
    #: Requests this flow takes as answers (a correction), never as a new command.
    own: frozenset[Intent] = frozenset()
    #: Whether a question of this flow is asked again after a new command
    #: interrupted it (a reading interrupted is over, as is an offer to read).
    resumable: bool = True
    #: How the flow lets go when the driver cannot answer (see _way_out).
    way_out: Callable[[DialogState, Any], Outcome] | None = None


def _reply_from_reading(state: DialogState, reading: Reading, event: Utterance) -> Outcome | None:
    """ "Reply" while reading: to the message just read (or to whom it names), then read on."""
    if state.waiting != "reading" or event.result.intent is not Intent.REPLY_MESSAGE:
        return None
    named = first_resolution(event.result.slots) is not None
    current = None if named else reading.messages[reading.index]
    new, actions = send_flow.start_reply(state, event.result, current)
    if isinstance(new.task, MessageDraft):
        new = replace(new, task=replace(new.task, resume=reading))
    return new, actions


#: Answers to "Want to hear it?" that mean "read them".
_READ_OFFERED = (Intent.CONFIRM, Intent.NEXT, Intent.READ_MESSAGES, Intent.REPEAT)


def _from_offer(state: DialogState, offer: Offer, event: Utterance) -> Outcome | None:
    """ "Yes" to an announcement's offer reads the messages; "reply" answers the newest."""
    intent = event.result.intent
    if intent in _READ_OFFERED:
        return read_flow.start_reading(state, offer.messages, "")
    if intent is Intent.REPLY_MESSAGE:
        # The newest announced message: the one the driver heard about last.
        newest = max(offer.messages, key=lambda m: m.sent_at)
        return send_flow.start_reply(state, event.result, newest)
    return None


def _message_instead(state: DialogState, offer: CallOffer, event: Utterance) -> Outcome | None:
    """ "Yes" to "I can't make calls. Shall I send Li Wei a message?": a draft to that person."""
    if event.result.intent is not Intent.CONFIRM:
        return None
    if len(offer.people) == 1:
        draft = MessageDraft(target=send_flow.target_of(offer.people[0]), body=offer.body)
    else:
        draft = MessageDraft(candidates=offer.people, body=offer.body)
    return send_flow.advance(replace(state, failures=0), draft)


def _resume_reading(
    state: DialogState, draft: MessageDraft, event: DialogEvent, lead: str
) -> Outcome | None:
    """A reply sent in the middle of a reading: carry on with the messages left."""
    if draft.resume is None or not isinstance(event, Done):
        return None
    return read_flow.resume_after_reply(state, draft.resume, lead)


def _reading_timeout(state: DialogState, reading: Reading) -> Outcome:
    first_unheard = reading.index + (0 if state.waiting == "rest" else 1)
    return read_flow.stop(state, reading, first_unheard, quiet=True)


def _keep_draft(state: DialogState, draft: MessageDraft) -> Outcome:
    if draft.target is None and not draft.body and not draft.candidates:
        return finish(state, p("repair.gave_up"))
    return finish(state, p("repair.gave_up"), p("send.kept_for_later"), kept_draft=draft)


def _closes(key: str) -> Callable[[DialogState, Any], Outcome]:
    return lambda state, _task: finish(state, p(key) if key else "")


#: Which flow handles each kind of task: the one table the engine dispatches by.
FLOWS: dict[type[Any], Flow] = {
    MessageDraft: Flow(
        answer=lambda state, draft, event, _now: send_flow.answer(state, draft, event),
        timeout=send_flow.on_timeout,
        saved=lambda state, draft, event, _now: send_flow.on_result(state, draft, event),
        queued=send_flow.on_result,
        then=_resume_reading,
        own=frozenset({Intent.SEND_MESSAGE, Intent.REPLY_MESSAGE}),
        way_out=_keep_draft,
    ),
    Reading: Flow(
        answer=lambda state, reading, event, _now: read_flow.answer(state, reading, event),
        timeout=_reading_timeout,
        fetched=lambda state, reading, event, _now: read_flow.on_fetched(state, reading, event),
        hand_over=_reply_from_reading,
        own=frozenset({Intent.READ_MESSAGES, Intent.REPLY_MESSAGE}),
        resumable=False,
    ),
    Offer: Flow(
        answer=lambda state, offer, event, _now: announce.answer_offer(state, offer, event),
        timeout=_closes(""),
        hand_over=_from_offer,
        own=frozenset({Intent.READ_MESSAGES, Intent.REPLY_MESSAGE}),
        resumable=False,
    ),
    CalendarQuery: Flow(
        answer=None, timeout=_closes("timeout.generic"), fetched=calendar_flow.on_events
    ),
    NewEvent: Flow(
        answer=calendar_flow.answer_create,
        timeout=_closes("timeout.event"),
        fetched=calendar_flow.on_conflicts,
        saved=calendar_flow.on_created,
        own=frozenset({Intent.CREATE_EVENT}),
    ),
    Cancelling: Flow(
        answer=calendar_flow.answer_cancel,
        timeout=_closes("timeout.generic"),
        fetched=calendar_flow.on_found,
        saved=lambda state, task, event, _now: calendar_flow.on_cancelled(state, task, event),
        own=frozenset({Intent.CANCEL_EVENT}),
    ),
    Moving: Flow(
        answer=move_flow.answer,
        timeout=_closes("timeout.move"),
        fetched=move_flow.on_fetched,
        saved=move_flow.on_saved,
        own=frozenset({Intent.CANCEL_EVENT, Intent.CREATE_EVENT}),
    ),
    ContactLookup: Flow(
        answer=lambda state, lookup, event, _now: contact_flow.answer(state, lookup, event),
        timeout=_closes("timeout.generic"),
    ),
    CallOffer: Flow(
        answer=lambda state, offer, event, _now: call_flow.answer(state, offer, event),
        timeout=_closes(""),
        hand_over=_message_instead,
    ),
}


def flow_of(task: Task) -> Flow:
    """The flow that handles ``task``."""
    return FLOWS[type(task)]
