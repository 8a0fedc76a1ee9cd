"""The name index on a large directory: same answers, no linear scan needed."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from assistant.models import Contact
from intents.contacts import ContactIndex
from intents.grammar import load_grammar
from intents.parser import Parser
from intents.result import ContactResolution

SURNAMES = ("li", "wang", "zhang", "liu", "chen", "yang", "zhao", "huang", "zhou", "wu")
GIVEN = ("wei", "fang", "na", "min", "jing", "qiang", "lei", "jun", "yong", "yan", "jie", "tao")
ENGLISH = ("james", "mary", "john", "linda", "david", "susan", "mark", "lisa")
LAST = ("smith", "jones", "miller", "davis", "wilson", "taylor", "clark", "lewis")


def big_directory() -> list[Contact]:
    """Every combination, several times over, in many departments: ~5,000 people."""
    names = [f"{s} {g}".title() for s, g in itertools.product(SURNAMES, GIVEN)]
    names += [f"{first} {last}".title() for first, last in itertools.product(ENGLISH, LAST)]
    departments = ("Sales", "Finance", "Legal", "Support")
    contacts = [
        Contact(id=f"p{i}", name=name, department=departments[i % 4])
        for i, name in enumerate(names * 20)
    ]
    contacts.append(Contact(id="unique", name="Ouyang Xiaoqing", department="Research"))
    return contacts


def index() -> ContactIndex:
    return ContactIndex(big_directory(), load_grammar("en").data["phonetics"])


def test_a_unique_name_is_found_among_thousands_even_misheard() -> None:
    names = index()
    for heard in ("ouyang xiaoqing", "ouyang shiaoching", "oh yang xiaoqing", "xiaoqing"):
        resolution = names.resolve(heard)
        assert resolution.best is not None, heard
        assert resolution.best.id == "unique", heard


def test_a_shared_name_is_ambiguous_with_ranked_candidates() -> None:
    resolution = index().resolve("wang fang")
    assert resolution.ambiguous
    assert len(resolution.candidates) == 5
    assert all(c.contact.name == "Wang Fang" for c in resolution.candidates)
    scores = [c.score for c in resolution.candidates]
    assert scores == sorted(scores, reverse=True)


def test_a_qualifier_narrows_a_shared_name() -> None:
    resolution = index().resolve("wang fang", qualifier="research")
    assert all(c.contact.name == "Wang Fang" for c in resolution.candidates)
    resolution = index().resolve("ouyang xiaoqing from research")
    assert resolution.best is not None
    assert resolution.best.id == "unique"


def test_nobody_matches_a_name_from_nowhere() -> None:
    assert index().resolve("bartholomew quackenbush").candidates == ()


def test_an_empty_directory_knows_nobody() -> None:
    empty = ContactIndex([], load_grammar("en").data["phonetics"])
    assert empty.resolve("li wei").candidates == ()
    assert len(empty) == 0


def pinyin_directory() -> list[Contact]:
    """1,440 distinct three-syllable pinyin names among 5,440 people: a large directory."""
    names = [f"{s} {a}{b}".title() for s, a, b in itertools.product(SURNAMES, GIVEN, GIVEN)]
    people = [Contact(id=f"q{i}", name=name) for i, name in enumerate(names)]
    return people + [Contact(id=f"e{i}", name=f"Person{i} Smith{i}") for i in range(4000)]


def test_a_pinyin_name_only_near_in_letters_is_asked_about_in_a_large_directory() -> None:
    # "weijuun" reads as no pinyin: Zhang Weijun is nearest by letters (0.91),
    # but among thousands a vowel heard wrong makes someone else's name.
    large = ContactIndex(pinyin_directory(), load_grammar("en").data["phonetics"])
    resolution = large.resolve("zhang weijuun")
    assert resolution.ambiguous
    assert resolution.candidates[0].contact.name == "Zhang Weijun"
    # Read back from English-spelled pinyin, the same name is taken.
    assert large.resolve("jang weijun").best == resolution.candidates[0].contact


def test_a_pinyin_name_near_in_letters_is_taken_in_a_small_directory() -> None:
    few = [Contact(id="zw", name="Zhang Weijun"), Contact(id="lm", name="Li Ming")]
    small = ContactIndex(few, load_grammar("en").data["phonetics"])
    best = small.resolve("zhang weijuun").best
    assert best is not None
    assert best.id == "zw"


def test_a_whole_name_heard_without_saying_is_not_cut_to_a_shorter_one() -> None:
    # A recogniser drops "saying": "jessica jones rodriguez" is the whole name
    # of Jessica Jones-Rodriguez, not Jessica Jones with "rodriguez" in the body.
    people = [
        Contact(id="jj", name="Jessica Jones"),
        Contact(id="jjr", name="Jessica Jones-Rodriguez"),
        # more people the first two words may mean than the dialog lists
        *(Contact(id=f"j{n}", name=f"Jessica Jones-{n}") for n in ("Allen", "Brown", "Clark")),
        *(Contact(id=f"k{n}", name=f"Jessica {n}-Jones") for n in ("Hill", "King", "Lee")),
        Contact(id="lw", name="Li Wei", department="Finance"),
    ]
    parser = Parser.from_contacts(people)
    now = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
    result = parser.parse(
        "send a message to jessica jones rodriguez the trucks are loaded", now=now
    )
    recipient = result.slots["recipient"]
    assert isinstance(recipient, ContactResolution)
    assert recipient.best is not None
    assert recipient.best.id == "jjr"
    assert result.slots["body"] == "the trucks are loaded"
    # A qualifier's noise word is still no part of the name.
    result = parser.parse("tell li wei from finance the report is done", now=now)
    assert result.slots["body"] == "the report is done"
