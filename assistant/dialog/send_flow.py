"""Sending and replying: recipient -> body -> read-back -> "yes" -> outbox.

Nothing leaves the car without an explicit "yes" to a read-back that names
the recipient and the whole body. The confirming utterance's ``event_id``
becomes the idempotency key, so a retried delivery never sends twice.
"""

from __future__ import annotations

from dataclasses import replace

from assistant.dialog.actions import SendMessage
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
from assistant.dialog.contacts import choice_question, first_resolution, pick, resolve, unknown_name
from assistant.dialog.events import Done, Failed, Queued, Utterance
from assistant.dialog.locale import has_directory
from assistant.dialog.names import display_name
from assistant.dialog.prompts import phrase
from assistant.dialog.state import DialogState, MessageDraft, Target
from assistant.errors import DialogError
from assistant.models import Contact, Intent, Message, OutgoingMessage
from intents.result import ContactResolution, Expect, ParseContext, ParseResult

_DRAFT_INTENTS = (Intent.SEND_MESSAGE, Intent.REPLY_MESSAGE)


def target_of(contact: Contact) -> Target:
    """A person or a group chat as a message target."""
    return Target(contact.id, display_name(contact), to_group=contact.kind == "group")


def reply_target(message: Message) -> Target:
    """Where a reply to ``message`` goes: its group chat, or its sender."""
    if is_group_message(message):
        return Target(message.conversation_id, message.conversation_name, to_group=True)
    return Target(message.sender_id, message.sender_name)


def start_send(state: DialogState, result: ParseResult) -> Outcome:
    """send_message from the idle state (all slots at once or piece by piece)."""
    slots = result.slots
    if not _has_content(result) and state.kept_draft is not None:
        return advance(replace(state, kept_draft=None), state.kept_draft, p("send.resumed"))
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
        chosen = pick(draft.candidates, result.slots)
        resolution = first_resolution(result.slots)
        if chosen is None and resolution is not None and resolution.best is not None:
            return _apply(state, draft, result)  # a different, unambiguous name instead
        if chosen is None:
            return advance(state, draft, p("repair.not_understood"))
        return advance(state, replace(draft, target=target_of(chosen), candidates=()))
    if state.waiting == "body" and isinstance(result.slots.get("body"), str):
        return advance(state, replace(draft, body=sentence_case(str(result.slots["body"]))))
    if result.intent in _DRAFT_INTENTS or first_resolution(result.slots) is not None:
        return _apply(state, draft, result)
    return advance(state, draft, p("repair.not_understood"))


def _answer_confirm(state: DialogState, draft: MessageDraft, event: Utterance) -> Outcome:
    result = event.result
    if unsure_yes(result):
        return advance(state, draft, p("repair.unsure_yes"))
    if result.intent is Intent.CONFIRM:
        return _send(state, draft, event)
    if result.intent is Intent.DENY and not _has_content(result):
        return ask(state, p("send.denied"), "body", ParseContext(Expect.BODY))
    if result.intent in _DRAFT_INTENTS and _has_content(result):
        return _apply(state, draft, result)
    return advance(state, draft, p("repair.yes_or_no"))


def _send(state: DialogState, draft: MessageDraft, event: Utterance) -> Outcome:
    if draft.target is None or not draft.body:
        raise DialogError("a message draft was confirmed before it was complete")
    if not event.event_id:
        raise DialogError("a confirming utterance needs an event_id (the idempotency key)")
    message = OutgoingMessage(
        idempotency_key=event.event_id,
        recipient_id=draft.target.id,
        recipient_name=draft.target.name,
        body=draft.body,
        urgent=draft.urgent,
        to_group=draft.target.to_group,
        in_reply_to=draft.in_reply_to,
    )
    return wait_for(state, "sending", draft, SendMessage(f"send-{event.event_id}", message))


