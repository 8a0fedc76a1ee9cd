"""Announcing incoming messages: who and where, the body by policy, bursts summed up.

While a task runs, incoming messages queue up (``DialogState.queued``) and
the engine announces them when it finishes. Several messages of one
conversation become "3 new messages in Project Apollo". Whatever was
announced last is what a following "reply" answers. Reading the messages
(policy "always", or "yes" to the offer) and replying are the engine's
moves to the reading and sending flows.
"""

from __future__ import annotations

from dataclasses import replace

from assistant.dialog.common import Outcome, ask, finish, is_group_message, p, say
from assistant.dialog.events import Utterance
from assistant.dialog.prompts import phrase
from assistant.dialog.speech import count
from assistant.dialog.state import DialogState, Offer
from assistant.models import Intent, Message
from intents.result import Expect, ParseContext


def announce(state: DialogState, ordered: tuple[Message, ...], prefix: str = "") -> Outcome:
    """Speak the headlines of ``ordered`` (in reading order), then offer or stop by policy."""
    state = replace(state, last_heard=max(ordered, key=lambda m: m.sent_at))
    lines = [prefix, *headlines(ordered)]
    if state.policy.announcement_read == "never":
        return say(state, *lines)
    text = " ".join(x for x in (*lines, p("announce.offer", it=_it(ordered))) if x)
    return ask(state, text, "offer", ParseContext(Expect.YES_NO), task=Offer(ordered))


def reading_intro(ordered: tuple[Message, ...], prefix: str = "") -> str:
    """What leads a reading of just-announced messages (reading names each sender)."""
    return " ".join(x for x in (prefix, *headlines(ordered, bursts_only=True)) if x)


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
    """The driver answered "Want to hear it?" with neither "yes" nor "reply" (the engine's)."""
    if event.result.intent in (Intent.DENY, Intent.CANCEL):
        return finish(state, p("announce.later"))
    return ask(state, p("repair.yes_or_no"), "offer", ParseContext(Expect.YES_NO))
