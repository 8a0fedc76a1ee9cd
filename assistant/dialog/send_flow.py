"""Sending and replying: recipient(s) -> body -> read-back -> "yes" -> outbox.

Nothing leaves the car without an explicit "yes" to a read-back that names
every recipient and the whole body; any change at the read-back ("no, to
Zhang San", "make it urgent", "add that ...") is read back again in full.
The confirming utterance's ``event_id`` becomes the idempotency key (one
per recipient when there are several), so a retried delivery never sends
twice. "The same message to X" reuses the body read back last.
"""

from __future__ import annotations

from dataclasses import replace

from assistant.dialog.actions import SendMessage
from assistant.dialog.addressees import (
    address,
    next_pending,
    recipients,
    spoken_recipients,
    target_of,
    with_recipient,
)
from assistant.dialog.common import (
    Outcome,
    ask,
    finish,
    is_group_message,
    p,
    sentence_case,
    unsure_yes,
    wait_for,
)
from assistant.dialog.contacts import (
    choice_question,
    first_resolution,
    pick,
    spoken_person,
    unknown_name,
)
from assistant.dialog.events import Done, Failed, Queued, Utterance
from assistant.dialog.locale import has_directory
from assistant.dialog.prompts import phrase
from assistant.dialog.send_results import all_reported, announce_outcomes, record
from assistant.dialog.speech import join_names
from assistant.dialog.state import DialogState, MessageDraft, Target
from assistant.errors import DialogError
from assistant.models import Intent, Message, OutgoingMessage
from intents.result import ContactResolution, Expect, ParseContext, ParseResult

_DRAFT_INTENTS = (Intent.SEND_MESSAGE, Intent.REPLY_MESSAGE)


def reply_target(message: Message) -> Target:
    """Where a reply to ``message`` goes: its group chat, or its sender."""
    if is_group_message(message):
        return Target(message.conversation_id, message.conversation_name, to_group=True)
    return Target(message.sender_id, message.sender_name)


def start_send(state: DialogState, result: ParseResult) -> Outcome:
    """send_message from the idle state (all slots at once or piece by piece)."""
    slots = result.slots
    kept = state.kept_draft
    if kept is not None and not has_content(result):
        return advance(replace(state, kept_draft=None), kept, p("send.resumed"))
    if kept is not None and slots.get("correction") is True:
        # "make it urgent", "add that ...", "no, to Zhang San" after the draft was
        # kept: the change is to that draft, read back in full again.
        return _apply(replace(state, kept_draft=None), kept, result, p("send.resumed"))
    draft = MessageDraft(urgent=bool(slots.get("urgent", False)))
    return _apply(state, draft, result)


def start_reply(state: DialogState, result: ParseResult, message: Message | None) -> Outcome:
    """reply_message: to a named person, else to the message just read or announced."""
    draft = MessageDraft(is_reply=True, urgent=bool(result.slots.get("urgent", False)))
    if first_resolution(result.slots) is None and message is not None:
        draft = replace(draft, target=reply_target(message), in_reply_to=message.id)
    elif first_resolution(result.slots) is None:
        return _apply(state, draft, result, p("send.reply_to_whom"))
    return _apply(state, draft, result)


def answer(state: DialogState, draft: MessageDraft, event: Utterance) -> Outcome:
    """The driver answered a question of the message flow."""
    result = event.result
    if state.waiting == "confirm":
        return _answer_confirm(state, draft, event)
    if state.waiting == "choice":
        return _answer_choice(state, draft, result)
    if state.waiting == "body" and isinstance(result.slots.get("body"), str):
        return _apply(state, draft, result)
    if result.intent in _DRAFT_INTENTS or first_resolution(result.slots) is not None:
        return _apply(state, draft, result)
    return advance(state, draft, p("repair.not_understood"))


def _answer_choice(state: DialogState, draft: MessageDraft, result: ParseResult) -> Outcome:
    chosen = pick(draft.candidates, result.slots)
    resolution = first_resolution(result.slots)
    if chosen is None and resolution is not None and resolution.best is not None:
        if draft.also or draft.later or draft.target is not None:
            # One of several: the name answers this question only.
            chosen = resolution.best
        else:
            return _apply(state, draft, result)  # a different, unambiguous name instead
    if chosen is None:
        return advance(state, draft, p("repair.not_understood"))
    # Chosen between namesakes: the read-back says which one.
    settled = with_recipient(replace(draft, candidates=()), target_of(chosen, distinguish=True))
    return advance(state, next_pending(settled))


def _answer_confirm(state: DialogState, draft: MessageDraft, event: Utterance) -> Outcome:
    result = event.result
    if unsure_yes(result):
        return advance(state, draft, p("repair.unsure_yes"))
    if result.intent is Intent.CONFIRM:
        return _send(state, draft, event)
    if result.intent is Intent.DENY and not has_content(result):
        return ask(state, p("send.denied"), "body", ParseContext(Expect.BODY))
    if result.intent in _DRAFT_INTENTS and has_content(result):
        return _apply(state, draft, result)
    return advance(state, draft, p("repair.yes_or_no"))


