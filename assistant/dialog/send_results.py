"""Telling the driver what became of a message: sent, queued, or not sent, per recipient.

One recipient hears one sentence as before ("Sent to Li Na."). Several
hear one sentence per outcome, naming who it applies to, so a message
delivered to Li Na but queued for Xu Jing says both ("Sent to Li Na. I
can't reach the server right now, so your message to Xu Jing is queued.").
Recipients whose message failed stay in the kept draft, and only they.
"""

from __future__ import annotations

from dataclasses import replace

from assistant.dialog.addressees import recipients, spoken_recipients
from assistant.dialog.common import Outcome, finish, p
from assistant.dialog.events import Done, Failed, Queued
from assistant.dialog.state import DialogState, MessageDraft, Target

#: Outcomes recorded per recipient while sending ("failed" carries its reason after a colon).
SENT, QUEUED, FAILED = "sent", "queued", "failed"


def outcome_of(event: Done | Failed | Queued) -> str:
    """What an outbox result means for its recipient."""
    if isinstance(event, Done):
        return SENT
    if isinstance(event, Queued):
        return QUEUED
    return f"{FAILED}:{event.reason}"


def record(draft: MessageDraft, event: Done | Failed | Queued) -> MessageDraft:
    """``draft`` with the outcome of ``event``'s message noted against its recipient."""
    outcomes = tuple(
        (request, outcome_of(event) if request == event.request else outcome)
        for request, outcome in draft.outcomes
    )
    return replace(draft, outcomes=outcomes)


def all_reported(draft: MessageDraft) -> bool:
    """Whether the outbox reported on the message to every recipient."""
    return all(outcome for _, outcome in draft.outcomes)


def announce_outcomes(state: DialogState, draft: MessageDraft) -> Outcome:
    """Every recipient reported: say what happened."""
    reported = list(zip(recipients(draft), (o for _, o in draft.outcomes), strict=True))
    sent = [t for t, o in reported if o == SENT]
    queued = [t for t, o in reported if o == QUEUED]
    failed = [(t, o.partition(":")[2]) for t, o in reported if o.startswith(FAILED)]
    lines = []
    if sent:
        key = "send.sent_urgent" if draft.urgent else "send.sent"
        lines.append(p(key, name=spoken_recipients(sent)))
    if queued:
        lines.append(p("send.queued", name=spoken_recipients(queued)))
    if failed:
        names = spoken_recipients([t for t, _ in failed])
        lines.append(p("send.failed", name=names, reason=failed[0][1]))
        return finish(state, *lines, kept_draft=_only(draft, [t for t, _ in failed]))
    # A reading this reply interrupted is resumed by the engine (what follows a task).
    return finish(state, *lines)


def _only(draft: MessageDraft, targets: list[Target]) -> MessageDraft:
    """``draft`` addressed to ``targets`` only (those whose message failed)."""
    first, *rest = targets
    return replace(draft, target=first, also=tuple(rest), outcomes=())
