"""Names across scripts and sounds: characters, pinyin, homophones, the reverse."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.models import Contact
from intents.contacts import ContactIndex, pinyin_reader
from intents.grammar import load_grammar

from .conftest import load

DATA = load("names_zh.yaml")
CASES = DATA["cases"]


def _directory(name: str) -> list[Contact]:
    return [
        Contact(**{**row, "aliases": tuple(row.get("aliases", ()))})
        for row in DATA["directories"][name]
    ]


@pytest.fixture(scope="module")
def indexes() -> dict[str, ContactIndex]:
    """One index per directory of the data file, with the English phonetics."""
    phonetics = load_grammar("en").data["phonetics"]
    return {name: ContactIndex(_directory(name), phonetics) for name in DATA["directories"]}


def _label(case: dict[str, Any]) -> str:
    return f"{case['q']}@{case.get('directory', 'main')}"


@pytest.mark.parametrize("case", CASES, ids=[_label(c) for c in CASES])
def test_a_name_resolves_across_scripts_and_sounds(
    indexes: dict[str, ContactIndex], case: dict[str, Any]
) -> None:
    resolution = indexes[case.get("directory", "main")].resolve(case["q"])
    ids = [c.contact.id for c in resolution.candidates]
    assert resolution.query == case["q"]
    if "id" in case:
        assert resolution.best is not None, f"{case['q']!r} unresolved or ambiguous: {ids}"
        assert resolution.best.id == case["id"], ids
    if "among" in case:
        assert resolution.ambiguous, f"{case['q']!r} should be asked about: {ids}"
        assert set(case["among"]) <= set(ids), ids
    if "first" in case:
        assert ids[0] == case["first"], ids
    if case.get("unknown"):
        assert ids == [], f"{case['q']!r} should be nobody: {ids}"


@pytest.mark.parametrize("case", DATA["readings"], ids=[c["name"] for c in DATA["readings"]])
def test_a_name_in_characters_is_read_with_its_surname_reading(case: dict[str, str]) -> None:
    assert " ".join(pinyin_reader().readings(case["name"])[0]) == case["reading"]


def test_homophones_are_offered_with_their_departments_for_the_question(
    indexes: dict[str, ContactIndex],
) -> None:
    resolution = indexes["main"].resolve("李威")
    departments = {c.contact.id: c.contact.department for c in resolution.candidates}
    assert departments["lw-sales"] == "销售部"
    assert departments["lw-fin"] == "财务部"
    assert resolution.best is None


def test_an_exact_match_in_characters_outranks_the_same_sound(
    indexes: dict[str, ContactIndex],
) -> None:
    resolution = indexes["main"].resolve("李薇")
    scores = {c.contact.id: c.score for c in resolution.candidates}
    assert scores["lw-fin"] > scores["lw-sales"]
    assert scores["lw-fin"] > scores["li-wei-wu"]


def test_the_zh_phonetics_load_with_the_english_keys_and_the_hanzi_section() -> None:
    from intents.grammar import GRAMMAR_ROOT, load_yaml

    data = load_yaml(GRAMMAR_ROOT / "zh" / "phonetics.yaml")
    index = ContactIndex(_directory("main"), data)
    assert index.resolve("李娜").best is not None