def _send(state: DialogState, draft: MessageDraft, event: Utterance) -> Outcome:
    targets = recipients(draft)
    if not targets or draft.candidates or draft.later or not draft.body:
        raise DialogError("a message draft was confirmed before it was complete")
    if not event.event_id:
        raise DialogError("a confirming utterance needs an event_id (the idempotency key)")
    actions = []
    for target in targets:
        # One outbox entry per recipient, each with its own idempotency key.
        key = event.event_id if len(targets) == 1 else f"{event.event_id}-{target.id}"
        message = OutgoingMessage(
            idempotency_key=key,
            recipient_id=target.id,
            recipient_name=target.name,
            body=draft.body,
            urgent=draft.urgent,
            to_group=target.to_group,
            in_reply_to=draft.in_reply_to,
        )
        actions.append(SendMessage(f"send-{key}", message))
    sending = replace(draft, outcomes=tuple((a.request, "") for a in actions))
    return wait_for(replace(state, last_body=draft.body), "sending", sending, *actions)


def on_result(state: DialogState, draft: MessageDraft, event: Done | Failed | Queued) -> Outcome:
    """The outbox reported on the message to one recipient.

    Queued is not a failure: the message keeps its idempotency key in the
    outbox and no draft is kept, so the driver is never invited to send it
    again as a new message (the receiver could get it twice). With several
    recipients the driver hears once every one of them is reported.
    """
    draft = record(draft, event)
    if not all_reported(draft):
        return replace(state, task=draft), ()
    return announce_outcomes(state, draft)


def on_timeout(state: DialogState, draft: MessageDraft) -> Outcome:
    """No answer: nothing is sent, the draft is kept, the driver is told."""
    targets = recipients(draft)
    if not targets and not draft.body:
        return finish(state, p("timeout.nothing"))
    name = spoken_recipients(targets)
    key = "timeout.kept_to" if name else "timeout.kept"
    return finish(state, p(key, name=name), kept_draft=draft)


def has_content(result: ParseResult) -> bool:
    """Whether an utterance changes a draft (a name, a body, an edit of the draft)."""
    slots = result.slots
    return (
        "body" in slots
        or first_resolution(slots) is not None
        or slots.get("urgent") is True
        or slots.get("same_body") is True
    )


def _apply(state: DialogState, draft: MessageDraft, result: ParseResult, note: str = "") -> Outcome:
    """Fold the slots of a (possibly correcting or editing) utterance into the draft."""
    slots = result.slots
    body = slots.get("body")
    if isinstance(body, str) and body.strip():
        text = sentence_case(body)
        draft = replace(draft, body=added(draft.body, text) if slots.get("append") else text)
    if slots.get("urgent") is True:
        draft = replace(draft, urgent=True)
    notes = [note]
    if slots.get("same_body") is True:
        if state.last_body:
            draft = replace(draft, body=state.last_body)
        else:
            notes.append(p("send.no_earlier"))
    several = slots.get("recipients")
    resolution = first_resolution(slots)
    if isinstance(several, tuple) and several:
        addressed = address(draft, tuple(r for r in several if isinstance(r, ContactResolution)))
        draft = addressed.draft
        if addressed.unknown:
            unknown = [spoken_person(name) for name in addressed.unknown]
            notes.append(p("send.dropped", names=join_names(unknown)))
    elif isinstance(resolution, ContactResolution):
        addressed = address(draft, (resolution,))
        draft = addressed.draft
        if addressed.unknown and not has_directory():
            # "Who should I send it to?" could never be answered: say why and stop.
            return finish(state, p("send.no_directory"))
        if addressed.unknown:
            notes.append(unknown_name(addressed.unknown[0]))
    return advance(state, draft, " ".join(n for n in notes if n))


def added(body: str, more: str) -> str:
    """ "I'm late" + "Bringing the contracts" -> "I'm late. Bringing the contracts"."""
    if not body:
        return more
    ended = body if body[-1:] in _SENTENCE_ENDS else body + phrase("full_stop")
    return phrase("append", first=ended, then=more)


def advance(state: DialogState, draft: MessageDraft, note: str = "") -> Outcome:
    """Ask for whatever the draft still lacks, or read it back for confirmation."""
    lead = f"{note} " if note else ""
    draft = next_pending(draft)
    targets = recipients(draft)
    if draft.candidates:
        question, context = choice_question(draft.candidates)
        return ask(state, lead + question, "choice", context, task=draft)
    if not targets and not has_directory():
        return finish(state, lead + p("send.no_directory"))
    if not targets:
        key = "send.ask_reply_recipient" if draft.is_reply else "send.ask_recipient"
        return ask(state, lead + p(key), "recipient", ParseContext(Expect.CONTACT), task=draft)
    if not draft.body:
        key = "send.ask_reply_body" if draft.is_reply else "send.ask_body"
        text = lead + p(key, name=spoken_recipients(targets))
        return ask(state, text, "body", ParseContext(Expect.BODY), task=draft)
    state = replace(state, last_body=draft.body)
    return ask(state, lead + read_back(draft), "confirm", ParseContext(Expect.YES_NO), task=draft)


def read_back(draft: MessageDraft) -> str:
    """ "Here's your message to Li Wei in Finance: I'll be ten minutes late. Send it?" """
    kind = phrase("reply") if draft.is_reply else phrase("message")
    urgency = phrase("urgent") if draft.urgent else ""
    name = spoken_recipients(recipients(draft))
    body = draft.body if draft.body[-1:] in _SENTENCE_ENDS else draft.body + phrase("full_stop")
    return p("send.confirm", kind=urgency + kind, name=name, body=body)


#: A dictated body ending in one of these is read back without a full stop added.
_SENTENCE_ENDS = (".", "!", "?", "。", "！", "？")
