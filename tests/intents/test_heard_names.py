"""Names as an English recogniser writes them (data/heard_names.yaml).

Pinyin syllables respelled (zh -> j, x -> sh/s, q -> ch, ui -> way, ei -> ay,
ao -> ow, ...) with the words split or glued anywhere are read back as pinyin
and looked up exactly; English names are compared one spelling per sound.
"""

from __future__ import annotations

from typing import Any

import pytest

from assistant.models import Contact
from intents.contacts import ContactIndex, heard_pinyin
from intents.grammar import load_grammar
from tests.intents.conftest import load

DATA = load("heard_names.yaml")


def _phonetics() -> Any:
    return load_grammar("en").data["phonetics"]


def _person(said: str) -> Contact:
    name, _, department = (part.strip() for part in said.partition("/"))
    key = f"{name} {department}".strip().lower().replace(" ", "-")
    return Contact(id=key, name=name, department=department)


@pytest.mark.parametrize("case", DATA["readings"], ids=lambda c: c["heard"])
def test_heard_pinyin_is_read_back(case: dict[str, Any]) -> None:
    reader = heard_pinyin(_phonetics())
    assert reader is not None
    readings = reader.readings(case["heard"].split())
    if case.get("none"):
        assert readings == {}
        return
    for glued in case["reads"]:
        assert glued in readings, (glued, readings)
    for glued in case.get("not", ()):
        assert glued not in readings


def test_a_syllable_heard_as_written_is_likelier_than_a_respelled_one() -> None:
    reader = heard_pinyin(_phonetics())
    assert reader is not None
    readings = reader.readings(["su"])
    assert readings["su"] == 1.0
    assert readings["xu"] < readings["su"]


def test_a_locale_without_the_model_reads_nothing_back() -> None:
    assert heard_pinyin({"rules": [], "group_words": [], "name_fillers": []}) is None


@pytest.mark.parametrize(
    "case", DATA["resolves"], ids=lambda c: f"{c['heard']} among {len(c['people'])}"
)
def test_heard_names_resolve(case: dict[str, Any]) -> None:
    index = ContactIndex([_person(p) for p in case["people"]], _phonetics())
    found = index.resolve(case["heard"])
    if case.get("unknown"):
        assert found.candidates == ()
    elif "among" in case:
        assert found.ambiguous
        ids = [c.contact.id for c in found.candidates]
        for expected in case["among"]:
            assert expected in ids
    else:
        assert found.best is not None, found
        assert found.best.id == case["id"]
    ids = [c.contact.id for c in found.candidates]
    for kept in case.get("also", ()):
        assert kept in ids, (kept, ids)


def test_in_a_large_directory_a_pinyin_name_heard_as_nobody_is_asked_about() -> None:
    """Words that read as pinyin, but as no one's name, were misheard beyond the
    model: the nearest pinyin name is asked about, never taken."""
    people = [_person("Dong Yanpeng"), _person("Lin Tao")]
    people += [Contact(id=f"x{i}", name=f"Staff{chr(97 + i % 26)}{i} Member") for i in range(5000)]
    index = ContactIndex(people, _phonetics())
    said = index.resolve("dong yanpeng")
    assert said.best is not None
    assert said.best.id == "dong-yanpeng"
    slipped = index.resolve("dong yangpeng")  # yang is not yan: nobody is Dong Yangpeng
    assert slipped.ambiguous
    assert [c.contact.id for c in slipped.candidates][:1] == ["dong-yanpeng"]