def on_result(state: DialogState, draft: MessageDraft, event: Done | Failed | Queued) -> Outcome:
    """The outbox reported on the message being sent.

    Queued is not a failure: the message keeps its idempotency key in the
    outbox and no draft is kept, so the driver is never invited to send it
    again as a new message (the receiver could get it twice).
    """
    name = draft.target.name if draft.target else ""
    if isinstance(event, Queued):
        return finish(state, p("send.queued", name=name))
    if isinstance(event, Done):
        # A reading this reply interrupted is resumed by the engine (what follows a task).
        return finish(state, p("send.sent_urgent" if draft.urgent else "send.sent", name=name))
    return finish(state, p("send.failed", name=name, reason=event.reason), kept_draft=draft)


def on_timeout(state: DialogState, draft: MessageDraft) -> Outcome:
    """No answer: nothing is sent, the draft is kept, the driver is told."""
    if draft.target is None and not draft.body:
        return finish(state, p("timeout.nothing"))
    name = draft.target.name if draft.target else ""
    key = "timeout.kept_to" if name else "timeout.kept"
    return finish(state, p(key, name=name), kept_draft=draft)


def _has_content(result: ParseResult) -> bool:
    return "body" in result.slots or first_resolution(result.slots) is not None


def _apply(state: DialogState, draft: MessageDraft, result: ParseResult, note: str = "") -> Outcome:
    """Fold the slots of a (possibly correcting) utterance into the draft."""
    slots = result.slots
    body = slots.get("body")
    if isinstance(body, str) and body.strip():
        draft = replace(draft, body=sentence_case(body))
    if slots.get("urgent") is True:
        draft = replace(draft, urgent=True)
    resolution = first_resolution(slots)
    if isinstance(resolution, ContactResolution):
        found = resolve(resolution)
        if found.contact is not None:
            # A named recipient replaces the message being answered, if any.
            draft = replace(draft, target=target_of(found.contact), candidates=(), in_reply_to=None)
        elif found.candidates:
            draft = replace(draft, target=None, candidates=found.candidates)
        elif not has_directory():
            # "Who should I send it to?" could never be answered: say why and stop.
            return finish(state, p("send.no_directory"))
        else:
            draft = replace(draft, target=None, candidates=())
            note = " ".join(x for x in (note, unknown_name(found.unknown)) if x)
    return advance(state, draft, note)


def advance(state: DialogState, draft: MessageDraft, note: str = "") -> Outcome:
    """Ask for whatever the draft still lacks, or read it back for confirmation."""
    lead = f"{note} " if note else ""
    if draft.target is None and draft.candidates:
        question, context = choice_question(draft.candidates)
        return ask(state, lead + question, "choice", context, task=draft)
    if draft.target is None and not has_directory():
        return finish(state, lead + p("send.no_directory"))
    if draft.target is None:
        key = "send.ask_reply_recipient" if draft.is_reply else "send.ask_recipient"
        return ask(state, lead + p(key), "recipient", ParseContext(Expect.CONTACT), task=draft)
    if not draft.body:
        key = "send.ask_reply_body" if draft.is_reply else "send.ask_body"
        text = lead + p(key, name=draft.target.name)
        return ask(state, text, "body", ParseContext(Expect.BODY), task=draft)
    return ask(state, lead + read_back(draft), "confirm", ParseContext(Expect.YES_NO), task=draft)


def read_back(draft: MessageDraft) -> str:
    """ "Here's your message to Li Wei: I'll be ten minutes late. Send it?" """
    kind = phrase("reply") if draft.is_reply else phrase("message")
    urgency = phrase("urgent") if draft.urgent else ""
    name = draft.target.name if draft.target else ""
    body = draft.body if draft.body[-1:] in _SENTENCE_ENDS else draft.body + phrase("full_stop")
    return p("send.confirm", kind=urgency + kind, name=name, body=body)


#: A dictated body ending in one of these is read back without a full stop added.
_SENTENCE_ENDS = (".", "!", "?", "。", "！", "？")
