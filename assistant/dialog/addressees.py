"""Who a message draft goes to: one person or group, or several, each settled on its own.

"send a message to li na and xu jing" gives one resolution per name. Names are
settled in the order they were said (:attr:`MessageDraft.later`): a known
name at once, a name with namesakes by its own "which one?"; an unknown
name among several is left out and the driver told so. A person who sounds like
someone else in the directory (two Li Weis, Lee Way) carries the detail that
tells them apart, and every read-back and announcement says it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from assistant.dialog.contacts import resolve
from assistant.dialog.names import department, display_name
from assistant.dialog.prompts import phrase
from assistant.dialog.speech import join_names
from assistant.dialog.state import MessageDraft, PendingName, Target
from assistant.models import Contact
from intents.result import ContactResolution


def target_of(contact: Contact, *, distinguish: bool = False) -> Target:
    """A person or a group chat as a message target (``distinguish``: say the department)."""
    detail = department(contact) if distinguish and contact.kind != "group" else ""
    return Target(
        contact.id, display_name(contact), to_group=contact.kind == "group", detail=detail
    )


def spoken_target(target: Target) -> str:
    """ "Li Wei in Finance" when that tells them apart, else just "Li Na"."""
    if not target.detail:
        return target.name
    return phrase("choice_person", name=target.name, department=target.detail)


def recipients(draft: MessageDraft) -> tuple[Target, ...]:
    """Every settled recipient of ``draft``, in order."""
    return ((draft.target,) if draft.target is not None else ()) + draft.also


def spoken_recipients(targets: tuple[Target, ...] | list[Target]) -> str:
    """ "Li Na and Xu Jing", "Li Wei in Finance"."""
    return join_names([spoken_target(t) for t in targets])


def with_recipient(draft: MessageDraft, target: Target) -> MessageDraft:
    """``draft`` with ``target`` settled (the first recipient, or one more)."""
    if any(t.id == target.id for t in recipients(draft)):
        return draft  # "li na and li na": once is enough
    if draft.target is None:
        return replace(draft, target=target)
    return replace(draft, also=(*draft.also, target))


def next_pending(draft: MessageDraft) -> MessageDraft:
    """Settle the names waiting in line, in order, up to the next one to choose for."""
    while not draft.candidates and draft.later:
        first, *rest = draft.later
        draft = replace(draft, later=tuple(rest))
        if first.sure:
            draft = with_recipient(draft, target_of(first.candidates[0], distinguish=first.alike))
        else:
            draft = replace(draft, candidates=first.candidates)
    return draft


@dataclass(frozen=True, slots=True)
class Addressed:
    """A draft's recipients after a (re)naming, and the names nobody answers to."""

    draft: MessageDraft
    unknown: tuple[str, ...] = ()


def address(draft: MessageDraft, resolutions: tuple[ContactResolution, ...]) -> Addressed:
    """Replace the recipients of ``draft`` with the people ``resolutions`` name.

    Known names are settled at once, names with namesakes wait for a choice
    each, unknown ones are left out (and returned, to be told).
    """
    fresh = replace(draft, target=None, also=(), candidates=(), later=(), in_reply_to=None)
    unknown: list[str] = []
    line: list[PendingName] = []
    for resolution in resolutions:
        found = resolve(resolution)
        if found.contact is not None:
            alike = bool(resolution.alike)
            line.append(PendingName(resolution.query, (found.contact,), sure=True, alike=alike))
        elif found.candidates:
            line.append(PendingName(resolution.query, found.candidates))
        else:
            unknown.append(found.unknown)
    return Addressed(next_pending(replace(fresh, later=tuple(line))), tuple(unknown))
