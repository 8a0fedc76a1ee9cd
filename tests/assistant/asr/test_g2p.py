"""Guessing pronunciations for words the dictionary lacks."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from assistant.asr.g2p import guess_phones

CASES = yaml.safe_load((Path(__file__).parent / "data" / "g2p_en.yaml").read_text("utf-8"))


@pytest.mark.parametrize(("word", "phones"), sorted(CASES.items()))
def test_letter_rules_spell_out_a_word_or_give_up(word: str, phones: str | None) -> None:
    assert guess_phones(word) == phones


def test_the_same_sound_twice_in_a_row_is_said_once() -> None:
    assert guess_phones("anna") == "AE N AE"
