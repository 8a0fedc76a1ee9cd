"""The name index on a large directory: same answers, no linear scan needed."""

from __future__ import annotations

import itertools

from assistant.models import Contact
from intents.contacts import ContactIndex
from intents.grammar import load_grammar

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
