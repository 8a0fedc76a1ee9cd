"""Announcing incoming messages: who and where, the body by policy, bursts summed up.

While a task runs, incoming messages queue up (``DialogState.queued``) and
are announced when it finishes. Several messages of one conversation become
"3 new messages in Project Apollo". Whatever was announced last is what a
following "reply" answers.
"""

from __future__ import annotations

from dataclasses import replace

from assistant.dialog.common import Outcome, ask, finish, p, say
from assistant.dialog.events import Incoming, Utterance
from assistant.dialog.prompts import phrase
from assistant.dialog.read_flow import order_for_reading, start_reading
from assistant.dialog.send_flow import is_group_message, start_reply
from assistant.dialog.speech import count
from assistant.dialog.state import DialogState, Offer
from assistant.models import Intent, Message
from intents.result import Expect, ParseContext


def on_incoming(state: DialogState, event: Incoming) -> Outcome:
    """Announce now when free, otherwise queue for when the task ends."""
    if not event.messages:
        return state, ()
    if state.busy:
        return replace(state, queued=state.queued + event.messages), ()
    return announce(state, event.messages)


def announce(state: DialogState, messages: tuple[Message, ...], prefix: str = "") -> Outcome:
    """Speak the headlines of ``messages``, then read, offer or stop by policy."""
    ordered = order_for_reading(messages)
    state = replace(state, last_heard=max(messages, key=lambda m: m.sent_at))
    policy = state.policy.announcement_read
    if policy == "always":
        # Reading says who sent each message; only bursts need a headline.
        lines = [prefix, *headlines(ordered, bursts_only=True)]
        return start_reading(state, ordered, " ".join(x for x in lines if x))
    lines = [prefix, *headlines(ordered)]
    if policy == "never":
        return say(state, *lines)
    text = " ".join(x for x in (*lines, p("announce.offer", it=_it(ordered))) if x)
    return ask(state, text, "offer", ParseContext(Expect.YES_NO), task=Offer(ordered))


def headlines(messages: tuple[Message, ...], *, bursts_only: bool = False) -> list[str]:
    """One line per conversation: a single message's sender, or a burst's size."""
    by_conv: dict[str, list[Message]] = {}
    for message in messages:
        by_conv.setdefault(message.conversation_id, []).append(message)
    groups = [g for g in by_conv.values() if len(g) > 1 or not bursts_only]
    return [_headline(group) for group in groups]


def _headline(group: list[Message]) -> str:
    first = group[0]
    urgent = any(m.urgent for m in group)
    if len(group) > 1:
        key = "announce.burst_group" if is_group_message(first) else "announce.burst_direct"
        number = count(len(group), "new message")
        return p(key, count=number, conversation=first.conversation_name, sender=first.sender_name)
    key = "announce.one_group" if is_group_message(first) else "announce.one_direct"
    text = p(key, sender=first.sender_name, conversation=first.conversation_name)
    return f"{p('announce.urgent')} {text}" if urgent else text


def _it(messages: tuple[Message, ...]) -> str:
    return phrase("it") if len(messages) == 1 else phrase("them")


def answer_offer(state: DialogState, offer: Offer, event: Utterance) -> Outcome:
    """The driver answered "Want to hear it?"."""
    intent = event.result.intent
    if intent in (Intent.CONFIRM, Intent.NEXT, Intent.READ_MESSAGES, Intent.REPEAT):
        return start_reading(state, offer.messages, "")
    if intent is Intent.REPLY_MESSAGE:
        # The newest announced message: the one the driver heard about last.
        newest = max(offer.messages, key=lambda m: m.sent_at)
        return start_reply(state, event.result, newest)
    if intent in (Intent.DENY, Intent.CANCEL):
        return finish(state, p("announce.later"))
    return ask(state, p("repair.yes_or_no"), "offer", ParseContext(Expect.YES_NO))
