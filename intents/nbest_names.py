"""Names the recogniser was unsure of: rival hypotheses that name someone else.

A recogniser whose language model holds the directory's names writes *some*
directory name for a name it half heard ("su yunping" for Xu Yingping), and
that name resolves exactly: confidently wrong. Its n-best list shows the
doubt: the next hypotheses name other people ("yu yingbin", "ye yunping").
When a close rival hypothesis of the same intent resolves the same name slot
to someone else, the chosen reading's name is asked about, the rivals'
people among the candidates (benchmarks/names_spoken.py, ``--lm domain``).

Every hypothesis may agree on the same wrong name ("li lili" for Lin Lingli
in all five): then the recogniser's own word confidences (posteriors of the
best path, pocketsphinx's and vosk's) are what is left. A sure name whose
words the recogniser was unsure of (one under :data:`NAME_SURE`), or that
its best path does not hold at all (the reading taken is a rival's), is
asked about too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from assistant.models import Word
from intents.result import ContactCandidate, ContactResolution, ParseResult

#: Rival hypotheses looked at: the recogniser's nearest alternatives only.
RIVALS = 4
#: Candidates an ambiguous name keeps (as the index's own).
MAX_CANDIDATES = 5
#: A name any of whose words the recogniser gives a lower posterior than this
#: is asked about. Tuned on the tune half of benchmarks/names_spoken.py
#: (espeak-ng -> pocketsphinx, domain model): wrong names' words mostly score
#: under 0.3 (Chinese) or 0.6 (English); right ones spread from 0.03 to 1.
NAME_SURE = 0.6


def disputed(
    best: ParseResult, rivals: Sequence[ParseResult], words: Sequence[Word] = ()
) -> ParseResult:
    """``best`` with each sure name made a question when a rival resolves it
    to another person, or when ``words`` (the recogniser's best path, with
    confidences; empty when it gave none) show the name was doubtful."""
    slots = dict(best.slots)
    changed = False
    for name, value in best.slots.items():
        if not isinstance(value, ContactResolution) or value.best is None:
            continue
        others = _rival_people(name, best, rivals[:RIVALS])
        others = [c for c in others if c.contact.id != value.best.id]
        if others or _doubtful(value.query, words):
            slots[name] = _asked(value, others)
            changed = True
    return replace(best, slots=slots) if changed else best


def name_confidence(query: str, words: Sequence[Word]) -> float | None:
    """The lowest confidence among the recogniser's words that spell ``query``:
    a run of words spelling it exactly (however the recogniser split it:
    "李 娜" or "su yunping" glued), else its words found in order ("what's" or
    a body word may be spelt otherwise in the query: those are passed over),
    or None when none of them is there."""
    heard = [_bare(w.word) for w in words]
    run = _run_spelling(query, heard)
    if run is not None:
        return min(words[k].confidence for k in run)
    found: list[float] = []
    at = 0
    for wanted in (_bare(w) for w in query.split()):
        if wanted in heard[at:]:
            at = heard.index(wanted, at)
            found.append(words[at].confidence)
            at += 1
    return min(found) if found else None


def _run_spelling(query: str, heard: Sequence[str]) -> range | None:
    """The indices of the first run of ``heard`` words that spell ``query``,
    spaces aside (Chinese is written without them; a vosk model may split a
    name into characters or keep it whole)."""
    wanted = "".join(_bare(w) for w in query.split())
    for start in range(len(heard)):
        spelt = ""
        for end in range(start, len(heard)):
            spelt += heard[end]
            if spelt == wanted:
                return range(start, end + 1)
            if not wanted.startswith(spelt):
                break
    return None


def _doubtful(query: str, words: Sequence[Word]) -> bool:
    if not words:
        return False  # text, or an engine without word confidences
    confidence = name_confidence(query, words)
    return confidence is None or confidence < NAME_SURE


def _bare(word: str) -> str:
    return word.casefold().removesuffix("'s")


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
