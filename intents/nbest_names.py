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
words the recogniser was unsure of (one under the bar of its kind of name,
Chinese or English: :func:`sure_bar`), or that its best path does not hold
at all (the reading taken is a rival's), is asked about too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from assistant.models import Contact, Word
from intents.contacts import pinyin_reader
from intents.phonetics import has_han, is_han_name
from intents.result import ContactCandidate, ContactResolution, ParseResult

#: Rival hypotheses looked at: the recogniser's nearest alternatives only.
RIVALS = 4
#: Candidates an ambiguous name keeps (as the index's own).
MAX_CANDIDATES = 5
#: A name any of whose words the recogniser gives a lower posterior than its
#: kind's bar is asked about: NAME_SURE for an English name, CHINESE_NAME_SURE
#: for a Chinese one. Tuned on the tune half of benchmarks/names_spoken.py
#: (espeak-ng -> pocketsphinx, domain model, both voices). An English name's
#: words say little: wrong ones score 0.02 to 1.0 ("lisa garcia" for Melissa
#: Garcia-Gonzalez at 0.9996), right ones 0.12 to 1.0, so its bar only catches
#: the low ones. A Chinese name heard by the English recogniser was taken
#: right only at 0.02 and 0.11 and wrong up to 0.89, so its bar is high: such
#: a name is nearly always a question. A name heard in characters came from a
#: Chinese recogniser, which no benchmark here tunes: HAN_NAME_SURE keeps the
#: one bar all names had before.
NAME_SURE = 0.41
CHINESE_NAME_SURE = 0.95
HAN_NAME_SURE = 0.6


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
        if others or _doubtful(value.query, value.best, words):
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


def sure_bar(query: str, person: Contact) -> float:
    """The confidence under which ``query``, resolved to ``person``, is doubted:
    :data:`HAN_NAME_SURE` when it was heard in characters, else
    :data:`CHINESE_NAME_SURE` for a Chinese name (written in characters, or
    every word of it pinyin), else :data:`NAME_SURE`."""
    if has_han(query):
        return HAN_NAME_SURE
    return CHINESE_NAME_SURE if is_chinese_name(person.name) else NAME_SURE


def is_chinese_name(name: str) -> bool:
    """Whether ``name`` is Chinese: in characters ("李娜"), or every word of it
    pinyin, glued syllables too ("Xu Yingping"); "Wilson-Brown" or "Grace" is not."""
    return is_han_name(name) or bool(pinyin_reader().syllables_of(name.casefold().split()))


def _doubtful(query: str, person: Contact, words: Sequence[Word]) -> bool:
    if not words:
        return False  # text, or an engine without word confidences
    confidence = name_confidence(query, words)
    return confidence is None or confidence < sure_bar(query, person)


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
