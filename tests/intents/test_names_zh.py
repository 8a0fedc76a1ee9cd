"""Names across scripts and sounds: characters, pinyin, homophones, the reverse."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

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


@pytest.mark.parametrize("query", ["李娜" * 3000, "lina" * 2000, "李 " * 500])
def test_a_sentence_is_never_looked_up_as_a_name(
    indexes: dict[str, ContactIndex], query: str
) -> None:
    assert indexes["main"].resolve(query).candidates == ()


def test_the_zh_phonetics_load_with_the_english_keys_and_the_hanzi_section() -> None:
    from intents.grammar import GRAMMAR_ROOT, load_yaml

    data = load_yaml(GRAMMAR_ROOT / "zh" / "phonetics.yaml")
    index = ContactIndex(_directory("main"), data)
    assert index.resolve("李娜").best is not None


def test_a_surname_reading_pypinyin_does_not_know_is_a_config_error() -> None:
    from assistant.errors import ConfigError
    from intents.phonetics import Pinyin

    with pytest.raises(ConfigError, match="surname reading 'zhang' of '李'"):
        Pinyin({"surname_readings": {"李": "zhang"}})


SURNAMES = "李王张刘陈杨赵黄周吴曾单解仇区"
GIVEN = "伟薇威维芳方娜纳敏静晶丽力强磊军君洋阳杰洁涛滔明鸣"


def _generated() -> tuple[ContactIndex, list[Contact]]:
    people = [
        Contact(id=f"g{i}", name=s + g1 + g2)
        for i, (s, g1, g2) in enumerate(
            (s, g1, g2) for s in SURNAMES for g1 in GIVEN[::3] for g2 in ("", *GIVEN[1::5])
        )
    ]
    return ContactIndex(people, load_grammar("en").data["phonetics"]), people


GENERATED = _generated()


@given(
    st.integers(min_value=0, max_value=len(GENERATED[1]) - 1), st.sampled_from(["chars", "pinyin"])
)
def test_a_name_is_found_or_asked_about_never_mistaken(number: int, kind: str) -> None:
    """Written in characters or read as pinyin, a directory name is its contact, or
    asked about exactly when others share its sound (the characters ranked first)."""
    index, people = GENERATED
    target = people[number]
    reading = " ".join(pinyin_reader().readings(target.name)[0])
    resolution = index.resolve(target.name if kind == "chars" else reading)
    ids = [c.contact.id for c in resolution.candidates]
    assert resolution.best is None or resolution.best.id == target.id, ids
    if kind == "chars":
        assert ids[0] == target.id, ids
    sharing = sum(" ".join(pinyin_reader().readings(p.name)[0]) == reading for p in people)
    assert resolution.ambiguous == (sharing > 1), (reading, sharing, ids)
