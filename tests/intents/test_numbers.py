"""Number words, specified by data/numbers.yaml."""

from __future__ import annotations

from typing import Any

import pytest

from intents.grammar import load_grammar
from intents.numbers import NumberWords

from .conftest import load

NUMBERS = NumberWords.from_data(load_grammar("en").data["numbers"])
DATA = load("numbers.yaml")


@pytest.mark.parametrize("case", DATA["cardinals"], ids=[c["words"] for c in DATA["cardinals"]])
def test_cardinals(case: dict[str, Any]) -> None:
    found = NUMBERS.cardinal(case["words"].split(), 0)
    assert found is not None
    assert found[0] == case["value"]


@pytest.mark.parametrize("case", DATA["ordinals"], ids=[c["words"] for c in DATA["ordinals"]])
def test_ordinals(case: dict[str, Any]) -> None:
    found = NUMBERS.ordinal(case["words"].split(), 0)
    assert found is not None
    assert found[0] == case["value"]


@pytest.mark.parametrize("words", ["a", "banana", "half", ""])
def test_words_that_are_not_numbers_on_their_own(words: str) -> None:
    assert NUMBERS.cardinal(words.split(), 0) is None
