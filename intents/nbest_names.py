"""Names the recogniser was unsure of: rival hypotheses that name someone else.

A recogniser whose language model holds the directory's names writes *some*
directory name for a name it half heard ("su yunping" for Xu Yingping), and
that name resolves exactly: confidently wrong. Its n-best list shows the
doubt: the next hypotheses name other people ("yu yingbin", "ye yunping").
When a close rival hypothesis of the same intent resolves the same name slot
to someone else, the chosen reading's name is asked about, the rivals'
people among the candidates (benchmarks/names_spoken.py, ``--lm domain``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from intents.result import ContactCandidate, ContactResolution, ParseResult

#: Rival hypotheses looked at: the recogniser's nearest alternatives only.
RIVALS = 4
#: Candidates an ambiguous name keeps (as the index's own).
MAX_CANDIDATES = 5


def disputed(best: ParseResult, rivals: Sequence[ParseResult]) -> ParseResult:
    """``best`` with each sure name that a rival resolves to another person made a question."""
    slots = dict(best.slots)
    changed = False
    for name, value in best.slots.items():
        if not isinstance(value, ContactResolution) or value.best is None:
            continue
        others = _rival_people(name, best, rivals[:RIVALS])
        others = [c for c in others if c.contact.id != value.best.id]
        if others:
            slots[name] = _asked(value, others)
            changed = True
    return replace(best, slots=slots) if changed else best


def _rival_people(
    slot: str, best: ParseResult, rivals: Sequence[ParseResult]
) -> list[ContactCandidate]:
    """The people rival readings of the same intent are sure the slot names."""
    found: list[ContactCandidate] = []
    for rival in rivals:
        if rival is best or rival.intent is not best.intent:
            continue
        value = rival.slots.get(slot)
        if isinstance(value, ContactResolution) and value.best is not None:
            found.append(value.candidates[0])
    return found


def _asked(value: ContactResolution, others: Sequence[ContactCandidate]) -> ContactResolution:
    seen: set[str] = set()
    candidates: list[ContactCandidate] = []
    for candidate in (*value.candidates[:1], *others, *value.candidates[1:]):
        if candidate.contact.id not in seen:
            seen.add(candidate.contact.id)
            candidates.append(candidate)
    return replace(value, candidates=tuple(candidates[:MAX_CANDIDATES]), ambiguous=True)
