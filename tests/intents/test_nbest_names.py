"""A name the recogniser's rival hypotheses heard as someone else, or whose
words it gave a low confidence, is asked about."""

from __future__ import annotations

import pytest

from assistant.models import Contact, Word
from intents.nbest_names import (
    CHINESE_NAME_SURE,
    HAN_NAME_SURE,
    NAME_SURE,
    disputed,
    is_chinese_name,
    name_confidence,
    sure_bar,
)
from intents.result import ContactCandidate, ContactResolution, Intent, ParseResult

XU = Contact(id="xu", name="Xu Yingping")
SU = Contact(id="su", name="Su Yunping")


def _send(person: Contact | None, *, intent: Intent = Intent.SEND_MESSAGE) -> ParseResult:
    said = person.name.lower() if person else "nobody"
    candidates = (ContactCandidate(person, 1.0),) if person else ()
    recipient = ContactResolution(query=said, candidates=candidates)
    return ParseResult(f"send a message to {said}", intent, 0.9, {"recipient": recipient})


def test_a_rival_reading_naming_another_person_makes_the_name_a_question() -> None:
    best = _send(SU)
    asked = disputed(best, [best, _send(XU)])
    recipient = asked.slots["recipient"]
    assert isinstance(recipient, ContactResolution)
    assert recipient.ambiguous
    assert [c.contact.id for c in recipient.candidates] == ["su", "xu"]


def test_rivals_that_agree_or_name_nobody_leave_the_name_sure() -> None:
    best = _send(SU)
    assert disputed(best, [best, _send(SU), _send(None)]) is best


def test_a_rival_of_another_intent_does_not_dispute_the_name() -> None:
    best = _send(SU)
    assert disputed(best, [best, _send(XU, intent=Intent.READ_MESSAGES)]) is best


def _words(*said: tuple[str, float]) -> tuple[Word, ...]:
    return tuple(Word(word=w, start=0.0, end=0.0, confidence=c) for w, c in said)


HEARD = _words(("whats", 0.2), ("a", 0.8), ("message", 0.9), ("to", 0.7), ("su", 0.95))


CONFIDENCES: list[tuple[str, str, tuple[Word, ...], float | None]] = [
    ("the lowest of the name's words", "su yunping", (*HEARD, *_words(("yunping", 0.3))), 0.3),
    ("a possessive is the name's word", "su yunping", _words(("su", 0.9), ("yunping's", 0.6)), 0.6),
    (
        "words spelt otherwise are passed over",
        "what's su yunping's",
        (*HEARD, *_words(("yunping", 0.7))),
        0.7,
    ),
    (
        "a name the recogniser split into characters",
        "李娜",
        _words(("给", 0.9), ("李", 0.8), ("娜", 0.5), ("发", 0.9)),
        0.5,
    ),
    ("a Chinese name heard as one word", "李娜", _words(("给", 0.3), ("李娜", 0.9)), 0.9),
    ("a name glued into one word", "su yunping", _words(("to", 0.2), ("suyunping", 0.7)), 0.7),
    ("the name is not among the words", "su yunping", _words(("send", 0.9), ("lu", 0.8)), None),
    ("no words given", "su yunping", (), None),
]


@pytest.mark.parametrize(
    ("case", "query", "words", "confidence"), CONFIDENCES, ids=[c[0] for c in CONFIDENCES]
)
def test_the_confidence_of_a_name_is_its_least_sure_word(
    case: str, query: str, words: tuple[Word, ...], confidence: float | None
) -> None:
    assert name_confidence(query, words) == confidence, case


def test_a_sure_name_whose_words_the_recogniser_doubted_is_asked_about() -> None:
    best = _send(SU)
    doubted = _words(("send", 0.9), ("su", 0.9), ("yunping", sure_bar("su yunping", SU) - 0.01))
    asked = disputed(best, [best], doubted).slots["recipient"]
    assert isinstance(asked, ContactResolution)
    assert asked.ambiguous
    assert [c.contact.id for c in asked.candidates] == ["su"]
    trusted = _words(("su", 1.0), ("yunping", sure_bar("su yunping", SU)))
    assert disputed(best, [best], trusted) is best


def test_a_name_the_recognisers_best_path_does_not_hold_is_asked_about() -> None:
    best = _send(SU)  # taken from a rival reading: the best path heard other words
    asked = disputed(best, [best], _words(("send", 0.9), ("lu", 0.9), ("bin", 0.9)))
    recipient = asked.slots["recipient"]
    assert isinstance(recipient, ContactResolution)
    assert recipient.ambiguous


def test_without_word_confidences_the_name_stays_sure() -> None:
    best = _send(SU)
    assert disputed(best, [best], ()) is best


KINDS: list[tuple[str, bool]] = [
    ("Xu Yingping", True),
    ("Hu Danwen", True),
    ("Zhang Wei", True),
    ("李娜", True),
    ("欧阳 娜娜", True),
    ("George Wilson-Brown", False),
    ("Grace Li", False),
    ("Dana Lee", False),
    ("Sarah O'Neil", False),
]


@pytest.mark.parametrize(("name", "chinese"), KINDS, ids=[k[0] for k in KINDS])
def test_a_name_is_chinese_when_written_in_characters_or_wholly_in_pinyin(
    name: str, chinese: bool
) -> None:
    assert is_chinese_name(name) is chinese


LIN = Contact(id="lin", name="Lin Lingli")
GEORGE = Contact(id="george", name="George Wilson-Brown")
LI_NA = Contact(id="li-na", name="李娜")

SURE_BARS: list[tuple[str, str, Contact, float]] = [
    ("pinyin heard for a Chinese name", "lin lingli", LIN, CHINESE_NAME_SURE),
    ("an English name", "george wilson-brown", GEORGE, NAME_SURE),
    ("characters heard (a Chinese recogniser)", "李娜", LI_NA, HAN_NAME_SURE),
    ("pinyin heard for a name in characters", "li na", LI_NA, CHINESE_NAME_SURE),
]


@pytest.mark.parametrize(
    ("case", "query", "person", "bar"), SURE_BARS, ids=[b[0] for b in SURE_BARS]
)
def test_the_bar_a_name_is_doubted_under_follows_its_kind(
    case: str, query: str, person: Contact, bar: float
) -> None:
    assert sure_bar(query, person) == bar, case


#: (case, person, the confidence of the name's least sure word, asked?)
BARS: list[tuple[str, Contact, float, bool]] = [
    ("a Chinese name under its bar", LIN, CHINESE_NAME_SURE - 0.01, True),
    ("a Chinese name at its bar", LIN, CHINESE_NAME_SURE, False),
    ("an English name under its bar", GEORGE, NAME_SURE - 0.01, True),
    ("an English name at its bar", GEORGE, NAME_SURE, False),
    (
        "a Chinese name as sure as an English one may be is still asked",
        LIN,
        (NAME_SURE + CHINESE_NAME_SURE) / 2,
        True,
    ),
    (
        "an English name the Chinese bar would doubt is taken",
        GEORGE,
        (NAME_SURE + CHINESE_NAME_SURE) / 2,
        False,
    ),
]


@pytest.mark.parametrize(("case", "person", "confidence", "asked"), BARS, ids=[b[0] for b in BARS])
def test_a_name_is_doubted_under_the_bar_of_its_kind(
    case: str, person: Contact, confidence: float, asked: bool
) -> None:
    best = _send(person)
    first, second = person.name.lower().split()
    words = _words(("send", 0.9), (first, 1.0), (second, confidence))
    result = disputed(best, [best], words).slots["recipient"]
    assert isinstance(result, ContactResolution)
    assert result.ambiguous is asked, case
